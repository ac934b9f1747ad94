"""Project pages: the list, a project's record with its tabs, the forms that change it,
the monthly report (one project, or an area's whole month), and the figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import FilteredRelation, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from zhenxing.clusters.models import Cluster
from zhenxing.core import charts, clock, excel, money, scoping
from zhenxing.core.forms import form_page, submit, within_bounds
from zhenxing.core.listing import PAGE_SIZE, Column, Filter, ListSpec, area_choices, choices_of
from zhenxing.core.models import Area
from zhenxing.core.money import wan_to_yuan
from zhenxing.core.periods import Period, PeriodError
from zhenxing.core.roles import Action
from zhenxing.core.services import DomainError
from zhenxing.projects import queries, reporting, services
from zhenxing.projects.domain import STATUS_LABELS, Status
from zhenxing.projects.forms import (
    AnnualPlanForm,
    KeyListForm,
    LibraryForm,
    ProjectCreateForm,
    ProjectForm,
    ReportForm,
    StatusChangeForm,
    VoidForm,
    report_initial,
)
from zhenxing.projects.models import (
    KeyList,
    KeyListEntry,
    Library,
    LibraryMembership,
    MonthlyReport,
    Project,
)

# blue while under construction, green when done, grey before the start and when ended
STATUS_BADGE = {
    Status.NEW_START: "",
    Status.CONTINUING: "",
    Status.RESUMED: "",
    Status.COMPLETED: "badge-ok",
    Status.IN_PRODUCTION: "badge-ok",
}
LIBRARY_SHORT = {
    Library.RESERVE: _("储备"),
    Library.CONSTRUCTION: _("建设"),
    Library.KEY: _("重点"),
}


class Badges(str):
    """Text for the Excel export, badges on the page (`__html__`)."""

    badges: list[tuple[str, str]]

    def __new__(cls, badges: list[tuple[str, str]]) -> Badges:
        obj = super().__new__(cls, "、".join(label for label, _ in badges))
        obj.badges = badges
        return obj

    def __str__(self) -> str:
        return self

    def __html__(self) -> str:
        if not self.badges:
            return "-"
        return str(
            format_html_join(
                " ",
                '<span class="{}">{}</span>',
                ((f"badge {c}".strip(), t) for t, c in self.badges),
            )
        )


def _wan(project: Project) -> money.Wan | None:
    return money.wan(project.total_investment)


def _library_badges(project: Project) -> Badges:
    badges = [
        (str(LIBRARY_SHORT[Library(m.library)]), "")
        for m in sorted(getattr(project, "open_libraries", []), key=lambda m: m.library)
    ]
    badges += [(e.key_list.name, "badge-muted") for e in getattr(project, "open_key_lists", [])]
    return Badges(badges)


def _status_badge(project: Project) -> Badges:
    status = Status(project.status)
    badges = [(gettext(STATUS_LABELS[status]), STATUS_BADGE.get(status, "badge-muted"))]
    if project.voided_at is not None:
        badges.insert(0, (gettext("已作废"), "badge-danger"))
    return Badges(badges)


# Voided projects (作废) are listed only when asked for: 含已作废 or 仅已作废.
VOIDED_CHOICES = [("include", _("含已作废")), ("only", _("仅已作废"))]


def _voided(qs: QuerySet[Project], value: str) -> QuerySet[Project]:
    return qs.filter(voided_at__isnull=False) if value == "only" else qs


def _open_stays() -> list[Prefetch]:
    return [
        Prefetch(
            "libraries",
            queryset=LibraryMembership.objects.filter(left_on__isnull=True),
            to_attr="open_libraries",
        ),
        Prefetch(
            "key_lists",
            queryset=KeyListEntry.objects.filter(left_on__isnull=True).select_related("key_list"),
            to_attr="open_key_lists",
        ),
    ]


def _list_queryset(request: HttpRequest) -> QuerySet[Project]:
    projects = Project.objects.all()
    if request.GET.get("voided") not in {k for k, _label in VOIDED_CHOICES}:
        projects = projects.filter(voided_at__isnull=True)
    return (
        projects.select_related(
            "area", "cluster", "cluster__scheme", "industry", "department", "owner_enterprise"
        )
        .annotate(
            open_library=FilteredRelation(
                "libraries", condition=Q(libraries__left_on__isnull=True)
            ),
            open_key_list=FilteredRelation(
                "key_lists", condition=Q(key_lists__left_on__isnull=True)
            ),
        )
        .prefetch_related(*_open_stays())
    )


def _cluster_choices(request: HttpRequest) -> list[tuple[str, str]]:
    clusters = Cluster.objects.select_related("scheme").order_by(
        "-scheme__valid_from", "sort_order"
    )
    return [(str(c.pk), f"{c.scheme.display_short_name} · {c}") for c in clusters]


def _key_list_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [(k.code, k.name) for k in KeyList.objects.all()]


def _list_actions(request: HttpRequest) -> list[dict[str, str]]:
    actions = [{"label": gettext("投资统计"), "url": reverse("projects:figures"), "style": ""}]
    if scoping.can(request.user, Action.CREATE, model=MonthlyReport):
        actions.insert(
            0, {"label": gettext("月度填报"), "url": reverse("projects:sheet"), "style": ""}
        )
    if scoping.can(request.user, Action.CREATE, model=Project):
        actions.insert(
            0, {"label": gettext("新建项目"), "url": reverse("projects:create"), "style": "primary"}
        )
    return actions


def _open_library_names(project: Project) -> str:
    stays = sorted(getattr(project, "open_libraries", []), key=lambda m: m.library)
    return "、".join(str(Library(m.library).label) for m in stays)


def _open_key_list_names(project: Project) -> str:
    return "、".join(e.key_list.name for e in getattr(project, "open_key_lists", []))


def _cluster_name(project: Project) -> str:
    cluster = project.cluster
    return f"{cluster.scheme.display_short_name} · {cluster}" if cluster else ""


def _industry_name(project: Project) -> str:
    return f"{project.industry.code} {project.industry.name}" if project.industry else ""


# The export carries every field the list filters on and the project's key facts, so that
# a filtered list can be worked on in Excel without opening each record.
PROJECT_EXPORT_COLUMNS = [
    Column("code", _("项目代码")),
    Column("name", _("项目名称")),
    Column("area", _("所在区域")),
    Column("status", _("状态"), value=lambda p: STATUS_LABELS[Status(p.status)]),
    Column("status_since", _("状态日期")),
    Column("libraries", _("项目库"), value=_open_library_names),
    Column("key_lists", _("重点清单"), value=_open_key_list_names),
    Column("cluster", _("产业集群"), value=_cluster_name),
    Column("industry", _("所属行业"), value=_industry_name),
    Column("policy_category", _("政策类别"), value=lambda p: p.get_policy_category_display()),
    Column("owner_name", _("项目单位名称")),
    Column(
        "owner_enterprise__uscc",
        _("项目单位统一社会信用代码"),
        value=lambda p: p.owner_enterprise.uscc if p.owner_enterprise else "",
    ),
    Column("department__name", _("责任部门")),
    Column("location", _("建设地点")),
    Column("total_investment", _("总投资（万元）"), value=_wan, numeric=True),
    Column("planned_start", _("计划开工")),
    Column("planned_finish", _("计划竣工")),
    Column("description", _("建设内容")),
    Column("voided_at", _("作废"), value=lambda p: clock.local(p.voided_at) if p.voided_at else ""),
    Column("void_reason", _("作废原因")),
]


PROJECT_LIST = ListSpec(
    title=_("项目库"),
    queryset=_list_queryset,
    columns=[
        Column("code", _("项目代码"), sort="code", css="code"),
        Column("name", _("项目名称"), sort="name", link=True),
        Column("area", _("所在区域"), sort="area__sort_order", css="nowrap"),
        Column("status", _("状态"), sort="status", value=_status_badge, css="nowrap"),
        Column(
            "total_investment",
            _("总投资（万元）"),
            sort="total_investment",
            value=_wan,
            numeric=True,
        ),
        Column("libraries", _("项目库 / 清单"), value=_library_badges),
    ],
    filters=[
        Filter("area", _("区域"), "area_id", choices=lambda r: area_choices(r, city=False)),
        Filter(
            "status",
            _("状态"),
            "status",
            choices=lambda r: [(s.value, gettext(STATUS_LABELS[s])) for s in Status],
        ),
        Filter(
            "library",
            _("项目库"),
            "open_library__library",
            choices=choices_of(Library.choices),
        ),
        Filter(
            "key_list", _("重点清单"), "open_key_list__key_list__code", choices=_key_list_choices
        ),
        Filter("cluster", _("产业集群"), "cluster_id", choices=_cluster_choices),
        Filter("q", _("关键词"), "", keyword_fields=("name", "code", "owner_name")),
        Filter(
            "voided",
            _("作废"),
            "",
            choices=lambda r: [(k, str(v)) for k, v in VOIDED_CHOICES],
            apply=_voided,
        ),
    ],
    default_sort="",
    export_name="项目库",
    export_columns=PROJECT_EXPORT_COLUMNS,
    actions=_list_actions,
)


project_list = PROJECT_LIST.as_view()


# --- the record ----------------------------------------------------------------


TABS = [
    ("basic", _("基本信息")),
    ("reports", _("月度填报")),
    ("status", _("状态变更")),
    ("steward", _("项目管家")),
    ("history", _("变更记录")),
]


def _load(request: HttpRequest, pk: int, action: str = Action.VIEW) -> Project:
    return scoping.get_for_user(
        request.user,
        Project.objects.select_related(
            "area", "cluster", "cluster__scheme", "industry", "department", "owner_enterprise"
        ).prefetch_related(*_open_stays()),
        action,
        pk=pk,
    )


def _year_of(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = clock.today().year
    return year if 2000 <= year <= clock.today().year + 1 else clock.today().year


def _report_months(project: Project, year: int) -> list[dict[str, Any]]:
    """One row per month of `year` up to this month: the report, or none, and the window."""
    today = clock.today()
    last = 12 if year < today.year else today.month if year == today.year else 0
    periods = [Period(year, m) for m in range(1, last + 1)]
    wins = reporting.windows(periods, today=today)
    reports = {
        r.month: r
        for r in project.reports.filter(year=year).select_related(
            "submitted_by", "unusual_confirmed_by"
        )
    }
    rows = []
    total = Decimal(0)
    for period in periods:
        report = reports.get(period.month)
        if report is not None:
            total += report.investment
        rows.append(
            {
                "period": period,
                "report": report,
                "window": wins[period],
                "cumulative": total if report is not None else None,
            }
        )
    return rows


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = _load(request, pk)
    tab = request.GET.get("tab", "basic")
    if tab not in {t for t, _ in TABS}:
        tab = "basic"
    year = _year_of(request)
    context: dict[str, Any] = {
        "project": project,
        "tab": tab,
        "tabs": TABS,
        "status_badge": _status_badge(project),
        "library_badges": _library_badges(project),
        # the steward colleague's panel; switched on when it lands
        "steward_panel": True,
        "current_period": reporting.current_period(),
        "breadcrumbs": [
            {"label": gettext("项目"), "url": reverse("projects:list")},
            {"label": project.name, "url": ""},
        ],
    }
    if tab == "basic":
        context["plans"] = list(project.annual_plans.order_by("-year"))
        context["stays"] = list(project.libraries.order_by("-entered_on"))
        context["key_entries"] = list(
            project.key_lists.select_related("key_list").order_by("-entered_on")
        )
    elif tab == "reports":
        context["year"] = year
        context["years"] = list(range(clock.today().year, 2014, -1))[:10]
        context["months"] = _report_months(project, year)
        context["plan"] = project.annual_plans.filter(year=year).first()
    elif tab == "status":
        context["changes"] = list(
            project.status_changes.select_related("recorded_by").order_by("-date", "-id")
        )
    elif tab == "history":
        history = list(queries.project_history(project)[:300])
        for entry in history:
            model = entry.content_type.model_class() if entry.content_type else None
            entry.record_label = str(model._meta.verbose_name) if model else ""  # type: ignore[attr-defined]
        context["history"] = history
    return render(request, "projects/detail.html", context)


@login_required
def project_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    project = None
    if pk is not None:
        project = _load(request, pk, Action.CHANGE)
        form: ProjectForm = ProjectForm(request.POST or None, user=request.user, project=project)
    else:
        scoping.require(request.user, Action.CREATE, model=Project)
        form = ProjectCreateForm(request.POST or None, user=request.user)

    def save(data: dict[str, Any]) -> Project:
        values = form.values()
        if project is not None:
            return services.project_update(user=request.user, project=project, **values)
        with transaction.atomic():  # a new project and its first library stay, or neither
            created = services.project_create(user=request.user, **values)
            if data.get("library"):
                services.project_enter_library(
                    user=request.user,
                    project=created,
                    library=data["library"],
                    date=values["status_since"],
                )
        return created

    crumbs = [{"label": gettext("项目"), "url": reverse("projects:list")}]
    if project is not None:
        crumbs.append({"label": project.name, "url": project.get_absolute_url()})
    crumbs.append({"label": gettext("编辑") if project else gettext("新建"), "url": ""})
    return form_page(
        request,
        form,
        save,
        template="projects/form.html",
        context={"project": project, "breadcrumbs": crumbs},
        success=gettext("已保存"),
        then=lambda saved: reverse("projects:detail", args=[saved.pk]),
        refused_field="area",
    )


def _record_crumbs(project: Project, label: str) -> list[dict[str, str]]:
    return [
        {"label": gettext("项目"), "url": reverse("projects:list")},
        {"label": project.name, "url": project.get_absolute_url()},
        {"label": label, "url": ""},
    ]


@login_required
def project_void(request: HttpRequest, pk: int) -> HttpResponse:
    """Void (作废) a project entered by mistake, with a reason."""
    project = _load(request, pk, Action.CHANGE)
    form = VoidForm(request.POST or None)
    done = submit(
        request,
        form,
        lambda data: services.project_void(
            user=request.user, project=project, reason=data["reason"]
        ),
        success=gettext("项目已作废"),
        then=reverse("projects:detail", args=[project.pk]) + "?tab=history",
        error_field="reason",
    )
    return done or render(
        request,
        "projects/void_form.html",
        {
            "form": form,
            "project": project,
            "status_badge": _status_badge(project),
            "breadcrumbs": _record_crumbs(project, gettext("作废")),
        },
    )


@login_required
def project_status(request: HttpRequest, pk: int) -> HttpResponse:
    project = _load(request, pk, Action.CHANGE)
    form = StatusChangeForm(request.POST or None, project=project)
    changes = project.status_changes.order_by("-date", "-id")[:10]
    return form_page(
        request,
        form,
        lambda data: services.project_change_status(
            user=request.user,
            project=project,
            status=data["status"],
            date=data["date"],
            note=data["note"],
        ),
        template="projects/status_form.html",
        context={
            "project": project,
            "status_badge": _status_badge(project),
            "changes": changes,
            "breadcrumbs": _record_crumbs(project, gettext("变更状态")),
        },
        success=gettext("状态已变更"),
        then=reverse("projects:detail", args=[project.pk]) + "?tab=status",
    )


# (which form, its action) -> the service and the field that names the library or list
LIBRARY_MOVES: dict[tuple[str | None, str], tuple[Callable[..., Any], str]] = {
    ("library", "enter"): (services.project_enter_library, "library"),
    ("library", "leave"): (services.project_leave_library, "library"),
    ("key_list", "enter"): (services.project_add_to_key_list, "key_list"),
    ("key_list", "leave"): (services.project_remove_from_key_list, "key_list"),
}


@login_required
def project_libraries(request: HttpRequest, pk: int) -> HttpResponse:
    """Library stays and key lists: enter or leave, on a date."""
    project = _load(request, pk, Action.CHANGE)
    which = request.POST.get("form") if request.method == "POST" else None
    library_form = LibraryForm(request.POST if which == "library" else None, prefix="lib")
    key_form = KeyListForm(request.POST if which == "key_list" else None, prefix="key")
    bound: Any = library_form if which == "library" else key_form if which == "key_list" else None

    def move(data: dict[str, Any]) -> None:
        service, choice = LIBRARY_MOVES[which, data["action"]]
        try:
            service(user=request.user, project=project, date=data["date"], **{choice: data[choice]})
        except DomainError as exc:
            # the services name a stay's own dates; the form has one date field
            dates = {"entered_on": "date", "left_on": "date"}
            errors = {dates.get(field, field): text for field, text in exc.errors.items()}
            raise DomainError(exc.message, errors) from exc

    if bound is not None:
        done = submit(
            request,
            bound,
            move,
            success=gettext("已保存"),
            then=reverse("projects:libraries", args=[project.pk]),
        )
        if done:
            return done
    return render(
        request,
        "projects/libraries.html",
        {
            "project": project,
            "library_form": library_form,
            "key_form": key_form,
            "stays": project.libraries.order_by("-entered_on"),
            "key_entries": project.key_lists.select_related("key_list").order_by("-entered_on"),
            "breadcrumbs": _record_crumbs(project, gettext("项目库与清单")),
        },
    )


@login_required
def project_plans(request: HttpRequest, pk: int) -> HttpResponse:
    project = _load(request, pk, Action.CHANGE)
    form = AnnualPlanForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda data: services.project_set_annual_plan(
            user=request.user,
            project=project,
            year=data["year"],
            planned_investment=wan_to_yuan(data["planned_investment"]),
        ),
        template="projects/plan_form.html",
        context={
            "project": project,
            "plans": project.annual_plans.order_by("-year"),
            "breadcrumbs": _record_crumbs(project, gettext("年度计划")),
        },
        success=gettext("年度计划已保存"),
        then=project.get_absolute_url(),
    )


# --- monthly reports -------------------------------------------------------------


def _period(value: str) -> Period:
    try:
        return Period.parse(value)
    except PeriodError as exc:
        raise Http404() from exc


@login_required
def report_edit(request: HttpRequest, pk: int, period: str) -> HttpResponse:
    """One project's report for one month (new, change, or correction of a locked month)."""
    month = _period(period)
    project = _load(request, pk)
    scoping.require(
        request.user,
        Action.CREATE,
        model=MonthlyReport,
        values={"project__area": project.area_id, "project": project.pk},
    )
    report = (
        project.reports.filter(year=month.year, month=month.month)
        .select_related("submitted_by", "unusual_confirmed_by")
        .first()
    )
    if report is not None:
        scoping.require(request.user, Action.CHANGE, report)
    win = reporting.window(month)
    form = ReportForm(request.POST or None, initial=report_initial(report), locked=win.locked)
    return form_page(
        request,
        form,
        lambda data: services.report_submit(
            user=request.user,
            project=project,
            period=month,
            investment=wan_to_yuan(data["investment"]),
            progress_pct=data["progress_pct"],
            progress_text=data["progress_text"],
            problems=data["problems"],
            expected_version=data.get("version") or None,
            reason=data.get("reason", ""),
            confirm=data.get("confirm", False),
        ),
        template="projects/report_form.html",
        context={
            "project": project,
            "period": month,
            "report": report,
            "window": win,
            "future": month > Period.of(clock.today()),
            "breadcrumbs": _record_crumbs(
                project, gettext("%(period)s月报") % {"period": month.label_for(get_language())}
            ),
        },
        success=gettext("%(period)s月报已保存") % {"period": month.label_for(get_language())},
        then=reverse("projects:detail", args=[project.pk]) + f"?tab=reports&year={month.year}",
    )


