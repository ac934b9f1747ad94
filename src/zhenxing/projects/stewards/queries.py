"""项目管家 (project stewards): every read the steward pages, API and panels show.

Which projects a person stewards, which problems are overdue (逾期), each project's
workload (problems and visits) and the totals over a set of projects. Pages, the API,
the home panel and the demo figures all call these, so they show the same number.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from zhenxing.core import clock
from zhenxing.projects.models import Problem, ProblemStatus, Project, Visit, VisitKind
from zhenxing.projects.queries import _restricts, _scope, money

VISIT_KINDS = tuple(VisitKind.values)


# ------------------------------------------------------------------ who stewards what


def steward_project_ids(user_id: int | None) -> Iterable[int]:
    """Projects a user stewards: as the leader, or as a member of the support team.

    `core.scoping` calls this (registered in `ProjectsConfig.ready`) to widen a
    steward's view to these projects."""
    if user_id is None:
        return []
    return (
        Project.objects.filter(Q(stewardship__leader_id=user_id) | Q(team__user_id=user_id))
        .values_list("id", flat=True)
        .distinct()
    )


def own_steward_project_ids(user: Any) -> list[int]:
    """The projects `user` leads or is on the team of (not every project it may see)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(steward_project_ids(user.pk))


# ------------------------------------------------------------------ problems: overdue


def overdue_q(today: datetime.date | None = None) -> Q:
    """Open problems whose due date has passed (an open problem due today is not overdue)."""
    return Q(status=ProblemStatus.OPEN, due_date__lt=today or clock.today())


def is_overdue(problem: Problem, today: datetime.date | None = None) -> bool:
    """逾期: the problem is still open and its due date is before today."""
    today = today or clock.today()
    return problem.status == ProblemStatus.OPEN and problem.due_date < today


def days_overdue(problem: Problem, today: datetime.date | None = None) -> int:
    today = today or clock.today()
    return (today - problem.due_date).days if is_overdue(problem, today) else 0


def with_overdue(queryset: QuerySet[Problem], today: datetime.date | None = None) -> Any:
    """Annotate each problem with `overdue` (bool), computed in the database."""
    return queryset.annotate(
        overdue=models.ExpressionWrapper(overdue_q(today), output_field=models.BooleanField())
    )


# ------------------------------------------------------------------ per project


def _count(model: type[models.Model], condition: Q | None = None) -> Any:
    """Per project, the number of `model` rows matching `condition` (0 when none)."""
    rows = (
        model._default_manager.filter(project=OuterRef("pk"))
        .filter(condition or Q())
        .order_by()
        .values("project")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(rows, output_field=models.IntegerField()), 0)


def annotate_workload(queryset: QuerySet[Project], today: datetime.date | None = None) -> Any:
    """Projects with their steward figures: problems open/overdue/closed, visits by kind."""
    today = today or clock.today()
    year_start = datetime.date(today.year, 1, 1)
    this_year = Q(date__gte=year_start, date__lte=today)
    last_visit = (
        Visit.objects.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(d=Max("date"))
        .values("d")[:1]
    )
    return queryset.annotate(
        open_problems=_count(Problem, Q(status=ProblemStatus.OPEN)),
        overdue_problems=_count(Problem, overdue_q(today)),
        closed_problems=_count(Problem, Q(status=ProblemStatus.CLOSED)),
        visits_total=_count(Visit),
        visits_this_year=_count(Visit, this_year),
        visits_site=_count(Visit, Q(kind=VisitKind.SITE)),
        visits_phone=_count(Visit, Q(kind=VisitKind.PHONE)),
        visits_city_team=_count(Visit, Q(kind=VisitKind.CITY_TEAM)),
        visits_county_team=_count(Visit, Q(kind=VisitKind.COUNTY_TEAM)),
        last_visit=Subquery(last_visit, output_field=models.DateField()),
    )


# ------------------------------------------------------------------ totals


def steward_totals(
    *, projects: QuerySet[Project] | None = None, until: datetime.date | None = None
) -> dict[str, Any]:
    """The steward (项目管家) figures as at `until` (default: today).

    Over the projects in scope that have a leader since `until` at the latest. Keys:
    projects, total_investment, leaders (distinct), visits {site, phone, city_team,
    county_team}, visits_total, problems_total (raised by `until`), problems_closed
    (销号 by `until`), problems_open, problems_overdue (open at `until` and past their
    due date).
    """
    day = until or clock.today()
    # The ids are read once and passed as a list: the caller's scope as an IN-subquery
    # joined with the stewardships again made PostgreSQL loop for tens of seconds on the
    # demo. Stewarded projects are few (the key projects), so the list stays short.
    in_scope = Project.objects.filter(_scope(None, None, ""), stewardship__since__lte=day)
    if _restricts(projects):
        assert projects is not None
        in_scope = in_scope.filter(pk__in=list(projects.order_by().values_list("pk", flat=True)))
    ids = sorted(set(in_scope.order_by().values_list("pk", flat=True)))
    head = Project.objects.filter(pk__in=ids).aggregate(
        n=Count("pk"), s=models.Sum("total_investment")
    )
    head["leaders"] = Project.objects.filter(pk__in=ids, stewardship__since__lte=day).aggregate(
        leaders=Count("stewardship__leader", distinct=True)
    )["leaders"]
    visits = Visit.objects.filter(project__in=ids, date__lte=day).aggregate(
        **{kind: Count("pk", filter=Q(kind=kind)) for kind in VISIT_KINDS}
    )
    closed_by_day = Q(status="closed", closed_on__lte=day)
    problems = Problem.objects.filter(project__in=ids, raised_on__lte=day).aggregate(
        total=Count("pk"),
        closed=Count("pk", filter=closed_by_day),
        overdue=Count("pk", filter=~closed_by_day & Q(due_date__lt=day)),
    )
    visit_counts = {kind: int(visits[kind] or 0) for kind in VISIT_KINDS}
    return {
        "projects": int(head["n"] or 0),
        "total_investment": money(head["s"]),
        "leaders": int(head["leaders"] or 0),
        "visits": visit_counts,
        "visits_total": sum(visit_counts.values()),
        "problems_total": int(problems["total"] or 0),
        "problems_closed": int(problems["closed"] or 0),
        "problems_open": int(problems["total"] or 0) - int(problems["closed"] or 0),
        "problems_overdue": int(problems["overdue"] or 0),
    }


def last_visit_on(*, projects: QuerySet[Project], until: datetime.date) -> datetime.date | None:
    """The latest visit (any kind) to one of `projects` on or before `until`."""
    day: datetime.date | None = Visit.objects.filter(
        _scope(projects, None, "project"), date__lte=until
    ).aggregate(d=Max("date"))["d"]
    return day
