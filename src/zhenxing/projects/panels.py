"""The projects part's 首页 panels: the investment figures with the area's to-dos, and the
steward's own projects (registered in `ProjectsConfig.ready`)."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext

from zhenxing.core import scoping
from zhenxing.core.models import Area
from zhenxing.core.panels import (
    Figure,
    Panel,
    Severity,
    Todo,
    in_yi,
    month_caption,
    scope_label,
    ytd_caption,
)
from zhenxing.projects import queries, reporting
from zhenxing.projects.models import Problem, Project
from zhenxing.projects.stewards import queries as steward_queries


def _url(name: str, **params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(name) + (f"?{query}" if query else "")


def projects_panel(user: Any, today: datetime.date) -> Panel | None:
    """项目建设: 开复工 and investment 1–N月 of the latest closed month for the user's
    scope (the city, or the area staff's own area); to-dos: the area's projects without
    this month's report, and overdue problems."""
    grants = scoping.grants_for(user)
    if not (grants.is_city_wide_reader or grants.area_ids):
        return None
    projects = scoping.visible(user, Project.objects.filter(queries.not_voided()))
    period = reporting.last_closed_period(today=today)
    head = queries.figures(period=period, projects=projects)
    figures_url = _url("projects:figures", period=str(period))
    ytd = ytd_caption(period)
    figures = [
        Figure(
            label=gettext("开复工项目"),
            value=head.started_or_resumed,
            unit=gettext("个"),
            url=figures_url,
            caption=ytd,
        ),
        Figure(
            label=gettext("累计完成投资"),
            value=in_yi(head.investment_ytd),
            unit=gettext("亿元"),
            url=figures_url,
            delta=head.investment_ytd_yoy_pct,
            delta_label=gettext("同比"),
            caption=ytd,
        ),
    ]
    if head.plan_completion_pct is not None:
        figures.append(
            Figure(
                label=gettext("年度计划完成率"),
                value=head.plan_completion_pct,
                unit="%",
                url=figures_url,
                caption=gettext("年度计划 %(plan)s 亿元") % {"plan": in_yi(head.annual_plan)},
            )
        )

    todos = []
    filing = reporting.current_period(today=today)
    window = reporting.window(filing, today=today)
    severity: Severity = "danger" if window.locked else "warn"
    areas = list(Area.objects.filter(pk__in=grants.area_ids))
    for area in areas:
        missing = queries.reports_missing(
            period=filing, projects=projects.filter(area=area)
        ).count()
        text = gettext("%(month)s月报未填报（%(deadline)s 截止）") % {
            "month": month_caption(filing),
            "deadline": window.deadline.isoformat(),
        }
        todos.append(
            Todo(
                text=f"{area.name} {text}" if len(areas) > 1 else text,
                url=_url("projects:sheet", area=area.code, period=str(filing), missing="1"),
                count=missing,
                severity=severity,
            )
        )
    overdue = scoping.visible(
        user,
        Problem.objects.filter(steward_queries.overdue_q(today), queries.not_voided("project")),
    )
    todos.append(
        Todo(
            text=gettext("逾期未销号的问题"),
            url=_url("stewards:problems", overdue="1"),
            count=overdue.count(),
            severity="danger",
        )
    )
    return Panel(
        title=gettext("项目建设"),
        scope=scope_label(user),
        figures=figures,
        todos=todos,
        url=figures_url,
    )


def steward_panel(user: Any, today: datetime.date) -> Panel | None:
    """项目管家: the projects the user leads or is on the team of, their open and overdue
    problems and the last visit (the figures of 我的包保项目)."""
    own_ids = steward_queries.own_steward_project_ids(user)
    if not own_ids and not scoping.is_steward(user):
        return None
    own = scoping.visible(user, Project.objects.filter(queries.not_voided(), pk__in=own_ids))
    totals = steward_queries.steward_totals(projects=own, until=today)
    last_visit = steward_queries.last_visit_on(projects=own, until=today)
    figures = [
        Figure(
            label=gettext("我的包保项目"),
            value=totals["projects"],
            unit=gettext("个"),
            url=_url("stewards:mine"),
            caption=gettext("总投资 %(total)s 亿元") % {"total": in_yi(totals["total_investment"])},
        ),
        Figure(
            label=gettext("最近走访"),
            value=last_visit,
            url=_url("stewards:mine", sort="-last_visit"),
            caption=(
                gettext("距今 %(days)s 天") % {"days": (today - last_visit).days}
                if last_visit
                else gettext("暂无走访记录")
            ),
        ),
    ]
    todos = [
        Todo(
            text=gettext("未销号的问题"),
            url=_url("stewards:mine", sort="-open_problems"),
            count=totals["problems_open"],
            severity="warn",
        ),
        Todo(
            text=gettext("其中已逾期"),
            url=_url("stewards:mine", sort="-overdue_problems"),
            count=totals["problems_overdue"],
            severity="danger",
        ),
    ]
    return Panel(
        title=gettext("项目管家"),
        figures=figures,
        todos=todos,
        url=_url("stewards:mine"),
    )
