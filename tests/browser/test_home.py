"""首页 in a real browser: no horizontal scrolling at 1366×768 or on a 375 px phone, the
to-do links work, and nothing breaks the page's own-origin CSP."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

PASSWORD = "Test-Passw0rd-2024"


def _sign_in(page: Any, live_server: Any, username: str) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    return errors


def _scrolls_sideways(page: Any) -> bool:
    return bool(
        page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    )


@pytest.mark.django_db(transaction=True)
def test_the_area_home_fits_an_office_screen_and_its_to_do_opens_the_list(
    world: Any, live_server: Any, page: Any, settings: Any
) -> None:
    settings.TODAY_OVERRIDE = "2024-06-30"
    errors = _sign_in(page, live_server, "area")
    expect(page.locator("#panel-projects")).to_be_visible()
    expect(page.locator("#panel-enterprises")).to_be_visible()
    expect(page.locator("#panel-policies")).to_have_count(0)
    assert not _scrolls_sideways(page)
    page.locator("#panel-projects").get_by_role("link", name="逾期未销号的问题").click()
    page.wait_for_url("**/stewards/problems/?overdue=1")
    expect(page.get_by_role("heading", name="问题清单")).to_be_visible()
    assert not [e for e in errors if "Content Security Policy" in e], errors


@pytest.mark.django_db(transaction=True)
def test_the_enterprise_home_fits_a_phone(world: Any, live_server: Any, page: Any) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    errors = _sign_in(page, live_server, "enterprise")
    expect(page.locator("#panel-my_enterprise")).to_be_visible()
    expect(page.locator("#panel-my_policies")).to_be_visible()
    assert not _scrolls_sideways(page)
    assert not [e for e in errors if "Content Security Policy" in e], errors
