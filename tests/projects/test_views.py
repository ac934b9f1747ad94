"""The project pages: list, record with tabs, forms, the month sheet and the figures."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from zhenxing.core.periods import Period

D = datetime.date


@pytest.fixture
def area_client(client: Any, world: Any) -> Any:
    client.force_login(world.users["area"])
    return client


def test_the_list_shows_code_area_status_investment_and_library_badges(
    area_client: Any, own_project: Any, world: Any
) -> None:
    from zhenxing.projects import services
    from zhenxing.projects.models import KeyList

    key = KeyList.objects.create(code="city-key", name="市重点")
    services.project_add_to_key_list(
        user=world.users["admin"], project=own_project, key_list=key, date=D(2024, 1, 1)
    )
    page = area_client.get("/projects/").content.decode()
    assert own_project.code in page and own_project.name in page
    assert "5,000.00" in page  # 50,000,000 yuan in 万元
    assert '<span class="badge">续建</span>' in page
    assert '<span class="badge">建设</span>' in page
    assert '<span class="badge badge-muted">市重点</span>' in page


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("library=construction", True),
        ("library=reserve", False),
        ("key_list=city-key", True),
        ("key_list=prov-major", False),
        ("status=continuing", True),
        ("status=completed", False),
        ("q=冶金", True),
        ("q=不存在", False),
    ],
)
def test_the_list_filters(
    area_client: Any, own_project: Any, world: Any, query: str, shown: bool
) -> None:
    from zhenxing.projects import services
    from zhenxing.projects.models import KeyList

    KeyList.objects.create(code="prov-major", name="省重大工程")
    key = KeyList.objects.create(code="city-key", name="市重点")
    services.project_add_to_key_list(
        user=world.users["admin"], project=own_project, key_list=key, date=D(2024, 1, 1)
    )
    page = area_client.get(f"/projects/?{query}").content.decode()
    assert (own_project.name in page) is shown


def test_the_list_needs_a_fixed_number_of_queries(
    client: Any, make: Any, world: Any, django_assert_max_num_queries: Any
) -> None:
    from zhenxing.projects import services
    from zhenxing.projects.models import KeyList

    key = KeyList.objects.create(code="city-key", name="市重点")
    for i in range(30):
        project = make.project(world.own_area if i % 2 else world.other_area)
        services.project_add_to_key_list(
            user=world.users["admin"], project=project, key_list=key, date=D(2024, 1, 1)
        )
    client.force_login(world.users["dept"])
    with django_assert_max_num_queries(14):
        page = client.get("/projects/")
    assert page.status_code == 200 and page.content.decode().count("市重点") >= 30
    with django_assert_max_num_queries(14):
        assert client.get("/projects/?format=xlsx").status_code == 200


def test_the_export_has_every_field_the_list_filters_on_and_the_key_facts(
    area_client: Any, own_project: Any, world: Any
) -> None:
    from zhenxing.core.excel import read_rows
    from zhenxing.projects.views import PROJECT_LIST

    rows = read_rows(area_client.get("/projects/?format=xlsx").content)
    header = rows[0]
    for label in ("项目代码", "项目名称", "所在区域", "状态", "项目库", "重点清单", "产业集群"):
        assert label in header
    for label in ("所属行业", "总投资（万元）", "计划开工", "计划竣工", "状态日期", "责任部门"):
        assert label in header
    # every filter of the list page has its column (the keyword searches name and code)
    filtered_on = {str(f.label) for f in PROJECT_LIST.filters if not f.keyword_fields}
    assert filtered_on <= {*header, "区域"} and "所在区域" in header
    row = dict(zip(header, rows[1], strict=True))
    assert (row["项目代码"], row["项目名称"], row["所在区域"], row["状态"]) == (
        own_project.code,
        own_project.name,
        "鲅鱼圈区",
        "续建",
    )
    assert row["总投资（万元）"] == 5000  # 万元, a number in the sheet
    assert row["项目库"] == "建设项目库" and row["状态日期"] is not None


@pytest.mark.parametrize("tab", ["basic", "reports", "status", "steward", "history"])
def test_every_tab_of_the_record_opens(area_client: Any, own_project: Any, tab: str) -> None:
    page = area_client.get(f"/projects/{own_project.pk}/?tab={tab}")
    assert page.status_code == 200
    assert own_project.name in page.content.decode()


def test_the_reports_tab_lists_the_months_with_their_lock(
    area_client: Any, own_project: Any, world: Any
) -> None:
    from zhenxing.projects import services

    services.report_submit(
        user=world.users["area"],
        project=own_project,
        period=Period(2024, 6),
        investment=Decimal("3000000"),
    )
    page = area_client.get(f"/projects/{own_project.pk}/?tab=reports&year=2024").content.decode()
    assert "2024年6月" in page and "300.00" in page
    assert "已锁定" in page and "更正" in page and "填报中" in page
    assert f"/projects/{own_project.pk}/reports/2024-05/" in page


def test_the_history_tab_shows_report_corrections_with_their_reason(
    area_client: Any, own_project: Any, world: Any, settings: Any
) -> None:
    from zhenxing.projects import services

    settings.TODAY_OVERRIDE = "2024-05-31"
    services.report_submit(
        user=world.users["area"], project=own_project, period=Period(2024, 5), investment=1
    )
    settings.TODAY_OVERRIDE = "2024-06-30"
    services.report_submit(
        user=world.users["area"],
        project=own_project,
        period=Period(2024, 5),
        investment=2,
        expected_version=1,
        reason="填错单位",
    )
    page = area_client.get(f"/projects/{own_project.pk}/?tab=history").content.decode()
    assert "填错单位" in page and "月度填报" in page


def test_a_project_is_created_from_the_form_in_wan(area_client: Any, world: Any, today: D) -> None:
    from zhenxing.projects.models import Project

    response = area_client.post(
        "/projects/new/",
        {
            "name": "鲅鱼圈新能源装备项目",
            "code": "2024-210804-04-01-00002B",
            "area": world.own_area.pk,
            "policy_category": "emerging",
            "total_investment": "12345.67",
            "status": "signed",
            "status_since": "2024-04-01",
            "library": "reserve",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    project = Project.objects.get(name="鲅鱼圈新能源装备项目")
    assert project.total_investment == Decimal("123456700.00")
    assert project.libraries.get().library == "reserve"


def test_a_refused_form_keeps_what_was_typed_and_names_the_field(
    area_client: Any, world: Any, today: D
) -> None:
    response = area_client.post(
        "/projects/new/",
        {
            "name": "代码写错的项目",
            "code": "2024-2108-04-01-123456",
            "area": world.own_area.pk,
            "policy_category": "other",
            "total_investment": "100",
            "status": "planned",
            "status_since": "2024-04-01",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "error-summary" in page and "第 2 段" in page
    assert 'value="代码写错的项目"' in page


def test_the_status_form_refuses_completion_before_a_start(
    area_client: Any, make: Any, world: Any
) -> None:
    project = make.project(world.own_area, status="signed", since=D(2024, 1, 1), library=None)
    form = area_client.get(f"/projects/{project.pk}/status/").content.decode()
    assert 'value="completed"' not in form  # only the allowed next steps are offered
    posted = area_client.post(
        f"/projects/{project.pk}/status/", {"status": "completed", "date": "2024-06-01"}
    )
    assert posted.status_code == 200
    project.refresh_from_db()
    assert project.status == "signed"
    ok = area_client.post(
        f"/projects/{project.pk}/status/", {"status": "new_start", "date": "2024-03-18"}
    )
    assert ok.status_code == 302
    project.refresh_from_db()
    assert project.status == "new_start"


def test_libraries_key_lists_and_plans_are_changed_from_their_pages(
    area_client: Any, own_project: Any
) -> None:
    from zhenxing.projects.models import KeyList

    key = KeyList.objects.create(code="port-city", name="港产城")
    assert (
        area_client.post(
            f"/projects/{own_project.pk}/libraries/",
            {
                "form": "library",
                "lib-action": "enter",
                "lib-library": "key",
                "lib-date": "2024-06-01",
            },
        ).status_code
        == 302
    )
    assert (
        area_client.post(
            f"/projects/{own_project.pk}/libraries/",
            {
                "form": "key_list",
                "key-action": "enter",
                "key-key_list": key.pk,
                "key-date": "2024-06-01",
            },
        ).status_code
        == 302
    )
    again = area_client.post(
        f"/projects/{own_project.pk}/libraries/",
        {"form": "library", "lib-action": "enter", "lib-library": "key", "lib-date": "2024-06-02"},
    )
    assert again.status_code == 200 and "已在重点项目库中" in again.content.decode()
    plan = area_client.post(
        f"/projects/{own_project.pk}/plans/", {"year": "2024", "planned_investment": "3600"}
    )
    assert plan.status_code == 302
    assert own_project.annual_plans.get().planned_investment == Decimal("36000000.00")
    assert set(own_project.libraries.values_list("library", flat=True)) == {"construction", "key"}
    assert own_project.key_lists.get().key_list == key


def test_leaving_a_library_before_entering_it_is_refused_on_the_date_field(
    area_client: Any, own_project: Any
) -> None:
    """The service names the stay's `left_on`; the page shows it on the form's date."""
    url = f"/projects/{own_project.pk}/libraries/"
    entered = {"form": "library", "lib-action": "enter", "lib-library": "key"}
    assert area_client.post(url, {**entered, "lib-date": "2024-06-01"}).status_code == 302
    left = {"form": "library", "lib-action": "leave", "lib-library": "key"}
    refused = area_client.post(url, {**left, "lib-date": "2024-05-01"})
    assert refused.status_code == 200
    form = refused.context["library_form"]
    assert form.errors["date"] == ["出库日期不能早于入库日期（2024-06-01）"]
    assert area_client.post(url, {**left, "lib-date": "2024-06-20"}).status_code == 302
    stay = own_project.libraries.get(library="key")
    assert str(stay.left_on) == "2024-06-20"


def test_the_one_form_pages_share_one_form_with_their_own_way_back(
    area_client: Any, own_project: Any
) -> None:
    """includes/form.html: every form page's 取消 goes back where it came from."""
    detail = f"/projects/{own_project.pk}/"
    status = area_client.get(f"{detail}status/").content.decode()
    assert f'<a class="btn" href="{detail}?tab=status">' in status
    assert "状态按项目生命周期依次变更" in status
    report = area_client.get(f"{detail}reports/2024-06/").content.decode()
    assert f'<a class="btn" href="{detail}?tab=reports&amp;year=2024">' in report
    edit = area_client.get(f"{detail}edit/").content.decode()
    assert f'<a class="btn" href="{detail}">' in edit
    assert '<form method="post" class="form" novalidate>' in edit


