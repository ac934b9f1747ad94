"""项目管家 pages: my projects, the city overview, the project's "一张图表", problems, visits."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, Count, Q, Value, When
from django.db.models import CharField as CharFieldType
from django.forms import Form
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from zhenxing.core import charts, clock, money, scoping
from zhenxing.core.forms import form_page
from zhenxing.core.listing import Column, Filter, ListSpec, area_choices, choices_of
from zhenxing.core.models import Department
from zhenxing.core.periods import Period
from zhenxing.core.roles import Action
from zhenxing.projects import queries
from zhenxing.projects.models import (
    STATUS_CHOICES,
    Problem,
    ProblemStatus,
    Project,
    Stewardship,
    TeamMember,
    Visit,
    VisitKind,
    VisitPhoto,
)
from zhenxing.projects.stewards import queries as steward_queries
from zhenxing.projects.stewards import services
from zhenxing.projects.stewards.forms import (
    ProblemCloseForm,
    ProblemForm,
    ProblemReopenForm,
    StewardshipForm,
    TeamMemberForm,
    VisitForm,
)

RECENT_VISITS = 10
RECENT_CLOSED = 20

# Short names of the visit kinds for column headers and card captions.
KIND_SHORT = {
    VisitKind.SITE: _("领导现场"),
    VisitKind.PHONE: _("领导电话"),
    VisitKind.CITY_TEAM: _("市级团队"),
    VisitKind.COUNTY_TEAM: _("县区团队"),
}


# ------------------------------------------------------------------ small helpers


class AlertCount(int):
    """A count shown in red when it is above zero (overdue problems)."""

    @property
    def danger(self) -> bool:
        return self > 0


class AlertText(str):
    """A cell text shown in red (逾期 N 天)."""

    danger = True


def yi(value: Any) -> Decimal | None:
    """Yuan as 亿元, two decimals (a number, so the Excel export stays numeric)."""
    return None if value is None else money.in_yi(value)


def wan(value: Any) -> Decimal | None:
    return None if value is None else money.in_wan(value)


def _url(name: str, *args: Any) -> str | None:
    """A URL of another part, or None while that part has not landed."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _one_chart_url(project_id: int, anchor: str = "") -> str:
    """A project's 一张图表 page, at one of its sections (`anchor`) when given."""
    url = reverse("stewards:project", args=[project_id])
    return f"{url}#{anchor}" if anchor else url


def _crumbs(*items: tuple[Any, str | None]) -> list[dict[str, Any]]:
    crumbs: list[dict[str, Any]] = []
    projects = _url("projects:list")
    if projects:
        crumbs.append({"label": gettext("项目"), "url": projects})
    crumbs.append({"label": gettext("项目管家"), "url": reverse("stewards:overview")})
    crumbs.extend({"label": label, "url": url} for label, url in items)
    return crumbs


def _in_projects(request: HttpRequest) -> None:
    request.nav_part = "projects"  # type: ignore[attr-defined]


def _project_scope(project: Project) -> dict[str, Any]:
    return {"project__area": project.area_id, "project": project.pk}


def _can_create(user: Any, model: Any, project: Project) -> bool:
    return scoping.can(user, Action.CREATE, model=model, values=_project_scope(project))


def _department_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [(str(d.pk), str(d)) for d in Department.objects.all()]


def _leader_choices(request: HttpRequest) -> list[tuple[str, str]]:
    stewardships = scoping.visible(
        request.user, Stewardship.objects.select_related("leader")
    ).order_by("leader__display_name", "leader__username")
    seen: dict[str, str] = {}
    for s in stewardships:
        seen.setdefault(str(s.leader_id), str(s.leader))
    return list(seen.items())


def _steward_project_choices(request: HttpRequest) -> list[tuple[str, str]]:
    projects = scoping.visible(
        request.user,
        Project.objects.filter(
            Q(stewardship__isnull=False) | Q(problem_items__isnull=False) | Q(visits__isnull=False),
            queries.not_voided(),
        ),
    ).distinct()
    return [(str(p.pk), p.name) for p in projects.order_by("name")]


def _year_choices(request: HttpRequest) -> list[tuple[str, str]]:
    this_year = clock.today().year
    years = range(this_year, this_year - 6, -1)
    return [(str(y), gettext("%(year)s年") % {"year": y}) for y in years]


