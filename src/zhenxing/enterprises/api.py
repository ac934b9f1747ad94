import datetime
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from zhenxing.clusters.models import Cluster
from zhenxing.core import audit, clock, scoping
from zhenxing.core.api import AuditOut
from zhenxing.core.models import Area, Industry
from zhenxing.core.pagination import BoundedLimitOffsetPagination, filter_given
from zhenxing.core.roles import Action
from zhenxing.core.services import DomainError
from zhenxing.core.validation import SaneDate
from zhenxing.enterprises import queries, services
from zhenxing.enterprises.models import (
    Enterprise,
    FactDefinition,
    FollowUp,
    Ownership,
    PoolEntry,
    SizeClass,
    Tier,
    TierEvent,
)

router = Router(tags=["enterprises"])

TierCodeIn = Literal[
    "tech_sme",
    "high_tech",
    "eaglet",
    "gazelle",
    "unicorn",
    "innovative_sme",
    "specialised_new_sme",
    "little_giant",
    "single_champion",
    "above_size",
]
LevelIn = Literal["national", "provincial", "city"]
SourceIn = Literal["tax", "statistics", "market_regulator", "self_reported"]
StageIn = Literal["entered", "cultivating", "applying", "recognised", "exited"]
FollowUpKindIn = Literal["visit", "phone", "meeting", "service"]


# --------------------------------------------------------------------------------------
# Tier counts and gains (declared before /{enterprise_id} so that the paths match first)
# --------------------------------------------------------------------------------------


class TierCountsOut(Schema):
    date: datetime.date
    counts: dict[str, int] = Field(
        ...,
        description=(
            "每个资质称号代码的持有企业数（一家企业持有几个称号就分别计入），另有 "
            "eaglet_or_gazelle（雏鹰或瞪羚，去重）与 specialised_new_all（国家级小巨人与省级"
            "专精特新，去重）"
        ),
    )


@router.get("/tier-counts", response=TierCountsOut)
def tier_counts(request: HttpRequest, date: datetime.date | None = None) -> Any:
    """Enterprises holding each tier on `date` (default today): issued on or before it,
    not expired before it, not revoked on or before it. Scoped to what the user may see."""
    day = date or clock.today()
    tiers = scoping.visible(request.user, Tier.objects.all())
    return {"date": day, "counts": queries.tier_counts(on=day, tiers=tiers)}


class TierGainsOut(Schema):
    start: datetime.date = Field(..., alias="from")
    end: datetime.date = Field(..., alias="to")
    counts: dict[str, int]


class SpanIn(Schema):
    start: SaneDate = Field(..., alias="from", description="开始日期（含）")
    end: SaneDate = Field(..., alias="to", description="结束日期（含）")


@router.get("/tier-gains", response=TierGainsOut, by_alias=True)
def tier_gains(request: HttpRequest, span: Query[SpanIn]) -> Any:
    """Enterprises newly recognised (a grant, not a renewal) for each tier in the span,
    both days included."""
    if span.end < span.start:
        raise DomainError("日期有误", {"to": "结束日期不能早于开始日期"})
    events = scoping.visible(request.user, TierEvent.objects.all())
    return {
        "from": span.start,
        "to": span.end,
        "counts": queries.tier_gains(start=span.start, end=span.end, events=events),
    }


class TierOut(Schema):
    id: int
    enterprise_id: int
    enterprise_name: str
    code: str
    level: str
    certificate_no: str
    issuer: str
    batch: str
    issued_on: datetime.date
    expires_on: datetime.date | None
    ended_on: datetime.date | None
    end_reason: str
    renewal_of_id: int | None
    held_today: bool

    @staticmethod
    def resolve_enterprise_name(obj: Tier) -> str:
        return obj.enterprise.name

    @staticmethod
    def resolve_held_today(obj: Tier) -> bool:
        return obj.held_on(clock.today())


