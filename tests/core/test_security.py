"""Login hardening and secure headers."""

from __future__ import annotations

from typing import Any

import pytest


def test_pages_carry_a_content_security_policy_for_our_own_origin_only(
    world: Any, client: Any
) -> None:
    client.force_login(world.users["leader"])
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_page_loads_anything_from_another_host(world: Any, client: Any) -> None:
    client.force_login(world.users["admin"])
    for url in [
        "/",
        "/enterprises/",
        "/system/areas/",
        "/system/audit/",
        "/system/account/",
        f"/enterprises/{world.own_enterprise.pk}/",
        "/login/",
    ]:
        html = client.get(url).content.decode()
        assert 'src="http' not in html and 'href="http' not in html, url


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account(settings: Any, client: Any, world: Any) -> None:
    settings.AXES_ENABLED = True
    for _ in range(5):
        client.post("/login/", {"username": "area", "password": "wrong-password"})
    locked = client.post("/login/", {"username": "area", "password": "Test-Passw0rd-2024"})
    assert locked.status_code == 429
    assert "锁定" in locked.content.decode()


def test_weak_passwords_are_refused_in_chinese(world: Any, client: Any) -> None:
    client.force_login(world.users["dept"])
    response = client.post(
        "/system/account/",
        {
            "old_password": "Test-Passw0rd-2024",
            "new_password1": "12345678",
            "new_password2": "12345678",
        },
    )
    assert response.status_code == 200
    assert "密码" in response.content.decode()
    assert "This password" not in response.content.decode()


def test_password_change_works(world: Any, client: Any) -> None:
    client.force_login(world.users["dept"])
    response = client.post(
        "/system/account/",
        {
            "old_password": "Test-Passw0rd-2024",
            "new_password1": "Liaoning-Yingkou-77",
            "new_password2": "Liaoning-Yingkou-77",
        },
    )
    assert response.status_code == 302
    world.users["dept"].refresh_from_db()
    assert world.users["dept"].check_password("Liaoning-Yingkou-77")


def test_sessions_expire(settings: Any) -> None:
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert 0 < settings.SESSION_COOKIE_AGE <= 12 * 3600


def test_writes_need_the_csrf_token(world: Any) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["admin"])
    response = client.post(f"/enterprises/{world.own_enterprise.pk}/edit/", {"name": "x"})
    assert response.status_code == 403
    api = client.patch(
        f"/api/v1/enterprises/{world.own_enterprise.pk}", data="{}", content_type="application/json"
    )
    assert api.status_code in (401, 403)
