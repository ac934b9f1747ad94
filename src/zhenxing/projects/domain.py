"""Project lifecycle and reporting rules, pure Python (no Django)."""

from __future__ import annotations

import datetime
import re
import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from difflib import SequenceMatcher
from enum import StrEnum

from zhenxing.core.codes import gb4754
from zhenxing.core.codes.project_code import ProjectCode


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

# Statuses a project may be entered with: the beginning of its lifecycle, or — for a
# project already being built when the platform first records it — a construction status.
# Never an end (竣工, 投产, 终止): those are reached through dated status changes, so that
# the lifecycle shows the construction that led to them.
INITIAL = PRE_CONSTRUCTION | UNDER_CONSTRUCTION


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
            allowed = "、".join(STATUS_LABELS[s] for s in Status if s in INITIAL)
            raise TransitionError(
                f"新项目不能以“{STATUS_LABELS[new]}”状态登记；可选：{allowed}"
                "（竣工、投产须在登记后通过状态变更记录）"
            )
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


# --- what a new project must be ------------------------------------------------------


def code_problems(
    code: ProjectCode, *, host_area: str, host_name: str, today: datetime.date
) -> dict[int, str]:
    """What is wrong with a project's national code for this project (segment → message):
    the year is not after today, the area code is the project's area (`host_area`: a
    park's host county), the industry segment is a GB/T 4754-2017 division (大类)."""
    problems: dict[int, str] = {}
    if code.year > today.year:
        problems[1] = f"第 1 段（赋码年份）{code.year} 晚于今年（{today.year}）"
    if code.area != host_area:
        problems[2] = (
            f"第 2 段（地区代码）{code.area} 与项目所在区域“{host_name}”（{host_area}）不符"
        )
    division = gb4754.lookup(code.department)
    if division is None or division.level != "division":
        problems[3] = (
            f"第 3 段（行业代码）{code.department} 不是 GB/T 4754-2017 的行业大类（01–97）"
        )
    return problems


# Words that do not tell two projects apart (so 年产10万吨镁砖项目 and 年产10万吨镁砖
# 建设项目 are the same name); numbers and phases (一期, 二期) do tell them apart.
_FILLER = re.compile(r"项目|工程|建设|有限公司|有限责任公司")
_NOT_WORD = re.compile(r"[\W_]+")
_NUMBERS = re.compile(r"\d+(?:\.\d+)?|[一二三四五六七八九十]+期")
NEAR_NAME_RATIO = 0.85


def name_key(name: str) -> str:
    """A project name reduced to what tells it apart: full-width folded, lower case, no
    spaces or punctuation, no filler words."""
    text = unicodedata.normalize("NFKC", name).lower()
    text = _FILLER.sub("", text)
    return _NOT_WORD.sub("", text)


def near_names(name: str, others: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    """The (id, name) of `others` whose names are the same or nearly the same as `name`:
    the same numbers and phases, and after `name_key` a similarity ratio of at least
    NEAR_NAME_RATIO (a typo, a word more or less)."""
    key = name_key(name)
    if not key:
        return []
    numbers = _NUMBERS.findall(key)
    out = []
    for pk, other in others:
        other_key = name_key(other)
        if not other_key or _NUMBERS.findall(other_key) != numbers:
            continue
        if key == other_key or SequenceMatcher(None, key, other_key).ratio() >= NEAR_NAME_RATIO:
            out.append((pk, other))
    return out


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