@router.get("/tiers", response=list[TierOut])
@paginate(BoundedLimitOffsetPagination)
def list_tiers(
    request: HttpRequest,
    code: TierCodeIn | None = None,
    level: LevelIn | None = None,
    held_on: datetime.date | None = None,
    expiring_within: int | None = Query(None, ge=1, le=3650),
) -> Any:
    """Certificates; `held_on` keeps those held that day; `expiring_within` (days) gives the
    reminders: held today, expiring within that many days, not yet renewed."""
    qs = scoping.visible(request.user, Tier.objects.select_related("enterprise")).order_by("id")
    qs = filter_given(qs, code=code, level=level)
    if held_on:
        qs = qs.filter(queries.held_q(held_on))
    if expiring_within:
        qs = queries.expiring(qs, days=expiring_within)
    return qs


class FactDefinitionOut(Schema):
    code: str
    label: str
    label_en: str
    value_type: str
    unit: str
    scale: int
    derivation: str
    source_priority: list[str]
    importable: bool
    in_catalogue: bool

    @staticmethod
    def resolve_source_priority(obj: FactDefinition) -> list[str]:
        return [s.value for s in obj.priority]


@router.get("/fact-definitions", response=list[FactDefinitionOut])
def list_fact_definitions(request: HttpRequest) -> Any:
    """The facts kept per enterprise and year (ids as in the rule catalogue's facts.yaml)
    and the order in which sources are read."""
    return scoping.visible(request.user, FactDefinition.objects.all())


class FunnelRowOut(Schema):
    stage: str
    label: str
    current: int
    reached: int


class FunnelOut(Schema):
    year: int
    target: str
    target_label: str
    total: int
    rows: list[FunnelRowOut]


@router.get("/pool/funnel", response=list[FunnelOut])
def pool_funnel(request: HttpRequest, year: int = Query(..., ge=2000, le=2999)) -> Any:
    """Per target tier: entries of the year now at each stage, and having reached it."""
    entries = scoping.visible(request.user, PoolEntry.objects.all())
    return [
        {
            "year": t.year,
            "target": t.target,
            "target_label": t.target_label,
            "total": t.total,
            "rows": [
                {
                    "stage": r.stage.value,
                    "label": r.label,
                    "current": r.current,
                    "reached": r.reached,
                }
                for r in t.rows
            ],
        }
        for t in queries.pool_funnel(entries, year=year)
    ]


class PoolEntryOut(Schema):
    id: int
    enterprise_id: int
    enterprise_name: str
    target: str
    year: int
    stage: str
    stage_since: datetime.date
    entered_on: datetime.date
    responsible: str | None
    exit_reason: str

    @staticmethod
    def resolve_enterprise_name(obj: PoolEntry) -> str:
        return obj.enterprise.name

    @staticmethod
    def resolve_responsible(obj: PoolEntry) -> str | None:
        return str(obj.responsible) if obj.responsible else None


@router.get("/pool", response=list[PoolEntryOut])
@paginate(BoundedLimitOffsetPagination)
def list_pool(
    request: HttpRequest,
    year: int | None = Query(None, ge=2000, le=2999),
    target: TierCodeIn | None = None,
    stage: StageIn | None = None,
) -> Any:
    qs = scoping.visible(
        request.user, PoolEntry.objects.select_related("enterprise", "responsible")
    ).order_by("id")
    qs = filter_given(qs, year=year, target=target, stage=stage)
    return qs


class StageIn_(Schema):
    stage: StageIn
    date: SaneDate | None = None
    note: str = Field("", max_length=255)
    exit_reason: str = Field("", max_length=255)


@router.post("/pool/{int:entry_id}/stage", response=PoolEntryOut)
def change_stage(request: HttpRequest, entry_id: int, payload: StageIn_) -> Any:
    entry = scoping.get_for_user(
        request.user, PoolEntry.objects.select_related("enterprise"), pk=entry_id
    )
    return services.pool_change_stage(user=request.user, entry=entry, **payload.dict())


class FollowUpIn(Schema):
    kind: FollowUpKindIn
    note: str = Field(..., min_length=1, max_length=4000)
    date: SaneDate | None = None
    next_step: str = Field("", max_length=255)


class FollowUpOut(Schema):
    id: int
    date: datetime.date
    kind: str
    note: str
    next_step: str
    stage_from: str
    stage_to: str
    recorded_by: str | None

    @staticmethod
    def resolve_recorded_by(obj: FollowUp) -> str | None:
        return str(obj.recorded_by) if obj.recorded_by else None


