"""Project lifecycle and reporting rules, pure Python (no Django)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
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


def gettext_noop(text: str) -> str:
    """Marks a label for translation without Django: `makemessages` collects it, and the
    pages translate it where they show it (`gettext(label)`)."""
    return text


STATUS_LABELS = {
    Status.PLANNED: gettext_noop("谋划"),
    Status.SIGNED: gettext_noop("签约"),
    Status.RESERVE: gettext_noop("储备"),
    Status.PREPARING: gettext_noop("前期"),
    Status.NEW_START: gettext_noop("新开工"),
    Status.CONTINUING: gettext_noop("续建"),
    Status.RESUMED: gettext_noop("复工"),
    Status.COMPLETED: gettext_noop("竣工"),
    Status.IN_PRODUCTION: gettext_noop("投产"),
    Status.TERMINATED: gettext_noop("终止"),
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
