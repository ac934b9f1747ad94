"""Every read that aggregates project data: one function per figure a report shows.

Pages, the API, exports and documents all call these, so they show the same number.

Definitions (issue 3, `shared/docs/domain.md` §2–3):

- 开复工 (`started_or_resumed`): projects with a `StatusChange` to 新开工 or 复工 dated in
  months 1..N of the period's year. A project is counted once however many such
  changes it has.
- 1–N月累计 (`investment_ytd`): the sum of `MonthlyReport.investment` for months 1..N of
  the year; 同比 against the same months of the year before (`growth_pct`).
- Library and key-list totals are "as at the period's last day": a membership counts
  when `entered_on <= day` and it has not left (`left_on` empty or after the day).
  Each project is counted once per library or list, whatever its memberships; a parent
  key list counts the distinct projects on it and on all its sub-lists.

Each figure is a few aggregate queries whatever the number of projects; the caller's
already-scoped project queryset (`scoping.visible(...)`) enters them as a subquery.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet, Sum

from zhenxing.core.money import CENT
from zhenxing.core.periods import Period, growth_pct, share_pct

if TYPE_CHECKING:
    from zhenxing.core.models import Area, AuditEntry
    from zhenxing.projects.models import Project

ZERO = Decimal("0.00")
LIBRARY_KEYS = ("reserve", "construction", "key")


@dataclass(frozen=True)
class LibraryTotals:
    count: int
    total_investment: Decimal


@dataclass(frozen=True)
class KeyListTotals:
    code: str
    name: str
    count: int
    total_investment: Decimal


@dataclass(frozen=True)
class Figures:
    period: Period
    area_code: str | None  # None = the whole city
    started_or_resumed: int
    investment_ytd: Decimal
    investment_ytd_last_year: Decimal
    investment_ytd_yoy_pct: Decimal | None
    annual_plan: Decimal
    plan_completion_pct: Decimal | None
    libraries: dict[str, LibraryTotals]
    key_lists: list[KeyListTotals]


def money(value: Any) -> Decimal:
    """A sum from the database as yuan with two decimals (an empty sum is zero)."""
    if value is None:
        return ZERO
    return Decimal(value).quantize(CENT)


# --- scope -------------------------------------------------------------------------


def _restricts(projects: QuerySet[Project] | None) -> bool:
    """Whether the caller's queryset selects fewer than all projects.

    An unfiltered queryset (an administrator's or a leader's `scoping.visible`) adds
    nothing, so it is left out of the SQL rather than sent as `IN (SELECT id ...)`.
    """
    if projects is None:
        return False
    query = projects.query
    return bool(query.has_filters() or query.is_sliced or query.combinator)


def not_voided(path: str = "") -> Q:
    """A filter that leaves out voided projects, on Project ("") or on a model that
    reaches it through `path`. On such a model it is `NOT IN` the (few) voided
    projects, which costs no join to the project table. Build it when the query runs
    (it reads the voided ids now), not once at import."""
    from zhenxing.projects.models import Project

    if not path:
        return Q(voided_at__isnull=True)
    # The ids are read first: voided projects are few (usually none, and then no filter
    # at all), and `NOT IN (a short list)` costs far less over 360,000 monthly reports
    # than `NOT IN (a subquery)` evaluated into every figure's plan.
    voided = list(
        Project.objects.filter(voided_at__isnull=False).order_by().values_list("pk", flat=True)
    )
    return ~Q(**{f"{path}_id__in": voided}) if voided else Q()


def _scope(projects: QuerySet[Project] | None, area: Area | None, path: str) -> Q:
    """A filter on a model that reaches Project through `path` ("" for Project itself);
    voided projects are always left out."""
    prefix = f"{path}__" if path else ""
    q = not_voided(path)
    if _restricts(projects):
        assert projects is not None
        q &= Q(**{f"{prefix}pk__in": projects.order_by().values("pk")})
    if area is not None:
        q &= Q(**{f"{prefix}area": area})
    return q


def _grouped(
    queryset: QuerySet[Any], group: str | None, **aggregates: Any
) -> dict[int | None, dict[str, Any]]:
    """Aggregates for the whole queryset (key None), or per value of `group`."""
    if group is None:
        return {None: queryset.aggregate(**aggregates)}
    rows = queryset.order_by().values(group).annotate(**aggregates)
    return {row.pop(group): row for row in rows}


def open_on(day: datetime.date) -> Q:
    """Library memberships and key-list entries in force at the end of `day`."""
    return Q(entered_on__lte=day) & (Q(left_on__isnull=True) | Q(left_on__gt=day))


def _key_list_tree() -> list[tuple[Any, list[int]]]:
    """Every key list with the ids of itself and all its descendants, in display order."""
    from zhenxing.projects.models import KeyList

    lists = list(KeyList.objects.order_by("sort_order", "code"))
    children: dict[int | None, list[int]] = {}
    for key_list in lists:
        children.setdefault(key_list.parent_id, []).append(key_list.pk)

    def below(pk: int, seen: frozenset[int]) -> list[int]:
        ids = [pk]
        for child in children.get(pk, []):
            if child not in seen:  # a cycle in bad data must not loop forever
                ids.extend(below(child, seen | {child}))
        return ids

    return [(key_list, below(key_list.pk, frozenset({key_list.pk}))) for key_list in lists]


# --- figures -----------------------------------------------------------------------


def _compute(
    *, period: Period, projects: QuerySet[Project] | None, area: Area | None, by_area: bool
) -> dict[int | None, Figures]:
    """The one computation behind `figures` and `figures_by_area`.

    With `by_area` every query is grouped by the project's area; otherwise each returns
    one row for the whole scope. Six queries in all (plus one for the key lists).
    """
    from zhenxing.projects.domain import STARTED_OR_RESUMED
    from zhenxing.projects.models import (
        AnnualPlan,
        KeyListEntry,
        LibraryMembership,
        MonthlyReport,
        Project,
        StatusChange,
    )

    year, last_day = period.year, period.last_day
    child_group = "project__area_id" if by_area else None
    project_group = "area_id" if by_area else None

    started = _grouped(
        StatusChange.objects.filter(
            _scope(projects, area, "project"),
            status__in=[str(s) for s in STARTED_OR_RESUMED],
            date__gte=datetime.date(year, 1, 1),
            date__lte=last_day,
        ),
        child_group,
        n=Count("project_id", distinct=True),
    )
    investment = _grouped(
        MonthlyReport.objects.filter(
            _scope(projects, area, "project"),
            year__in=[year, year - 1],
            month__lte=period.month,
        ),
        child_group,
        this_year=Sum("investment", filter=Q(year=year)),
        last_year=Sum("investment", filter=Q(year=year - 1)),
    )
    plans = _grouped(
        AnnualPlan.objects.filter(_scope(projects, area, "project"), year=year),
        child_group,
        plan=Sum("planned_investment"),
    )

    # Libraries and key lists: one query over projects, each figure a conditional
    # aggregate over "the project is in (the memberships open at the day)".
    tree = _key_list_tree()
    aggregates: dict[str, Any] = {"projects": Count("pk")}
    for library in LIBRARY_KEYS:
        members = Q(
            pk__in=LibraryMembership.objects.filter(open_on(last_day), library=library)
            .order_by()
            .values("project_id")
        )
        aggregates[f"lib_{library}_n"] = Count("pk", filter=members)
        aggregates[f"lib_{library}_s"] = Sum("total_investment", filter=members)
    for key_list, ids in tree:
        on_list = Q(
            pk__in=KeyListEntry.objects.filter(open_on(last_day), key_list_id__in=ids)
            .order_by()
            .values("project_id")
        )
        aggregates[f"kl_{key_list.pk}_n"] = Count("pk", filter=on_list)
        aggregates[f"kl_{key_list.pk}_s"] = Sum("total_investment", filter=on_list)
    held = _grouped(Project.objects.filter(_scope(projects, area, "")), project_group, **aggregates)

    keys: Iterable[int | None] = held.keys() if by_area else [None]
    result: dict[int | None, Figures] = {}
    for key in keys:
        row = held.get(key) or {}
        if by_area and not row.get("projects"):
            continue
        ytd = money(investment.get(key, {}).get("this_year"))
        last = money(investment.get(key, {}).get("last_year"))
        plan = money(plans.get(key, {}).get("plan"))
        result[key] = Figures(
            period=period,
            area_code=area.code if area is not None else None,
            started_or_resumed=int(started.get(key, {}).get("n") or 0),
            investment_ytd=ytd,
            investment_ytd_last_year=last,
            investment_ytd_yoy_pct=growth_pct(ytd, last),
            annual_plan=plan,
            plan_completion_pct=share_pct(ytd, plan),
            libraries={
                library: LibraryTotals(
                    count=int(row.get(f"lib_{library}_n") or 0),
                    total_investment=money(row.get(f"lib_{library}_s")),
                )
                for library in LIBRARY_KEYS
            },
            key_lists=[
                KeyListTotals(
                    code=key_list.code,
                    name=key_list.name,
                    count=int(row.get(f"kl_{key_list.pk}_n") or 0),
                    total_investment=money(row.get(f"kl_{key_list.pk}_s")),
                )
                for key_list, _ids in tree
            ],
        )
    return result


def figures(
    *, period: Period, projects: QuerySet[Project] | None = None, area: Area | None = None
) -> Figures:
    """The figures of one period for the projects in scope (the city, or one area).

    `projects` is the caller's scoped queryset (None: every project); `area` narrows to
    the projects whose area is that area (a park is its own area, not its county's).
    """
    return _compute(period=period, projects=projects, area=area, by_area=False)[None]


def figures_by_area(*, period: Period, projects: QuerySet[Project] | None = None) -> list[Figures]:
    """The figures of every area that has projects in scope, in the areas' display order.

    Counties and parks each get their own row (a park's projects are not in its host
    county's row). The same queries as `figures`, grouped by area.
    """
    from zhenxing.core.models import Area

    by_id = _compute(period=period, projects=projects, area=None, by_area=True)
    areas = Area.objects.filter(pk__in=[pk for pk in by_id if pk is not None]).order_by(
        "sort_order", "code"
    )
    return [_with_area(by_id[a.pk], a.code) for a in areas]


def _with_area(figures_: Figures, code: str) -> Figures:
    return replace(figures_, area_code=code)


def project_rows(*, period: Period, projects: QuerySet[Project]) -> list[dict[str, Any]]:
    """One row per project of `projects` (in its order), for the drill-down to projects.

    Keys: id, name, code, area_name, area_code, status, status_label, investment_ytd,
    investment_ytd_last_year, investment_ytd_yoy_pct, annual_plan, plan_completion_pct.
    """
    from zhenxing.projects.domain import STATUS_LABELS, Status
    from zhenxing.projects.models import AnnualPlan, MonthlyReport

    scope = _scope(projects, None, "project")
    sums = {
        row["project_id"]: row
        for row in MonthlyReport.objects.filter(
            scope, year__in=[period.year, period.year - 1], month__lte=period.month
        )
        .order_by()
        .values("project_id")
        .annotate(
            this_year=Sum("investment", filter=Q(year=period.year)),
            last_year=Sum("investment", filter=Q(year=period.year - 1)),
        )
    }
    plans = dict(
        AnnualPlan.objects.filter(scope, year=period.year)
        .order_by()
        .values_list("project_id", "planned_investment")
    )
    rows = []
    listed = projects.filter(not_voided())
    for project in listed.values("id", "name", "code", "status", "area__name", "area__code"):
        ytd = money(sums.get(project["id"], {}).get("this_year"))
        last = money(sums.get(project["id"], {}).get("last_year"))
        plan = money(plans.get(project["id"]))
        try:
            label = STATUS_LABELS[Status(project["status"])]
        except ValueError:
            label = project["status"]
        rows.append(
            {
                "id": project["id"],
                "name": project["name"],
                "code": project["code"],
                "area_name": project["area__name"],
                "area_code": project["area__code"],
                "status": project["status"],
                "status_label": label,
                "investment_ytd": ytd,
                "investment_ytd_last_year": last,
                "investment_ytd_yoy_pct": growth_pct(ytd, last),
                "annual_plan": plan,
                "plan_completion_pct": share_pct(ytd, plan),
            }
        )
    return rows


def monthly_series(*, project: Project, until: Period) -> list[dict[str, Any]]:
    """The project's months from its first report to `until`, for its ECharts chart.

    Each row: period, investment (that month; 0 for a month without a report),
    cumulative (since the first report) and planned_cumulative: each year's annual plan
    spread evenly over its twelve months (plan × month / 12 within a year, whole plans
    of the earlier years of the series), counted from the first report's year.
    """
    from zhenxing.projects.models import AnnualPlan, MonthlyReport

    reports = {
        Period(y, m): money(amount)
        for y, m, amount in MonthlyReport.objects.filter(project=project)
        .filter(Q(year__lt=until.year) | Q(year=until.year, month__lte=until.month))
        .order_by()
        .values_list("year", "month", "investment")
    }
    if not reports:
        return []
    start = min(reports)
    plans = {
        year: money(amount)
        for year, amount in AnnualPlan.objects.filter(
            project=project, year__gte=start.year, year__lte=until.year
        ).values_list("year", "planned_investment")
    }
    series = []
    cumulative = ZERO
    earlier_plans = ZERO
    period = start
    while period <= until:
        amount = reports.get(period, ZERO)
        cumulative += amount
        plan = plans.get(period.year, ZERO)
        planned = earlier_plans + (plan * period.month / 12).quantize(CENT)
        series.append(
            {
                "period": period,
                "investment": amount,
                "cumulative": cumulative,
                "planned_cumulative": planned,
            }
        )
        if period.month == 12:
            earlier_plans += plan
        period = period.next()
    return series


# --- the monthly report's to-do --------------------------------------------------------


def report_due(*, period: Period, projects: QuerySet[Project]) -> QuerySet[Project]:
    """The projects of `projects` that report for the month: under construction, in the
    construction library at some time during the month, or already reported for it.

    The area's report sheet lists exactly these (`projects.views.report_sheet`).
    """
    from zhenxing.projects.domain import UNDER_CONSTRUCTION
    from zhenxing.projects.models import Library, LibraryMembership, MonthlyReport

    in_library = LibraryMembership.objects.filter(
        library=Library.CONSTRUCTION, entered_on__lte=period.last_day
    ).filter(Q(left_on__isnull=True) | Q(left_on__gt=period.first_day))
    reported = MonthlyReport.objects.filter(year=period.year, month=period.month)
    return projects.filter(not_voided()).filter(
        Q(status__in=[s.value for s in UNDER_CONSTRUCTION])
        | Q(pk__in=in_library.order_by().values("project_id"))
        | Q(pk__in=reported.order_by().values("project_id"))
    )


def reports_missing(*, period: Period, projects: QuerySet[Project]) -> QuerySet[Project]:
    """The projects that report for the month (`report_due`) and have not reported yet
    (the report sheet's "only missing" view)."""
    from zhenxing.projects.models import MonthlyReport

    reported = MonthlyReport.objects.filter(year=period.year, month=period.month)
    return report_due(period=period, projects=projects).exclude(
        pk__in=reported.order_by().values("project_id")
    )


def project_history(project: Project) -> QuerySet[AuditEntry]:
    """The audit trail of a project and of what hangs on it (its monthly reports, status
    changes, library stays, key-list entries and annual plans), newest first: the
    project page's 变更记录 tab and `GET /api/v1/projects/{id}/history`. One query."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import CharField
    from django.db.models.functions import Cast

    from zhenxing.core.models import AuditEntry as Entry
    from zhenxing.projects.models import (
        AnnualPlan,
        KeyListEntry,
        LibraryMembership,
        MonthlyReport,
        StatusChange,
    )

    parts = (MonthlyReport, StatusChange, LibraryMembership, KeyListEntry, AnnualPlan)
    types = ContentType.objects.get_for_models(type(project), *parts, for_concrete_models=True)
    query = Q(content_type=types[type(project)], object_id=str(project.pk))
    for model in parts:
        # object_id is text (any model's key); the subquery casts the related keys to match
        ids = model._default_manager.filter(project=project).values_list(
            Cast("pk", output_field=CharField()), flat=True
        )
        query |= Q(content_type=types[model], object_id__in=ids)
    return (
        Entry.objects.filter(query)
        .select_related("actor", "area", "content_type")
        .order_by("-timestamp", "-id")
    )