@router.get("/pool/{int:entry_id}/follow-ups", response=list[FollowUpOut])
def list_follow_ups(request: HttpRequest, entry_id: int) -> Any:
    """Staff notes: enterprises get 404 (they see their entry, not the log)."""
    entry = scoping.get_for_user(request.user, PoolEntry, pk=entry_id)
    if not scoping.can(request.user, Action.VIEW, model=FollowUp):
        raise scoping.NotFound()
    follow_ups = scoping.visible(request.user, FollowUp.objects.filter(entry=entry))
    return follow_ups.select_related("recorded_by").order_by("-date", "-id")


@router.post("/pool/{int:entry_id}/follow-ups", response={201: FollowUpOut})
def add_follow_up(request: HttpRequest, entry_id: int, payload: FollowUpIn) -> Any:
    entry = scoping.get_for_user(request.user, PoolEntry, pk=entry_id)
    return Status(201, services.pool_follow_up(user=request.user, entry=entry, **payload.dict()))


class LoseIn(Schema):
    date: SaneDate
    reason: str = Field(..., min_length=1, max_length=255)


@router.post("/tiers/{int:tier_id}/lose", response=TierOut)
def lose_tier(request: HttpRequest, tier_id: int, payload: LoseIn) -> Any:
    tier = scoping.get_for_user(request.user, Tier.objects.select_related("enterprise"), pk=tier_id)
    return services.tier_lose(user=request.user, tier=tier, **payload.dict())


# --------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------


class EnterpriseOut(Schema):
    id: int
    uscc: str
    name: str
    area_code: str
    industry_code: str | None
    address: str
    ownership: str
    size_class: str
    registration_date: datetime.date | None
    above_size_since: datetime.date | None

    @staticmethod
    def resolve_area_code(obj: Enterprise) -> str:
        return obj.area.code

    @staticmethod
    def resolve_industry_code(obj: Enterprise) -> str | None:
        return obj.industry_id


class ContactsOut(Schema):
    name: str
    phone: str


class EnterpriseDetailOut(EnterpriseOut):
    former_names: list[str]
    cluster_codes: list[str]
    contacts: ContactsOut | None = Field(
        None, description="个人信息：仅对负责服务该企业的工作人员与企业本身提供，否则为 null"
    )

    @staticmethod
    def resolve_former_names(obj: Enterprise) -> list[str]:
        return [f.name for f in obj.former_names.all()]

    @staticmethod
    def resolve_cluster_codes(obj: Enterprise) -> list[str]:
        return [f"{c.scheme.code}/{c.code}" for c in obj.clusters.all()]

    @staticmethod
    def resolve_contacts(obj: Enterprise, context: Any) -> dict[str, str] | None:
        request = context["request"]
        if not services.can_see_contacts(request.user, obj):
            return None
        return {"name": obj.contact_name, "phone": obj.contact_phone}


class EnterpriseIn(Schema):
    uscc: str = Field(..., max_length=32, description="统一社会信用代码")
    name: str = Field(..., min_length=1, max_length=128)
    area_code: str = Field(..., max_length=12)
    industry_code: str | None = Field(None, max_length=8)
    address: str = Field("", max_length=255)
    ownership: Ownership = Ownership.PRIVATE
    size_class: SizeClass = SizeClass.SMALL
    registration_date: SaneDate | None = None
    above_size_since: SaneDate | None = None
    cluster_codes: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="集群：方案代码/集群代码，如 2023-4-4-N/steel",
    )


class EnterprisePatch(Schema):
    """Only the fields sent change. A field the record must have may be left out but not
    sent as null (422 naming it); `industry_code` and the dates may be cleared."""

    uscc: str = Field(None, max_length=32)  # type: ignore[assignment]
    name: str = Field(None, min_length=1, max_length=128)  # type: ignore[assignment]
    area_code: str = Field(None, max_length=12)  # type: ignore[assignment]
    industry_code: str | None = Field(None, max_length=8)
    address: str = Field(None, max_length=255)  # type: ignore[assignment]
    ownership: Ownership = None  # type: ignore[assignment]
    size_class: SizeClass = None  # type: ignore[assignment]
    registration_date: SaneDate | None = None
    above_size_since: SaneDate | None = None
    cluster_codes: list[str] | None = Field(None, max_length=20)


