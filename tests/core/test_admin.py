"""The administrator's Django admin works and is closed to everyone else."""

from __future__ import annotations

from typing import Any


def test_superuser_manages_users_and_roles_in_the_admin(world: Any, client: Any) -> None:
    admin = world.users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    for url in [
        "/django-admin/",
        "/django-admin/core/user/",
        f"/django-admin/core/user/{world.users['area'].pk}/change/",
        "/django-admin/core/area/",
        "/django-admin/enterprises/enterprise/",
    ]:
        assert client.get(url).status_code == 200, url


def test_other_roles_cannot_enter_the_admin(world: Any, client: Any) -> None:
    client.force_login(world.users["leader"])
    response = client.get("/django-admin/core/user/")
    assert response.status_code == 302 and "login" in response["Location"]
