"""Sessions end idle and absolute; API tokens expire and record their last use; the
security settings read from the environment."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from typing import Any

import pytest
import time_machine

PASSWORD = "Test-Passw0rd-2024"
START = datetime.datetime(2024, 6, 30, 9, 0, tzinfo=datetime.UTC)


def _sign_in(client: Any, username: str) -> None:
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302


def test_a_session_ends_after_the_idle_time(settings: Any, world: Any, client: Any) -> None:
    from zhenxing.core.models import AuditEntry

    settings.SESSION_IDLE_SECONDS, settings.SESSION_MAX_SECONDS = 600, 8 * 3600
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, "area")
        clock.shift(590)
        assert client.get("/").status_code == 200  # active: the idle time starts again
        clock.shift(590)
        assert client.get("/").status_code == 200
        clock.shift(601)
        response = client.get("/")
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert AuditEntry.objects.filter(action="session_expired").count() == 1
    assert not AuditEntry.objects.filter(action="sign_out").exists()


def test_a_session_ends_at_the_absolute_time_whatever_the_activity(
    settings: Any, world: Any, client: Any
) -> None:
    """Before: the setting was documented as "without activity" and counted from sign-in;
    now both limits exist and hold."""
    settings.SESSION_IDLE_SECONDS, settings.SESSION_MAX_SECONDS = 600, 1800
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, "area")
        for _ in range(5):
            clock.shift(300)
            assert client.get("/").status_code == 200
        clock.shift(301)
        assert client.get("/").status_code == 302
        assert client.get("/api/v1/me").status_code == 401


def test_the_last_request_is_written_to_the_session_at_most_once_a_minute(
    settings: Any, world: Any, client: Any
) -> None:
    from zhenxing.core.security_events import SEEN_AT

    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, "area")
        first = client.session[SEEN_AT]
        clock.shift(30)
        client.get("/api/v1/me")
        assert client.session[SEEN_AT] == first  # no session write for this request
        clock.shift(31)
        client.get("/api/v1/me")
        assert client.session[SEEN_AT] == first + 61


def test_tokens_expire_after_90_days_by_default_or_as_asked(world: Any) -> None:
    from zhenxing.core import tokens
    from zhenxing.core.services import DomainError

    user = world.users["area"]
    with time_machine.travel(START, tick=False) as clock:
        token, key = tokens.token_create(user=user, owner=user)
        assert token.expires_at - token.created_at == datetime.timedelta(days=90)
        _short, short_key = tokens.token_create(user=user, owner=user, days=7)
        clock.shift(datetime.timedelta(days=7, seconds=1))
        assert tokens.user_for_key(short_key) is None
        assert tokens.user_for_key(key) == user
        clock.shift(datetime.timedelta(days=83))
        assert tokens.user_for_key(key) is None
    for bad in (0, -1, 3651):
        with pytest.raises(DomainError):
            tokens.token_create(user=user, owner=user, days=bad)


def test_last_use_is_written_at_most_once_a_minute(
    world: Any, django_assert_num_queries: Any
) -> None:
    from zhenxing.core import tokens

    user = world.users["area"]
    with time_machine.travel(START, tick=False) as clock:
        token, key = tokens.token_create(user=user, owner=user)
        with django_assert_num_queries(2):  # the token (with its user), the UPDATE
            tokens.user_for_key(key)
        clock.shift(59)
        with django_assert_num_queries(1):  # the token only
            tokens.user_for_key(key)
        token.refresh_from_db()
        assert token.last_used_at == START


def test_the_cli_makes_a_token_with_the_days_asked(world: Any, capsys: Any) -> None:
    from zhenxing.cli import main
    from zhenxing.core.models import ApiToken

    assert main(["token", "create", "area", "--days", "30"]) == 0
    token = ApiToken.objects.get()
    assert token.expires_at - token.created_at == datetime.timedelta(days=30)
    assert main(["token", "create", "area", "--days", "0"]) == 2
    assert "有效期" in capsys.readouterr().err
    assert main(["token", "list"]) == 0
    listed = capsys.readouterr().out.split("\t")  # id, user, prefix, name, made, expires, …
    assert listed[5] == f"{token.expires_at:%Y-%m-%d}"


def test_the_api_reference_can_be_kept_for_signed_in_users(
    settings: Any, world: Any, client: Any
) -> None:
    settings.API_DOCS_SIGNED_IN = False
    assert client.get("/api/v1/openapi.json").status_code == 200
    settings.API_DOCS_SIGNED_IN = True
    for url in ("/api/v1/openapi.json", "/api/v1/docs"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(world.users["area"])
    assert client.get("/api/v1/openapi.json").status_code == 200


def _settings_under(env: dict[str, str]) -> dict[str, Any]:
    code = (
        "import json, zhenxing.settings as s; print(json.dumps({k: getattr(s, k, None) for k in "
        "['SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER', 'SESSION_COOKIE_SECURE', "
        "'CSRF_COOKIE_SECURE', 'SESSION_IDLE_SECONDS', 'SESSION_MAX_SECONDS', "
        "'SESSION_COOKIE_AGE', 'TOKEN_DAYS', 'TRUSTED_PROXY_COUNT', 'API_DOCS_SIGNED_IN']}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ZHENXING_")}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "ZHENXING_TESTING": "1", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout))


def test_the_security_settings_come_from_the_environment() -> None:
    default = _settings_under({})
    assert default["SECURE_HSTS_SECONDS"] == 0 and default["SECURE_PROXY_SSL_HEADER"] is None
    assert not default["SESSION_COOKIE_SECURE"] and default["TOKEN_DAYS"] == 90
    assert (default["SESSION_IDLE_SECONDS"], default["SESSION_MAX_SECONDS"]) == (1800, 28800)
    production = _settings_under(
        {
            "ZHENXING_HSTS_SECONDS": "31536000",
            "ZHENXING_BEHIND_TLS_PROXY": "1",
            "ZHENXING_SESSION_IDLE_SECONDS": "900",
            "ZHENXING_SESSION_MAX_SECONDS": "14400",
            "ZHENXING_TOKEN_DAYS": "30",
            "ZHENXING_TRUSTED_PROXY_COUNT": "1",
            "ZHENXING_API_DOCS_SIGNED_IN": "1",
        }
    )
    assert production == {
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_IDLE_SECONDS": 900,
        "SESSION_MAX_SECONDS": 14400,
        "SESSION_COOKIE_AGE": 900,
        "TOKEN_DAYS": 30,
        "TRUSTED_PROXY_COUNT": 1,
        "API_DOCS_SIGNED_IN": True,
    }
    # the old name still sets the idle time
    assert _settings_under({"ZHENXING_SESSION_SECONDS": "1200"})["SESSION_IDLE_SECONDS"] == 1200


def test_hsts_is_sent_when_set(settings: Any, client: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_account_page_makes_a_token_with_the_days_asked(world: Any, client: Any) -> None:
    from zhenxing.core import clock
    from zhenxing.core.models import ApiToken

    client.force_login(world.users["area"])
    page = client.get("/system/account/").content.decode()
    assert 'name="days"' in page and 'value="90"' in page
    for bad in ("abc", "0", "4000"):
        assert client.post("/system/account/tokens/", {"name": "x", "days": bad}).status_code == 302
    assert not ApiToken.objects.exists()
    client.post("/system/account/tokens/", {"name": "报表", "days": "14"})
    token = ApiToken.objects.get()
    assert token.expires_at - token.created_at == datetime.timedelta(days=14)
    shown = f"{clock.local(token.expires_at):%Y-%m-%d}"
    assert shown in client.get("/system/account/").content.decode()
