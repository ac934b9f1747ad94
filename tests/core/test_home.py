"""首页: the panel registry, which panels each role gets, that every link on the page opens
for that user, and that the page stays cheap.

The figures themselves are tested with their parts (tests/projects/test_home_panel.py,
tests/enterprises/test_home_panel.py, tests/policies/test_home_panel.py).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from zhenxing.core import panels

D = datetime.date
TODAY = "2024-06-30"

# The panels each of the world's users sees (the world's steward holds only the steward role).
EXPECTED = {
    "admin": ["projects", "enterprises", "policies"],
    "dept": ["projects", "enterprises", "policies"],
    "dept_head": ["projects", "enterprises", "policies"],
    "area": ["projects", "enterprises"],
    "steward": ["stewards"],
    "enterprise": ["my_enterprise", "my_policies"],
    "leader": ["projects", "enterprises", "policies"],
    "nobody": [],
}
ROLES = sorted(EXPECTED)


@pytest.fixture
def scene(world: Any, settings: Any) -> SimpleNamespace:
    """A project in each area with reports, problems (one overdue each), a steward with a
    visit, tiers in both enterprises (one expiring) and a pool entry."""
    from zhenxing.core.models import Department
    from zhenxing.core.periods import Period
    from zhenxing.enterprises import services as enterprise_services
    from zhenxing.projects import services as project_services
    from zhenxing.projects.models import MonthlyReport
    from zhenxing.projects.stewards import services as steward_services

    admin = world.users["admin"]
    gxj = Department.objects.get(code="gxj")
    settings.TODAY_OVERRIDE = "2024-03-01"  # problems raised then are overdue on 06-30
    projects = {}
    for key, area in (("own", world.own_area), ("other", world.other_area)):
        project = project_services.project_create(
            user=admin,
            name=f"{area.name}首页测试项目",
            code=f"2023-{area.code}-04-01-000001",
            area=area,
            total_investment=Decimal("300000000"),
            status="new_start",
            status_since=D(2024, 2, 1),
        )
        project_services.project_enter_library(
            user=admin, project=project, library="construction", date=D(2024, 2, 1)
        )
        steward_services.problem_raise(
            user=admin,
            project=project,
            title="用地手续未办结",
            owner_department=gxj,
            due_date=D(2024, 4, 30),
        )
        projects[key] = project
    settings.TODAY_OVERRIDE = TODAY
    for key, amount in (("own", "40000000"), ("other", "90000000")):
        for year in (2023, 2024):
            MonthlyReport.objects.create(
                project=projects[key], year=year, month=5, investment=Decimal(amount)
            )
    project_services.report_submit(
        user=admin, project=projects["other"], period=Period(2024, 6), investment="1000000"
    )
    steward_services.stewardship_assign(
        user=admin, project=projects["own"], leader=world.users["steward"], since=D(2024, 2, 1)
    )
    steward_services.visit_record(
        user=admin, project=projects["own"], kind="site", date=D(2024, 6, 18), visitors="市领导"
    )
    for enterprise in (world.own_enterprise, world.other_enterprise):
        enterprise_services.tier_grant(
            user=admin,
            enterprise=enterprise,
            code="high_tech",
            level=None,
            issued_on=D(2022, 11, 1),
            expires_on=None,
            certificate_no=f"GR2022{enterprise.pk:06d}",
        )
    enterprise_services.tier_grant(
        user=admin,
        enterprise=world.own_enterprise,
        code="tech_sme",
        level=None,
        issued_on=D(2023, 8, 1),
        expires_on=None,
        certificate_no="2023210804A0001",
    )
    enterprise_services.tier_grant(
        user=admin,
        enterprise=world.other_enterprise,
        code="innovative_sme",
        level=None,
        issued_on=D(2023, 9, 1),
        expires_on=None,
        certificate_no="CX2023210881",
    )
    enterprise_services.pool_enter(
        user=admin, enterprise=world.own_enterprise, target="specialised_new_sme", year=2024
    )
    return SimpleNamespace(world=world, projects=projects)


def _home(client: Any, user: Any) -> Any:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response


def _links(response: Any) -> list[str]:
    urls = []
    for panel in response.context["panels"]:
        urls.append(panel.url)
        urls.extend(f.url for f in panel.figures)
        urls.extend(t.url for t in panel.todos)
    return [u for u in urls if u]


# ------------------------------------------------------------------ the registry


def test_panels_come_in_their_order_and_none_leaves_a_panel_out(
    monkeypatch: Any, world: Any
) -> None:
    calls: list[tuple[Any, datetime.date]] = []

    def second(user: Any, today: datetime.date) -> panels.Panel | None:
        calls.append((user, today))
        return panels.Panel(title="二", figures=[panels.Figure("数", 3)])

    def first(user: Any, today: datetime.date) -> panels.Panel | None:
        return panels.Panel(title="一")

    def nothing(user: Any, today: datetime.date) -> panels.Panel | None:
        return None

    monkeypatch.setattr(panels, "REGISTRY", {})
    panels.register("b", second, order=20)
    panels.register("c", nothing, order=5)
    panels.register("a", first, order=10)
    shown = panels.panels_for(world.users["dept"], today=D(2024, 6, 30))
    assert [(p.key, p.title) for p in shown] == [("a", "一"), ("b", "二")]
    assert calls == [(world.users["dept"], D(2024, 6, 30))]
    # registering a key again replaces the panel
    panels.register("a", nothing, order=10)
    assert [p.key for p in panels.panels_for(world.users["dept"])] == ["b"]


def test_a_to_do_with_nothing_left_is_done_and_a_single_record_has_no_count() -> None:
    assert panels.Todo("逾期问题", "/x/", count=0).done
    assert not panels.Todo("逾期问题", "/x/", count=2).done
    assert not panels.Todo("待审批：某政策", "/runs/1/").done


def test_the_parts_register_their_panels() -> None:
    assert {"projects", "stewards", "enterprises", "my_enterprise", "policies", "my_policies"} <= (
        set(panels.REGISTRY)
    )


# ------------------------------------------------------------------ roles


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_its_panels_and_no_others(
    scene: SimpleNamespace, client: Any, role: str
) -> None:
    response = _home(client, scene.world.users[role])
    assert [p.key for p in response.context["panels"]] == EXPECTED[role]
    html = response.content.decode()
    for key in panels.REGISTRY:
        assert (f'id="panel-{key}"' in html) == (key in EXPECTED[role])
    # the system links are the administrator's
    assert ('href="/system/audit/"' in html) == (role == "admin")
    assert ("还没有可查看的业务范围" in html) == (role == "nobody")


def test_area_staff_see_their_area_and_city_users_the_city(
    scene: SimpleNamespace, client: Any
) -> None:
    by_key = {p.key: p for p in _home(client, scene.world.users["area"]).context["panels"]}
    assert by_key["projects"].scope == by_key["enterprises"].scope == scene.world.own_area.name
    by_key = {p.key: p for p in _home(client, scene.world.users["leader"]).context["panels"]}
    assert by_key["projects"].scope == by_key["enterprises"].scope == "全市"
    assert by_key["policies"].scope == "全市"
    by_key = {p.key: p for p in _home(client, scene.world.users["dept"]).context["panels"]}
    assert by_key["policies"].scope == "工信局"


def test_the_enterprise_user_sees_only_its_own_enterprise(
    scene: SimpleNamespace, client: Any
) -> None:
    response = _home(client, scene.world.users["enterprise"])
    html = response.content.decode()
    assert scene.world.own_enterprise.name in html
    assert scene.world.other_enterprise.name not in html
    mine = response.context["panels"][0]
    # 高新技术企业 and 科技型中小企业; not the other enterprise's 创新型中小企业
    assert mine.figures[0].value == 2


@pytest.mark.parametrize("role", ROLES)
def test_every_link_on_the_home_page_opens_for_that_user(
    scene: SimpleNamespace, client: Any, role: str
) -> None:
    user = scene.world.users[role]
    response = _home(client, user)
    links = _links(response)
    if role == "admin":
        links += ["/system/areas/", "/system/departments/", "/system/audit/", "/api/v1/docs"]
    assert len(links) >= {"nobody": 0, "steward": 5, "enterprise": 6}.get(role, 10)
    for url in links:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ROLES)
def test_the_home_page_stays_cheap(
    scene: SimpleNamespace, client: Any, django_assert_max_num_queries: Any, role: str
) -> None:
    client.force_login(scene.world.users[role])
    # 26: one of them reads the (few) voided project ids for the panels' figures
    with django_assert_max_num_queries(26):
        assert client.get("/").status_code == 200


def test_the_home_page_in_english(scene: SimpleNamespace, client: Any) -> None:
    client.force_login(scene.world.users["area"])
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Project construction" in html and "Months 1–5 of 2024" in html
    assert "100 million yuan" in html
