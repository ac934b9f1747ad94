"""Request ids and the JSON request log (core/request_log.py)."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

LOGGER = "zhenxing.requests"


def test_every_response_carries_a_request_id(client: Any) -> None:
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


def test_a_sane_incoming_id_is_kept_and_anything_else_replaced(client: Any) -> None:
    kept = "req-2024.06.30:abc_DEF-1"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=kept)["X-Request-ID"] == kept
    for insane in ("a b", 'x"}{', "x" * 129, "中文", "a\tb", ""):
        answered = client.get("/healthz", HTTP_X_REQUEST_ID=insane)["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", answered), insane


@pytest.mark.django_db
def test_problem_json_bodies_name_the_request(client: Any) -> None:
    response = client.get("/api/v1/no-such-route", HTTP_X_REQUEST_ID="trace-42")
    assert response.status_code == 404 and response["Content-Type"].startswith(
        "application/problem+json"
    )
    assert json.loads(response.content)["request_id"] == "trace-42"
    assert response["X-Request-ID"] == "trace-42"


def test_no_request_lines_unless_asked_for() -> None:
    # ZHENXING_JSON_LOG is not set for the tests: the logger stays quiet
    assert not logging.getLogger(LOGGER).isEnabledFor(logging.INFO)


@pytest.mark.django_db
def test_one_json_line_per_request(
    client: Any, world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    client.force_login(world.users["area"])
    response = client.get("/?secret=1", HTTP_X_REQUEST_ID="line-1", REMOTE_ADDR="10.1.2.3")
    client.get("/no-such-page/", HTTP_X_REQUEST_ID="line-2")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == LOGGER]
    assert [line["request_id"] for line in lines] == ["line-1", "line-2"]
    first, second = lines
    assert set(first) == {
        "time",
        "request_id",
        "method",
        "path",
        "status",
        "duration_ms",
        "user_id",
        "remote_addr",
    }
    assert (first["method"], first["path"], first["status"]) == ("GET", "/", response.status_code)
    assert first["user_id"] == world.users["area"].pk
    assert first["remote_addr"] == "10.1.2.3"
    assert first["duration_ms"] >= 0 and re.match(r"\d{4}-\d\d-\d\dT.*\+08:00$", first["time"])
    assert second["status"] == 404
    assert "secret" not in json.dumps(first)  # the query string is not logged
