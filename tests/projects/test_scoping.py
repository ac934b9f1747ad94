"""Roles × actions × own/other area for projects and monthly reports, through the pages
and the API (the pattern of `tests/core/test_scoping_matrix.py`).

"own" is a project in 鲅鱼圈区 (the area user's area), led by the steward user; "other"
is one in 盖州市. Refused means 403 or 404 and never the data.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

import pytest

Y, N = True, False

#            view own, view other, change own, change other, create own, create other
PROJECTS: dict[str, tuple[bool, bool, bool, bool, bool, bool]] = {
    "admin": (Y, Y, Y, Y, Y, Y),
    "dept": (Y, Y, Y, Y, Y, Y),
    "dept_head": (Y, Y, Y, Y, Y, Y),
    "area": (Y, N, Y, N, Y, N),
    "steward": (Y, N, N, N, N, N),
    "enterprise": (N, N, N, N, N, N),
    "leader": (Y, Y, N, N, N, N),
    "nobody": (N, N, N, N, N, N),
}
#            view own, view other, file own, file other
REPORTS: dict[str, tuple[bool, bool, bool, bool]] = {
    "admin": (Y, Y, Y, Y),
    "dept": (Y, Y, Y, Y),
    "dept_head": (Y, Y, Y, Y),
    "area": (Y, N, Y, N),
    "steward": (Y, N, N, N),
    "enterprise": (N, N, N, N),
    "leader": (Y, Y, N, N),
    "nobody": (N, N, N, N),
}
ROLES = list(PROJECTS)


@pytest.fixture
def pair(own_project: Any, other_project: Any, world: Any) -> dict[str, Any]:
    from zhenxing.projects import services
    from zhenxing.projects.models import Stewardship

    Stewardship.objects.create(
        project=own_project, leader=world.users["steward"], since=datetime.date(2024, 1, 1)
    )
    for project in (own_project, other_project):
        services.report_submit(
            user=world.users["admin"],
            project=project,
            period="2024-06",
            investment=Decimal("1000000"),
            progress_text=f"{project.name}的进度",
        )
    return {"own": own_project, "other": other_project}


def _refused(response: Any, secret: str) -> bool:
    return response.status_code in (403, 404) and secret not in response.content.decode()


def _json(client: Any, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "other"])
def test_view_a_project_and_its_report_in_ui_and_api(
    pair: dict[str, Any], world: Any, client: Any, role: str, which: str
) -> None:
    project = pair[which]
    client.force_login(world.users[role])
    allowed = PROJECTS[role][0 if which == "own" else 1]
    pages = [client.get(f"/projects/{project.pk}/?tab={t}") for t in ("basic", "reports")]
    api = client.get(f"/api/v1/projects/{project.pk}")
    history = client.get(f"/api/v1/projects/{project.pk}/history")
    if allowed:
        assert all(p.status_code == 200 and project.code in p.content.decode() for p in pages)
        assert api.status_code == 200 and api.json()["code"] == project.code
        assert history.status_code == 200
    else:
        assert all(_refused(p, project.code) for p in pages)
        assert _refused(api, project.code) and api["Content-Type"] == "application/problem+json"
        assert _refused(history, project.code)
    sees_report = REPORTS[role][0 if which == "own" else 1]
    report = client.get(f"/api/v1/projects/{project.pk}/reports/2024-06")
    if sees_report:
        assert report.status_code == 200 and report.json()["progress_text"].endswith("的进度")
    else:
        assert _refused(report, "的进度")


@pytest.mark.parametrize("role", ROLES)
def test_lists_exports_reports_and_figures_show_only_what_the_role_may_see(
    pair: dict[str, Any], world: Any, client: Any, role: str
) -> None:
    from zhenxing.core.excel import read_rows

    own, other = pair["own"], pair["other"]
    sees_own, sees_other = PROJECTS[role][0], PROJECTS[role][1]
    client.force_login(world.users[role])
    page = client.get("/projects/").content.decode()
    assert (own.name in page) is sees_own and (other.name in page) is sees_other
    cells = {str(c) for row in read_rows(client.get("/projects/?format=xlsx").content) for c in row}
    assert (own.code in cells) is sees_own and (other.code in cells) is sees_other
    api = client.get("/api/v1/projects?limit=100").json()
    codes = {p["code"] for p in api["items"]}
    assert (own.code in codes) is sees_own and (other.code in codes) is sees_other
    reports = client.get("/api/v1/projects/reports?limit=100").json()
    ids = {r["project_id"] for r in reports["items"]}
    assert (own.pk in ids) is REPORTS[role][0] and (other.pk in ids) is REPORTS[role][1]
    figures = client.get("/api/v1/projects/figures?period=2024-06").json()
    expected = Decimal(1_000_000) * (int(sees_own) + int(sees_other))
    assert Decimal(figures["investment_ytd"]) == expected
    drill = client.get("/projects/figures/?period=2024-06").content.decode()
    assert (f"area={world.other_area.code}" in drill) is sees_other


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "other"])
def test_change_a_project_in_api_and_ui(
    pair: dict[str, Any], world: Any, client: Any, role: str, which: str
) -> None:
    project = pair[which]
    allowed = PROJECTS[role][2 if which == "own" else 3]
    client.force_login(world.users[role])
    api = _json(client, "patch", f"/api/v1/projects/{project.pk}", {"location": "接口地址 1 号"})
    status = _json(
        client,
        "post",
        f"/api/v1/projects/{project.pk}/status-changes",
        {"status": "completed", "date": "2024-06-01"},
    )
    form = client.get(f"/projects/{project.pk}/edit/")
    posted = client.post(
        f"/projects/{project.pk}/edit/",
        {
            "code": project.code,
            "name": project.name,
            "area": project.area_id,
            "policy_category": "other",
            "total_investment": "5000",
            "location": "界面地址 9 号",
        },
    )
    project.refresh_from_db()
    if allowed:
        assert api.status_code == 200, api.content
        assert status.status_code == 201, status.content
        assert form.status_code == 200 and posted.status_code == 302
        assert project.location == "界面地址 9 号" and project.status == "completed"
    else:
        assert api.status_code in (403, 404)
        assert status.status_code in (403, 404)
        assert form.status_code in (403, 404) and posted.status_code in (403, 404)
        assert project.location == "" and project.status == "continuing"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "other"])
def test_create_a_project_in_api_and_ui(
    world: Any, client: Any, role: str, which: str, today: datetime.date
) -> None:
    from zhenxing.projects.models import Project

    allowed = PROJECTS[role][4 if which == "own" else 5]
    area = world.own_area if which == "own" else world.other_area
    client.force_login(world.users[role])
    api = _json(
        client,
        "post",
        "/api/v1/projects",
        {"name": "接口新建项目", "area_code": area.code, "total_investment": "1000"},
    )
    page = client.post(
        "/projects/new/",
        {
            "name": "界面新建项目",
            "area": area.pk,
            "policy_category": "other",
            "total_investment": "1",
            "status": "planned",
            "status_since": "2024-06-01",
        },
    )
    made = set(Project.objects.values_list("name", flat=True))
    if allowed:
        assert api.status_code == 201, api.content
        assert page.status_code == 302
        assert {"接口新建项目", "界面新建项目"} <= made
    else:
        assert api.status_code in (401, 403, 404)
        assert page.status_code in (200, 403, 404)  # 200: the area is not offered in the form
        assert not {"接口新建项目", "界面新建项目"} & made


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "other"])
def test_file_a_monthly_report_in_api_and_ui(
    pair: dict[str, Any], world: Any, client: Any, role: str, which: str
) -> None:
    project = pair[which]
    allowed = REPORTS[role][2 if which == "own" else 3]
    client.force_login(world.users[role])
    api = _json(
        client,
        "put",
        f"/api/v1/projects/{project.pk}/reports/2024-06",
        {"investment": "2000000", "version": 1},
    )
    form = client.get(f"/projects/{project.pk}/reports/2024-06/")
    posted = client.post(
        f"/projects/{project.pk}/reports/2024-06/", {"investment": "300", "version": "2"}
    )
    sheet = client.post(
        f"/projects/reports/?period=2024-06&area={project.area.code}",
        {f"p{project.pk}-investment": "400", f"p{project.pk}-version": "3"},
    )
    report = project.reports.get()
    if allowed:
        assert api.status_code == 200, api.content
        assert form.status_code == 200 and posted.status_code == 302
        assert sheet.status_code == 302
        assert (report.investment, report.version) == (Decimal("4000000.00"), 4)
    else:
        assert api.status_code in (403, 404)
        assert form.status_code in (403, 404) and posted.status_code in (403, 404)
        # a reader gets the page back (nothing writable on it); others are refused
        assert sheet.status_code in (200, 302, 403, 404)
        assert (report.investment, report.version) == (Decimal("1000000.00"), 1)


@pytest.mark.parametrize("role", ROLES)
def test_the_excel_sheet_writes_only_the_users_own_projects(
    pair: dict[str, Any], world: Any, role: str
) -> None:
    from zhenxing.core import excel

    data = excel.build_xlsx(
        ["项目代码", "月份", "当月完成投资（万元）"],
        [[pair["own"].code, "2024-06", 7], [pair["other"].code, "2024-06", 8]],
    )
    result = excel.run_import(excel.REGISTRY["project-reports"], data, user=world.users[role])
    both = REPORTS[role][2] and REPORTS[role][3]
    assert result.ok is both
    for project in pair.values():
        project.refresh_from_db()
        expected = Decimal("70000.00") if project is pair["own"] else Decimal("80000.00")
        assert (project.reports.get().investment == expected) is both
