"""Enterprise pages: the registry list, an enterprise's record (基本信息, 年度数据, 资质称号,
精准画像, 培育, 变更记录), the tier list with expiry reminders, the pool and its funnel,
and the forms that change them."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    ExpressionWrapper,
    FilteredRelation,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhenxing.core import charts, clock, excel, scoping
from zhenxing.core.forms import form_page
from zhenxing.core.listing import Column, Filter, ListSpec, area_choices, choices_of
from zhenxing.core.models import AuditEntry
from zhenxing.core.roles import Action
from zhenxing.enterprises import domain, queries, services
from zhenxing.enterprises.forms import (
    AssignForm,
    EnterpriseForm,
    FactValueForm,
    FollowUpForm,
    PoolEntryForm,
    StageForm,
    TierForm,
    TierLoseForm,
)
from zhenxing.enterprises.imports import ENTERPRISE_IMPORT, fact_import_kind
from zhenxing.enterprises.models import (
    LEVEL_CHOICES,
    STAGE_CHOICES,
    TIER_CHOICES,
    Enterprise,
    FactSubmission,
    FollowUp,
    Ownership,
    PoolEntry,
    Tier,
    TierEvent,
)

TABS = [
    ("basic", _("基本信息")),
    ("facts", _("年度数据")),
    ("tiers", _("资质称号")),
    ("portrait", _("精准画像")),
    ("pool", _("培育")),
    ("history", _("变更记录")),
]
TIER_STATE_LABELS = {
    "held": _("有效"),
    "expired": _("已到期"),
    "lost": _("已撤销"),
    "pending": _("未生效"),
}
TIER_STATE_BADGE = {"held": "badge-ok", "expired": "badge-muted", "lost": "badge-danger"}
STAGE_BADGE = {
    "entered": "",
    "cultivating": "badge-warn",
    "applying": "badge-warn",
    "recognised": "badge-ok",
    "exited": "badge-muted",
}
# (key, label, url name, for the city's staff only: the cultivation pool and its funnel
# are the city's work, not an enterprise user's menu)
SUBNAV = [
    ("list", _("企业名录"), "enterprises:list", False),
    ("tiers", _("资质称号"), "enterprises:tiers", False),
    ("expiring", _("即将到期"), "enterprises:expiring", False),
    ("pool", _("培育库"), "enterprises:pool", True),
    ("funnel", _("培育漏斗"), "enterprises:funnel", True),
]


def _subnav(current: str, user: Any) -> list[dict[str, Any]]:
    city = scoping.works_for_the_city(user)
    return [
        {"key": key, "label": label, "url": reverse(name), "active": key == current}
        for key, label, name, city_only in SUBNAV
        if city or not city_only
    ]


def _enterprise_actions(request: HttpRequest) -> list[dict[str, str]]:
    actions = []
    if scoping.can(request.user, Action.CREATE, model=Enterprise):
        actions.append(
            {"label": gettext("新建企业"), "url": "/enterprises/new/", "style": "primary"}
        )
    if excel.may_import(request.user, ENTERPRISE_IMPORT):
        actions.append(
            {"label": gettext("从 Excel 导入"), "url": "/imports/enterprises/", "style": ""}
        )
    return actions


def _list_spec(current: str, **kwargs: Any) -> ListSpec:
    spec = ListSpec(template="enterprises/list.html", **kwargs)
    spec.extra_context = {"subnav_key": current}
    return spec


def _enterprise_queryset(request: HttpRequest) -> QuerySet[Enterprise]:
    """With the tiers held today (one prefetch query) and, for the tier filter, a join on
    the certificates held today only."""
    held = queries.held_q(clock.today())
    return (
        Enterprise.objects.select_related("area", "industry")
        .annotate(
            held=FilteredRelation("tiers", condition=queries.held_q(clock.today(), "tiers__"))
        )
        .prefetch_related(
            Prefetch(
                "tiers", queryset=Tier.objects.filter(held).order_by("code"), to_attr="held_now"
            )
        )
    )


def _held_labels(enterprise: Any) -> str:
    return "、".join(t.label for t in getattr(enterprise, "held_now", []))


ENTERPRISE_LIST = _list_spec(
    "list",
    title=_("企业名录"),
    queryset=_enterprise_queryset,
    columns=[
        Column("name", _("企业名称"), sort="name", link=True),
        Column("uscc", _("统一社会信用代码"), sort="uscc", css="code"),
        Column("area", _("所在区域"), sort="area__sort_order"),
        Column("industry", _("所属行业"), sort="industry__code"),
        Column("get_ownership_display", _("所有制")),
        Column("held_now", _("持有称号"), value=_held_labels),
        Column("registration_date", _("成立日期"), sort="registration_date", css="date"),
    ],
    filters=[
        Filter("area", _("区域"), "area_id", choices=area_choices),
        Filter("tier", _("持有称号"), "held__code", choices=choices_of(TIER_CHOICES)),
        Filter(
            "ownership",
            _("所有制"),
            "ownership",
            choices=choices_of(Ownership.choices),
        ),
        Filter("q", _("关键词"), "", keyword_fields=("name", "uscc")),
    ],
    default_sort="name",
    export_name="企业名录",
    actions=_enterprise_actions,
)


def _tier_queryset(request: HttpRequest) -> QuerySet[Tier]:
    today = clock.today()
    return Tier.objects.select_related("enterprise", "enterprise__area").annotate(
        state=Case(
            When(ended_on__isnull=False, ended_on__lte=today, then=Value("lost")),
            When(issued_on__gt=today, then=Value("pending")),
            When(expires_on__lt=today, then=Value("expired")),
            default=Value("held"),
            output_field=CharField(),
        )
    )


def _state_label(tier: Any) -> str:
    return str(TIER_STATE_LABELS.get(getattr(tier, "state", ""), ""))


TIER_LIST = _list_spec(
    "tiers",
    title=_("资质称号"),
    queryset=_tier_queryset,
    columns=[
        Column("enterprise__name", _("企业名称"), sort="enterprise__name", link=True),
        Column("get_code_display", _("资质称号"), sort="code"),
        Column("level_label", _("级别"), sort="level"),
        Column("certificate_no", _("证书编号"), css="code"),
        Column("issued_on", _("发证日期"), sort="issued_on", css="date"),
        Column("expires_on", _("有效期至"), sort="expires_on", css="date"),
        Column("state", _("状态"), value=_state_label, css="nowrap"),
        Column("enterprise__area", _("所在区域"), sort="enterprise__area__sort_order"),
    ],
    filters=[
        Filter("code", _("资质称号"), "code", choices=choices_of(TIER_CHOICES)),
        Filter("level", _("级别"), "level", choices=choices_of(LEVEL_CHOICES)),
        Filter(
            "state",
            _("状态"),
            "state",
            choices=choices_of(TIER_STATE_LABELS),
        ),
        Filter("area", _("区域"), "enterprise__area_id", choices=area_choices),
        Filter("q", _("关键词"), "", keyword_fields=("enterprise__name", "certificate_no")),
    ],
    default_sort="-issued_on",
    export_name="资质称号",
)


def _days_left(tier: Tier) -> int | None:
    if tier.expires_on is None:
        return None
    return (tier.expires_on - clock.today()).days


EXPIRING_LIST = _list_spec(
    "expiring",
    title=_("即将到期"),
    queryset=lambda request: queries.expiring(
        Tier.objects.select_related("enterprise", "enterprise__area")
    ),
    columns=[
        Column("enterprise__name", _("企业名称"), sort="enterprise__name", link=True),
        Column("get_code_display", _("资质称号"), sort="code"),
        Column("level_label", _("级别")),
        Column("certificate_no", _("证书编号"), css="code"),
        Column("expires_on", _("有效期至"), sort="expires_on", css="date"),
        Column("days_left", _("剩余天数"), value=_days_left, numeric=True),
        Column("enterprise__area", _("所在区域"), sort="enterprise__area__sort_order"),
    ],
    filters=[
        Filter("code", _("资质称号"), "code", choices=choices_of(TIER_CHOICES)),
        Filter("area", _("区域"), "enterprise__area_id", choices=area_choices),
        Filter("q", _("关键词"), "", keyword_fields=("enterprise__name", "certificate_no")),
    ],
    default_sort="expires_on",
    export_name="即将到期资质",
)
EXPIRING_LIST.extra_context["intro"] = _("有效期在今后 90 天内届满、尚未登记复审或续期的证书。")


def _pool_years(request: HttpRequest) -> list[tuple[str, str]]:
    years = queries.pool_years(scoping.visible(request.user, PoolEntry.objects.all()))
    return [(str(y), gettext("%(year)s年") % {"year": y}) for y in years]


def _responsible(entry: PoolEntry) -> str:
    return str(entry.responsible) if entry.responsible else "-"


POOL_LIST = _list_spec(
    "pool",
    title=_("培育库"),
    queryset=lambda request: PoolEntry.objects.select_related(
        "enterprise", "enterprise__area", "responsible"
    ).annotate(in_pool=ExpressionWrapper(~Q(stage="exited"), output_field=BooleanField())),
    columns=[
        Column("enterprise__name", _("企业名称"), sort="enterprise__name", link=True),
        Column("get_target_display", _("培育目标"), sort="target"),
        Column("year", _("培育年度"), sort="year"),
        Column("get_stage_display", _("阶段"), sort="stage"),
        Column("responsible", _("责任人"), value=_responsible),
        Column("entered_on", _("入库日期"), sort="entered_on", css="date"),
        Column("stage_since", _("进入本阶段"), sort="stage_since", css="date"),
        Column("enterprise__area", _("所在区域"), sort="enterprise__area__sort_order"),
    ],
    filters=[
        Filter("year", _("培育年度"), "year", choices=_pool_years),
        Filter("target", _("培育目标"), "target", choices=choices_of(TIER_CHOICES)),
        Filter("stage", _("阶段"), "stage", choices=choices_of(STAGE_CHOICES)),
        Filter(
            "in_pool",
            _("在库"),
            "in_pool",
            choices=lambda r: [("1", gettext("在库")), ("0", gettext("已退出"))],
        ),
        Filter("area", _("区域"), "enterprise__area_id", choices=area_choices),
        Filter("q", _("关键词"), "", keyword_fields=("enterprise__name", "enterprise__uscc")),
    ],
    default_sort="enterprise__name",
    export_name="培育库",
    readers=scoping.works_for_the_city,
)


enterprise_list = ENTERPRISE_LIST.as_view()


@login_required
def tier_list(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    counts = queries.tier_counts(on=today, tiers=scoping.visible(request.user, Tier.objects.all()))
    cards = [
        {"label": gettext(domain.TIER_LABELS[c]), "code": c.value, "count": counts[c.value]}
        for c in domain.TierCode
    ]
    cards.insert(
        5,
        {
            "label": gettext(domain.COMBINED_LABELS[domain.EAGLET_OR_GAZELLE]),
            "code": "",
            "count": counts[domain.EAGLET_OR_GAZELLE],
        },
    )
    cards.append(
        {
            "label": gettext(domain.COMBINED_LABELS[domain.SPECIALISED_NEW_ALL]),
            "code": "",
            "count": counts[domain.SPECIALISED_NEW_ALL],
        }
    )
    spec = dataclasses.replace(
        TIER_LIST, extra_context={**TIER_LIST.extra_context, "cards": cards, "cards_date": today}
    )
    return spec.render(request)


expiring_list = EXPIRING_LIST.as_view()


@login_required
def pool_list(request: HttpRequest) -> HttpResponse:
    POOL_LIST.check_reader(request.user)
    if not request.GET:  # open on the latest year's pool
        years = queries.pool_years(scoping.visible(request.user, PoolEntry.objects.all()))
        if years:
            return redirect(f"{request.path}?year={years[0]}")
    return POOL_LIST.render(request)


@login_required
def pool_funnel(request: HttpRequest) -> HttpResponse:
    POOL_LIST.check_reader(request.user)  # the funnel is the pool's figures: same readers
    entries = scoping.visible(request.user, PoolEntry.objects.all())
    years = queries.pool_years(entries)
    today = clock.today()
    try:
        year = int(request.GET.get("year") or (years[0] if years else today.year))
    except ValueError:
        year = years[0] if years else today.year
    tables = queries.pool_funnel(entries, year=year)
    chart = None
    if tables:
        stages = [str(row.label) for row in tables[0].rows if row.stage != domain.Stage.EXITED]
        chart = {
            "tooltip": {"trigger": "axis"},
            **charts.frame(),
            "xAxis": {"type": "category", "data": stages},
            "yAxis": {"type": "value", "name": "家"},
            "series": [
                {
                    "name": t.target_label,
                    "type": "bar",
                    "data": [r.reached for r in t.rows if r.stage != domain.Stage.EXITED],
                }
                for t in tables
            ],
        }
    return render(
        request,
        "enterprises/funnel.html",
        {
            "title": gettext("培育漏斗"),
            "subnav": _subnav("funnel", request.user),
            "year": year,
            "years": years or [year],
            "tables": tables,
            "chart": chart,
        },
    )


# --------------------------------------------------------------------------------------
# One enterprise
# --------------------------------------------------------------------------------------


def _tier_state(tier: Tier, today: datetime.date) -> str:
    if tier.ended_on is not None and tier.ended_on <= today:
        return "lost"
    if tier.issued_on > today:
        return "pending"
    if tier.expires_on is not None and tier.expires_on < today:
        return "expired"
    return "held"


def _facts_years(request: HttpRequest) -> list[int]:
    today = clock.today()
    try:
        last = int(request.GET.get("to") or today.year)
    except ValueError:
        last = today.year
    last = max(2000, min(last, today.year))
    return list(range(last - 3, last + 1))


@login_required
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = scoping.get_for_user(
        request.user, Enterprise.objects.select_related("area", "industry"), pk=pk
    )
    tab = request.GET.get("tab", "basic")
    if tab not in dict(TABS):
        tab = "basic"
    user = request.user
    today = clock.today()
    context: dict[str, Any] = {
        "enterprise": enterprise,
        "tab": tab,
        "tabs": TABS,
        "today": today,
        "show_contacts": services.can_see_contacts(user, enterprise),
        "held": queries.tiers_held(enterprise, today),
    }
    if tab == "basic":
        context["former_names"] = list(enterprise.former_names.all())
        context["clusters"] = list(enterprise.clusters.select_related("scheme"))
    elif tab == "facts":
        years = _facts_years(request)
        rows = queries.profile_facts(enterprise, years)
        context.update(
            {
                "years": years,
                "fact_rows": rows,
                "conflicts": sum(1 for r in rows for c in r.cells if c.conflict),
                "previous_to": years[-1] - 1,
                "next_to": years[-1] + 1 if years[-1] < today.year else None,
                "import_sources": [
                    (fact_import_kind(s), gettext(domain.SOURCE_LABELS[s]))
                    for s in domain.Source
                    if excel.may_import(user, excel.REGISTRY[fact_import_kind(s)])
                ],
            }
        )
    elif tab == "tiers":
        tiers = list(
            Tier.objects.filter(enterprise=enterprise)
            .select_related("renewal_of")
            .prefetch_related("renewals")
            .order_by("code", "-issued_on")
        )
        for t in tiers:
            t.state = _tier_state(t, today)  # type: ignore[attr-defined]
        context.update(
            {
                "tiers": tiers,
                "events": list(
                    TierEvent.objects.filter(enterprise=enterprise)
                    .select_related("recorded_by", "tier")
                    .order_by("-date", "-id")
                ),
                "state_labels": TIER_STATE_LABELS,
                "state_badges": TIER_STATE_BADGE,
                "warn_until": today + datetime.timedelta(days=domain.EXPIRY_WARNING_DAYS),
            }
        )
    elif tab == "portrait":
        context["portrait"] = queries.portrait(enterprise, today=today)
    elif tab == "pool":
        entries = list(
            scoping.visible(user, PoolEntry.objects.filter(enterprise=enterprise))
            .select_related("responsible")
            .order_by("-year", "target")
        )
        follow_ups = scoping.visible(
            user, FollowUp.objects.filter(entry__enterprise=enterprise)
        ).select_related("recorded_by")
        by_entry: dict[int, list[FollowUp]] = {}
        for f in follow_ups.order_by("-date", "-id"):
            by_entry.setdefault(f.entry_id, []).append(f)
        for e in entries:
            e.log = by_entry.get(e.pk, [])  # type: ignore[attr-defined]
        context.update(
            {
                "entries": entries,
                "sees_log": scoping.can(user, Action.VIEW, model=FollowUp),
                "stage_badges": STAGE_BADGE,
            }
        )
    elif tab == "history":
        context["history"] = (
            scoping.visible(user, AuditEntry.objects.filter(enterprise_id=enterprise.pk))
            .select_related("actor")
            .order_by("-timestamp", "-id")[:200]
        )
    return render(request, "enterprises/detail.html", context)


@login_required
def enterprise_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    enterprise = None
    if pk is not None:
        enterprise = scoping.get_for_user(request.user, Enterprise, Action.CHANGE, pk=pk)
    else:
        scoping.require(request.user, Action.CREATE, model=Enterprise)
    form = EnterpriseForm(request.POST or None, instance=enterprise, user=request.user)

    def save(data: dict[str, Any]) -> Enterprise:
        values = {f: data[f] for f in form.Meta.fields}
        if enterprise is None:
            return services.enterprise_create(user=request.user, **values)
        return services.enterprise_update(user=request.user, enterprise=enterprise, **values)

    return form_page(
        request,
        form,
        save,
        template="enterprises/form.html",
        context={"enterprise": enterprise},
        success=gettext("已保存"),
        then=lambda saved: reverse("enterprises:detail", args=[saved.pk]),
        refused_field="area",
    )


def _form_flow(
    request: HttpRequest,
    form: Any,
    action: Callable[[dict[str, Any]], Any],
    *,
    title: str,
    enterprise: Enterprise,
    tab: str,
    intro: str = "",
    **submit_options: Any,
) -> HttpResponse:
    """An enterprise's sub-form (a fact, a tier, a pool step): `core.forms.form_page` on
    the enterprise's form page, going back to the enterprise's `tab`."""
    back = _back(enterprise, tab)
    return form_page(
        request,
        form,
        action,
        template="enterprises/form_page.html",
        context={"title": title, "enterprise": enterprise, "back": back, "intro": intro},
        then=back,
        **submit_options,
    )


def _back(enterprise: Enterprise, tab: str) -> str:
    return reverse("enterprises:detail", args=[enterprise.pk]) + f"?tab={tab}"


@login_required
def fact_new(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = scoping.get_for_user(
        request.user, Enterprise.objects.select_related("area"), pk=pk
    )
    scoping.require(
        request.user,
        Action.CREATE,
        model=FactSubmission,
        values={"enterprise__area": enterprise.area, "enterprise": enterprise},
    )
    form = FactValueForm(request.POST or None, user=request.user, enterprise=enterprise)
    return _form_flow(
        request,
        form,
        lambda data: services.facts_record(
            user=request.user,
            enterprise=enterprise,
            year=data["year"],
            source=data["source"],
            values={data["fact"].code: data["value"]},
            as_of=data["as_of"],
        ),
        success=gettext("已记录"),
        title=gettext("填报或更正年度数据"),
        enterprise=enterprise,
        tab="facts",
        intro=gettext("按来源记录一项数据；同一来源、同一年度的原值被替换，其他来源的值保留。"),
        # the service names the fact by its code, which is the value field here
        error_field="value",
        refused_field="source",
    )


@login_required
def tier_new(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = scoping.get_for_user(
        request.user, Enterprise.objects.select_related("area"), pk=pk
    )
    scoping.require(
        request.user,
        Action.CREATE,
        model=Tier,
        values={"enterprise__area": enterprise.area, "enterprise": enterprise},
    )
    initial: dict[str, Any] = {"issued_on": clock.today()}
    code = request.GET.get("code", "")
    if code in {c.value for c in domain.TierCode}:
        initial["code"] = code
        initial["level"] = domain.DEFAULT_LEVEL[domain.TierCode(code)].value
    form = TierForm(request.POST or None, initial=initial)
    return _form_flow(
        request,
        form,
        lambda data: services.tier_grant(user=request.user, enterprise=enterprise, **data),
        success=gettext("已登记"),
        title=gettext("登记资质称号"),
        enterprise=enterprise,
        tab="tiers",
        intro=gettext("接续原证书的（到期前或到期后 180 天内发证）记为复审续期，否则记为新认定。"),
    )


@login_required
def tier_lose(request: HttpRequest, tier_pk: int) -> HttpResponse:
    tier = scoping.get_for_user(
        request.user, Tier.objects.select_related("enterprise"), Action.CHANGE, pk=tier_pk
    )
    form = TierLoseForm(request.POST or None, initial={"date": clock.today()})
    return _form_flow(
        request,
        form,
        lambda data: services.tier_lose(user=request.user, tier=tier, **data),
        success=gettext("已登记撤销"),
        title=gettext("撤销/取消：%(tier)s") % {"tier": tier},
        enterprise=tier.enterprise,
        tab="tiers",
    )


@login_required
def tier_redirect(request: HttpRequest, tier_pk: int) -> HttpResponse:
    tier = scoping.get_for_user(request.user, Tier, pk=tier_pk)
    return redirect(tier.get_absolute_url())


@login_required
def pool_new(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = scoping.get_for_user(
        request.user, Enterprise.objects.select_related("area"), pk=pk
    )
    scoping.require(
        request.user,
        Action.CREATE,
        model=PoolEntry,
        values={"enterprise__area": enterprise.area, "enterprise": enterprise},
    )
    initial: dict[str, Any] = {"entered_on": clock.today(), "responsible": request.user.pk}
    if request.GET.get("target") in {c.value for c in domain.TierCode}:
        initial["target"] = request.GET["target"]
    form = PoolEntryForm(request.POST or None, enterprise=enterprise, initial=initial)
    return _form_flow(
        request,
        form,
        lambda data: services.pool_enter(user=request.user, enterprise=enterprise, **data),
        success=gettext("已纳入培育库"),
        title=gettext("纳入培育库"),
        enterprise=enterprise,
        tab="pool",
    )


def _entry_for_change(request: HttpRequest, entry_pk: int) -> PoolEntry:
    return scoping.get_for_user(
        request.user,
        PoolEntry.objects.select_related("enterprise", "enterprise__area"),
        Action.CHANGE,
        pk=entry_pk,
    )


@login_required
def pool_stage(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = _entry_for_change(request, entry_pk)
    form = StageForm(request.POST or None, initial={"date": clock.today()})
    return _form_flow(
        request,
        form,
        lambda data: services.pool_change_stage(user=request.user, entry=entry, **data),
        success=gettext("阶段已变更"),
        title=gettext("变更阶段：%(entry)s") % {"entry": entry},
        enterprise=entry.enterprise,
        tab="pool",
        intro=gettext("当前阶段：%(stage)s（自 %(since)s）")
        % {"stage": entry.get_stage_display(), "since": entry.stage_since.isoformat()},
    )


@login_required
def pool_follow_up(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = _entry_for_change(request, entry_pk)
    form = FollowUpForm(request.POST or None, initial={"date": clock.today()})
    return _form_flow(
        request,
        form,
        lambda data: services.pool_follow_up(user=request.user, entry=entry, **data),
        success=gettext("已记录"),
        title=gettext("跟踪记录：%(entry)s") % {"entry": entry},
        enterprise=entry.enterprise,
        tab="pool",
    )


@login_required
def pool_assign(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = _entry_for_change(request, entry_pk)
    form = AssignForm(
        request.POST or None,
        enterprise=entry.enterprise,
        initial={"responsible": entry.responsible_id},
    )
    return _form_flow(
        request,
        form,
        lambda data: services.pool_assign(
            user=request.user, entry=entry, responsible=data["responsible"]
        ),
        success=gettext("已保存"),
        title=gettext("责任人：%(entry)s") % {"entry": entry},
        enterprise=entry.enterprise,
        tab="pool",
    )


@login_required
def pool_entry_redirect(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = scoping.get_for_user(request.user, PoolEntry, pk=entry_pk)
    return redirect(entry.get_absolute_url())
