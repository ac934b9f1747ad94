"""The monthly reporting window: when a month may be filed, and when it is locked.

A month (period) opens on its `ReportingWindow.opens_on`, or by default on the first day
of the month itself, so that area staff may file while the month runs (many areas
collect their figures in the last days of the month). It stays open until its deadline,
`ReportingWindow.deadline` or by default `domain.report_deadline()` (the 10th of the
next month). After the deadline it is locked: a change is a correction and needs a
reason, which the audit trail keeps.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from zhenxing.core import clock
from zhenxing.core.periods import Period
from zhenxing.projects import domain


@dataclass(frozen=True)
class Window:
    period: Period
    opens_on: datetime.date
    deadline: datetime.date
    today: datetime.date

    @property
    def not_yet_open(self) -> bool:
        return self.today < self.opens_on

    @property
    def locked(self) -> bool:
        return self.today > self.deadline

    @property
    def open(self) -> bool:
        return not self.not_yet_open and not self.locked

    @property
    def state_label(self) -> str:
        if self.not_yet_open:
            return "未开始"
        return "已锁定" if self.locked else "填报中"


def window(period: Period, *, today: datetime.date | None = None) -> Window:
    """The reporting window of one month (one query for its ReportingWindow row)."""
    from zhenxing.projects.models import ReportingWindow

    row = ReportingWindow.objects.filter(year=period.year, month=period.month).first()
    return _window(period, row, today or clock.today())


def windows(periods: list[Period], *, today: datetime.date | None = None) -> dict[Period, Window]:
    """The windows of several months with one query."""
    from zhenxing.projects.models import ReportingWindow

    wanted = {(p.year, p.month) for p in periods}
    rows = {
        (r.year, r.month): r
        for r in ReportingWindow.objects.filter(year__in={y for y, _ in wanted})
        if (r.year, r.month) in wanted
    }
    day = today or clock.today()
    return {p: _window(p, rows.get((p.year, p.month)), day) for p in periods}


def _window(period: Period, row: object | None, today: datetime.date) -> Window:
    opens_on = getattr(row, "opens_on", None) or period.first_day
    deadline = getattr(row, "deadline", None) or domain.report_deadline(period.year, period.month)
    return Window(period=period, opens_on=opens_on, deadline=deadline, today=today)


def current_period(*, today: datetime.date | None = None) -> Period:
    """The month area staff are most likely filing: last month until its deadline, then
    this month."""
    day = today or clock.today()
    last = Period.of(day).previous()
    if not window(last, today=day).locked:
        return last
    return Period.of(day)


def last_closed_period(*, today: datetime.date | None = None) -> Period:
    """The latest month whose window is locked (its deadline has passed): the month the
    headline figures are final for. With the default deadline (the 10th) on 2024-06-30
    that is 2024-05; on 2024-07-05 it is still 2024-05."""
    day = today or clock.today()
    candidates = [Period.of(day).previous()]
    for _i in range(11):
        candidates.append(candidates[-1].previous())
    by_period = windows(candidates, today=day)
    return next((p for p in candidates if by_period[p].locked), candidates[-1])
