"""Policy pages: the catalogue and each policy with its guide, runs and their review and
approval, the payout ledger, an enterprise's entitlements and objections, the dry run,
departments' lists (名单: upload, replacement with a preview, the list page), and the
public catalogue (no sign-in, no personal data)."""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from zhenxing.core import audit, clock, excel, money, ratelimits, scoping, sheets
from zhenxing.core.forms import form_page, show_domain_error, within_bounds
from zhenxing.core.import_views import error_report_response, keep_error_report
from zhenxing.core.listing import Column, Filter, ListSpec, choices_of
from zhenxing.core.models import Area, Department, in_reader_language
from zhenxing.core.roles import Action
from zhenxing.core.services import DomainError
from zhenxing.policies import catalogues, domain, exports, imports, queries, services
from zhenxing.policies.forms import (
    CorrectForm,
    DryRunForm,
    ExcludeForm,
    FactListForm,
    ObjectionForm,
    PolicyForm,
    ReplyForm,
    RunForm,
)
from zhenxing.policies.models import (
    Beneficiary,
    EntryKind,
    FactList,
    FactListEntry,
    LedgerEntry,
    Objection,
    ObjectionReply,
    ObjectionStatus,
    Policy,
    PolicyRun,
    PolicyStatus,
    RunResult,
    RunStatus,
)
from zhenxing.rules import RulesError
from zhenxing.rules.schema import FactDef, FactType

STATUS_BADGE = {
    PolicyStatus.DRAFT: "badge-muted",
    PolicyStatus.PUBLISHED: "badge-ok",
    PolicyStatus.RETIRED: "badge-warn",
}
RUN_BADGE = {
    RunStatus.QUEUED: "badge-muted",
    RunStatus.RUNNING: "badge-warn",
    RunStatus.COMPUTED: "badge-warn",
    RunStatus.APPROVED: "badge-ok",
    RunStatus.FAILED: "badge-danger",
}