def test_the_report_form_files_and_then_refuses_a_stale_version(
    area_client: Any, own_project: Any, world: Any
) -> None:
    from zhenxing.projects import services

    url = f"/projects/{own_project.pk}/reports/2024-06/"
    assert "当月完成投资（万元）" in area_client.get(url).content.decode()
    data = {
        "investment": "120.5",
        "progress_pct": "30",
        "progress_text": "",
        "problems": "",
        "version": "0",
    }
    assert area_client.post(url, data).status_code == 302
    report = own_project.reports.get()
    assert report.investment == Decimal("1205000.00")
    # someone else saves version 1 first
    services.report_submit(
        user=world.users["admin"],
        project=own_project,
        period=Period(2024, 6),
        investment=Decimal("1"),
        expected_version=1,
    )
    stale = area_client.post(url, {**data, "investment": "130", "version": "1"})
    page = stale.content.decode()
    assert stale.status_code == 200
    assert "该月报已被他人修改（版本 2），请刷新后再改" in page
    assert 'value="130"' in page
    report.refresh_from_db()
    assert report.investment == Decimal("1.00")


def test_the_report_form_of_a_locked_month_asks_for_a_reason(
    area_client: Any, own_project: Any
) -> None:
    url = f"/projects/{own_project.pk}/reports/2024-05/"
    page = area_client.get(url).content.decode()
    assert "截止填报并锁定" in page and "修改原因" in page
    refused = area_client.post(url, {"investment": "10", "version": "0"})
    assert refused.status_code == 200 and not own_project.reports.exists()
    done = area_client.post(url, {"investment": "10", "version": "0", "reason": "补报"})
    assert done.status_code == 302 and own_project.reports.get().investment == Decimal("100000.00")