def _resolve(values: dict[str, Any]) -> dict[str, Any]:
    """Turn codes into records, naming the field when a code is unknown."""
    out = dict(values)
    if "area_code" in out:
        code = out.pop("area_code")
        area = Area.objects.filter(code=code).first()
        if area is None:
            raise DomainError("区域代码不存在", {"area_code": f"区域代码“{code}”不存在"})
        out["area"] = area
    if "industry_code" in out:
        code = out.pop("industry_code")
        if code:
            industry = Industry.objects.filter(code=code).first()
            if industry is None:
                raise DomainError(
                    "行业代码不存在", {"industry_code": f"GB/T 4754-2017 中没有代码“{code}”"}
                )
            out["industry"] = industry
        else:
            out["industry"] = None
    if "cluster_codes" in out:
        codes = out.pop("cluster_codes")
        if codes is not None:
            wanted = Q(pk__in=[])
            for key in codes:
                scheme, _, code = str(key).partition("/")
                wanted |= Q(scheme__code=scheme, code=code)
            clusters = list(Cluster.objects.filter(wanted).select_related("scheme"))
            unknown = sorted(set(codes) - {f"{c.scheme.code}/{c.code}" for c in clusters})
            if unknown:
                raise DomainError(
                    "集群代码不存在", {"cluster_codes": f"集群代码不存在：{'、'.join(unknown)}"}
                )
            out["clusters"] = clusters
    return out


def _detail(request: HttpRequest, enterprise_id: int) -> Enterprise:
    return scoping.get_for_user(
        request.user,
        Enterprise.objects.select_related("area").prefetch_related(
            "former_names", "clusters__scheme"
        ),
        pk=enterprise_id,
    )


@router.get("", response=list[EnterpriseOut])
@paginate(BoundedLimitOffsetPagination)
def list_enterprises(request: HttpRequest, area: str | None = None, q: str | None = None) -> Any:
    qs = scoping.visible(request.user, Enterprise.objects.select_related("area")).order_by("id")
    if area:
        qs = qs.filter(area__code=area)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(uscc__icontains=q))
    return qs


@router.get("/{int:enterprise_id}", response=EnterpriseDetailOut)
def get_enterprise(request: HttpRequest, enterprise_id: int) -> Any:
    return _detail(request, enterprise_id)


@router.post("", response={201: EnterpriseDetailOut})
def create_enterprise(request: HttpRequest, payload: EnterpriseIn) -> Any:
    values = _resolve(payload.dict())
    enterprise = services.enterprise_create(user=request.user, **values)
    return Status(201, _detail(request, enterprise.pk))


@router.patch("/{int:enterprise_id}", response=EnterpriseDetailOut)
def update_enterprise(request: HttpRequest, enterprise_id: int, payload: EnterprisePatch) -> Any:
    enterprise = scoping.get_for_user(request.user, Enterprise, pk=enterprise_id)
    values = _resolve(payload.dict(exclude_unset=True))
    services.enterprise_update(user=request.user, enterprise=enterprise, **values)
    return _detail(request, enterprise_id)


@router.get("/{int:enterprise_id}/history", response=list[AuditOut])
def enterprise_history(request: HttpRequest, enterprise_id: int) -> Any:
    enterprise = scoping.get_for_user(request.user, Enterprise, pk=enterprise_id)
    return audit.entries_for(enterprise).select_related("area", "content_type")[:500]


# --------------------------------------------------------------------------------------
# One enterprise's facts, tiers, portrait and pool entries
# --------------------------------------------------------------------------------------


class SourceValueOut(Schema):
    source: str
    value: str
    as_of: datetime.date
    effective: bool


class FactYearOut(Schema):
    fact: str
    label: str
    unit: str
    year: int
    value: str | None = Field(
        None,
        description="规则读取的值（按来源优先级；推出的事实亦在此）；"
        "unit 为 yuan 的金额以元计，两位小数（网页与模板以万元显示和填写）",
    )
    derived: bool
    conflict: bool
    sources: list[SourceValueOut]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return f"{value}"


