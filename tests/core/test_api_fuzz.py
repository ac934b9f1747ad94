"""Schemathesis against the committed OpenAPI schema: no input makes the API answer 500,
and every refusal is problem+json."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from zhenxing.api import api

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
schema.app = get_wsgi_application()


@pytest.fixture
def bearer(world: Any) -> Any:
    """A token of an area user; the WSGI app shares the test's database connection."""
    from zhenxing.core import tokens

    user = world.users["area"]
    _, key = tokens.token_create(user=user, owner=user, name="fuzz")
    # As Django's test client does: keep requests from closing the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Bearer {key}"}
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_api_fail(case: Any, bearer: dict[str, str]) -> None:
    response = case.call(headers=bearer)
    case.validate_response(response, checks=[not_a_server_error])
    if 400 <= response.status_code < 500:
        headers = {k.lower(): v for k, v in response.headers.items()}
        content_type = headers.get("content-type")
        if isinstance(content_type, list):
            content_type = content_type[0]
        assert str(content_type).startswith("application/problem+json"), (
            response.status_code,
            response.text[:200],
        )