def test_the_month_sheet_saves_changed_rows_and_all_or_nothing(
    area_client: Any, make: Any, world: Any
) -> None:
    a = make.project(world.own_area, name="甲")
    b = make.project(world.own_area, name="乙")
    c = make.project(world.own_area, name="丙")
    make.project(world.other_area, name="盖州的项目")
    url = f"/projects/reports/?period=2024-06&area={world.own_area.code}"
    page = area_client.get(url).content.decode()
    assert "甲" in page and "乙" in page and "盖州的项目" not in page
    bad = area_client.post(
        url,
        {
            f"p{a.pk}-investment": "10",
            f"p{a.pk}-version": "0",
            f"p{b.pk}-investment": "-3",
            f"p{b.pk}-version": "0",
            f"p{c.pk}-version": "0",
        },
    )
    assert bad.status_code == 200 and "本次没有保存任何一行" in bad.content.decode()
    assert not a.reports.exists()
    good = area_client.post(
        url,
        {
            f"p{a.pk}-investment": "10",
            f"p{a.pk}-progress_pct": "20",
            f"p{a.pk}-version": "0",
            f"p{b.pk}-investment": "3",
            f"p{b.pk}-version": "0",
            f"p{c.pk}-version": "0",
        },
    )
    assert good.status_code == 302
    assert a.reports.get().investment == Decimal("100000.00")
    assert b.reports.get().investment == Decimal("30000.00")
    assert not c.reports.exists()


