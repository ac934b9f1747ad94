"""List pages: filters above the table, sortable columns, 50 rows a page, Excel export.

A part declares a `ListSpec` (columns, filters, the scoped queryset) and gets both the
HTML page and the .xlsx export of exactly the rows the user is looking at.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhenxing.core import audit, excel, money, ratelimits, scoping
from zhenxing.core.models import Area, AuditAction
from zhenxing.core.net import client_address
from zhenxing.core.roles import Action

PAGE_SIZE = 50

EXPORTS: dict[str, ListSpec] = {}


def register_export(kind: str, spec: ListSpec) -> ListSpec:
    """Make a list exportable as `zhenxing export KIND FILE` too."""
    EXPORTS[kind] = spec
    return spec


def _shown(value: Any, numeric: bool) -> Any:
    """A count in a numeric column with thousands separators (a year elsewhere stays
    2024); amounts format themselves (`money.Wan`, the `cell` filter)."""
    if numeric and type(value) is int:  # subclasses (AlertCount) keep their marks
        return money.format_count(value)
    return value


def _cell(column: Column, value: Any) -> dict[str, Any]:
    """One cell as the list templates show it. What kind of value it is (a date, an
    alert shown in red) is decided here, once: asked in the template (`value.isoformat`,
    `value.danger`) every string cell failed two lookups, and Django answers a failed
    lookup with `dir()`: a third of the audit log page's time."""
    return {
        "value": _shown(value, column.numeric),
        "numeric": column.numeric,
        "link": column.link,
        "css": column.css,
        "date": isinstance(value, datetime.date),
        "danger": bool(getattr(value, "danger", False)),
    }


@dataclass
class Column:
    key: str
    label: Any
    sort: str | None = None  # ORM ordering path; None = not sortable
    value: Callable[[Any], Any] | None = None  # how to get the cell value (default: attribute path)
    numeric: bool = False
    link: bool = False  # the cell opens the record
    css: str = ""  # a class for the cell, e.g. "nowrap", "code", "date"
    #: who sees the column (page and export); None = everyone who sees the list
    visible_to: Callable[[Any], bool] | None = None

    def get(self, obj: Any) -> Any:
        if self.value is not None:
            return self.value(obj)
        target = obj
        for part in self.key.split("__"):
            target = getattr(target, part, None) if target is not None else None
            if callable(target) and not hasattr(target, "pk"):
                target = target()
        return target


@dataclass
class Filter:
    name: str
    label: Any
    lookup: str  # ORM lookup the value is applied to
    choices: Callable[[HttpRequest], Sequence[tuple[str, str]]] | None = None
    keyword_fields: Sequence[str] = ()  # for a free-text filter: fields searched with icontains
    # instead of `lookup`: a filter that is not one lookup (queryset, chosen value → queryset)
    apply: Callable[[QuerySet[Any], str], QuerySet[Any]] | None = None


def choices_of(
    pairs: Iterable[tuple[Any, Any]] | Mapping[Any, Any],
) -> Callable[[HttpRequest], list[tuple[str, str]]]:
    """A Filter's fixed choices: a model's `choices` or a {value: label} dict, the labels
    translated when the page is drawn (in the reader's language)."""

    def choices(request: HttpRequest) -> list[tuple[str, str]]:
        items = pairs.items() if isinstance(pairs, Mapping) else pairs
        return [(str(value), str(label)) for value, label in items]

    return choices


def area_choices(request: HttpRequest, *, city: bool = True) -> list[tuple[str, str]]:
    """A Filter's areas: those the user may pick (`scoping.area_choices_for`), the city
    itself among them unless `city=False`."""
    areas = Area.objects.all() if city else Area.objects.exclude(kind="city")
    return [(str(a.pk), str(a)) for a in scoping.area_choices_for(request.user, areas)]