@router.get("/{int:enterprise_id}/facts", response=list[FactYearOut])
def enterprise_facts(
    request: HttpRequest,
    enterprise_id: int,
    year_from: int = Query(..., ge=2000, le=2999),
    year_to: int = Query(..., ge=2000, le=2999),
) -> Any:
    """Per fact and year: the value the rules read, every source's value, conflicts."""
    enterprise = scoping.get_for_user(request.user, Enterprise, pk=enterprise_id)
    if year_to < year_from or year_to - year_from > 20:
        raise DomainError("年度有误", {"year_to": "结束年度应不早于开始年度，且跨度不超过 20 年"})
    rows = queries.profile_facts(enterprise, list(range(year_from, year_to + 1)))
    out = []
    for row in rows:
        for cell in row.cells:
            if cell.value is None and not cell.sources:
                continue
            out.append(
                {
                    "fact": row.code,
                    "label": row.label,
                    "unit": row.unit,
                    "year": cell.year,
                    "value": _text(cell.value),
                    "derived": cell.derived,
                    "conflict": cell.conflict,
                    "sources": [
                        {
                            "source": s.source,
                            "value": _text(s.value) or "",
                            "as_of": s.as_of,
                            "effective": s.effective,
                        }
                        for s in cell.sources
                    ],
                }
            )
    return out


class FactsIn(Schema):
    year: int = Field(..., ge=2000, le=2999)
    source: SourceIn
    as_of: SaneDate | None = None
    values: dict[str, str | int | float | bool | None] = Field(
        ...,
        description="事实标识 → 值（金额以元计，可为数字或 “1234.50” 这样的字符串，"
        "最多两位小数；日期 YYYY-MM-DD，布尔 true/false）",
    )


class SubmissionOut(Schema):
    enterprise_id: int
    year: int
    source: str
    as_of: datetime.date
    summary: str


@router.post("/{int:enterprise_id}/facts", response={201: SubmissionOut})
def record_facts(request: HttpRequest, enterprise_id: int, payload: FactsIn) -> Any:
    """Record one source's figures for the year (the same source's earlier values of
    these facts are replaced). Enterprise users may report source `self_reported` only."""
    enterprise = scoping.get_for_user(
        request.user, Enterprise.objects.select_related("area"), pk=enterprise_id
    )
    submission = services.facts_record(user=request.user, enterprise=enterprise, **payload.dict())
    return Status(201, submission)


class TierEventOut(Schema):
    date: datetime.date
    kind: str
    code: str
    level: str
    note: str


class EnterpriseTiersOut(Schema):
    held_today: list[str]
    certificates: list[TierOut]
    events: list[TierEventOut]


@router.get("/{int:enterprise_id}/tiers", response=EnterpriseTiersOut)
def enterprise_tiers(request: HttpRequest, enterprise_id: int) -> Any:
    enterprise = scoping.get_for_user(request.user, Enterprise, pk=enterprise_id)
    tiers = scoping.visible(
        request.user, Tier.objects.filter(enterprise=enterprise).select_related("enterprise")
    ).order_by("code", "-issued_on")
    today = clock.today()
    return {
        "held_today": sorted({t.code for t in tiers if t.held_on(today)}),
        "certificates": list(tiers),
        "events": list(
            scoping.visible(request.user, TierEvent.objects.filter(enterprise=enterprise)).order_by(
                "-date", "-id"
            )
        ),
    }


class TierIn(Schema):
    code: TierCodeIn
    level: LevelIn | None = None
    issued_on: SaneDate
    expires_on: SaneDate | None = None
    certificate_no: str = Field("", max_length=64)
    issuer: str = Field("", max_length=128)
    batch: str = Field("", max_length=128)
    note: str = Field("", max_length=255)


@router.post("/{int:enterprise_id}/tiers", response={201: TierOut})
def grant_tier(request: HttpRequest, enterprise_id: int, payload: TierIn) -> Any:
    """Record a certificate: a renewal if it continues one held, else a grant (the event
    "newly recognised" policies read)."""
    enterprise = scoping.get_for_user(
        request.user, Enterprise.objects.select_related("area"), pk=enterprise_id
    )
    return Status(
        201, services.tier_grant(user=request.user, enterprise=enterprise, **payload.dict())
    )


