"""Layout: the forms used on site fit a 375 px phone without sideways scrolling, long
unbroken text wraps instead of widening the page, and the month sheet's columns keep
their width when a row shows an error."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

PASSWORD = "Test-Passw0rd-2024"
PHONE = {"width": 375, "height": 740}
OFFICE = {"width": 1366, "height": 768}


def _sign_in(page: Any, live_server: Any, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")


def _overflow(page: Any) -> int:
    """How many pixels the document is wider than the window (0: no sideways scroll)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def _project(world: Any, **values: Any) -> Any:
    from zhenxing.projects import services

    return services.project_create(
        user=world.users["admin"],
        name=values.pop("name", "鲅鱼圈区测试项目"),
        area=world.own_area,
        total_investment=Decimal("50000000"),
        status="continuing",
        status_since=datetime.date(2023, 3, 1),
        **values,
    )


def _approved_result(world: Any) -> Any:
    """A result of an approved run for the world's own enterprise (what it may object to)."""
    from zhenxing.core.models import Department
    from zhenxing.policies import facts, services

    admin = world.users["admin"]
    policy = services.policy_publish(
        user=admin,
        policy=services.policy_create(
            user=admin,
            code="first-set",
            name="首台（套）重大技术装备奖励",
            catalogue="yingkou",
            rule_file="subsidies-2019/first_set_equipment.yaml",
            rule_id="first_set_equipment",
            department=Department.objects.get(code="gxj"),
            beneficiary="enterprise",
            annual_budget=Decimal("5000000"),
            city_share_pct=Decimal("60"),
        ),
    )
    data = pl.DataFrame(
        {
            "entity_id": [world.own_enterprise.pk],
            "period": ["2023"],
            "first_set_contract_price": ["1000000"],
        }
    )
    run = services.run_start(
        user=world.users["dept"], policy=policy, period="2023", source=facts.frame_source(data)
    )
    services.run_approve(user=world.users["dept_head"], run=run)
    return run.results.get(enterprise=world.own_enterprise)


@pytest.mark.django_db(transaction=True)
def test_the_forms_used_on_site_fit_a_phone(
    world: Any, live_server: Any, page: Any, settings: Any
) -> None:
    settings.TODAY_OVERRIDE = "2024-06-30"
    project = _project(world)
    result = _approved_result(world)
    page.set_viewport_size(PHONE)
    forms = {
        "admin": [
            "/projects/new/",
            f"/projects/{project.pk}/edit/",
            f"/projects/{project.pk}/reports/2024-06/",
            f"/stewards/projects/{project.pk}/visits/new/",
            f"/enterprises/{world.own_enterprise.pk}/facts/new/",
        ],
        "enterprise": [f"/policies/results/{result.pk}/object/"],
    }
    for username, urls in forms.items():
        _sign_in(page, live_server, username)
        for url in urls:
            response = page.goto(live_server.url + url)
            assert response is not None and response.status == 200, url
            assert page.locator("main form").count() >= 1, url
            assert _overflow(page) <= 0, url


@pytest.mark.django_db(transaction=True)
def test_long_unbroken_text_wraps_instead_of_widening_the_page(
    world: Any, live_server: Any, page: Any
) -> None:
    from zhenxing.projects import services

    project = _project(world)
    services.project_update(
        user=world.users["admin"], project=project, description="长" * 10 + "x" * 5000
    )
    _sign_in(page, live_server, "admin")
    for size in (OFFICE, PHONE):
        page.set_viewport_size(size)
        for tab in ("basic", "history"):
            page.goto(f"{live_server.url}/projects/{project.pk}/?tab={tab}")
            assert _overflow(page) <= 0, (size, tab)


@pytest.mark.django_db(transaction=True)
def test_the_sheet_keeps_its_column_widths_and_flags_only_the_wrong_row(
    world: Any, live_server: Any, page: Any, settings: Any
) -> None:
    settings.TODAY_OVERRIDE = "2024-06-30"
    projects = [_project(world, name=f"鲅鱼圈区测试项目{i}") for i in range(3)]
    page.set_viewport_size(OFFICE)
    _sign_in(page, live_server, "area")
    page.goto(
        f"{live_server.url}/projects/reports/?area={world.own_area.code}&period=2024-06&missing=1"
    )
    widths = (
        "Array.from(document.querySelectorAll('table.sheet thead th'))"
        ".map(th => th.getBoundingClientRect().width)"
    )
    before = page.evaluate(widths)
    page.fill(f"input[name='p{projects[0].pk}-investment']", "abc")
    page.locator("button[type=submit]", has_text="保存本页").first.click()
    page.wait_for_load_state()
    assert page.locator("tr.has-error").count() == 1
    assert "必填" not in page.locator("table.sheet").inner_text()
    after = page.evaluate(widths)
    assert [round(w) for w in after] == [round(w) for w in before]
    # a long warning (an unusual figure, with its checkbox) wraps inside its cell too
    page.fill(f"input[name='p{projects[0].pk}-investment']", "6000")
    page.locator("button[type=submit]", has_text="保存本页").first.click()
    page.wait_for_load_state()
    assert page.locator(f"input[name='p{projects[0].pk}-confirm']").count() == 1
    warned = page.evaluate(widths)
    assert [round(w) for w in warned] == [round(w) for w in before]
    assert _overflow(page) <= 0