@dataclass
class ListSpec:
    title: Any
    queryset: Callable[[HttpRequest], QuerySet[Any]]
    columns: Sequence[Column]
    filters: Sequence[Filter] = ()
    default_sort: str = ""
    export_name: str = "export"
    template: str = "core/list.html"
    actions: Callable[[HttpRequest], list[dict[str, str]]] | None = None
    extra_context: dict[str, Any] = field(default_factory=dict)
    # The export's columns when it carries more than the screen (every field a user can
    # filter on, codes…); None: the columns on screen.
    export_columns: Sequence[Column] | None = None
    # where a row's link cell goes; default: the record's own page (get_absolute_url)
    link: Callable[[Any], str] | None = None
    # who may open the list at all (page and export); None: every signed-in user, each
    # seeing the rows of their scope. A city work list (the cultivation pool) names
    # `scoping.works_for_the_city`, so an enterprise user cannot reach it by its address.
    readers: Callable[[Any], bool] | None = None
    # The export holds personal data (people's names, contacts, who did what): each
    # export is then recorded in the audit log (who, when, from where, how many rows).
    personal_data: bool = False

    def as_view(self) -> Callable[[HttpRequest], HttpResponse]:
        """The page of a list that needs nothing else: `area_list = AREA_LIST.as_view()`."""

        @login_required
        def view(request: HttpRequest) -> HttpResponse:
            return self.render(request)

        return view

    def row_url(self, obj: Any) -> str | None:
        if self.link is not None:
            return self.link(obj)
        get_url = getattr(obj, "get_absolute_url", None)
        return get_url() if get_url is not None else None

    def columns_for(self, request: HttpRequest) -> list[Column]:
        return [c for c in self.columns if c.visible_to is None or c.visible_to(request.user)]

    def rows(self, request: HttpRequest) -> tuple[QuerySet[Any], dict[str, str], str]:
        """The scoped, filtered and sorted queryset, the active filters and the sort key."""
        qs = scoping.visible(request.user, self.queryset(request))
        active: dict[str, str] = {}
        for flt in self.filters:
            value = request.GET.get(flt.name, "").strip()
            if not value:
                continue
            active[flt.name] = value
            if flt.keyword_fields:
                q = Q()
                for path in flt.keyword_fields:
                    q |= Q(**{f"{path}__icontains": value})
                qs = qs.filter(q)
            else:
                if flt.choices is not None:
                    allowed = {str(k) for k, _ in flt.choices(request)}
                    if value not in allowed:
                        continue  # an unknown choice filters nothing rather than erroring
                if flt.apply is not None:
                    qs = flt.apply(qs, value)
                    continue
                qs = qs.filter(**{flt.lookup: value})
        sort = request.GET.get("sort", "") or self.default_sort
        sortable = {c.key: c.sort for c in self.columns if c.sort}
        key = sort.lstrip("-")
        if key in sortable:
            path = sortable[key]
            assert path is not None
            qs = qs.order_by(("-" if sort.startswith("-") else "") + path, "-pk")
        else:
            sort = ""
        return qs, active, sort

    def check_reader(self, user: Any) -> None:
        if self.readers is not None and not self.readers(user):
            raise PermissionDenied()

    def export_bytes(self, request: HttpRequest) -> bytes:
        """The whole filtered list as .xlsx, as the export button gives it."""
        self.check_reader(request.user)
        qs, _active, _sort = self.rows(request)
        qs = scoping.visible(request.user, qs, Action.EXPORT)
        shown = self.columns if self.export_columns is None else self.export_columns
        columns = [c for c in shown if c.visible_to is None or c.visible_to(request.user)]
        rows = 0

        def counted() -> Iterator[list[Any]]:
            nonlocal rows
            for obj in qs.iterator(chunk_size=2000):
                rows += 1
                yield [c.get(obj) for c in columns]

        data = excel.build_xlsx(
            [str(c.label) for c in columns],
            counted(),
            sheet_name=self.export_name,
            # whole numbers outside numeric columns are years and the like: no separator
            plain_columns={i for i, c in enumerate(self.columns) if not c.numeric},
        )
        if self.personal_data:
            self._record_export(request, rows)
        return data

    def _record_export(self, request: HttpRequest, rows: int) -> None:
        filters = "&".join(f"{k}={v}" for k, v in sorted(request.GET.items()) if k != "format")
        audit.event(
            AuditAction.EXPORTED,
            user=request.user,
            subject_repr=self.export_name,
            reason=f"{rows} 行" + (f"；{filters}" if filters else ""),
            address=client_address(request),
        )

    def render(self, request: HttpRequest) -> HttpResponse:
        self.check_reader(request.user)
        qs, active, sort = self.rows(request)
        if request.GET.get("format") == "xlsx":
            ratelimits.check(request, ratelimits.EXPORTS)
            return excel.xlsx_response(self.export_bytes(request), self.export_name)
        paginator = Paginator(qs, PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        base = dict(active)
        headers = []
        columns = self.columns_for(request)
        for column in columns:
            link = None
            direction = ""
            if column.sort:
                if sort == column.key:
                    next_sort, direction = f"-{column.key}", "asc"
                elif sort == f"-{column.key}":
                    next_sort, direction = column.key, "desc"
                else:
                    next_sort = column.key
                link = "?" + urlencode({**base, "sort": next_sort})
            headers.append(
                {
                    "label": column.label,
                    "link": link,
                    "direction": direction,
                    "numeric": column.numeric,
                }
            )
        links = any(c.link for c in self.columns)
        rows = [
            {
                "obj": obj,
                "url": self.row_url(obj) if links else None,
                "cells": [_cell(c, c.get(obj)) for c in columns],
            }
            for obj in page.object_list
        ]
        query_without_page = urlencode({**base, **({"sort": sort} if sort else {})})
        filters = [
            {
                "name": f.name,
                "label": f.label,
                "value": active.get(f.name, ""),
                "choices": list(f.choices(request)) if f.choices else None,
            }
            for f in self.filters
        ]
        context = {
            "title": self.title,
            "headers": headers,
            "rows": rows,
            "page": page,
            "count": paginator.count,
            "filters": filters,
            "query": query_without_page,
            "export_query": urlencode(
                {**base, **({"sort": sort} if sort else {}), "format": "xlsx"}
            ),
            "actions": self.actions(request) if self.actions else [],
            **self.extra_context,
        }
        return render(request, self.template, context)
