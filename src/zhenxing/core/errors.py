"""Errors as people and programs see them: pages that never show a traceback and speak
the user's language, and the one RFC 9457 problem+json body every API error has.

`problem` is the only builder of problem+json: the API's exception handlers
(`zhenxing/api.py`), the middleware that rewrites Django's own error responses under
/api/ (`core/middleware.py`) and any route answering an error itself call it.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

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


# Seconds a client is asked to wait before trying again when the database is unavailable.
RETRY_AFTER_SECONDS = 5


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 for a request that met a locked or unreachable database (`OperationalError`):
    a temporary state, not a fault of the request nor a bug. Its transaction was rolled
    back, so nothing of it was written; the client may simply try again. Under /api/ a
    problem+json, elsewhere a page that needs no database to render."""
    logger.warning("database unavailable on %s %s", request.method, request.path, exc_info=True)
    detail = gettext("数据库暂时不可用，请稍后再试")
    if request.path.startswith("/api/"):
        response = problem(request, 503, gettext("数据库暂时不可用"), detail)
    else:
        # rendered without the request: its context processors would ask the database
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    # An unavailable database met in a middleware (the session, the signed-in user) is
    # no bug either: Django calls this handler inside its `except`, with the error at hand.
    if isinstance(sys.exc_info()[1], OperationalError):
        return database_unavailable(request)
    return render(request, "500.html", status=500)