def _render_list(request: HttpRequest, spec: ListSpec, **extra: Any) -> HttpResponse:
    _in_projects(request)
    return dataclasses.replace(spec, extra_context={**spec.extra_context, **extra}).render(request)


# ------------------------------------------------------------------ lists


PROJECT_COLUMNS_HEAD = [
    Column("name", _("项目名称"), sort="name", link=True),
    Column("area", _("所在区域"), sort="area__sort_order"),
]


def _mine_queryset(request: HttpRequest) -> Any:
    ids = steward_queries.own_steward_project_ids(request.user)
    user_id = request.user.pk
    projects = Project.objects.filter(queries.not_voided(), pk__in=ids).select_related(
        "area", "stewardship__leader"
    )
    return steward_queries.annotate_workload(projects).annotate(
        my_role=Case(
            When(stewardship__leader_id=user_id, then=Value(gettext("包保领导"))),
            default=Value(gettext("帮办团队")),
            output_field=CharFieldType(),
        )
    )


MINE_LIST = ListSpec(
    title=_("我的包保项目"),
    queryset=_mine_queryset,
    columns=[
        *PROJECT_COLUMNS_HEAD,
        Column("my_role", _("我的角色")),
        Column(
            "total_investment",
            _("总投资（亿元）"),
            sort="total_investment",
            numeric=True,
            value=lambda p: yi(p.total_investment),
        ),
        Column("get_status_display", _("状态"), sort="status"),
        Column("open_problems", _("未销号问题"), sort="open_problems", numeric=True),
        Column(
            "overdue_problems",
            _("逾期问题"),
            sort="overdue_problems",
            numeric=True,
            value=lambda p: AlertCount(p.overdue_problems),
        ),
        Column("last_visit", _("最近走访"), sort="last_visit"),
        Column("visits_this_year", _("本年走访（次）"), sort="visits_this_year", numeric=True),
    ],
    filters=[Filter("q", _("关键词"), "", keyword_fields=("name", "code"))],
    default_sort="name",
    export_name="我的包保项目",
    template="projects/stewards/mine.html",
    link=lambda project: _one_chart_url(project.pk),
)


@login_required
def steward_mine(request: HttpRequest) -> HttpResponse:
    """我的包保项目: the projects the user leads or is on the team of, and its workload."""
    today = clock.today()
    own = Project.objects.filter(pk__in=steward_queries.own_steward_project_ids(request.user))
    totals = steward_queries.steward_totals(
        projects=scoping.visible(request.user, own), until=today
    )
    year_start = datetime.date(today.year, 1, 1)
    this_year = scoping.visible(
        request.user, Visit.objects.filter(project__in=own, date__gte=year_start, date__lte=today)
    )
    by_kind = dict(
        this_year.order_by().values_list("kind").annotate(n=Count("pk")).values_list("kind", "n")
    )
    workload = {
        "projects": totals["projects"],
        "leading": Stewardship.objects.filter(leader_id=request.user.pk).count(),
        "total_investment": totals["total_investment"],
        "visits_year": [(str(KIND_SHORT[kind]), by_kind.get(kind, 0)) for kind in VisitKind],
        "visits_year_total": sum(by_kind.values()),
        "problems_open": totals["problems_open"],
        "problems_overdue": totals["problems_overdue"],
        "problems_closed": totals["problems_closed"],
        "year": today.year,
    }
    return _render_list(
        request,
        MINE_LIST,
        workload=workload,
        breadcrumbs=_crumbs((gettext("我的包保项目"), None)),
    )


def _overview_queryset(request: HttpRequest) -> Any:
    return steward_queries.annotate_workload(
        Project.objects.filter(queries.not_voided(), stewardship__isnull=False).select_related(
            "area", "stewardship__leader"
        )
    )


