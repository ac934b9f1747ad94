"""Several app servers behind one proxy (docs/deploy.md): two `zhenxing serve` (gunicorn)
on two loopback ports, one PostgreSQL database, one data directory. Whichever server a
request reaches, it sees the same sessions (in the database, signed with the key in the
data directory), the same records and the same uploaded files."""

from __future__ import annotations

import datetime
import os
import struct
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from .processes import free_port, operator_env, start_serve, stop, wait_ready

TODAY = "2024-06-30"
PASSWORD = "Two-Servers-Passw0rd"

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not os.environ.get("ZHENXING_DATABASE_URL", "").startswith("postgres"),
        reason="several app servers share one PostgreSQL database",
    ),
    pytest.mark.django_db(transaction=True),
]


def _database_url() -> str:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("several app servers share one PostgreSQL database")
    db = connection.settings_dict
    auth = quote(db["USER"] or "postgres") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xc0\x30\x30")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[str]]:
    """Two servers started at the same moment on one data directory (they take turns
    collecting the static files and agree on the secret key they make there)."""
    env = operator_env(
        tmp_path / "shared-var", ZHENXING_DATABASE_URL=_database_url(), ZHENXING_TODAY=TODAY
    )
    started, bases = [], []
    for name in ("a", "b"):
        port = free_port()
        log = (tmp_path / f"{name}.log").open("wb")
        started.append(start_serve(port, env, log, "--no-worker"))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for name, server, base in zip(("a", "b"), started, bases, strict=True):
            assert wait_ready(server, f"{base}/login/"), (tmp_path / f"{name}.log").read_text()
        yield bases
    finally:
        for server in started:
            stop(server)


def _project(world: Any, settings: Any) -> Any:
    from zhenxing.projects import services

    settings.TODAY_OVERRIDE = TODAY
    admin = world.users["admin"]
    project = services.project_create(
        user=admin,
        name="鲅鱼圈双服务器测试项目",
        code="2023-210804-04-01-000001",
        area=world.own_area,
        total_investment=Decimal("50000000"),
        status="continuing",
        status_since=datetime.date(2023, 3, 1),
    )
    services.project_enter_library(
        user=admin, project=project, library="construction", date=datetime.date(2023, 3, 1)
    )
    return project


def test_a_user_goes_on_through_the_other_server_and_sees_what_the_first_stored(
    world: Any, settings: Any, servers: list[str]
) -> None:
    a, b = servers
    project = _project(world, settings)
    # The servers check passwords with the production hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user = world.users["area"]
    user.set_password(PASSWORD)
    user.save()

    browser = requests.Session()
    browser.get(f"{a}/login/", timeout=30)
    signed_in = browser.post(
        f"{a}/login/",
        data={
            "username": "area",
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 302 and "sessionid" in browser.cookies
    page = browser.get(f"{b}/projects/", allow_redirects=False, timeout=30)
    assert page.status_code == 200 and project.name in page.text
    csrf = {"X-CSRFToken": browser.cookies["csrftoken"]}

    # A monthly report filed through A is read through B.
    filed = browser.put(
        f"{a}/api/v1/projects/{project.pk}/reports/2024-06",
        json={"investment": "1234567.89", "progress_text": "主体结构施工"},
        headers=csrf,
        timeout=30,
    )
    assert filed.status_code == 201, filed.text
    read = browser.get(f"{b}/api/v1/projects/{project.pk}/reports/2024-06", timeout=30)
    assert read.status_code == 200
    assert (read.json()["investment"], read.json()["progress_text"]) == (
        "1234567.89",
        "主体结构施工",
    )

    # A visit photo uploaded through A is served by B (the data directory is shared).
    visit = browser.post(
        f"{b}/api/v1/stewards/projects/{project.pk}/visits",
        json={"kind": "county_team", "date": "2024-06-20", "visitors": "区项目办"},
        headers=csrf,
        timeout=30,
    )
    assert visit.status_code == 201, visit.text
    photo = _png()
    uploaded = browser.post(
        f"{a}/api/v1/stewards/visits/{visit.json()['id']}/photos",
        files=[("photos", ("site.png", photo, "image/png"))],
        headers=csrf,
        timeout=30,
    )
    assert uploaded.status_code == 201, uploaded.text
    served = browser.get(f"{b}/api/v1/stewards/photos/{uploaded.json()[0]['id']}", timeout=30)
    assert served.status_code == 200
    assert (served.headers["Content-Type"], served.content) == ("image/png", photo)

    # Signing out through B ends the session on A too.
    out = browser.post(f"{b}/logout/", headers=csrf, allow_redirects=False, timeout=30)
    assert out.status_code == 302
    after = browser.get(f"{a}/projects/", allow_redirects=False, timeout=30)
    assert after.status_code == 302 and "/login/" in after.headers["Location"]