def _sheet_projects(user: Any, area: Area, period: Period) -> list[Project]:
    """The projects an area reports for a month: those under construction, in the
    construction library during the month, or already reported for it."""

    qs = queries.report_due(
        period=period, projects=scoping.visible(user, Project.objects.filter(area=area))
    )
    return list(qs.order_by("name", "pk"))


SHEET_FIELDS = ("investment", "progress_pct", "progress_text", "problems")


@dataclass
class SheetRow:
    project: Project
    report: MonthlyReport | None
    form: ReportForm


@dataclass
class SheetErrors:
    projects: list[str] = field(default_factory=list)  # the rows with an error, by name
    reason: str = ""  # the page's one 修改原因 (a locked month)


@login_required
def report_sheet(request: HttpRequest) -> HttpResponse:
    """An area's month on one page: every project it reports, each row editable."""
    try:
        period = Period.parse(request.GET.get("period", "")) if request.GET.get("period") else None
    except PeriodError:
        period = None
    period = period or reporting.current_period()
    areas = list(scoping.area_choices_for(request.user, Area.objects.exclude(kind="city")))
    area = next((a for a in areas if a.code == request.GET.get("area")), None)
    if area is None:
        grants = scoping.grants_for(request.user)
        area = next((a for a in areas if a.pk in grants.area_ids), None) or (
            areas[0] if areas else None
        )
    if area is None:
        raise Http404()
    win = reporting.window(period)
    projects = _sheet_projects(request.user, area, period)
    reports = {
        r.project_id: r
        for r in MonthlyReport.objects.filter(
            project__in=projects, year=period.year, month=period.month
        ).select_related("unusual_confirmed_by")
    }
    if request.GET.get("format") == "xlsx":
        return _sheet_export(area, period, projects, reports)
    missing = request.GET.get("missing") == "1"
    if missing:
        projects = [p for p in projects if p.pk not in reports]
    can_write = scoping.can(
        request.user, Action.CREATE, model=MonthlyReport, values={"project__area": area.pk}
    )
    rows: list[SheetRow] = []
    errors = SheetErrors()
    posted = request.method == "POST" and can_write
    reason = request.POST.get("reason", "").strip() if posted else ""
    for project in projects:
        report = reports.get(project.pk)
        initial = report_initial(report)
        form = ReportForm(
            request.POST if posted else None,
            initial=initial,
            prefix=f"p{project.pk}",
            locked=False,
        )
        rows.append(SheetRow(project=project, report=report, form=form))
    if posted:
        done = _save_sheet(request, rows, period, reason, errors)
        if done:
            return done
    return render(
        request,
        "projects/sheet.html",
        {
            "period": period,
            "area": area,
            "areas": areas,
            "window": win,
            "rows": rows,
            "errors": errors.projects,
            "reason_error": errors.reason,
            "reason": reason,
            "can_write": can_write,
            "missing": missing,
            "periods": [str(p) for p in _recent_periods()],
            "filed": sum(1 for r in rows if r.report is not None),
            "total": sum((r.report.investment for r in rows if r.report), Decimal(0)),
            "breadcrumbs": [
                {"label": gettext("项目"), "url": reverse("projects:list")},
                {"label": gettext("月度填报"), "url": ""},
            ],
        },
    )


