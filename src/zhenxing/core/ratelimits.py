"""Per-user rate limits on expensive requests: uploads of imports, Excel exports.

Counted by django-ratelimit in Django's cache (`settings.CACHES`: files in the data
directory, shared by every server process; see the comment there). A request over the
limit raises `RateLimited`; the pages answer 429 with a Chinese message
(`core.middleware.ScopingMiddleware`) and the API 429 problem+json (`zhenxing.api`), both
with `Retry-After` in seconds.

    ratelimits.check(request, ratelimits.IMPORTS)   # before reading an upload
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext
from django_ratelimit.core import get_usage

IMPORTS = "imports"
EXPORTS = "exports"


class RateLimited(Exception):
    """Too many requests of one kind by one user; `retry_after` is in seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(
            gettext("操作过于频繁，请 %(wait)s 后再试") % {"wait": _wait_text(self.retry_after)}
        )
        self.message = str(self)


def _rate(group: str) -> str:
    rates = {IMPORTS: settings.RATE_LIMIT_IMPORTS, EXPORTS: settings.RATE_LIMIT_EXPORTS}
    return str(rates[group])


def check(request: HttpRequest, group: str) -> None:
    """Count this request against the user's limit for `group`; `RateLimited` over it.
    (A signed-out request is counted by its address.)"""
    usage: dict[str, Any] | None = get_usage(
        request,
        group=f"zhenxing.{group}",
        key="user_or_ip",
        rate=_rate(group),
        increment=True,
    )
    if usage is not None and usage["should_limit"]:
        raise RateLimited(int(usage["time_left"]))


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return gettext("%(n)s 秒") % {"n": seconds}
    minutes = (seconds + 59) // 60
    return gettext("%(n)s 分钟") % {"n": minutes}