def _crumbs(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [{"label": gettext("政策"), "url": reverse("policies:list")}] + [
        {"label": label, "url": url} for label, url in items
    ]


def _sees_catalogue(user: Any) -> bool:
    return (
        scoping.visible(user, Policy.objects.all()).exists()
        or scoping.grants_for(user).is_city_wide_reader
    )


# ---------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------


def _department_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [(str(d.pk), str(d)) for d in Department.objects.all()]


class Badge(str):
    css: str

    def __new__(cls, text: str, css: str) -> Badge:
        obj = super().__new__(cls, text)
        obj.css = css
        return obj

    def __str__(self) -> str:  # keeps the badge through the list's `cell` filter
        return self

    def __html__(self) -> str:
        from django.utils.html import format_html

        return str(format_html('<span class="badge {}">{}</span>', self.css, str.__str__(self)))


def _policy_status(policy: Policy) -> Badge:
    return Badge(policy.get_status_display(), STATUS_BADGE.get(PolicyStatus(policy.status), ""))


def _list_actions(request: HttpRequest) -> list[dict[str, str]]:
    actions = [
        {"label": gettext("兑付台账"), "url": reverse("policies:ledger"), "style": ""},
        {"label": gettext("异议"), "url": reverse("policies:objections"), "style": ""},
        {"label": gettext("名单"), "url": reverse("policies:lists"), "style": ""},
        {"label": gettext("公开页面"), "url": reverse("policies:public"), "style": ""},
    ]
    if scoping.can(request.user, Action.CREATE, model=Policy):
        actions.insert(
            0, {"label": gettext("新建政策"), "url": reverse("policies:create"), "style": "primary"}
        )
    return actions


POLICY_LIST = ListSpec(
    title=_("政策目录（免申即享）"),
    queryset=lambda request: Policy.objects.select_related("department").annotate(
        paid=Sum("ledger__amount")
    ),
    columns=[
        Column("name", _("政策名称"), sort="name", link=True),
        Column("department", _("发文部门"), sort="department__sort_order", css="nowrap"),
        Column(
            "beneficiary",
            _("对象"),
            value=lambda p: p.get_beneficiary_display(),
            css="nowrap",
        ),
        Column("status", _("状态"), sort="status", value=_policy_status, css="nowrap"),
        Column(
            "annual_budget",
            _("年度预算（万元）"),
            sort="annual_budget",
            value=lambda p: money.wan(p.annual_budget),
            numeric=True,
        ),
        Column(
            "city_share_pct",
            _("市 / 县承担（%）"),
            value=lambda p: (
                f"{p.city_share_pct.normalize():f} / {p.county_share_pct.normalize():f}"
            ),
            css="nowrap",
        ),
        Column(
            "paid",
            _("累计兑付（万元）"),
            sort="paid",
            value=lambda p: money.wan(p.paid or Decimal(0)),
            numeric=True,
        ),
    ],
    filters=[
        Filter("department", _("部门"), "department_id", choices=_department_choices),
        Filter("status", _("状态"), "status", choices=choices_of(PolicyStatus.choices)),
        Filter("beneficiary", _("对象"), "beneficiary", choices=choices_of(Beneficiary.choices)),
        Filter("q", _("关键词"), "", keyword_fields=("name", "code", "rule_id")),
    ],
    default_sort="department",
    export_name="政策目录",
    actions=_list_actions,
)


@login_required
def policy_list(request: HttpRequest) -> HttpResponse:
    if scoping.is_enterprise_user(request.user):
        return redirect("policies:entitlements")
    if not _sees_catalogue(request.user):
        return _public_page(request, signed_in=True)
    return POLICY_LIST.render(request)


NEW_POLICY = {
    "catalogue": "yingkou",
    "city_share_pct": 50,
    "stacking": "both",
    "allocation": "pro_rata",
}


def _load_policy(request: HttpRequest, pk: int, action: str = Action.VIEW) -> Policy:
    return scoping.get_for_user(
        request.user, Policy.objects.select_related("department"), action, pk=pk
    )


TABS = [
    ("guide", _("申兑指南")),
    ("runs", _("测算批次")),
    ("ledger", _("兑付台账")),
    ("objections", _("异议")),
    ("history", _("历史")),
]


@login_required
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _load_policy(request, pk)
    tab = request.GET.get("tab", "guide")
    if tab not in {t for t, _l in TABS}:
        tab = "guide"
    if tab == "runs":
        services.fail_stale_runs(policy.runs.values_list("pk", flat=True))
    runs = policy.runs.select_related("prepared_by", "approved_by").order_by("-period", "-id")
    ledger = scoping.visible(request.user, LedgerEntry.objects.filter(policy=policy))
    context: dict[str, Any] = {
        "policy": policy,
        "status_badge": _policy_status(policy),
        "tab": tab,
        "tabs": TABS,
        "guide": queries.guide_for(policy),
        "paid_total": queries.payouts_total(until=clock.today(), entries=ledger).paid_total,
        "can_edit": scoping.can(request.user, Action.CHANGE, policy),
        "can_approve": scoping.can(request.user, Action.APPROVE, policy),
        "can_run": policy.status == PolicyStatus.PUBLISHED
        and scoping.can(
            request.user,
            Action.CREATE,
            model=PolicyRun,
            values={"policy__department": policy.department},
        ),
        "run_form": RunForm(),
        "breadcrumbs": _crumbs((policy.title, "")),
    }
    if tab == "runs":
        context["runs"] = runs
    elif tab == "ledger":
        context["by_year"] = queries.paid_by_year(ledger)
        entries = ledger.select_related("enterprise", "project", "area", "run").order_by(
            "-booked_on", "-id"
        )
        context["entries"] = [
            (entry, _kind_badge(entry))
            for entry in queries.with_correct_links(request.user, entries)[:200]
        ]
    elif tab == "objections":
        context["objections"] = scoping.visible(
            request.user, policy.objections.select_related("enterprise")
        )
    elif tab == "history":
        context["history"] = audit.entries_for(policy)[:200]
    return render(request, "policies/detail.html", context)


@login_required
def policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    policy = _load_policy(request, pk, Action.CHANGE) if pk is not None else None
    if policy is None:
        scoping.require(request.user, Action.CREATE, model=Policy)
    initial = PolicyForm.initial_for(policy) if policy is not None else NEW_POLICY
    form = PolicyForm(request.POST or None, initial=initial, user=request.user)

    def save(_data: dict[str, Any]) -> Policy:
        if policy is None:
            return services.policy_create(user=request.user, **form.values())
        return services.policy_update(user=request.user, policy=policy, **form.values())

    title = gettext("编辑政策") if policy else gettext("新建政策")
    return form_page(
        request,
        form,
        save,
        template="policies/form.html",
        context={
            "policy": policy,
            "title": title,
            "breadcrumbs": _crumbs(
                *([(policy.title, policy.get_absolute_url())] if policy else []), (title, "")
            ),
        },
        success=gettext("政策已保存") if policy else gettext("政策已创建（草稿）"),
        then=lambda saved: saved.get_absolute_url(),
    )


@login_required
@require_POST
def policy_status(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    policy = _load_policy(request, pk)
    try:
        if action == "publish":
            services.policy_publish(user=request.user, policy=policy)
            messages.success(request, gettext("政策已发布"))
        elif action == "retire":
            services.policy_retire(user=request.user, policy=policy)
            messages.success(request, gettext("政策已废止"))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("policies:detail", policy.pk)


# ---------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------


@login_required
@require_POST
def run_create(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _load_policy(request, pk)
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("请填写正确的测算年度"))
        return redirect(f"{policy.get_absolute_url()}?tab=runs")
    period = str(form.cleaned_data["period"])
    try:
        run = services.run_start(
            user=request.user,
            policy=policy,
            period=period,
            confirm=form.cleaned_data["confirm"],
        )
    except DomainError as exc:
        if "confirm" in exc.errors:
            return _confirm_run(request, policy, period, exc.errors["confirm"])
        messages.error(request, exc.message)
        return redirect(f"{policy.get_absolute_url()}?tab=runs")
    messages.info(request, gettext("测算已开始，可离开本页，结果会保存在批次页面"))
    return redirect("policies:run", run.pk)


def _confirm_run(request: HttpRequest, policy: Policy, period: str, warning: str) -> HttpResponse:
    """The run would find nobody eligible (a list it reads is missing): say so, and
    start it only if the user confirms."""
    return render(
        request,
        "policies/run_confirm.html",
        {
            "policy": policy,
            "period": period,
            "warning": warning,
            "breadcrumbs": _crumbs(
                (policy.name, policy.get_absolute_url()), (gettext("测算兑付"), "")
            ),
        },
    )


def _load_run(request: HttpRequest, pk: int, action: str = Action.VIEW) -> PolicyRun:
    # whoever looks at a run left "running" by a dead worker sees it failed, at once
    services.fail_stale_runs([pk])
    return scoping.get_for_user(
        request.user,
        PolicyRun.objects.select_related("policy__department", "prepared_by", "approved_by"),
        action,
        pk=pk,
    )


RESULT_FILTERS = [
    ("payable", _("拟兑付")),
    ("eligible", _("符合条件")),
    ("excluded", _("已排除")),
    ("report", _("需补报数据")),
    ("all", _("全部")),
]


def _results(run: PolicyRun, request: HttpRequest, which: str) -> QuerySet[RunResult]:
    qs = scoping.visible(
        request.user,
        RunResult.objects.filter(run=run).select_related("enterprise", "project", "area"),
    )
    if run.status == RunStatus.APPROVED:  # paid: each row links to its correction
        qs = queries.with_entry_to_correct(request.user, qs)
    if which == "payable":
        qs = qs.filter(payable__gt=0)
    elif which == "eligible":
        qs = qs.filter(eligible=True)
    elif which == "excluded":
        qs = qs.filter(excluded=True)
    elif which == "report":
        qs = qs.filter(status=2)
    keyword = request.GET.get("q", "").strip()
    if keyword:
        field = (
            "project__name" if run.policy.beneficiary == Beneficiary.PROJECT else "enterprise__name"
        )
        qs = qs.filter(**{f"{field}__icontains": keyword})
    return qs.order_by("-payable", "-amount", "pk")


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _load_run(request, pk)
    if request.GET.get("format") == "xlsx":
        scoping.require(request.user, Action.EXPORT, run)
        return exports.payout_list_response(run, request.user)
    which = request.GET.get("show", "payable")
    if which not in {k for k, _l in RESULT_FILTERS}:
        which = "payable"
    page = Paginator(_results(run, request, which), 50).get_page(request.GET.get("page"))
    can_change = run.status == RunStatus.COMPUTED and scoping.can(request.user, Action.CHANGE, run)
    approver_ok = scoping.can(request.user, Action.APPROVE, run)
    context = {
        "run": run,
        "policy": run.policy,
        "badge": Badge(run.get_status_display(), RUN_BADGE.get(RunStatus(run.status), "")),
        "page": page,
        "which": which,
        "filters": RESULT_FILTERS,
        "q": request.GET.get("q", ""),
        "query": f"show={which}"
        + (f"&q={request.GET.get('q', '')}" if request.GET.get("q") else ""),
        "can_change": can_change,
        "can_rerun": run.status != RunStatus.APPROVED
        and scoping.can(request.user, Action.CHANGE, run),
        "can_approve": run.status == RunStatus.COMPUTED and approver_ok,
        "is_preparer": request.user.pk in (run.preparer_ids or []),
        "totals": queries.batch_totals(run) if run.is_approved else None,
        "areas": queries.by_area(run) if run.is_approved else [],
        "running": run.status in (RunStatus.QUEUED, RunStatus.RUNNING),
        "project": run.policy.beneficiary == Beneficiary.PROJECT,
        "breadcrumbs": _crumbs(
            (run.policy.title, f"{run.policy.get_absolute_url()}?tab=runs"),
            (gettext("%(year)s年") % {"year": run.period} + " " + gettext("测算批次"), ""),
        ),
    }
    return render(request, "policies/run.html", context)


@login_required
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    run = _load_run(request, pk)
    response = render(request, "policies/_progress.html", {"run": run})
    if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def run_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    run = _load_run(request, pk)
    try:
        services.run_start(user=request.user, policy=run.policy, period=run.period)
        messages.info(request, gettext("已重新测算"))
    except DomainError as exc:
        if "confirm" in exc.errors:
            return _confirm_run(request, run.policy, run.period, exc.errors["confirm"])
        messages.error(request, exc.message)
    return redirect("policies:run", run.pk)


@login_required
@require_POST
def run_approve(request: HttpRequest, pk: int) -> HttpResponse:
    run = _load_run(request, pk)
    try:
        services.run_approve(user=request.user, run=run)
        messages.success(request, gettext("批次已审批，兑付记录已写入台账"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("policies:run", run.pk)


@login_required
def result_detail(request: HttpRequest, pk: int) -> HttpResponse:
    result = scoping.get_for_user(
        request.user,
        RunResult.objects.select_related(
            "run__policy__department", "enterprise", "project", "area"
        ),
        pk=pk,
    )
    run = result.run
    form = ExcludeForm()
    if request.method == "POST":
        form = ExcludeForm(request.POST)
        include = request.POST.get("include") == "1"
        if include or (form.is_valid() and within_bounds(form)):
            try:
                services.result_exclude(
                    user=request.user,
                    result=result,
                    reason=form.cleaned_data.get("reason", "") if not include else "",
                    exclude=not include,
                )
                messages.success(request, gettext("已恢复") if include else gettext("已排除"))
                return redirect("policies:run", run.pk)
            except DomainError as exc:
                show_domain_error(form, exc)
    entries = scoping.visible(
        request.user,
        LedgerEntry.objects.filter(
            policy_id=run.policy_id,
            beneficiary_kind=run.policy.beneficiary,
            beneficiary_id=result.beneficiary_id or 0,
            period=run.period,
        ),
    ).order_by("booked_on", "pk")
    return render(
        request,
        "policies/result.html",
        {
            "result": result,
            "run": run,
            "explanation": queries.explanation(result),
            "marks": result.condition_marks(),
            "form": form,
            "entries": entries,
            "can_change": run.status == RunStatus.COMPUTED
            and scoping.can(request.user, Action.CHANGE, result),
            "breadcrumbs": _crumbs(
                (run.policy.title, run.policy.get_absolute_url()),
                (
                    gettext("%(year)s年") % {"year": run.period} + " " + gettext("测算批次"),
                    run.get_absolute_url(),
                ),
                (str(result.project or result.enterprise or result.pk), ""),
            ),
        },
    )


# ---------------------------------------------------------------------------
# Dry run
# ---------------------------------------------------------------------------


@login_required
def dry_run(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _load_policy(request, pk)
    guide = queries.guide_for(policy)
    try:
        resolved = catalogues.resolve(policy.catalogue, policy.rule_file, policy.rule_id)
        parameters = [
            (n, catalogues.label_of(p), p.unit) for n, p in resolved.version.parameters.items()
        ]
    except catalogues.CatalogueError:
        parameters = []
    form = DryRunForm(request.GET or None, parameters=parameters)
    report = None
    error = ""
    if request.GET and form.is_valid():
        try:
            report = queries.dry_run(policy, form.cleaned_data["period"], form.overrides())
        except DomainError as exc:
            for key, message in exc.errors.items():
                field = "param_" + key.removeprefix("parameters.")
                form.add_error(field if field in form.fields else None, message)
        except (RulesError, catalogues.CatalogueError, ValueError) as exc:
            error = str(exc)
    return render(
        request,
        "policies/dry_run.html",
        {
            "policy": policy,
            "guide": guide,
            "form": form,
            "report": report,
            "error": error,
            "breadcrumbs": _crumbs(
                (policy.title, policy.get_absolute_url()), (gettext("试算"), "")
            ),
        },
    )


# ---------------------------------------------------------------------------
# The ledger
# ---------------------------------------------------------------------------


class KindCell(Badge):
    """The entry's kind as a badge, and on the page a link to correct it (更正) when the
    user may; the export keeps the kind only."""

    correct_url: str

    def __html__(self) -> str:
        from django.utils.html import format_html

        badge = super().__html__()
        if not self.correct_url:
            return badge
        return str(
            format_html(
                '{} <a class="btn btn-sm" href="{}">{}</a>',
                badge,
                self.correct_url,
                gettext("更正"),
            )
        )


def _kind_badge(entry: LedgerEntry) -> Badge:
    css = {EntryKind.PAYMENT: "badge-ok", EntryKind.REVERSAL: "badge-danger"}.get(
        EntryKind(entry.kind), "badge-warn"
    )
    cell = KindCell(entry.get_kind_display(), css)
    cell.correct_url = (
        reverse("policies:correct", args=[entry.pk]) if getattr(entry, "may_correct", False) else ""
    )
    return cell


def _booking_years() -> list[tuple[str, str]]:
    year = clock.today().year
    return [(str(y), gettext("%(year)s年") % {"year": y}) for y in range(year, year - 6, -1)]


def _beneficiary_uscc(entry: LedgerEntry) -> str:
    """The 统一社会信用代码 paid: the enterprise's, or a project's owner's."""
    if entry.enterprise is not None:
        return entry.enterprise.uscc
    owner = entry.project.owner_enterprise if entry.project is not None else None
    return owner.uscc if owner is not None else ""


_LEDGER_COLUMNS = [
    Column("booked_on", _("记账日期"), sort="booked_on", css="date"),
    Column("kind", _("类型"), sort="kind", value=_kind_badge, css="nowrap"),
    Column("policy__name", _("政策"), sort="policy__name"),
    Column("period", _("期间"), sort="period", css="nowrap"),
    Column("beneficiary", _("兑付对象"), value=lambda e: e.beneficiary_name),
    Column("area", _("区域"), sort="area__sort_order", css="nowrap"),
    Column("amount", _("金额（元）"), sort="amount", numeric=True),
    Column("city_amount", _("市级（元）"), numeric=True),
    Column("county_amount", _("县区（元）"), numeric=True),
    Column("reason", _("说明"), value=lambda entry: entry.reason_text),
]

LEDGER_LIST = ListSpec(
    title=_("兑付台账"),
    queryset=lambda request: queries.with_correct_links(
        request.user,
        LedgerEntry.objects.select_related(
            "policy", "enterprise", "project", "project__owner_enterprise", "area", "run"
        ),
    ),
    columns=_LEDGER_COLUMNS,
    # the export names whom it paid by code too, for the treasury's and auditors' checks
    export_columns=[
        *_LEDGER_COLUMNS[:5],
        Column("uscc", _("统一社会信用代码"), value=_beneficiary_uscc),
        *_LEDGER_COLUMNS[5:],
    ],
    filters=[
        Filter(
            "policy",
            _("政策"),
            "policy_id",
            choices=lambda r: [(str(p.pk), p.name) for p in Policy.objects.all()],
        ),
        Filter("kind", _("类型"), "kind", choices=choices_of(EntryKind.choices)),
        Filter("period", _("期间"), "period"),
        Filter("department", _("部门"), "policy__department_id", choices=_department_choices),
        Filter("year", _("记账年度"), "booked_on__year", choices=lambda r: _booking_years()),
        Filter("q", _("关键词"), "", keyword_fields=("enterprise__name", "project__name")),
    ],
    default_sort="-booked_on",
    export_name="兑付台账",
)


@login_required
def ledger_list(request: HttpRequest) -> HttpResponse:
    response = LEDGER_LIST.render(request)
    return response


@login_required
def ledger_correct(request: HttpRequest, pk: int) -> HttpResponse:
    entry = scoping.get_for_user(
        request.user,
        LedgerEntry.objects.select_related("policy", "enterprise", "project", "run"),
        Action.APPROVE,
        pk=pk,
    )
    form = CorrectForm(request.POST or None, initial={"amount": entry.amount})
    return form_page(
        request,
        form,
        lambda data: services.ledger_correct(
            user=request.user, entry=entry, amount=data["amount"], reason=data["reason"]
        ),
        template="policies/correct.html",
        context={
            "entry": entry,
            "breadcrumbs": _crumbs(
                (gettext("兑付台账"), reverse("policies:ledger")), (gettext("更正"), "")
            ),
        },
        success=gettext("已冲正原记录并登记调整"),
        then=reverse("policies:run", args=[entry.run_id]),
    )


# ---------------------------------------------------------------------------
# Entitlements and objections (the enterprise's side)
# ---------------------------------------------------------------------------


@login_required
def entitlements(request: HttpRequest) -> HttpResponse:
    grants = scoping.grants_for(request.user)
    enterprise_ids = sorted(grants.enterprise_ids)
    if not enterprise_ids:
        raise scoping.NotFound()
    from zhenxing.enterprises.models import Enterprise

    enterprises = list(
        scoping.visible(request.user, Enterprise.objects.filter(pk__in=enterprise_ids))
    )
    items = queries.entitlements([e.pk for e in enterprises])
    for item in items:
        item.explanation = queries.explanation(item.result)  # type: ignore[attr-defined]
    objections = scoping.visible(request.user, Objection.objects.select_related("policy"))
    published = list(queries.published_policies())
    guides = [queries.guide_for(p) for p in published]
    return render(
        request,
        "policies/entitlements.html",
        {
            "enterprises": enterprises,
            "items": items,
            "objections": objections,
            "guides": guides,
            "breadcrumbs": [{"label": gettext("我的政策兑付"), "url": ""}],
        },
    )


@login_required
def objection_create(request: HttpRequest, result_pk: int) -> HttpResponse:
    result = scoping.get_for_user(
        request.user, RunResult.objects.select_related("run__policy", "enterprise"), pk=result_pk
    )
    if result.run.status != RunStatus.APPROVED or result.enterprise is None:
        raise scoping.NotFound()
    enterprise = result.enterprise
    scoping.require(request.user, Action.CREATE, model=Objection, values={"enterprise": enterprise})
    form = ObjectionForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda data: services.objection_file(
            user=request.user,
            enterprise=enterprise,
            policy=result.run.policy,
            result=result,
            reason=data["reason"],
        ),
        template="policies/objection_form.html",
        context={
            "result": result,
            "breadcrumbs": [
                {"label": gettext("我的政策兑付"), "url": reverse("policies:entitlements")},
                {"label": gettext("提出异议"), "url": ""},
            ],
        },
        success=gettext("异议已提交，主管部门将答复"),
        then=lambda objection: objection.get_absolute_url(),
    )


OBJECTION_LIST = ListSpec(
    title=_("异议"),
    queryset=lambda request: Objection.objects.select_related("enterprise", "policy"),
    columns=[
        Column("created_at", _("提出时间"), sort="created_at", css="nowrap"),
        Column("enterprise__name", _("企业"), sort="enterprise__name", link=True),
        Column("policy__name", _("政策"), sort="policy__name"),
        Column("period", _("期间"), css="nowrap"),
        Column(
            "status", _("状态"), sort="status", value=lambda o: o.get_status_display(), css="nowrap"
        ),
        Column("reason", _("异议理由"), value=lambda o: o.reason[:60]),
    ],
    filters=[
        Filter("status", _("状态"), "status", choices=choices_of(ObjectionStatus.choices)),
        Filter("department", _("部门"), "policy__department_id", choices=_department_choices),
        Filter("q", _("关键词"), "", keyword_fields=("enterprise__name", "policy__name", "reason")),
    ],
    default_sort="-created_at",
    export_name="异议",
)


objection_list = OBJECTION_LIST.as_view()


@login_required
def objection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    objection = scoping.get_for_user(
        request.user,
        Objection.objects.select_related("enterprise", "policy__department", "result__run"),
        pk=pk,
    )
    can_reply = objection.status != ObjectionStatus.CLOSED and scoping.can(
        request.user,
        Action.CREATE,
        model=ObjectionReply,
        values={"objection__policy__department": objection.policy.department},
    )
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and not can_reply:
        raise scoping.PermissionDenied()
    return form_page(
        request,
        form,
        lambda data: services.objection_reply(
            user=request.user, objection=objection, text=data["text"], close=data["close"]
        ),
        template="policies/objection.html",
        context={
            "objection": objection,
            "replies": objection.replies.select_related("author"),
            "can_reply": can_reply,
            "explanation": queries.explanation(objection.result) if objection.result else "",
            # the ledger entry that now stands for the result's payment, if the user may
            # correct it (the objection may show the payment was wrong)
            "entry_to_correct": (
                queries.correctable(
                    request.user, LedgerEntry.objects.filter(result=objection.result)
                )
                .order_by("-pk")
                .first()
                if objection.result
                else None
            ),
            "breadcrumbs": _crumbs(
                (gettext("异议"), reverse("policies:objections")), (str(objection.enterprise), "")
            ),
        },
        success=gettext("已答复"),
        then=objection.get_absolute_url(),
    )


# ---------------------------------------------------------------------------
# Department lists (名单)
# ---------------------------------------------------------------------------


def _fact_label(fact_id: str) -> str:
    fact = services.list_fact(fact_id)
    return catalogues.label_of(fact) if fact is not None else fact_id


def _fact_list_actions(request: HttpRequest) -> list[dict[str, str]]:
    if not scoping.can(request.user, Action.CREATE, model=FactList):
        return []
    return [
        {"label": gettext("上传名单"), "url": reverse("policies:list_upload"), "style": "primary"}
    ]


LIST_LIST = ListSpec(
    title=_("名单（部门推送的事实）"),
    queryset=lambda request: FactList.objects.select_related("department").annotate(
        entry_count=Count("entries")
    ),
    columns=[
        Column("name", _("名单名称"), sort="name", link=True),
        Column("fact_id", _("事实"), sort="fact_id", value=lambda f: _fact_label(f.fact_id)),
        Column(
            "beneficiary",
            _("对象类型"),
            sort="beneficiary",
            value=lambda f: f.get_beneficiary_display(),
            css="nowrap",
        ),
        Column("period", _("期间"), sort="period", css="nowrap"),
        Column(
            "department",
            _("提供部门"),
            sort="department__sort_order",
            css="nowrap",
        ),
        Column("as_of", _("截至日期"), sort="as_of", css="date"),
        Column("entry_count", _("条目数"), sort="entry_count", numeric=True),
    ],
    filters=[
        Filter("period", _("期间"), "period"),
        Filter("department", _("提供部门"), "department_id", choices=_department_choices),
        Filter(
            "beneficiary",
            _("对象类型"),
            "beneficiary",
            choices=choices_of(Beneficiary.choices),
        ),
        Filter("q", _("关键词"), "", keyword_fields=("name", "fact_id", "source_note")),
    ],
    default_sort="-period",
    export_name="名单",
    actions=_fact_list_actions,
)


fact_lists = LIST_LIST.as_view()


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _entry_value(fact: FactDef | None) -> Any:
    def value(entry: FactListEntry) -> Any:
        if fact is None:
            return entry.value
        typed = domain.list_value_typed(fact, entry.value, _english())
        if isinstance(typed, Decimal) and fact.unit == "yuan":
            return money.Yuan(typed)
        return typed

    return value


def _value_choices(fact: FactDef | None) -> list[tuple[str, str]] | None:
    """A filter by value, for facts with a few values (yes/no, an enumeration)."""
    if fact is None:
        return None
    if fact.type is FactType.BOOLEAN:
        return [("true", gettext("是")), ("false", gettext("否"))]
    if fact.type is FactType.ENUM:
        return domain.enum_choices(fact, _english())
    return None


def _area_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return [(str(a.pk), str(a)) for a in Area.objects.exclude(kind="city")]


def _entry_list(fact_list: FactList, fact: FactDef | None, context: dict[str, Any]) -> ListSpec:
    project = fact_list.beneficiary == Beneficiary.PROJECT
    values = _value_choices(fact)
    filters = [
        Filter("q", _("关键词"), "", keyword_fields=("b_name", "b_code")),
        Filter("area", _("所在区域"), "b_area_id", choices=_area_choices),
    ]
    if values is not None:
        filters.append(Filter("value", _("值"), "value", choices=lambda r: values))
    return ListSpec(
        title=fact_list.name,
        queryset=lambda request: queries.list_entries(fact_list, fact),
        columns=[
            Column(
                "b_code",
                _("项目代码") if project else _("统一社会信用代码"),
                sort="b_code",
                css="code",
            ),
            Column("b_name", _("名称"), sort="b_name", link=True),
            Column(
                "value",
                _("值（元）") if fact is not None and fact.unit == "yuan" else _("值"),
                sort="value_number",
                value=_entry_value(fact),
                numeric=fact is not None and fact.is_number,
            ),
            Column(
                "b_area",
                _("所在区域"),
                sort="b_area_order",
                css="nowrap",
                value=lambda entry: in_reader_language(entry.b_area or "", entry.b_area_en or ""),
            ),
        ],
        filters=filters,
        default_sort="b_code",
        export_name=fact_list.name,
        template="policies/fact_list.html",
        extra_context=context,
        link=lambda entry: reverse(context["beneficiary_url"], args=[entry.beneficiary_id]),
    )


LIST_TABS = [("entries", _("名单条目")), ("history", _("变更记录"))]


@login_required
def fact_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    fact_list = scoping.get_for_user(
        request.user, FactList.objects.select_related("department", "created_by"), pk=pk
    )
    fact = services.list_fact(fact_list.fact_id)
    tab = "history" if request.GET.get("tab") == "history" else "entries"
    project = fact_list.beneficiary == Beneficiary.PROJECT
    context: dict[str, Any] = {
        "fact_list": fact_list,
        "fact": fact,
        "fact_label": _fact_label(fact_list.fact_id),
        "value_hint": (
            domain.list_value_hint(
                fact, services.list_value_domain(fact, fact_list.beneficiary), _english()
            )
            if fact is not None
            else ""
        ),
        "read_by": queries.policies_reading(
            fact_list, scoping.visible(request.user, Policy.objects.all())
        ),
        "entry_count": fact_list.entries.count(),
        "can_replace": scoping.can(request.user, Action.CHANGE, fact_list),
        "replace_query": urlencode(
            {
                "fact_id": fact_list.fact_id,
                "beneficiary": fact_list.beneficiary,
                "period": fact_list.period,
                "department": fact_list.department_id,
            }
        ),
        "beneficiary_url": "projects:detail" if project else "enterprises:detail",
        "tab": tab,
        "tabs": LIST_TABS,
        "breadcrumbs": _crumbs((gettext("名单"), reverse("policies:lists")), (fact_list.name, "")),
    }
    if tab == "history":
        context["history"] = audit.entries_for(fact_list)[:200]
        return render(request, "policies/fact_list.html", context)
    return _entry_list(fact_list, fact, context).render(request)


PENDING_LIST = "fact-list-pending"
PREVIEW_ROWS = 200


@login_required
def fact_list_upload(request: HttpRequest) -> HttpResponse:
    """Enter a list from Excel: a new list is saved at once; replacing one first shows
    what changes, to be confirmed (`fact_list_confirm`)."""
    scoping.require(request.user, Action.CREATE, model=FactList)
    initial: dict[str, Any] = {
        key: request.GET[key]
        for key in ("fact_id", "beneficiary", "period", "department")
        if request.GET.get(key)
    }
    existing = scoping.visible(request.user, FactList.objects.all()).filter(
        fact_id=initial.get("fact_id", ""),
        beneficiary=initial.get("beneficiary", ""),
        period=initial.get("period", ""),
    )
    for fact_list in existing[:1]:  # replacing: the list's name and source as they are
        initial.update(name=fact_list.name, source_note=fact_list.source_note)
    form = FactListForm(
        request.POST or None, request.FILES or None, user=request.user, initial=initial
    )
    result = None
    if request.method == "POST":
        ratelimits.check(request, ratelimits.IMPORTS)
    if request.method == "POST" and form.is_valid() and within_bounds(form):
        outcome = _import_list(request, form)
        if isinstance(outcome, HttpResponse):
            return outcome
        result = outcome
    return render(
        request,
        "policies/fact_list_upload.html",
        {
            "form": form,
            "result": result,
            "fact_groups": form.fact_groups,
            "breadcrumbs": _crumbs(
                (gettext("名单"), reverse("policies:lists")), (gettext("上传名单"), "")
            ),
        },
    )


def _import_list(
    request: HttpRequest, form: FactListForm
) -> HttpResponse | excel.ImportResult | None:
    data = form.cleaned_data
    try:
        fact, period = services.fact_list_header(
            user=request.user,
            department=data["department"],
            fact_id=data["fact_id"],
            beneficiary=data["beneficiary"],
            period=data["period"],
        )
    except DomainError as exc:
        show_domain_error(form, exc)
        return None
    upload = data["file"]
    try:
        sheets.check_size(upload.size)
    except sheets.SheetError as exc:
        form.add_error("file", str(exc))
        return None
    header = imports.ListHeader(
        fact=fact,
        beneficiary=data["beneficiary"],
        period=period,
        department=data["department"],
        as_of=data["as_of"],
        source_note=data["source_note"],
        name=data["name"],
    )
    importer = imports.ListImport(request.user, header)
    existing = FactList.objects.filter(
        fact_id=fact.id, beneficiary=header.beneficiary, period=period
    ).first()
    try:
        result = excel.run_import(
            importer.spec, upload.read(), user=request.user, dry_run=existing is not None
        )
    except DomainError as exc:
        show_domain_error(form, exc, "file")
        return None
    if not result.ok:
        keep_error_report(request, imports.KIND, result)
        return result
    if existing is None:
        saved: services.ListSaved = result.outcome
        messages.success(request, _saved_message(saved, importer.notes))
        return redirect(saved.fact_list)
    return _preview(request, importer, existing)


def _saved_message(saved: services.ListSaved, notes: list[Any]) -> str:
    message = gettext("名单已保存：%(name)s（%(summary)s）") % {
        "name": saved.fact_list.name,
        "summary": saved.change.summary,
    }
    if notes:
        message += gettext("。其中 %(n)s 行填写的是企业曾用名，已按代码对应到现名") % {
            "n": len(notes)
        }
    return message


def _preview(
    request: HttpRequest, importer: imports.ListImport, existing: FactList
) -> HttpResponse:
    """What replacing `existing` with the checked upload changes; kept in the session
    until confirmed."""
    header = importer.header
    fact = header.fact
    old = services.fact_list_entries(existing)
    change = domain.list_change(old, importer.values)
    token = secrets.token_urlsafe(16)
    request.session[PENDING_LIST] = {
        "token": token,
        "fact_id": fact.id,
        "beneficiary": header.beneficiary,
        "period": header.period,
        "department": header.department.pk if header.department else None,
        "as_of": header.as_of.isoformat() if header.as_of else None,
        "source_note": header.source_note,
        "name": header.name,
        "values": {str(k): v for k, v in importer.values.items()},
        "digest": domain.entries_digest(old),
        "notes": len(importer.notes),
    }
    shown = [
        *change.added[:PREVIEW_ROWS],
        *change.removed[:PREVIEW_ROWS],
        *(k for k, _o, _n in change.changed[:PREVIEW_ROWS]),
    ]
    names = queries.beneficiary_names(header.beneficiary, shown)

    def who(key: int) -> tuple[str, str]:
        return names.get(key, (str(key), ""))

    def words(text: str) -> str:
        return domain.list_value_words(fact, text, _english())

    return render(
        request,
        "policies/fact_list_confirm.html",
        {
            "existing": existing,
            "header": header,
            "fact_label": catalogues.label_of(fact),
            "change": change,
            "added": [(*who(k), words(importer.values[k])) for k in change.added[:PREVIEW_ROWS]],
            "removed": [(*who(k), words(old[k])) for k in change.removed[:PREVIEW_ROWS]],
            "changed": [
                (*who(k), words(before), words(after))
                for k, before, after in change.changed[:PREVIEW_ROWS]
            ],
            "notes": importer.notes,
            "runs": scoping.visible(
                request.user,
                PolicyRun.objects.filter(
                    policy__in=queries.policies_reading(existing, Policy.objects.all()),
                    period=existing.period,
                ).select_related("policy"),
            ),
            "preview_rows": PREVIEW_ROWS,
            "token": token,
            "breadcrumbs": _crumbs(
                (gettext("名单"), reverse("policies:lists")),
                (existing.name, existing.get_absolute_url()),
                (gettext("确认替换"), ""),
            ),
        },
    )


@login_required
@require_POST
def fact_list_confirm(request: HttpRequest) -> HttpResponse:
    """Replace the list as previewed (refused if the list changed since the preview)."""
    pending = request.session.get(PENDING_LIST)
    if not pending or request.POST.get("token") != pending.get("token"):
        messages.error(request, gettext("预览已失效，请重新上传名单"))
        return redirect("policies:list_upload")
    del request.session[PENDING_LIST]
    again = (
        reverse("policies:list_upload")
        + "?"
        + urlencode(
            {
                key: pending[key]
                for key in ("fact_id", "beneficiary", "period", "department")
                if pending.get(key)
            }
        )
    )
    try:
        saved = services.fact_list_save(
            user=request.user,
            department=Department.objects.filter(pk=pending["department"]).first(),  # type: ignore[arg-type]
            fact_id=pending["fact_id"],
            period=pending["period"],
            values={int(k): v for k, v in pending["values"].items()},
            name=pending["name"],
            beneficiary=pending["beneficiary"],
            as_of=datetime.date.fromisoformat(pending["as_of"]) if pending["as_of"] else None,
            source_note=pending["source_note"],
            expected_digest=pending["digest"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(again)
    messages.success(request, _saved_message(saved, [None] * int(pending.get("notes") or 0)))
    return redirect(saved.fact_list)


@login_required
def fact_list_template(request: HttpRequest) -> HttpResponse:
    """The Excel template of a list of one fact (columns, an example row, notes)."""
    scoping.require(request.user, Action.CREATE, model=FactList)
    fact = services.list_fact(request.GET.get("fact_id", ""))
    if fact is None:
        raise Http404
    beneficiary = request.GET.get("beneficiary") or fact.entity or Beneficiary.ENTERPRISE
    if beneficiary not in Beneficiary.values or fact.entity not in (None, beneficiary):
        raise Http404
    return excel.xlsx_response(
        imports.template_bytes(fact, beneficiary), gettext("名单模板") + f"-{fact.label}"
    )


@login_required
def fact_list_errors(request: HttpRequest) -> HttpResponse:
    scoping.require(request.user, Action.CREATE, model=FactList)
    return error_report_response(request, imports.KIND, gettext("名单"))


# ---------------------------------------------------------------------------
# The public catalogue (no sign-in)
# ---------------------------------------------------------------------------


def _public_page(request: HttpRequest, *, signed_in: bool = False) -> HttpResponse:
    policies = list(queries.published_policies().order_by("department__sort_order", "code"))
    total = queries.payouts_total(until=clock.today())
    return render(
        request,
        "policies/public.html",
        {
            "policies": policies,
            "total": total,
            "signed_in": signed_in,
            "title": gettext("惠企政策 · 免申即享"),
        },
    )


def public(request: HttpRequest) -> HttpResponse:
    return _public_page(request, signed_in=request.user.is_authenticated)


def public_detail(request: HttpRequest, code: str) -> HttpResponse:
    policy = queries.published_policies().filter(code=code).first()
    if policy is None:
        raise Http404
    return render(
        request,
        "policies/public_detail.html",
        {"policy": policy, "guide": queries.guide_for(policy), "title": policy.title},
    )
