"""Errors as people and programs see them: pages that never show a traceback and speak
the user's language, and the one RFC 9457 problem+json body every API error has.

`problem` is the only builder of problem+json: the API's exception handlers
(`zhenxing/api.py`), the middleware that rewrites Django's own error responses under
/api/ (`core/middleware.py`) and any route answering an error itself call it.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

PROBLEM_TYPE = "application/problem+json"


def problem(
    request: HttpRequest,
    status: int,
    title: str,
    detail: str = "",
    errors: list[dict[str, str]] | None = None,
) -> HttpResponse:
    """An RFC 9457 problem+json response: `title` says what went wrong, `detail` what to
    do (the title when empty), `errors` lists `{field, message, code}` per bad field,
    `request_id` the id of the request (core/request_log.py), to quote in a report."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": request.path,
    }
    if errors is not None:
        body["errors"] = errors
    request_id = getattr(request, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_TYPE
    )


def is_problem(response: HttpResponse) -> bool:
    return str(response.get("Content-Type", "")).startswith(PROBLEM_TYPE)


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)
