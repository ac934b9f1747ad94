"""Internal remarks on reference data stay with administrators; names, periods and the
brand follow the reader's language (issue 8, items 6 and 7)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize("role", ["area", "dept", "enterprise", "leader"])
def test_area_notes_to_verify_are_for_administrators_only(
    world: Any, client: Any, role: str
) -> None:
    client.force_login(world.users[role])
    page = client.get("/system/areas/").content.decode()
    assert "营口高新技术产业开发区" in page
    assert "待核实" not in page and "备注" not in page
    export = client.get("/system/areas/?format=xlsx")
    if export.status_code == 200:
        from zhenxing.core.excel import read_rows

        cells = " ".join(str(c) for row in read_rows(export.content) for c in row)
        assert "营口高新技术产业开发区" in cells and "待核实" not in cells


def test_the_administrator_sees_the_area_notes(world: Any, client: Any) -> None:
    client.force_login(world.users["admin"])
    page = client.get("/system/areas/").content.decode()
    assert "所在县区待核实" in page


def test_names_and_the_brand_follow_the_language(world: Any, client: Any) -> None:
    client.force_login(world.users["area"])
    zh = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    en = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "营口市产业发展服务平台" in zh
    assert "Yingkou Industrial Development Service Platform" in en
    assert "营口市产业发展服务平台" not in en
    areas = client.get("/system/areas/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Bayuquan District" in areas


def test_a_month_reads_as_its_reader_writes_it() -> None:
    from zhenxing.core.periods import Period

    june = Period(2024, 6)
    assert june.label_for("zh-hans") == "2024年6月" == june.label
    assert june.label_for("en") == "June 2024"
    assert june.ytd_label_for("en") == "Jan–Jun 2024"
    assert Period(2024, 1).ytd_label_for("en") == "Jan 2024"
    assert june.ytd_label_for("zh-hans") == "2024年1—6月"


def test_a_department_and_an_area_print_in_the_reader_language(ref: None) -> None:
    from django.utils import translation

    from zhenxing.core.models import Area, Department

    gxj = Department.objects.get(code="gxj")
    area = Area.objects.get(code="210804")
    with translation.override("en"):
        assert str(gxj) == "Bureau of Industry and Information Technology"
        assert str(area) == "Bayuquan District"
    with translation.override("zh-hans"):
        assert (str(gxj), gxj.full_name, str(area)) == (
            "工信局",
            "营口市工业和信息化局",
            "鲅鱼圈区",
        )
