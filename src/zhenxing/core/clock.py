"""The platform's one clock: `today()` and `now()`.

Every date and timestamp the platform writes comes from here (audit entries, historical
records, model defaults, objections, approvals, report times, export file names), so a
record made on the demo's "today" carries that day. The demo runs on 2024-06-30
(`settings.TODAY_OVERRIDE`, env ZHENXING_TODAY): `now()` is then that date with the
current local time of day. Tests freeze time with `time_machine`, which moves this clock
with the rest. A source scan (tests/core/test_clock.py) keeps every other module from
reading the machine's clock directly.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone


def _override() -> datetime.date | None:
    return datetime.date.fromisoformat(settings.TODAY_OVERRIDE) if settings.TODAY_OVERRIDE else None


def now() -> datetime.datetime:
    """The current moment as an aware datetime (the demo's date, local time of day)."""
    day = _override()
    if day is None:
        return timezone.now()
    local = timezone.localtime(timezone.now())
    return local.replace(year=day.year, month=day.month, day=day.day)


def today() -> datetime.date:
    """The current date in the platform's time zone (Asia/Shanghai)."""
    day = _override()
    if day is not None:
        return day
    return timezone.localdate(timezone.now())


def local(moment: datetime.datetime) -> datetime.datetime:
    """A stored (UTC) moment in the platform's time zone, for display."""
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def machine_now() -> datetime.datetime:
    """The machine's real moment, whatever the demo's day: for liveness (how long ago a
    worker last beat), never for anything a record shows."""
    return timezone.now()