def _blank(form: ReportForm) -> bool:
    return all(not str(form.data.get(form.add_prefix(f), "")).strip() for f in SHEET_FIELDS)


def _save_sheet(
    request: HttpRequest, rows: list[SheetRow], period: Period, reason: str, errors: SheetErrors
) -> HttpResponse | None:
    """Hand every filled row to `reports_submit_many` (all rows or none).

    A row left blank is skipped and shown again as typed, without checking it: only the
    rows with something wrong are flagged. Rows whose values are those stored are passed
    on too and counted as unchanged (the service writes nothing for them)."""
    filled: list[SheetRow] = []
    skipped = 0
    for row in rows:
        form = row.form
        if _blank(form):
            skipped += 1
            row.form = ReportForm(
                initial={name: form[name].value() for name in form.fields},
                prefix=form.prefix,
                locked=False,
            )
        elif form.is_valid() and within_bounds(form):
            filled.append(row)
        else:
            errors.projects.append(row.project.name)
    if errors.projects:
        return None
    items = [
        services.ReportItem(
            project=row.project,
            period=period,
            investment=wan_to_yuan(row.form.cleaned_data["investment"]),
            progress_pct=row.form.cleaned_data["progress_pct"],
            progress_text=row.form.cleaned_data["progress_text"],
            problems=row.form.cleaned_data["problems"],
            expected_version=row.form.cleaned_data.get("version") or None,
            reason=reason,
            confirm=row.form.cleaned_data.get("confirm", False),
        )
        for row in filled
    ]
    try:
        saved = services.reports_submit_many(user=request.user, items=items)
    except services.BatchError as exc:
        for index, fields in exc.item_errors.items():
            row = filled[index]
            for name, message in fields.items():
                if name == "reason":
                    errors.reason = message  # the page's one reason field, above the table
                    continue
                row.form.add_error(name if name in row.form.fields else None, message)
                if row.project.name not in errors.projects:
                    errors.projects.append(row.project.name)
        return None
    if saved.filed:
        messages.success(
            request,
            gettext(
                "%(period)s月报：填报 %(filed)s 个项目，未变化 %(unchanged)s 个，"
                "空白未填 %(skipped)s 个"
            )
            % {
                "period": period.label_for(get_language()),
                "filed": saved.filed,
                "unchanged": saved.unchanged,
                "skipped": skipped,
            },
        )
    else:
        messages.info(request, gettext("没有修改"))
    return redirect(request.get_full_path())


