"""Roles × the project and steward pages: what each role is offered to write, and what
the write pages answer. A role that may not write sees no form, button or link to a
write page (a city leader reads the whole city and changes none of it), and the write
pages themselves refuse it (403/404) instead of showing a form that fails on submit.

"own" is the project in 鲅鱼圈区 (the area user's area, led by `steward`); "other" the one
in 盖州市.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from ..affordances import write_affordances

Y, N = True, False
ROLES = ["admin", "dept", "dept_head", "area", "steward", "enterprise", "leader", "nobody"]

# role: may write the own project (edit, status, libraries, plans, reports), the other one
PROJECT_WRITES: dict[str, tuple[bool, bool]] = {
    "admin": (Y, Y),
    "dept": (Y, Y),
    "dept_head": (Y, Y),
    "area": (Y, N),
    "steward": (N, N),
    "enterprise": (N, N),
    "leader": (N, N),
    "nobody": (N, N),
}
# role: may record visits and problems on the own project, on the other one
STEWARD_WRITES: dict[str, tuple[bool, bool]] = {
    "admin": (Y, Y),
    "dept": (Y, Y),
    "dept_head": (Y, Y),
    "area": (Y, N),
    "steward": (Y, N),
    "enterprise": (N, N),
    "leader": (N, N),
    "nobody": (N, N),
}
# role: may record a city leader's visit (领导现场调研 / 领导电话调研) on the own project
LEADER_VISIT: dict[str, bool] = {
    "admin": Y,
    "dept": Y,
    "dept_head": Y,
    "area": N,
    "steward": Y,
    "enterprise": N,
    "leader": N,
    "nobody": N,
}


@pytest.fixture
def led(world: Any, own_project: Any, other_project: Any) -> Any:
    """The own project led by `steward`, with one problem."""
    from zhenxing.core.models import Department
    from zhenxing.projects.stewards import services as steward_services

    admin = world.users["admin"]
    steward_services.stewardship_assign(
        user=admin, project=own_project, leader=world.users["steward"], since="2024-01-02"
    )
    steward_services.problem_raise(
        user=admin,
        project=own_project,
        title="用地指标待落实",
        owner_department=Department.objects.get(code="gxj"),
        due_date=datetime.date(2024, 7, 15),
    )
    return own_project


def _project_write_pages(pk: int) -> list[str]:
    return [
        f"/projects/{pk}/edit/",
        f"/projects/{pk}/status/",
        f"/projects/{pk}/libraries/",
        f"/projects/{pk}/plans/",
        f"/projects/{pk}/reports/2024-05/",
    ]


def _steward_write_pages(pk: int) -> list[str]:
    return [f"/stewards/projects/{pk}/visits/new/", f"/stewards/projects/{pk}/problems/new/"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "other"])
def test_write_pages_answer_only_the_roles_that_may_write(
    world: Any, client: Any, led: Any, other_project: Any, role: str, which: str
) -> None:
    project = led if which == "own" else other_project
    index = 0 if which == "own" else 1
    client.force_login(world.users[role])
    for url in _project_write_pages(project.pk):
        status = client.get(url).status_code
        assert (status == 200) is PROJECT_WRITES[role][index], (url, status)
        assert status in (200, 403, 404), (url, status)
    for url in _steward_write_pages(project.pk):
        status = client.get(url).status_code
        assert (status == 200) is STEWARD_WRITES[role][index], (url, status)
        assert status in (200, 403, 404), (url, status)
    new = client.get("/projects/new/").status_code
    assert (new == 200) is PROJECT_WRITES[role][0], new


@pytest.mark.parametrize("role", ROLES)
def test_read_pages_offer_only_what_the_role_may_write(
    world: Any, client: Any, led: Any, role: str
) -> None:
    """The project's page (every tab), the list, the figures, the month's sheet and the
    steward's sheet: a write button, form or link shows only for a role that may write."""
    client.force_login(world.users[role])
    pages = [f"/projects/{led.pk}/?tab={tab}" for tab in ("basic", "reports", "status")]
    pages += ["/projects/", "/projects/figures/", "/projects/reports/?area=210804"]
    pages += [f"/stewards/projects/{led.pk}/", "/stewards/"]
    offered: set[str] = set()
    for url in pages:
        response = client.get(url)
        if response.status_code == 200:
            offered.update(write_affordances(response.content.decode(), url))
    writes_projects, writes_visits = PROJECT_WRITES[role][0], STEWARD_WRITES[role][0]
    edit_link = f"link → /projects/{led.pk}/edit/ (projects:edit)"
    assert (edit_link in offered) is writes_projects, offered
    assert any("/imports/project-reports/" in o for o in offered) is writes_projects, offered
    visit_form = f"form → /stewards/projects/{led.pk}/visits/new/"
    assert (visit_form in offered) is writes_visits, offered
    if not (writes_projects or writes_visits):
        assert offered == set(), offered


