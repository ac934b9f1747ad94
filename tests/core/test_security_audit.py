"""Security events in the audit log (who, when, from where), for administrators only."""

from __future__ import annotations

from typing import Any

import pytest

PASSWORD = "Test-Passw0rd-2024"


def _events(action: str) -> list[Any]:
    from zhenxing.core.models import AuditEntry

    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_sign_in_failure_and_sign_out_are_recorded_with_the_address(
    world: Any, client: Any
) -> None:
    from zhenxing.core.models import AuditAction

    client.post("/login/", {"username": "area", "password": "wrong"}, REMOTE_ADDR="10.1.2.3")
    client.post("/login/", {"username": "ghost", "password": "x"}, REMOTE_ADDR="10.1.2.3")
    client.post("/login/", {"username": "area", "password": PASSWORD}, REMOTE_ADDR="10.1.2.4")
    client.post("/logout/", REMOTE_ADDR="10.1.2.5")

    failed = _events(AuditAction.SIGN_IN_FAILED)
    assert [(e.object_repr, e.address) for e in failed] == [
        ("area", "10.1.2.3"),
        ("ghost", "10.1.2.3"),  # an unknown name is kept as typed
    ]
    assert failed[0].object_id == str(world.users["area"].pk)
    (signed_in,) = _events(AuditAction.SIGN_IN)
    assert (signed_in.actor, signed_in.address) == (world.users["area"], "10.1.2.4")
    assert signed_in.admin_only and signed_in.entry_hash
    (signed_out,) = _events(AuditAction.SIGN_OUT)
    assert (signed_out.actor, signed_out.address) == (world.users["area"], "10.1.2.5")


def test_a_lockout_is_recorded(settings: Any, client: Any, world: Any) -> None:
    from zhenxing.core.models import AuditAction

    settings.AXES_ENABLED = True
    for _ in range(5):
        client.post("/login/", {"username": "area", "password": "wrong"}, REMOTE_ADDR="10.9.9.9")
    (locked,) = _events(AuditAction.LOCKED_OUT)
    assert (locked.object_repr, locked.address) == ("area", "10.9.9.9")
    assert "5" in locked.reason


def test_the_forwarded_address_is_believed_only_behind_a_trusted_proxy(
    settings: Any, client: Any, world: Any
) -> None:
    from zhenxing.core.models import AuditAction

    forwarded = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.7"}
    settings.TRUSTED_PROXY_COUNT = 0
    client.post("/login/", {"username": "area", "password": "wrong"}, **forwarded)
    settings.TRUSTED_PROXY_COUNT = 1
    client.post("/login/", {"username": "area", "password": "wrong"}, **forwarded)
    addresses = [e.address for e in _events(AuditAction.SIGN_IN_FAILED)]
    # the client may write anything left of what our proxy appended (6.6.6.6 is a lie)
    assert addresses == ["127.0.0.1", "203.0.113.7"]


def test_a_password_change_is_recorded_and_revokes_the_users_tokens(
    world: Any, client: Any
) -> None:
    from zhenxing.core import tokens
    from zhenxing.core.models import AuditAction

    user = world.users["dept"]
    token, key = tokens.token_create(user=user, owner=user, name="脚本")
    assert tokens.user_for_key(key) == user
    client.force_login(user)
    response = client.post(
        "/system/account/",
        {
            "old_password": PASSWORD,
            "new_password1": "Liaoning-Yingkou-77",
            "new_password2": "Liaoning-Yingkou-77",
        },
    )
    assert response.status_code == 302
    (changed,) = _events(AuditAction.PASSWORD_CHANGED)
    assert changed.actor == user and changed.object_id == str(user.pk)
    assert tokens.user_for_key(key) is None
    (revoked,) = _events(AuditAction.TOKEN_REVOKED)
    assert revoked.object_id == str(token.pk) and revoked.reason == "密码已修改"


