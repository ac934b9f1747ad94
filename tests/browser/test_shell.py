"""A person signs in, finds an enterprise, edits it and sees the change in its history;
the page keeps to its own origin (CSP) and switches to English."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

PASSWORD = "Test-Passw0rd-2024"
SHOTS = (
    Path(os.environ.get("ZHENXING_SCREENSHOTS", ""))
    if os.environ.get("ZHENXING_SCREENSHOTS")
    else None
)


def _shot(page: Any, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _sign_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.django_db(transaction=True)
def test_area_staff_edits_an_enterprise_and_sees_it_in_the_history(
    world: Any, live_server: Any, page: Any
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, live_server, "area")
    _shot(page, "home")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="企业").click()
    page.wait_for_url("**/enterprises/")
    # expect() waits for the page to settle; a bare is_visible() races the load.
    expect(page.get_by_role("link", name=world.own_enterprise.name)).to_be_visible()
    expect(page.get_by_text(world.other_enterprise.name)).to_have_count(0)
    _shot(page, "enterprise-list")
    page.get_by_role("link", name=world.own_enterprise.name).click()
    page.get_by_role("link", name="编辑").click()
    page.get_by_label("地址").fill("鲅鱼圈区新港大街 1 号")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("已保存").wait_for()
    page.get_by_role("link", name="变更记录").click()
    page.wait_for_url("**tab=history")
    expect(page.get_by_text("鲅鱼圈区新港大街 1 号")).to_be_visible()
    _shot(page, "enterprise-history")
    assert not [e for e in errors if "Content Security Policy" in e], errors


@pytest.mark.django_db(transaction=True)
def test_a_wrong_uscc_is_named_next_to_the_field_and_nothing_typed_is_lost(
    world: Any, live_server: Any, page: Any
) -> None:
    _sign_in(page, live_server, "area")
    page.goto(f"{live_server.url}/enterprises/new/")
    page.get_by_label("统一社会信用代码").fill("91210804123456788G")
    page.get_by_label("企业名称").fill("营口新设精工有限公司")
    page.get_by_label("所在区域").select_option(label="鲅鱼圈区")
    page.get_by_role("button", name="保存").click()
    error = page.locator(".field-error").first
    error.wait_for()
    assert "校验位" in error.inner_text()
    assert page.get_by_label("企业名称").input_value() == "营口新设精工有限公司"
    _shot(page, "enterprise-form-error")


@pytest.mark.django_db(transaction=True)
def test_the_language_switch_turns_the_page_into_english(
    world: Any, live_server: Any, page: Any
) -> None:
    _sign_in(page, live_server, "leader")
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="中文").wait_for()
    expect(
        page.get_by_role("navigation", name="Main navigation").get_by_role(
            "link", name="Enterprises"
        )
    ).to_be_visible()