OVERVIEW_LIST = ListSpec(
    title=_("项目管家"),
    queryset=_overview_queryset,
    columns=[
        *PROJECT_COLUMNS_HEAD,
        Column("stewardship__leader", _("包保领导"), sort="stewardship__leader__display_name"),
        Column(
            "total_investment",
            _("总投资（亿元）"),
            sort="total_investment",
            numeric=True,
            value=lambda p: yi(p.total_investment),
        ),
        Column("get_status_display", _("状态"), sort="status"),
        *(
            Column(f"visits_{kind}", KIND_SHORT[kind], sort=f"visits_{kind}", numeric=True)
            for kind in VisitKind
        ),
        Column("closed_problems", _("已销号"), sort="closed_problems", numeric=True),
        Column("open_problems", _("未销号"), sort="open_problems", numeric=True),
        Column(
            "overdue_problems",
            _("逾期"),
            sort="overdue_problems",
            numeric=True,
            value=lambda p: AlertCount(p.overdue_problems),
        ),
    ],
    filters=[
        Filter("area", _("区域"), "area_id", choices=area_choices),
        Filter("leader", _("包保领导"), "stewardship__leader_id", choices=_leader_choices),
        Filter("status", _("状态"), "status", choices=choices_of(STATUS_CHOICES)),
        Filter("q", _("关键词"), "", keyword_fields=("name", "code")),
    ],
    default_sort="name",
    export_name="项目管家",
    personal_data=True,  # the leaders and team members by name
    template="projects/stewards/overview.html",
    link=lambda project: _one_chart_url(project.pk),
)


@login_required
def steward_overview(request: HttpRequest) -> HttpResponse:
    """The city's steward projects: leaders, visits by kind, problems solved/open/overdue."""
    projects = scoping.visible(request.user, Project.objects.filter(stewardship__isnull=False))
    totals = steward_queries.steward_totals(projects=projects, until=clock.today())
    kinds = [(str(KIND_SHORT[kind]), totals["visits"][kind]) for kind in VisitKind]
    return _render_list(
        request,
        OVERVIEW_LIST,
        totals=totals,
        visit_kinds=kinds,
        can_see_mine=bool(steward_queries.own_steward_project_ids(request.user)),
        breadcrumbs=_crumbs(),
    )


def _problem_queryset(request: HttpRequest) -> Any:
    return steward_queries.with_overdue(
        Problem.objects.select_related("project__area", "owner_department")
    )


def _overdue_label(problem: Any) -> str:
    days = steward_queries.days_overdue(problem)
    return AlertText(gettext("逾期 %(days)s 天") % {"days": days}) if days else ""


PROBLEM_LIST = ListSpec(
    title=_("问题清单"),
    queryset=_problem_queryset,
    columns=[
        Column("title", _("问题"), sort="title", link=True),
        Column("project__name", _("项目"), sort="project__name"),
        Column("project__area", _("所在区域"), sort="project__area__sort_order"),
        Column("owner_department", _("责任部门"), sort="owner_department__sort_order"),
        Column("raised_on", _("提出日期"), sort="raised_on"),
        Column("due_date", _("办结时限"), sort="due_date"),
        Column("get_status_display", _("状态"), sort="status"),
        Column("overdue_label", _("是否逾期"), sort="overdue", value=_overdue_label),
        Column("closed_on", _("销号日期"), sort="closed_on"),
        Column("resolution", _("解决情况")),
    ],
    filters=[
        Filter(
            "status",
            _("状态"),
            "status",
            choices=choices_of(ProblemStatus.choices),
        ),
        Filter(
            "overdue",
            _("逾期"),
            "overdue",
            choices=lambda r: [("1", gettext("已逾期")), ("0", gettext("未逾期"))],
        ),
        Filter("department", _("责任部门"), "owner_department_id", choices=_department_choices),
        Filter("area", _("区域"), "project__area_id", choices=area_choices),
        Filter("project", _("项目"), "project_id", choices=_steward_project_choices),
        Filter("q", _("关键词"), "", keyword_fields=("title", "description", "project__name")),
    ],
    default_sort="due_date",
    export_name="问题清单",
    template="projects/stewards/problems.html",
    link=lambda problem: _one_chart_url(problem.project_id, "problems"),
)


@login_required
def problem_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request, PROBLEM_LIST, breadcrumbs=_crumbs((gettext("问题清单"), None)))


def _visit_queryset(request: HttpRequest) -> Any:
    return Visit.objects.select_related("project__area").annotate(photo_count=Count("photos"))