class GapOut(Schema):
    fact: str
    fact_label: str
    current: str | None
    target: str | None
    change: str | None
    message: str
    computable: bool


class ShortfallOut(Schema):
    condition: str
    label: str
    reference: str
    note: str
    gaps: list[GapOut]


class AssessmentOut(Schema):
    tier: str
    rule_id: str
    title: str
    reference: str
    verified: bool
    status: Literal["met", "nearly", "not_met", "incomplete", "judgement"]
    score: str | None
    pending: list[str] = Field(..., description="待核实：须专家评审或申报材料确定的条件")
    missing: list[str] = Field(..., description="缺少的数据项")
    shortfalls: list[ShortfallOut]


class PortraitOut(Schema):
    enterprise_id: int
    as_of: datetime.date
    fiscal_year: int
    held: list[str]
    met: list[str]
    nearly: list[str]
    assessments: list[AssessmentOut]


def _dec(value: Any) -> str | None:
    return None if value is None else f"{value}"


@router.get("/{int:enterprise_id}/portrait", response=PortraitOut)
def enterprise_portrait(request: HttpRequest, enterprise_id: int) -> Any:
    """精准画像: tiers held today; the catalogue's criteria met, nearly met (with the gap
    for each failed condition) or not, on the latest full fiscal year's data."""
    enterprise = scoping.get_for_user(request.user, Enterprise, pk=enterprise_id)
    p = queries.portrait(enterprise)
    return {
        "enterprise_id": enterprise.pk,
        "as_of": p.as_of,
        "fiscal_year": p.fiscal_year,
        "held": sorted({t.code for t in p.held}),
        "met": sorted({a.tier.value for a in p.met}),
        "nearly": sorted({a.tier.value for a in p.nearly}),
        "assessments": [
            {
                "tier": a.tier.value,
                "rule_id": a.rule_id,
                "title": a.title,
                "reference": a.reference,
                "verified": a.verified,
                "status": a.status,
                "score": _dec(a.score),
                "pending": a.pending,
                "missing": a.missing,
                "shortfalls": [
                    {
                        "condition": s.condition,
                        "label": s.label,
                        "reference": s.reference,
                        "note": s.note,
                        "gaps": [
                            {
                                "fact": g.fact,
                                "fact_label": g.fact_label,
                                "current": _dec(g.current),
                                "target": _dec(g.target),
                                "change": _dec(g.change),
                                "message": g.message,
                                "computable": g.computable,
                            }
                            for g in s.gaps
                        ],
                    }
                    for s in a.shortfalls
                ],
            }
            for a in p.assessments
        ],
    }


class PoolIn(Schema):
    target: TierCodeIn
    year: int = Field(..., ge=2000, le=2999)
    responsible_id: int | None = None
    entered_on: SaneDate | None = None
    note: str = Field("", max_length=255)


@router.get("/{int:enterprise_id}/pool", response=list[PoolEntryOut])
def enterprise_pool(request: HttpRequest, enterprise_id: int) -> Any:
    enterprise = scoping.get_for_user(request.user, Enterprise, pk=enterprise_id)
    return scoping.visible(
        request.user,
        PoolEntry.objects.filter(enterprise=enterprise).select_related("enterprise", "responsible"),
    ).order_by("-year", "target")


@router.post("/{int:enterprise_id}/pool", response={201: PoolEntryOut})
def enter_pool(request: HttpRequest, enterprise_id: int, payload: PoolIn) -> Any:
    from django.contrib.auth import get_user_model

    enterprise = scoping.get_for_user(
        request.user, Enterprise.objects.select_related("area"), pk=enterprise_id
    )
    values = payload.dict()
    responsible_id = values.pop("responsible_id")
    responsible = None
    if responsible_id is not None:
        responsible = get_user_model().objects.filter(pk=responsible_id, is_active=True).first()
        if responsible is None:
            raise DomainError("责任人有误", {"responsible_id": "没有这个用户"})
    entry = services.pool_enter(
        user=request.user, enterprise=enterprise, responsible=responsible, **values
    )
    return Status(201, entry)
