"""Every role × every import page and API: only roles that may import see or reach them.

A leader, a steward or an enterprise user could post a sheet to the report import API
and have the whole file read (every row then refused): a way to load the server for
roles that may write nothing there. Now each page, template, error report, background
job page and API route answers 403 (a page or problem+json) before reading a byte, and
no page links to an upload the role may not use.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from tests.affordances import write_affordances

from zhenxing.core import excel

ROLES = ["admin", "dept", "dept_head", "area", "steward", "enterprise", "leader", "nobody"]
CITY_AND_AREA = {"admin", "dept", "dept_head", "area"}

# Who may use each registered import (the model each writes, as core/scoping.py decides).
MAY_IMPORT: dict[str, set[str]] = {
    "enterprises": CITY_AND_AREA,
    "project-reports": CITY_AND_AREA,
    "enterprise-facts-market-regulator": CITY_AND_AREA,
    "enterprise-facts-statistics": CITY_AND_AREA,
    "enterprise-facts-tax": CITY_AND_AREA,
    # an enterprise files its own self-reported figures
    "enterprise-facts-self-reported": CITY_AND_AREA | {"enterprise"},
}
# Departments' lists (名单) are entered by the city's departments.
MAY_UPLOAD_LISTS = {"admin", "dept", "dept_head"}


def test_the_table_covers_every_registered_import() -> None:
    assert set(MAY_IMPORT) == set(excel.REGISTRY)


def _upload(name: str = "x.xlsx") -> SimpleUploadedFile:
    data = excel.build_xlsx(["统一社会信用代码", "企业名称"], [["91210804123456788F", "甲"]])
    return SimpleUploadedFile(name, data, content_type=excel.XLSX_TYPE)


@pytest.mark.parametrize("role", ROLES)
def test_every_import_page_refuses_roles_that_may_not_import(
    world: Any, client: Any, role: str, settings: Any, tmp_path: Any
) -> None:
    from zhenxing.core.models import ImportJob

    settings.IMPORT_DIR = tmp_path
    client.force_login(world.users[role])
    for kind, allowed in MAY_IMPORT.items():
        may = role in allowed
        page = client.get(f"/imports/{kind}/")
        assert page.status_code == (200 if may else 403), (kind, page.status_code)
        template = client.get(f"/imports/{kind}/template/")
        assert template.status_code == (200 if may else 403), kind
        # no failed import yet: nothing to report for those who may, 403 for the others
        assert client.get(f"/imports/{kind}/errors/").status_code == (404 if may else 403)
        posted = client.post(f"/imports/{kind}/", {"file": _upload()})
        assert posted.status_code == (200 if may else 403), (kind, posted.status_code)
        # a background job's pages, even the user's own, once the right is gone
        job = ImportJob.objects.create(user=world.users[role], kind=kind, file_name="x.xlsx")
        for suffix in ("", "progress/", "errors/"):
            answer = client.get(f"/imports/{kind}/jobs/{job.pk}/{suffix}")
            assert answer.status_code in ((200, 404) if may else (403,)), (kind, suffix)


@pytest.mark.parametrize("role", ROLES)
def test_the_report_import_api_refuses_roles_that_may_not_import(
    world: Any, client: Any, role: str
) -> None:
    client.force_login(world.users[role])
    answer = client.post("/api/v1/projects/reports/import", {"file": _upload()})
    if role in MAY_IMPORT["project-reports"]:
        assert answer.status_code == 400  # read and refused: the sheet is not a report sheet
    else:
        assert answer.status_code == 403
        assert answer["Content-Type"].startswith("application/problem+json")
        assert answer.json()["status"] == 403


@pytest.mark.parametrize("role", ROLES)
def test_the_list_upload_refuses_roles_that_may_not_upload_lists(
    world: Any, client: Any, role: str
) -> None:
    client.force_login(world.users[role])
    may = role in MAY_UPLOAD_LISTS
    assert client.get("/policies/lists/upload/").status_code == (200 if may else 403)
    posted = client.post("/policies/lists/upload/", {"file": _upload()})
    assert posted.status_code == (200 if may else 403)
    assert client.get("/policies/lists/upload/errors/").status_code == (404 if may else 403)


@pytest.mark.parametrize("role", ROLES)
def test_no_page_links_to_an_upload_the_role_may_not_use(
    world: Any, client: Any, role: str
) -> None:
    client.force_login(world.users[role])
    pages = [
        "/enterprises/",
        f"/enterprises/{world.own_enterprise.pk}/?tab=facts",
        "/projects/reports/",
        "/policies/lists/",
    ]
    for url in pages:
        response = client.get(url)
        if response.status_code != 200:
            continue  # a page the role does not see offers nothing
        html = response.content.decode()
        for kind, allowed in MAY_IMPORT.items():
            linked = f"/imports/{kind}/" in html
            assert not linked or role in allowed, (role, url, kind)
        uploads = [a for a in write_affordances(html, url) if "/lists/upload/" in a]
        assert not uploads or role in MAY_UPLOAD_LISTS, (role, url, uploads)