def _sheet_export(
    area: Area, period: Period, projects: list[Project], reports: dict[int, MonthlyReport]
) -> HttpResponse:
    """The area's month as the import sheet: every project, filled where reported, so that
    it can be completed in Excel and imported again."""
    from zhenxing.projects.imports import REPORT_IMPORT

    rows = []
    for project in projects:
        report = reports.get(project.pk)
        rows.append(
            [
                project.code,
                project.name,
                str(period),
                money.yuan_to_wan(report.investment) if report else None,
                report.progress_pct if report else None,
                report.progress_text if report else "",
                report.problems if report else "",
                "",
            ]
        )
    headers = [c.header + ("*" if c.required else "") for c in REPORT_IMPORT.columns]
    content = excel.build_xlsx(headers, rows, sheet_name=f"{area.name}{period}")
    return excel.xlsx_response(content, f"{area.name}-{period}-月度填报")


def _recent_periods(count: int = 18) -> list[Period]:
    period = Period.of(clock.today())
    out = []
    for _i in range(count):
        out.append(period)
        period = period.previous()
    return out


# --- figures ---------------------------------------------------------------------


def _figures_period(request: HttpRequest) -> tuple[Period, str]:
    raw = request.GET.get("period", "")
    if not raw:
        return Period.of(clock.today()).previous(), ""
    try:
        return Period.parse(raw), ""
    except PeriodError as exc:
        return Period.of(clock.today()).previous(), str(exc)


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    """City → area → project: 开复工, investment 1–N月累计 and 同比, plan, libraries."""

    period, period_error = _figures_period(request)
    projects = scoping.visible(request.user, Project.objects.all())
    area = None
    code = request.GET.get("area", "")
    if code:
        area = Area.objects.filter(code=code).first()
        if area is None:
            raise Http404()
    headline = queries.figures(period=period, projects=projects, area=area)
    grants = scoping.grants_for(request.user)
    scope_label = ""
    if not grants.is_city_wide_reader:
        own = Area.objects.filter(pk__in=grants.area_ids).order_by("sort_order")
        scope_label = "、".join(str(a) for a in own) or gettext("您负责的项目")
    context: dict[str, Any] = {
        "scope_label": scope_label,
        "period": period,
        "period_str": str(period),
        "period_error": period_error,
        "area": area,
        "figures": headline,
        "libraries": [
            (Library(key).label, totals)
            for key, totals in headline.libraries.items()
            if key in Library.values
        ],
        "periods": [str(p) for p in _recent_periods(24)],
        "breadcrumbs": [
            {"label": gettext("项目"), "url": reverse("projects:list")},
            {"label": gettext("投资统计"), "url": reverse("projects:figures") if area else ""},
            *([{"label": str(area), "url": ""}] if area else []),
        ],
    }
    if area is None:
        by_area = queries.figures_by_area(period=period, projects=projects)
        names = {a.code: a for a in Area.objects.all()}
        rows = [{"area": names[f.area_code], "figures": f} for f in by_area if f.area_code in names]
        context["area_rows"] = rows
        if len(rows) > 1:
            context["chart"] = _area_chart(period, rows)
    else:
        project_rows = queries.project_rows(
            period=period, projects=projects.filter(area=area).order_by("name", "pk")
        )
        project_rows.sort(key=lambda r: -r["investment_ytd"])
        context["project_rows"] = project_rows
    if request.GET.get("format") == "xlsx":
        return _figures_export(period, area, context)
    if area is not None:
        page = Paginator(context["project_rows"], PAGE_SIZE).get_page(request.GET.get("page"))
        context["page"] = page
        context["project_page"] = page.object_list
        context["query"] = urlencode({"period": str(period), "area": area.code})
    return render(request, "projects/figures.html", context)