def _short(text: str, length: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


VISIT_LIST = ListSpec(
    title=_("走访记录"),
    queryset=_visit_queryset,
    columns=[
        Column("date", _("走访日期"), sort="date"),
        Column("project__name", _("项目"), sort="project__name", link=True),
        Column("project__area", _("所在区域"), sort="project__area__sort_order"),
        Column("get_kind_display", _("类型"), sort="kind"),
        Column("visitors", _("参加人员")),
        Column("notes", _("情况记录"), value=lambda v: _short(v.notes)),
        Column("photo_count", _("照片（张）"), sort="photo_count", numeric=True),
    ],
    filters=[
        Filter("kind", _("类型"), "kind", choices=choices_of(VisitKind.choices)),
        Filter("year", _("年度"), "date__year", choices=_year_choices),
        Filter("area", _("区域"), "project__area_id", choices=area_choices),
        Filter("project", _("项目"), "project_id", choices=_steward_project_choices),
        Filter("q", _("关键词"), "", keyword_fields=("visitors", "notes", "project__name")),
    ],
    default_sort="-date",
    export_name="走访记录",
    personal_data=True,  # names of the people who acted / took part
    template="projects/stewards/visits.html",
    link=lambda visit: _one_chart_url(visit.project_id, "visits"),
)


@login_required
def visit_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request, VISIT_LIST, breadcrumbs=_crumbs((gettext("走访记录"), None)))


# ------------------------------------------------------------------ 一张图表


def _chart(series: list[dict[str, Any]], project: Project) -> dict[str, Any]:
    """The ECharts option: planned vs actual cumulative investment, monthly bars."""
    months = [str(row["period"]) for row in series]
    return {
        # the page heading names the chart; the title is kept for screen readers
        "title": {"text": gettext("计划与实际累计投资"), "show": False},
        "tooltip": {"trigger": "axis"},
        **charts.frame(),
        "xAxis": {"type": "category", "data": months},
        "yAxis": [
            {"type": "value", "name": gettext("累计（亿元）")},
            {"type": "value", "name": gettext("当月（万元）"), "splitLine": {"show": False}},
        ],
        "series": [
            {
                "name": gettext("当月完成投资（万元）"),
                "type": "bar",
                "yAxisIndex": 1,
                "data": [float(wan(row["investment"]) or 0) for row in series],
                "itemStyle": {"color": "#b7cbea"},
            },
            {
                "name": gettext("计划累计投资（亿元）"),
                "type": "line",
                "data": [float(yi(row["planned_cumulative"]) or 0) for row in series],
                "lineStyle": {"type": "dashed"},
                "itemStyle": {"color": "#8a4b00"},
                "symbol": "none",
            },
            {
                "name": gettext("实际累计投资（亿元）"),
                "type": "line",
                "data": [float(yi(row["cumulative"]) or 0) for row in series],
                "itemStyle": {"color": "#1f5fbf"},
            },
        ],
    }