@pytest.mark.parametrize("role", ["leader", "enterprise", "nobody"])
def test_report_import_refuses_roles_that_may_not_report(
    world: Any, client: Any, role: str
) -> None:
    client.force_login(world.users[role])
    for url in ("/imports/project-reports/", "/imports/project-reports/template/"):
        assert client.get(url).status_code == 403, url
    posted = client.post("/imports/project-reports/", {})
    assert posted.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_a_leaders_visit_is_recorded_by_the_city_and_the_stewards_only(
    world: Any, client: Any, led: Any, role: str
) -> None:
    """Area staff record their own team's visits, never a city leader's: the form does
    not offer the kind, the page and the API refuse it, nothing is written."""
    from zhenxing.projects.models import Visit

    allowed = LEADER_VISIT[role]
    client.force_login(world.users[role])
    api = client.post(
        f"/api/v1/stewards/projects/{led.pk}/visits",
        data=json.dumps({"kind": "site", "date": "2024-06-28", "visitors": f"API {role}"}),
        content_type="application/json",
    )
    ui = client.post(
        f"/stewards/projects/{led.pk}/visits/new/",
        {"kind": "phone", "date": "2024-06-28", "visitors": f"UI {role}"},
    )
    made = set(Visit.objects.filter(project=led).values_list("visitors", flat=True))
    if allowed:
        assert api.status_code == 201, api.content
        assert ui.status_code == 302
        assert made == {f"API {role}", f"UI {role}"}
    else:
        assert api.status_code in (403, 404), api.content
        assert made == set()
        form = client.get(f"/stewards/projects/{led.pk}/visits/new/").content.decode()
        assert 'value="site"' not in form and 'value="phone"' not in form


def test_area_staff_are_offered_their_own_kinds_of_visit(world: Any, client: Any, led: Any) -> None:
    client.force_login(world.users["area"])
    page = client.get(f"/stewards/projects/{led.pk}/").content.decode()
    assert 'value="county_team"' in page and 'value="city_team"' in page
    assert 'value="site"' not in page and 'value="phone"' not in page
    client.force_login(world.users["dept"])
    page = client.get(f"/stewards/projects/{led.pk}/").content.decode()
    assert 'value="site"' in page and 'value="phone"' in page


def test_the_service_refuses_a_leaders_visit_from_area_staff(world: Any, led: Any) -> None:
    from zhenxing.core import scoping
    from zhenxing.projects.stewards import services as steward_services

    with pytest.raises(scoping.PermissionDenied, match="领导现场调研"):
        steward_services.visit_record(
            user=world.users["area"],
            project=led,
            kind="site",
            date="2024-06-28",
            visitors="赵副市长",
        )
    visit = steward_services.visit_record(
        user=world.users["area"],
        project=led,
        kind="county_team",
        date="2024-06-28",
        visitors="鲅鱼圈区发改局",
    )
    assert visit.pk is not None


# role: may name the project's leader, add to its team (own project)
STEWARDSHIP_WRITES: dict[str, tuple[bool, bool]] = {
    "admin": (Y, Y),
    "dept": (Y, Y),
    "dept_head": (Y, Y),
    "area": (N, N),
    "steward": (N, Y),
    "enterprise": (N, N),
    "leader": (N, N),
    "nobody": (N, N),
}


@pytest.mark.parametrize("role", ROLES)
def test_leader_and_team_pages_answer_only_those_who_assign(
    world: Any, client: Any, led: Any, role: str
) -> None:
    client.force_login(world.users[role])
    leader, team = STEWARDSHIP_WRITES[role]
    for url, allowed in (
        (f"/stewards/projects/{led.pk}/leader/", leader),
        (f"/stewards/projects/{led.pk}/team/new/", team),
    ):
        status = client.get(url).status_code
        assert status in (200, 403, 404), (url, status)
        assert (status == 200) is allowed, (url, status)
