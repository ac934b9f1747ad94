"""Project lifecycle and reporting rules, pure Python (no Django)."""

from __future__ import annotations

import datetime
import statistics
from collections.abc import Iterable, Sequence
from decimal import Decimal
from enum import StrEnum


class Status(StrEnum):
    PLANNED = "planned"  # 谋划
    SIGNED = "signed"  # 签约
    RESERVE = "reserve"  # 储备
    PREPARING = "preparing"  # 前期
    NEW_START = "new_start"  # 新开工
    CONTINUING = "continuing"  # 续建
    RESUMED = "resumed"  # 复工
    COMPLETED = "completed"  # 竣工
    IN_PRODUCTION = "in_production"  # 投产
    TERMINATED = "terminated"  # 终止


STATUS_LABELS = {
    Status.PLANNED: "谋划",
    Status.SIGNED: "签约",
    Status.RESERVE: "储备",
    Status.PREPARING: "前期",
    Status.NEW_START: "新开工",
    Status.CONTINUING: "续建",
    Status.RESUMED: "复工",
    Status.COMPLETED: "竣工",
    Status.IN_PRODUCTION: "投产",
    Status.TERMINATED: "终止",
}

PRE_CONSTRUCTION = frozenset({Status.PLANNED, Status.SIGNED, Status.RESERVE, Status.PREPARING})
UNDER_CONSTRUCTION = frozenset({Status.NEW_START, Status.CONTINUING, Status.RESUMED})
STARTED_OR_RESUMED = frozenset({Status.NEW_START, Status.RESUMED})  # 开复工

# Which status may follow which. Terminating is possible from any unfinished status.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PLANNED: frozenset({Status.SIGNED, Status.RESERVE, Status.PREPARING}),
    Status.SIGNED: frozenset({Status.RESERVE, Status.PREPARING, Status.NEW_START}),
    Status.RESERVE: frozenset({Status.PREPARING, Status.NEW_START}),
    Status.PREPARING: frozenset({Status.NEW_START}),
    Status.NEW_START: frozenset({Status.CONTINUING, Status.COMPLETED}),
    Status.CONTINUING: frozenset({Status.RESUMED, Status.COMPLETED}),
    Status.RESUMED: frozenset({Status.CONTINUING, Status.COMPLETED}),
    Status.COMPLETED: frozenset({Status.IN_PRODUCTION}),
    Status.IN_PRODUCTION: frozenset(),
    Status.TERMINATED: frozenset(),
}
for _status in set(Status) - {Status.COMPLETED, Status.IN_PRODUCTION, Status.TERMINATED}:
    TRANSITIONS[_status] = TRANSITIONS[_status] | {Status.TERMINATED}

# Statuses a project may be entered with (a project already under way when first recorded).
INITIAL = frozenset(set(Status) - {Status.TERMINATED})


class TransitionError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_transition(
    history: Iterable[tuple[Status, datetime.date]], new: Status, on: datetime.date
) -> None:
    """Refuse a status change that the lifecycle does not allow.

    `history` is the project's earlier (status, date) pairs in date order. A project
    cannot be completed (竣工) before it has been under construction, nor change
    status on a date before its last change.
    """
    items = list(history)
    if not items:
        if new not in INITIAL:
            raise TransitionError(f"项目不能以“{STATUS_LABELS[new]}”状态登记")
        return
    current, since = items[-1]
    if on < since:
        raise TransitionError(
            f"状态变更日期 {on:%Y-%m-%d} 早于上一次变更（{since:%Y-%m-%d}，"
            f"{STATUS_LABELS[current]}）"
        )
    if new == current:
        raise TransitionError(f"项目已是“{STATUS_LABELS[new]}”状态")
    if new not in TRANSITIONS[current]:
        allowed = "、".join(STATUS_LABELS[s] for s in Status if s in TRANSITIONS[current])
        raise TransitionError(
            f"不能从“{STATUS_LABELS[current]}”变为“{STATUS_LABELS[new]}”"
            + (f"；可变为：{allowed}" if allowed else "；该状态已结束")
        )
    if new == Status.COMPLETED and not any(s in UNDER_CONSTRUCTION for s, _ in items):
        raise TransitionError("项目尚未开工，不能竣工")


def report_deadline(year: int, month: int, day_of_next_month: int = 10) -> datetime.date:
    """The default last day to file month (year, month): the given day of the next month."""
    if month == 12:
        return datetime.date(year + 1, 1, day_of_next_month)
    return datetime.date(year, month + 1, day_of_next_month)


# --- unusual monthly figures ---------------------------------------------------------

# The usual month is judged on the project's latest reported months, and only once it has
# a few: one or two earlier figures say little about its pace.
USUAL_MONTHS = 12
MIN_USUAL_MONTHS = 3
_WAN = Decimal(10_000)


def _wan(amount: Decimal) -> str:
    return f"{amount / _WAN:,.2f}"


def unusual_report(
    amount: Decimal,
    *,
    total_investment: Decimal,
    done_before: Decimal,
    earlier: Sequence[Decimal],
    factor: Decimal,
) -> str:
    """Why a month's investment (yuan) needs a confirmation, or "" when it is ordinary.

    It is unusual above the project's remaining investment (`total_investment` minus
    `done_before`, what the reports before this month add up to), or above `factor`
    times the project's usual month: the median of `earlier` (its latest earlier
    figures, newest last) above zero, once there are at least `MIN_USUAL_MONTHS` of them.
    """
    remaining = total_investment - done_before
    if amount > remaining:
        return (
            f"当月完成投资 {_wan(amount)} 万元超过项目剩余投资 {_wan(max(remaining, Decimal(0)))} "
            f"万元（总投资 {_wan(total_investment)} 万元，此前累计完成 {_wan(done_before)} 万元）"
        )
    months = [a for a in earlier[-USUAL_MONTHS:] if a > 0]
    if factor > 0 and len(months) >= MIN_USUAL_MONTHS:
        usual = Decimal(statistics.median(months))
        if amount > usual * factor:
            return (
                f"当月完成投资 {_wan(amount)} 万元是该项目以往月份中位数 {_wan(usual)} 万元的 "
                f"{amount / usual:.1f} 倍（超过 {factor.normalize():f} 倍）"
            )
    return ""
