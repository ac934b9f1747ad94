"""首页 panels: each part tells the home page what a user should look at first.

A part registers its panel functions in its `AppConfig.ready()`
(`panels.register("projects", projects_panel, order=10)`); core never imports the parts.
A panel function takes the user and "today" and returns None (nothing for this user) or
a `Panel`: a title, a few headline figures and a short to-do list, each with a link to
the page that lists the records behind it. Panel functions read through `core.scoping`
and the parts' query functions, so a figure is the one the linked page shows.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.utils.translation import gettext

from zhenxing.core import clock, money, scoping
from zhenxing.core.periods import Period

Severity = Literal["info", "warn", "danger"]


@dataclass(frozen=True)
class Figure:
    """A headline figure: "1—5月累计完成投资 128.60 亿元 同比 +7.5%"."""

    label: str
    value: int | Decimal | datetime.date | None  # already in `unit` (亿元, 万元, 个, %)
    unit: str = ""
    url: str = ""
    delta: Decimal | None = None  # growth in percent, shown with its sign
    delta_label: str = ""  # what the delta compares with (同比)
    caption: str = ""  # the period or basis of the figure


@dataclass(frozen=True)
class Todo:
    """A line of the to-do list: what waits, how many, and the list that shows them."""

    text: str
    url: str
    count: int | None = None  # None: the line is one record (a batch to approve)
    severity: Severity = "info"

    @property
    def done(self) -> bool:
        return self.count == 0


@dataclass(frozen=True)
class Panel:
    title: str
    figures: Sequence[Figure] = ()
    todos: Sequence[Todo] = ()
    scope: str = ""  # whose figures: 全市, 鲅鱼圈区, an enterprise's name
    url: str = ""  # the part's own page
    key: str = ""  # filled in by `panels_for` from the registration


PanelFunction = Callable[[Any, datetime.date], Panel | None]


@dataclass(frozen=True)
class _Registered:
    key: str
    order: int
    function: PanelFunction


REGISTRY: dict[str, _Registered] = {}


def register(key: str, function: PanelFunction, *, order: int) -> PanelFunction:
    """Show `function`'s panel on the home page, in ascending `order`."""
    REGISTRY[key] = _Registered(key, order, function)
    return function


def panels_for(user: Any, *, today: datetime.date | None = None) -> list[Panel]:
    """The panels `user` sees today, in their registered order."""
    day = today or clock.today()
    shown = []
    for entry in sorted(REGISTRY.values(), key=lambda e: (e.order, e.key)):
        panel = entry.function(user, day)
        if panel is not None:
            shown.append(dataclasses.replace(panel, key=entry.key))
    return shown


# --- helpers the parts' panel functions share ------------------------------------------

# Yuan as 亿元 (headlines) and 万元 (an enterprise's own amounts), two places, half up.
in_yi = money.in_yi
in_wan = money.in_wan


def ytd_caption(period: Period) -> str:
    """The period of a 1–N月累计 figure (2024年1—5月), in the user's language."""
    if period.month == 1:
        return gettext("%(year)s年1月") % {"year": period.year}
    return gettext("%(year)s年1—%(month)s月") % {"year": period.year, "month": period.month}


def month_caption(period: Period) -> str:
    return gettext("%(year)s年%(month)s月") % {"year": period.year, "month": period.month}


def scope_label(user: Any) -> str:
    """Whose figures a city-or-area panel shows: 全市 for city users, else the user's areas."""
    from zhenxing.core.models import Area

    grants = scoping.grants_for(user)
    if grants.is_city_wide_reader:
        return gettext("全市")
    return "、".join(a.name for a in Area.objects.filter(pk__in=grants.area_ids))
