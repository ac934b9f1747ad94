"""Errors and the small things a browser asks for: one problem+json builder, the icon."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.test import RequestFactory

from zhenxing.core.errors import PROBLEM_TYPE, problem

SRC = Path(__file__).resolve().parents[2] / "src" / "zhenxing"


def test_problem_builds_an_rfc_9457_body() -> None:
    request = RequestFactory().get("/api/v1/projects/9")
    response = problem(request, 409, "版本已变", errors=[{"field": "version", "message": "x"}])
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM_TYPE
    assert json.loads(response.content) == {
        "type": "about:blank",
        "title": "版本已变",
        "status": 409,
        "detail": "版本已变",
        "instance": "/api/v1/projects/9",
        "errors": [{"field": "version", "message": "x"}],
    }


def test_problem_json_is_built_in_one_place_only() -> None:
    """The API's handlers, the middleware and the routes all call core.errors.problem:
    no module but core/errors.py spells out the problem+json body or its media type."""
    body_or_media_type = re.compile(
        r"""["']type["']\s*:\s*["']about:blank|=\s*["']application/problem\+json"""
    )
    builders = [
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if body_or_media_type.search(path.read_text("utf-8"))
    ]
    assert builders == ["core/errors.py"]


def test_the_middleware_answers_unknown_api_paths_with_the_same_body(client: Any) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM_TYPE
    body = response.json()
    assert body["status"] == 404 and body["instance"] == "/api/v1/no-such-thing"


def test_favicon_is_the_platforms_icon_for_everyone(client: Any) -> None:
    """/favicon.ico was a 404 (logged on every page view): it points at the static icon."""
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/zhenxing/favicon.svg"
    icon = finders.find("zhenxing/favicon.svg")
    assert icon is not None
    root = ET.parse(icon).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_every_page_links_the_icon(client: Any) -> None:
    html = client.get("/login/").content.decode()
    assert '<link rel="icon" href="/static/zhenxing/favicon.svg" type="image/svg+xml">' in html