def _area_chart(period: Period, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """ECharts option: investment 1–N月 this year and last year per area, in 亿元."""

    def yi(value: Decimal) -> float:
        return float(money.in_yi(value))

    this_year = gettext("%(year)s年") % {"year": period.year}
    last_year = gettext("%(year)s年") % {"year": period.year - 1}
    return {
        "color": ["#1f5fbf", "#9aa5b4"],
        "tooltip": {"trigger": "axis"},
        **charts.frame(data=[this_year, last_year]),
        "xAxis": {
            "type": "category",
            "data": [r["area"].name for r in rows],
            # every area named; slanted when there are many, so that neighbours do not collide
            "axisLabel": {"interval": 0, "rotate": 45 if len(rows) > 6 else 0},
        },
        "yAxis": {"type": "value", "name": gettext("亿元")},
        "series": [
            {
                "name": this_year,
                "type": "bar",
                "data": [yi(r["figures"].investment_ytd) for r in rows],
            },
            {
                "name": last_year,
                "type": "bar",
                "data": [yi(r["figures"].investment_ytd_last_year) for r in rows],
            },
        ],
    }


def _figures_export(period: Period, area: Area | None, context: dict[str, Any]) -> HttpResponse:
    """The table on screen as .xlsx: the areas, or one area's projects (money in 万元)."""

    def wan(value: Decimal) -> Decimal | None:
        return money.wan(value)

    if area is None:
        headers = [
            gettext("区域"),
            gettext("开复工（个）"),
            gettext("累计完成投资（万元）"),
            gettext("去年同期（万元）"),
            gettext("同比（%）"),
            gettext("年度计划（万元）"),
            gettext("计划完成率（%）"),
        ]
        rows = [
            [
                r["area"].name,
                r["figures"].started_or_resumed,
                wan(r["figures"].investment_ytd),
                wan(r["figures"].investment_ytd_last_year),
                r["figures"].investment_ytd_yoy_pct,
                wan(r["figures"].annual_plan),
                r["figures"].plan_completion_pct,
            ]
            for r in context["area_rows"]
        ]
        name = gettext("分区域投资统计")
    else:
        headers = [
            gettext("项目名称"),
            gettext("项目代码"),
            gettext("状态"),
            gettext("累计完成投资（万元）"),
            gettext("去年同期（万元）"),
            gettext("同比（%）"),
            gettext("年度计划（万元）"),
            gettext("计划完成率（%）"),
        ]
        rows = [
            [
                r["name"],
                r["code"],
                r["status_label"],
                wan(r["investment_ytd"]),
                wan(r["investment_ytd_last_year"]),
                r["investment_ytd_yoy_pct"],
                wan(r["annual_plan"]),
                r["plan_completion_pct"],
            ]
            for r in context["project_rows"]
        ]
        name = f"{area.name}{gettext('项目投资统计')}"
    return excel.export_response(filename=f"{name}-{period}", headers=headers, rows=rows)