def _series_rows(series: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for row in series:
        planned = row["planned_cumulative"]
        pct = (row["cumulative"] / planned * 100).quantize(Decimal("0.1")) if planned else None
        period = row["period"]
        rows.append(
            {
                "label": period.label_for(get_language())
                if isinstance(period, Period)
                else str(period),
                "investment": row["investment"],
                "cumulative": row["cumulative"],
                "planned_cumulative": planned,
                "pct": pct,
            }
        )
    return rows


def _load_project(request: HttpRequest, pk: int) -> Project:
    return scoping.get_for_user(
        request.user,
        Project.objects.select_related("area", "department", "owner_enterprise"),
        pk=pk,
    )


def _sheet_context(request: HttpRequest, project: Project) -> dict[str, Any]:
    user = request.user
    today = clock.today()
    stewardship = scoping.visible(
        user, Stewardship.objects.select_related("leader").filter(project=project)
    ).first()
    team = scoping.visible(
        user, TeamMember.objects.filter(project=project).select_related("department", "user")
    )
    problems = scoping.visible(
        user,
        steward_queries.with_overdue(
            Problem.objects.filter(project=project).select_related("owner_department")
        ),
    )
    open_problems = list(problems.filter(status=ProblemStatus.OPEN).order_by("due_date", "pk"))
    for problem in open_problems:
        problem.days_overdue = steward_queries.days_overdue(problem, today)
    closed = problems.filter(status=ProblemStatus.CLOSED).order_by("-closed_on", "-pk")
    visits = scoping.visible(
        user, Visit.objects.filter(project=project).prefetch_related("photos")
    ).order_by("-date", "-pk")
    visit_count = visits.count()
    series = queries.monthly_series(project=project, until=Period.of(today))
    year_start = datetime.date(today.year, 1, 1)
    can_problem = _can_create(user, Problem, project)
    can_assign = (
        scoping.can(user, Action.CHANGE, stewardship)
        if stewardship
        else _can_create(user, Stewardship, project)
    )
    cumulative = series[-1]["cumulative"] if series else Decimal("0")
    planned = series[-1]["planned_cumulative"] if series else Decimal("0")
    return {
        "project": project,
        "stewardship": stewardship,
        "team": list(team),
        "open_problems": open_problems,
        "overdue_count": sum(1 for p in open_problems if p.days_overdue),
        "closed_problems": list(closed[:RECENT_CLOSED]),
        "closed_count": closed.count(),
        "visits": list(visits[:RECENT_VISITS]),
        "visit_count": visit_count,
        "visits_this_year": visits.filter(date__gte=year_start, date__lte=today).count(),
        "milestones": project.status_changes.order_by("date", "pk"),
        "series": _series_rows(series),
        "chart": _chart(series, project) if series else None,
        "cumulative": cumulative,
        "planned_cumulative": planned,
        "cumulative_pct": (cumulative / project.total_investment * 100).quantize(Decimal("0.1"))
        if project.total_investment
        else None,
        "today": today,
        "can_visit": _can_create(user, Visit, project),
        "can_problem": can_problem,
        "can_close": can_problem,
        "can_assign": can_assign,
        "can_team": _can_create(user, TeamMember, project),
        "project_url": _url("projects:detail", project.pk),
        "visit_form": VisitForm(auto_id="visit_%s", user=user, project=project),
        "problem_form": ProblemForm(auto_id="problem_%s"),
        "close_form": ProblemCloseForm(),
        "reopen_form": ProblemReopenForm(),
        "breadcrumbs": _crumbs((project.name, None)),
    }


@login_required
def steward_project(request: HttpRequest, pk: int) -> HttpResponse:
    """The project's "一张图表": leader, team, planned vs actual, milestones, problems, visits."""
    _in_projects(request)
    project = _load_project(request, pk)
    return render(request, "projects/stewards/project.html", _sheet_context(request, project))


# ------------------------------------------------------------------ writes


def _form_page(
    request: HttpRequest,
    form: Form,
    action: Any,
    *,
    project: Project,
    title: str,
    success: str,
    then: str,
    **extra: Any,
) -> HttpResponse:
    """A steward form (a visit, a problem, the leader, the team): `core.forms.form_page`
    on the steward form template, under the project's one-chart page (the form posts
    back to the page's own address)."""
    return form_page(
        request,
        form,
        action,
        template="projects/stewards/form.html",
        context={
            "project": project,
            "title": title,
            "breadcrumbs": _crumbs(
                (project.name, reverse("stewards:project", args=[project.pk])), (title, None)
            ),
            **extra,
        },
        success=success,
        then=then,
    )


def _project_for_new(request: HttpRequest, pk: int, model: Any) -> Project:
    """The project a new `model` record (a visit, a problem, a team member) hangs off,
    once it is clear the user may add one there."""
    _in_projects(request)
    project = _load_project(request, pk)
    scoping.require(request.user, Action.CREATE, model=model, values=_project_scope(project))
    return project


def _back_to_project(project: Project, anchor: str = "") -> HttpResponse:
    return redirect(_one_chart_url(project.pk, anchor))


@login_required
def visit_new(request: HttpRequest, pk: int) -> HttpResponse:
    """登记走访, with photos (multipart)."""
    project = _project_for_new(request, pk, Visit)
    form = VisitForm(
        request.POST or None, request.FILES or None, user=request.user, project=project
    )
    return _form_page(
        request,
        form,
        lambda data: services.visit_record(
            user=request.user,
            project=project,
            kind=data["kind"],
            date=data["date"],
            visitors=data["visitors"],
            notes=data["notes"],
            photos=data["photos"],
        ),
        project=project,
        title=gettext("登记走访"),
        success=gettext("走访已登记"),
        then=_one_chart_url(project.pk, "visits"),
        multipart=True,
    )


@login_required
def problem_new(request: HttpRequest, pk: int) -> HttpResponse:
    """提出问题."""
    project = _project_for_new(request, pk, Problem)
    form = ProblemForm(request.POST or None)
    return _form_page(
        request,
        form,
        lambda data: services.problem_raise(user=request.user, project=project, **data),
        project=project,
        title=gettext("提出问题"),
        success=gettext("问题已登记"),
        then=_one_chart_url(project.pk, "problems"),
    )


def _load_problem(request: HttpRequest, pk: int) -> Problem:
    return scoping.get_for_user(
        request.user,
        Problem.objects.select_related("project__area", "owner_department"),
        Action.CHANGE,
        pk=pk,
    )


def _problem_change(
    request: HttpRequest,
    pk: int,
    *,
    already: str,
    already_message: str,
    form_class: type[Form],
    act: Callable[[Problem, dict[str, Any]], Any],
    title: str,
    success: str,
    anchor: str,
) -> HttpResponse:
    """销号 or reopening: a problem already in the state asked for is said so (not an
    error: a second click, an old link); otherwise the form and the service."""
    _in_projects(request)
    problem = _load_problem(request, pk)
    if problem.status == already and request.method != "POST":
        messages.info(request, already_message % {"title": problem.title})
        return _back_to_project(problem.project, anchor)
    return _form_page(
        request,
        form_class(request.POST or None),
        lambda data: act(problem, data),
        project=problem.project,
        title=title,
        success=success % {"title": problem.title},
        then=_one_chart_url(problem.project.pk, "problems"),
        problem=problem,
    )


@login_required
def problem_close(request: HttpRequest, pk: int) -> HttpResponse:
    """销号: one problem, with its resolution."""
    return _problem_change(
        request,
        pk,
        already=ProblemStatus.CLOSED,
        already_message=gettext("该问题已销号：%(title)s"),
        form_class=ProblemCloseForm,
        act=lambda problem, data: services.problem_close(
            user=request.user, problem=problem, **data
        ),
        title=gettext("问题销号"),
        success=gettext("问题已销号：%(title)s"),
        anchor="closed",
    )


@login_required
def problem_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _problem_change(
        request,
        pk,
        already=ProblemStatus.OPEN,
        already_message=gettext("该问题尚未销号：%(title)s"),
        form_class=ProblemReopenForm,
        act=lambda problem, data: services.problem_reopen(
            user=request.user, problem=problem, reason=data["reason"]
        ),
        title=gettext("重新打开问题"),
        success=gettext("问题已重新打开：%(title)s"),
        anchor="problems",
    )


@login_required
def stewardship_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """指定或更换包保领导 (city administrators and department staff)."""
    _in_projects(request)
    project = _load_project(request, pk)
    current = Stewardship.objects.filter(project=project).select_related("leader").first()
    if current is not None:
        scoping.require(request.user, Action.CHANGE, current)
    else:
        scoping.require(
            request.user, Action.CREATE, model=Stewardship, values=_project_scope(project)
        )
    form = StewardshipForm(request.POST or None)
    return _form_page(
        request,
        form,
        lambda data: services.stewardship_assign(user=request.user, project=project, **data),
        project=project,
        title=gettext("更换包保领导") if current else gettext("指定包保领导"),
        success=gettext("包保领导已保存"),
        then=_one_chart_url(project.pk),
        stewardship=current,
    )


@login_required
def team_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a member to the support team (帮办团队)."""
    project = _project_for_new(request, pk, TeamMember)
    form = TeamMemberForm(request.POST or None)
    return _form_page(
        request,
        form,
        lambda data: services.team_member_add(user=request.user, project=project, **data),
        project=project,
        title=gettext("添加帮办团队成员"),
        success=gettext("已加入帮办团队"),
        then=_one_chart_url(project.pk, "team"),
    )


@login_required
@require_POST
def team_remove(request: HttpRequest, pk: int) -> HttpResponse:
    member = scoping.get_for_user(
        request.user, TeamMember.objects.select_related("project"), Action.DELETE, pk=pk
    )
    project = member.project
    services.team_member_remove(user=request.user, member=member)
    messages.success(request, gettext("已移出帮办团队：%(name)s") % {"name": member.name})
    return _back_to_project(project, "team")


def photo_file(photo: VisitPhoto) -> FileResponse:
    """A stored visit photo as the browser or the API gets it (a missing file is 404)."""
    try:
        handle = photo.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise scoping.NotFound() from exc
    kind = services.photo_type(handle) or "application/octet-stream"
    response = FileResponse(handle, content_type=kind)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response


@login_required
def photo(request: HttpRequest, pk: int) -> FileResponse:
    """A visit photo, for those who may see the visit (photos are not public media)."""
    return photo_file(scoping.get_for_user(request.user, VisitPhoto, pk=pk))