def test_a_password_set_by_someone_else_is_a_reset_and_a_rehash_is_no_change(
    world: Any,
) -> None:
    from zhenxing.core.models import AuditAction

    user = world.users["area"]
    user.set_password("Another-Passw0rd-1")
    user.save()
    (reset,) = _events(AuditAction.PASSWORD_RESET)
    assert reset.actor_name == "系统"  # the command line / no request
    user.refresh_from_db()
    user.check_password("Another-Passw0rd-1")
    user.set_password("Another-Passw0rd-1")  # as Django does when it re-hashes …
    user._password_changed = False  # … from inside check_password
    user.save()
    assert len(_events(AuditAction.PASSWORD_RESET)) == 1


def test_token_creation_and_revocation_are_recorded(world: Any, client: Any) -> None:
    from zhenxing.core.models import AuditAction

    client.force_login(world.users["area"])
    created = client.post(
        "/api/v1/tokens", {"name": "报表", "days": 30}, content_type="application/json"
    ).json()
    client.delete(f"/api/v1/tokens/{created['id']}")
    (made,) = _events(AuditAction.TOKEN_CREATED)
    (revoked,) = _events(AuditAction.TOKEN_REVOKED)
    assert made.actor == revoked.actor == world.users["area"]
    assert made.reason == "有效期 30 天" and made.object_id == str(created["id"])


def test_role_grants_and_user_records_are_for_administrators_only(world: Any, client: Any) -> None:
    """Before: department staff, leaders and stewards read every role grant and user
    entry through GET /api/v1/audit and the audit page."""
    from zhenxing.core.models import AuditEntry, Department, RoleAssignment
    from zhenxing.core.roles import Role
    from zhenxing.core.services import save_audited

    grant = RoleAssignment(
        user=world.users["nobody"], role=Role.DEPT_STAFF, department=Department.objects.first()
    )
    save_audited(grant, user=world.users["admin"])
    entry = AuditEntry.objects.get(object_id=str(grant.pk), content_type__model="roleassignment")
    assert entry.admin_only
    client.force_login(world.users["leader"])
    client.post("/logout/")
    system_entries = AuditEntry.objects.filter(admin_only=True)
    assert system_entries.filter(content_type__model="user").exists()
    for role in ("dept", "dept_head", "leader", "steward", "area"):
        client.force_login(world.users[role])
        listed = client.get("/api/v1/audit?limit=1000").json()["items"]
        assert not {e["id"] for e in listed} & set(system_entries.values_list("id", flat=True))
        assert all(e["record_type"] not in ("core.user", "core.roleassignment") for e in listed)
        shown = [row["obj"] for row in client.get("/system/audit/").context["rows"]]
        assert not any(e.admin_only for e in shown), role
        assert shown or role == "steward"  # the city's readers still see the city's work
    client.force_login(world.users["admin"])
    assert any(row["obj"].admin_only for row in client.get("/system/audit/").context["rows"])
    listed = client.get("/api/v1/audit?limit=1000&action=sign_in").json()["items"]
    assert listed and all(e["action"] == "sign_in" for e in listed)
    kinds = {e["record_type"] for e in client.get("/api/v1/audit?limit=1000").json()["items"]}
    assert {"core.user", "core.roleassignment"} <= kinds


@pytest.mark.parametrize(
    ("url", "personal"),
    [
        ("/system/audit/?format=xlsx", True),
        ("/stewards/visits/?format=xlsx", True),
        ("/system/areas/?format=xlsx", False),
    ],
)
def test_exports_of_personal_data_are_recorded(
    world: Any, client: Any, url: str, personal: bool
) -> None:
    from zhenxing.core.models import AuditAction

    client.force_login(world.users["admin"])
    response = client.get(url, REMOTE_ADDR="10.0.0.8")
    assert response.status_code == 200
    exported = _events(AuditAction.EXPORTED)
    assert len(exported) == (1 if personal else 0)
    if personal:
        assert exported[0].actor == world.users["admin"]
        assert exported[0].address == "10.0.0.8" and "行" in exported[0].reason


def test_the_cli_export_of_personal_data_is_recorded(world: Any, tmp_path: Any) -> None:
    from zhenxing.cli import main
    from zhenxing.core.models import AuditAction

    assert main(["export", "audit", str(tmp_path / "a.xlsx"), "--user", "admin"]) == 0
    (exported,) = _events(AuditAction.EXPORTED)
    assert exported.object_repr == "审计日志" and exported.actor == world.users["admin"]