def test_the_month_sheet_of_a_locked_month_needs_a_reason(
    area_client: Any, own_project: Any, world: Any
) -> None:
    url = f"/projects/reports/?period=2024-05&area={world.own_area.code}"
    data = {f"p{own_project.pk}-investment": "10", f"p{own_project.pk}-version": "0"}
    refused = area_client.post(url, data)
    assert refused.status_code == 200 and "修改须填写修改原因" in refused.content.decode()
    assert area_client.post(url, {**data, "reason": "补报五月"}).status_code == 302
    assert own_project.reports.get().year == 2024


def test_the_month_sheet_downloads_as_the_import_sheet_and_imports_back(
    area_client: Any, make: Any, world: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhenxing.core.excel import build_xlsx, read_rows
    from zhenxing.projects import services

    a = make.project(world.own_area, name="甲")
    b = make.project(world.own_area, name="乙")
    services.report_submit(
        user=world.users["area"],
        project=a,
        period=Period(2024, 6),
        investment=Decimal("12345678.90"),
        progress_pct=Decimal("12.5"),
    )
    url = f"/projects/reports/?period=2024-06&area={world.own_area.code}"
    rows = read_rows(area_client.get(url + "&format=xlsx").content)
    assert rows[0][:4] == ["项目代码", "项目名称", "月份*", "当月完成投资（万元）"]
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["甲"][2:5] == ["2024-06", 1234.56789, 12.5]
    assert by_name["乙"][3] in (None, "")
    # fill 乙 in "Excel" and import the whole sheet back
    filled = [list(r) for r in rows[1:]]
    for r in filled:
        if r[1] == "乙":
            r[3] = 88
    data = build_xlsx([str(h) for h in rows[0]], filled)
    done = area_client.post(
        "/imports/project-reports/", {"file": SimpleUploadedFile("s.xlsx", data)}
    )
    assert done.status_code == 302
    assert b.reports.get().investment == Decimal("880000.00")
    assert a.reports.get().investment == Decimal("12345678.90")


def test_the_month_sheet_can_show_only_the_projects_not_yet_reported(
    area_client: Any, make: Any, world: Any
) -> None:
    from zhenxing.projects import services

    a = make.project(world.own_area, name="已报项目")
    make.project(world.own_area, name="未报项目")
    services.report_submit(
        user=world.users["area"], project=a, period=Period(2024, 6), investment=Decimal(1)
    )
    page = area_client.get(
        f"/projects/reports/?period=2024-06&area={world.own_area.code}&missing=1"
    ).content.decode()
    assert "未报项目" in page and "已报项目" not in page


def test_the_figures_export_has_the_table_on_screen(
    client: Any, own_project: Any, world: Any
) -> None:
    from zhenxing.core.excel import read_rows

    client.force_login(world.users["leader"])
    city = read_rows(client.get("/projects/figures/?period=2024-06&format=xlsx").content)
    assert city[0][0] == "区域" and [r[0] for r in city[1:]] == ["鲅鱼圈区"]
    area = read_rows(
        client.get(
            f"/projects/figures/?period=2024-06&area={world.own_area.code}&format=xlsx"
        ).content
    )
    assert area[1][:3] == [own_project.name, own_project.code, "续建"]


def test_the_figures_page_drills_down_from_the_city_to_an_area_to_a_project(
    client: Any, own_project: Any, other_project: Any, world: Any
) -> None:
    from zhenxing.projects import services

    for project, amount in ((own_project, "20000000"), (other_project, "10000000")):
        services.report_submit(
            user=world.users["admin"],
            project=project,
            period=Period(2024, 6),
            investment=Decimal(amount),
        )
    client.force_login(world.users["leader"])
    city = client.get("/projects/figures/?period=2024-06").content.decode()
    assert "0.30" in city  # 30,000,000 yuan = 0.30 亿元
    assert f"area={world.own_area.code}" in city and world.other_area.name in city
    area = client.get(
        f"/projects/figures/?period=2024-06&area={world.own_area.code}"
    ).content.decode()
    assert own_project.name in area and other_project.name not in area
    assert f"/projects/{own_project.pk}/" in area
    assert "2,000.00" in area


def test_the_figures_page_shows_area_staff_only_their_area(
    area_client: Any, own_project: Any, other_project: Any
) -> None:
    page = area_client.get("/projects/figures/?period=2024-05").content.decode()
    assert "鲅鱼圈区" in page and "盖州市" not in page


def test_a_bad_period_on_the_figures_page_is_explained(area_client: Any, today: D) -> None:
    page = area_client.get("/projects/figures/?period=2024-13").content.decode()
    assert "月份应为 1–12" in page or "格式不对" in page


def test_money_is_typed_with_separators_and_listed_with_them(
    area_client: Any, world: Any, own_project: Any, today: D
) -> None:
    from zhenxing.core import excel
    from zhenxing.projects.models import Project

    form = area_client.get("/projects/new/").content.decode()
    assert "总投资（万元）" in form and 'inputmode="decimal"' in form
    response = area_client.post(
        "/projects/new/",
        {
            "name": "千分位项目",
            "area": world.own_area.pk,
            "policy_category": "other",
            "total_investment": "12,345.67",
            "status": "planned",
            "status_since": "2024-04-01",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Project.objects.get(name="千分位项目").total_investment == Decimal("123456700.00")
    assert "12,345.67" in area_client.get("/projects/?q=千分位").content.decode()
    exported = excel.read_rows(area_client.get("/projects/?q=千分位&format=xlsx").content)
    assert 12345.67 in exported[1]  # a number in the export, not text
    plan = area_client.post(
        f"/projects/{own_project.pk}/plans/", {"year": "2024", "planned_investment": "3,600"}
    )
    assert plan.status_code == 302
    assert own_project.annual_plans.get().planned_investment == Decimal("36000000.00")
