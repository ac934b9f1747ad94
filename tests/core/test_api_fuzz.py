"""Schemathesis against the committed OpenAPI schema: no input makes the API answer 500,
and every refusal is problem+json."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error


@pytest.fixture
def api_schema(world: Any) -> Any:
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def bearer(world: Any) -> dict[str, str]:
    from zhenxing.core import tokens

    user = world.users["area"]
    _, key = tokens.token_create(user=user, owner=user, name="fuzz")
    return {"Authorization": f"Bearer {key}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_api_fail(case: Any, bearer: dict[str, str]) -> None:
    response = case.call(headers=bearer)
    case.validate_response(response, checks=[not_a_server_error])
    if 400 <= response.status_code < 500:
        assert response.headers["Content-Type"].startswith("application/problem+json"), (
            response.status_code, response.text[:200])
