"""The database unavailable for a moment mid-request (locked past the busy timeout, a
PostgreSQL restart): the request answers a clear 503 — problem+json under /api/, a page
elsewhere — never a 500 traceback, and writes nothing of itself (issue 9 item 3)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import OperationalError, connection
from django.test import Client

from zhenxing.core.errors import PROBLEM_TYPE


@contextmanager
def database_fails_on(fragment: str) -> Iterator[None]:
    """The database refuses every statement containing `fragment`, as a locked SQLite
    does once its busy timeout has passed."""

    def refuse(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if fragment in sql:
            raise OperationalError("database is locked")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


def test_an_api_write_that_meets_a_locked_database_answers_503_and_writes_nothing(
    client: Any, world: Any
) -> None:
    from zhenxing.core.models import AuditEntry
    from zhenxing.enterprises.models import Enterprise

    client.force_login(world.users["area"])
    audit_entries = AuditEntry.objects.count()
    payload = {"uscc": "91210804876543210L", "name": "锁库测试公司", "area_code": "210804"}
    # the enterprise row is inserted, then its audit entry meets the locked database
    with database_fails_on('INSERT INTO "core_auditentry"'):
        response = client.post(
            "/api/v1/enterprises", json.dumps(payload), content_type="application/json"
        )

    assert response.status_code == 503
    assert response["Content-Type"].startswith(PROBLEM_TYPE)
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["detail"] == "数据库暂时不可用，请稍后再试" and body["status"] == 503
    assert not Enterprise.objects.filter(name="锁库测试公司").exists()
    assert AuditEntry.objects.count() == audit_entries

    again = client.post("/api/v1/enterprises", json.dumps(payload), content_type="application/json")
    assert again.status_code == 201  # once the database answers, the same request succeeds


def test_a_page_that_meets_an_unavailable_database_answers_a_503_page(
    client: Any, world: Any
) -> None:
    client.force_login(world.users["area"])
    with database_fails_on('FROM "enterprises_enterprise"'):
        response = client.get("/enterprises/")
    assert response.status_code == 503
    assert "数据库暂时不可用" in response.content.decode()


def test_the_database_failing_in_a_middleware_answers_503_not_500(world: Any) -> None:
    """The session is read by a middleware, before any view: Django's error handler
    turns that failure into the 503 too."""
    client = Client(raise_request_exception=False)
    client.force_login(world.users["area"])
    with database_fails_on('FROM "django_session"'):
        page = client.get("/enterprises/")
        api = client.get("/api/v1/enterprises")
    assert page.status_code == 503 and "数据库暂时不可用" in page.content.decode()
    assert api.status_code == 503 and api["Content-Type"].startswith(PROBLEM_TYPE)
