"""Every request gets an id; with `ZHENXING_JSON_LOG=1`, every request is one JSON line.

The id is the client's (or the proxy's) `X-Request-ID` when it is a sane token (letters,
digits and `._:-`, at most 128 characters — nothing that could break a log line), else
a new random one. It is sent back as the `X-Request-ID` response header, is
`request.request_id` for the code (core.errors.problem puts it in every problem+json
body), and ties a user's error report to the log line of that request.

The log line (logger "zhenxing.requests", written to stderr when the setting is on):
`{"time", "request_id", "method", "path", "status", "duration_ms", "user_id",
"remote_addr"}`. The path is logged without its query string, which can carry
personal data.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from zhenxing.core import clock

HEADER = "X-Request-ID"
SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
logger = logging.getLogger("zhenxing.requests")


def request_id_of(request: HttpRequest) -> str:
    """The id of this request: the incoming one when sane, else a new one."""
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    if isinstance(incoming, str) and SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def _user_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "pk", None)


class RequestLogMiddleware:
    """The outermost middleware: it times the whole request, errors pages included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_of(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        started_at = clock.machine_now()
        started = time.perf_counter()
        response = self.get_response(request)
        response[HEADER] = request_id
        if logger.isEnabledFor(logging.INFO):
            line: dict[str, Any] = {
                "time": clock.local(started_at).isoformat(timespec="milliseconds"),
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": _user_id(request),
                "remote_addr": request.META.get("REMOTE_ADDR"),
            }
            logger.info(json.dumps(line, ensure_ascii=False))
        return response
