import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja import Status as Answer
from ninja.pagination import paginate

from zhenxing.core import scoping
from zhenxing.core.codes.errors import CodeError
from zhenxing.core.models import Department
from zhenxing.core.money import Money, NonNegativeMoney, Percent
from zhenxing.core.pagination import BoundedLimitOffsetPagination, filter_given
from zhenxing.core.roles import Action
from zhenxing.core.services import DomainError
from zhenxing.core.validation import SaneDate
from zhenxing.policies import catalogues, domain, queries, services
from zhenxing.policies.models import (
    Beneficiary,
    EntryKind,
    FactList,
    LedgerEntry,
    Objection,
    ObjectionStatus,
    Policy,
    PolicyRun,
    PolicyStatus,
    RunResult,
    RunStatus,
)
from zhenxing.rules import RulesError

router = Router(tags=["policies"])


# --- schemas -----------------------------------------------------------------------


class PaidTotalOut(Schema):
    until: datetime.date
    paid_total: Money = Field(description="元，两位小数：兑付 − 冲正 + 调整")
    policies_paid: int = Field(description="截至该日兑付净额大于零的政策数")


class GuideConditionOut(Schema):
    label: str
    reference: str
    words: str


class GuideParameterOut(Schema):
    label: str
    value: str
    reference: str


class GuideOut(Schema):
    title: str
    who: str
    conditions: list[GuideConditionOut]
    amount: str
    parameters: list[GuideParameterOut]
    basis: str
    source: str
    time_limit: str
    contact: str
    department: str
    verified: bool


class PolicyOut(Schema):
    id: int
    code: str
    name: str
    department: str
    catalogue: str
    rule_file: str
    rule_id: str
    beneficiary: str
    status: str
    annual_budget: Money
    city_share_pct: Percent
    county_share_pct: Percent
    stacking: str
    stacking_group: str
    allocation: str
    time_limit: str
    contact: str
    published_on: datetime.date | None

    @staticmethod
    def resolve_department(obj: Policy) -> str:
        return obj.department.code


class PolicyDetailOut(PolicyOut):
    guide: GuideOut | None


class PublicPolicyOut(Schema):
    code: str
    name: str
    department: str
    beneficiary: str
    guide: GuideOut | None


class RunIn(Schema):
    period: str = Field(description="年度，如 2023")
    confirm: bool = Field(
        False,
        description="规则读取的名单在该年度没有登记时须为 true（否则 400，errors 指向 confirm）",
    )


class RunOut(Schema):
    id: int
    policy_id: int
    period: str
    status: str
    progress: int
    progress_note: str
    prepared_by: str | None
    approved_by: str | None
    booked_on: datetime.date | None
    rule_version: str
    population: int
    eligible_count: int
    eligible_total: Money
    excluded_count: int
    payable_count: int
    payable_total: Money
    budget_available: Money | None
    allocation_note: str
    error: str

    @staticmethod
    def resolve_prepared_by(obj: PolicyRun) -> str | None:
        return obj.prepared_by.username if obj.prepared_by else None

    @staticmethod
    def resolve_approved_by(obj: PolicyRun) -> str | None:
        return obj.approved_by.username if obj.approved_by else None


class ResultOut(Schema):
    id: int
    run_id: int
    enterprise_id: int | None
    project_id: int | None
    eligible: bool
    status: int = Field(description="0 正常，1 缺失事实不符合，2 缺失事实需补报")
    conditions: dict[str, bool]
    amount: Money
    payable: Money
    excluded: bool
    exclusion_reason: str
    note: str

    @staticmethod
    def resolve_conditions(obj: RunResult) -> dict[str, bool]:
        names = obj.run.condition_names or []
        return {n: bool(obj.conditions >> i & 1) for i, n in enumerate(names)}


class ResultDetailOut(ResultOut):
    facts: dict[str, Any]
    explanation: str

    @staticmethod
    def resolve_facts(obj: RunResult) -> dict[str, Any]:
        return obj.facts_dict()

    @staticmethod
    def resolve_explanation(obj: RunResult) -> str:
        return queries.explanation(obj)


class ExcludeIn(Schema):
    reason: str = ""
    exclude: bool = True


class LedgerOut(Schema):
    id: int
    kind: str
    policy_id: int
    run_id: int
    beneficiary_kind: str
    beneficiary_id: int
    enterprise_id: int | None
    project_id: int | None
    area: str | None
    period: str
    amount: Money
    city_amount: Money
    county_amount: Money
    booked_on: datetime.date
    reverses_id: int | None
    corrects_id: int | None
    reason: str

    @staticmethod
    def resolve_area(obj: LedgerEntry) -> str | None:
        return obj.area.code if obj.area else None


class CorrectIn(Schema):
    amount: NonNegativeMoney = Field(description="更正后的金额（元）")
    reason: str


class CorrectOut(Schema):
    reversal: LedgerOut
    adjustment: LedgerOut


class EntitlementOut(Schema):
    policy_id: int
    policy: str
    period: str
    result_id: int
    project_id: int | None
    amount: Money
    paid: Money
    explanation: str


class ObjectionIn(Schema):
    result_id: int
    reason: str


class ObjectionOut(Schema):
    id: int
    enterprise_id: int
    policy_id: int
    result_id: int | None
    period: str
    reason: str
    status: str
    created_at: datetime.datetime
    replies: list[str]

    @staticmethod
    def resolve_replies(obj: Objection) -> list[str]:
        return [r.text for r in obj.replies.all()]


class ReplyIn(Schema):
    text: str
    close: bool = False


class DryRunIn(Schema):
    period: str
    parameters: dict[str, Decimal] = Field(default_factory=dict, description="参数名 → 新取值")


class DryRunChangeOut(Schema):
    id: int
    name: str
    before: Money
    after: Money
    delta: Money


class DryRunOut(Schema):
    period: str
    baseline: str
    baseline_total: Money
    scenario_total: Money
    delta: Money
    budget: Money
    baseline_count: int
    scenario_count: int
    gainers_count: int
    losers_count: int
    gainers: list[DryRunChangeOut]
    losers: list[DryRunChangeOut]


class FactListOut(Schema):
    id: int
    name: str
    fact_id: str
    fact_label: str = Field(description="事实的中文名称（规则目录）")
    beneficiary: str = Field(description="enterprise 或 project")
    period: str
    department: str = Field(description="提供部门代码")
    as_of: datetime.date
    source_note: str
    created_by: str | None
    created_at: datetime.datetime
    entry_count: int

    @staticmethod
    def resolve_fact_label(obj: FactList) -> str:
        fact = services.list_fact(obj.fact_id)
        return fact.label if fact is not None else obj.fact_id

    @staticmethod
    def resolve_department(obj: FactList) -> str:
        return obj.department.code

    @staticmethod
    def resolve_created_by(obj: FactList) -> str | None:
        return obj.created_by.username if obj.created_by else None

    @staticmethod
    def resolve_entry_count(obj: FactList) -> int:
        count = getattr(obj, "entry_count", None)
        return int(count) if count is not None else obj.entries.count()


class FactListEntryOut(Schema):
    beneficiary_id: int = Field(description="企业或项目的编号")
    code: str = Field(description="统一社会信用代码或项目代码")
    name: str
    value: str = Field(
        description="按事实类型保存的值：数字（如 1250000.00）、true/false、日期、枚举代码"
    )


class PolicyRefOut(Schema):
    id: int
    code: str
    name: str
    status: str


class FactListDetailOut(FactListOut):
    entries: list[FactListEntryOut]
    read_by: list[PolicyRefOut] = Field(description="读取该事实的政策")

    @staticmethod
    def resolve_entries(obj: FactList) -> list[dict[str, Any]]:
        return obj.entry_rows  # type: ignore[attr-defined, no-any-return]

    @staticmethod
    def resolve_read_by(obj: FactList) -> list[Policy]:
        return obj.policies_reading  # type: ignore[attr-defined, no-any-return]


class FactListEntryIn(Schema):
    uscc: str | None = Field(None, max_length=64, description="统一社会信用代码（企业名单必填）")
    project_code: str | None = Field(None, max_length=64, description="项目代码（项目名单必填）")
    name: str = Field("", max_length=200, description="可不填；填写时须与登记的名称或曾用名一致")
    value: bool | int | float | str = Field(
        description="值，按事实类型：数字或数字字符串（金额以元计，最多两位小数，建议用字符串）、"
        "true/false（或“是”/“否”）、日期 YYYY-MM-DD、枚举代码或中文名称"
    )


class FactListIn(Schema):
    fact_id: str = Field(max_length=64, description="规则目录中的事实标识")
    beneficiary: Beneficiary = Beneficiary.ENTERPRISE
    period: str = Field(max_length=7, description="年度，如 2023")
    department: str | None = Field(
        None, max_length=32, description="提供部门代码；本人只属一个部门时可不填"
    )
    as_of: SaneDate | None = Field(None, description="截至日期，默认今天")
    source_note: str = Field("", max_length=255)
    name: str = Field("", max_length=200, description="不填则为“年度 + 事实 + 名单”")
    entries: list[FactListEntryIn] = Field(max_length=200_000)


class FactListSavedOut(Schema):
    fact_list: FactListOut
    created: bool = Field(description="true：新建；false：替换了原名单")
    added: int
    removed: int
    changed: int
    summary: str = Field(description="如“名单替换：新增 3，删除 1，变更 2”")
    notes: list[str] = Field(description="提示，如按曾用名对应到的企业")


# --- helpers -------------------------------------------------------------------------


def _guide(policy: Policy) -> dict[str, Any] | None:
    g = queries.guide_for(policy)
    if g.guide is None:
        return None
    return {
        "title": g.guide.title,
        "who": g.guide.who,
        "conditions": [c.__dict__ for c in g.guide.conditions],
        "amount": g.guide.amount,
        "parameters": [p.__dict__ for p in g.guide.parameters],
        "basis": g.guide.basis,
        "source": g.guide.source,
        "time_limit": g.time_limit,
        "contact": g.contact,
        "department": g.department,
        "verified": g.guide.verified,
    }


def _policy(request: HttpRequest, policy_id: int, action: str = Action.VIEW) -> Policy:
    return scoping.get_for_user(
        request.user, Policy.objects.select_related("department"), action, pk=policy_id
    )


def _run(request: HttpRequest, run_id: int, action: str = Action.VIEW) -> PolicyRun:
    # whoever asks for a run left "running" by a dead worker sees it failed, at once
    services.fail_stale_runs([run_id])
    return scoping.get_for_user(
        request.user,
        PolicyRun.objects.select_related("policy__department", "prepared_by", "approved_by"),
        action,
        pk=run_id,
    )


# --- routes: totals and the public catalogue (no sign-in) ------------------------------


@router.get("/payouts/total", response=PaidTotalOut, auth=None)
def payouts_total(request: HttpRequest, until: datetime.date) -> Any:
    """Paid up to and including `until`, from the ledger (payments − reversals +
    adjustments). A published city figure: no sign-in needed, no personal data."""
    total = queries.payouts_total(until=until)
    return {
        "until": total.until,
        "paid_total": total.paid_total,
        "policies_paid": total.policies_paid,
    }


@router.get("/public", response=list[PublicPolicyOut], auth=None)
def public_policies(request: HttpRequest) -> Any:
    """Published policies with their how-to-claim guide (no personal data)."""
    return [
        {
            "code": p.code,
            "name": p.name,
            "department": p.department.name,
            "beneficiary": p.beneficiary,
            "guide": _guide(p),
        }
        for p in queries.published_policies().order_by("department__sort_order", "code")
    ]


# --- routes: runs, results, ledger, objections (before /{policy_id}) -----------------


@router.get("/runs", response=list[RunOut])
@paginate(BoundedLimitOffsetPagination)
def list_runs(
    request: HttpRequest, policy: int | None = None, status: RunStatus | None = None
) -> Any:
    services.fail_stale_runs()
    qs = scoping.visible(
        request.user, PolicyRun.objects.select_related("prepared_by", "approved_by")
    ).order_by("-id")
    qs = filter_given(qs, policy_id=policy, status=status)
    return qs


@router.get("/runs/{run_id}", response=RunOut)
def get_run(request: HttpRequest, run_id: int) -> Any:
    return _run(request, run_id)


@router.post("/runs/{run_id}/rerun", response=RunOut)
def rerun(request: HttpRequest, run_id: int) -> Any:
    run = _run(request, run_id)
    return services.run_start(user=request.user, policy=run.policy, period=run.period)


@router.post("/runs/{run_id}/approve", response=RunOut)
def approve_run(request: HttpRequest, run_id: int) -> Any:
    run = _run(request, run_id)
    return services.run_approve(user=request.user, run=run)


@router.get("/runs/{run_id}/results", response=list[ResultOut])
@paginate(BoundedLimitOffsetPagination)
def list_results(
    request: HttpRequest, run_id: int, eligible: bool | None = None, payable: bool | None = None
) -> Any:
    run = _run(request, run_id)
    qs = scoping.visible(request.user, RunResult.objects.filter(run=run).select_related("run"))
    if eligible is not None:
        qs = qs.filter(eligible=eligible)
    if payable:
        qs = qs.filter(payable__gt=0)
    return qs.order_by("pk")


@router.get("/results/{result_id}", response=ResultDetailOut)
def get_result(request: HttpRequest, result_id: int) -> Any:
    result = scoping.get_for_user(
        request.user, RunResult.objects.select_related("run__policy"), pk=result_id
    )
    return result


@router.post("/results/{result_id}/exclude", response=ResultOut)
def exclude_result(request: HttpRequest, result_id: int, payload: ExcludeIn) -> Any:
    result = scoping.get_for_user(
        request.user, RunResult.objects.select_related("run"), pk=result_id
    )
    return services.result_exclude(
        user=request.user, result=result, reason=payload.reason, exclude=payload.exclude
    )


@router.get("/ledger", response=list[LedgerOut])
@paginate(BoundedLimitOffsetPagination)
def list_ledger(
    request: HttpRequest,
    policy: int | None = None,
    run: int | None = None,
    kind: EntryKind | None = None,
    until: datetime.date | None = None,
) -> Any:
    """The ledger entries in the caller's scope (no route writes one by hand)."""
    qs = scoping.visible(request.user, LedgerEntry.objects.select_related("area")).order_by("id")
    qs = filter_given(qs, policy_id=policy, run_id=run, kind=kind, booked_on__lte=until)
    return qs


@router.post("/ledger/{entry_id}/correct", response={201: CorrectOut})
def correct_entry(request: HttpRequest, entry_id: int, payload: CorrectIn) -> Answer[Any]:
    """A correction: a reversal of the entry plus one linked adjustment (department head)."""
    entry = scoping.get_for_user(request.user, LedgerEntry.objects.all(), pk=entry_id)
    reversal, adjustment = services.ledger_correct(
        user=request.user, entry=entry, amount=payload.amount, reason=payload.reason
    )
    return Answer(201, {"reversal": reversal, "adjustment": adjustment})


@router.get("/entitlements", response=list[EntitlementOut])
def my_entitlements(request: HttpRequest) -> Any:
    """The caller's own enterprise's entitlements in approved batches, with the reason."""
    grants = scoping.grants_for(request.user)
    items = queries.entitlements(sorted(grants.enterprise_ids))
    return [
        {
            "policy_id": i.policy.pk,
            "policy": i.policy.name,
            "period": i.result.run.period,
            "result_id": i.result.pk,
            "project_id": i.result.project_id,
            "amount": i.result.amount,
            "paid": i.paid,
            "explanation": queries.explanation(i.result),
        }
        for i in items
    ]


@router.get("/objections", response=list[ObjectionOut])
@paginate(BoundedLimitOffsetPagination)
def list_objections(request: HttpRequest, status: ObjectionStatus | None = None) -> Any:
    qs = scoping.visible(request.user, Objection.objects.prefetch_related("replies")).order_by(
        "-id"
    )
    if status:
        qs = qs.filter(status=status)
    return qs


@router.post("/objections", response={201: ObjectionOut})
def file_objection(request: HttpRequest, payload: ObjectionIn) -> Answer[Any]:
    result = scoping.get_for_user(
        request.user,
        RunResult.objects.select_related("run__policy", "enterprise"),
        pk=payload.result_id,
    )
    if result.enterprise is None:
        raise DomainError("该结果没有对应企业", {"result_id": "没有对应企业"})
    objection = services.objection_file(
        user=request.user,
        enterprise=result.enterprise,
        policy=result.run.policy,
        result=result,
        reason=payload.reason,
    )
    return Answer(201, objection)


@router.post("/objections/{objection_id}/replies", response={201: ObjectionOut})
def reply_objection(request: HttpRequest, objection_id: int, payload: ReplyIn) -> Answer[Any]:
    objection = scoping.get_for_user(
        request.user, Objection.objects.select_related("policy__department"), pk=objection_id
    )
    services.objection_reply(
        user=request.user, objection=objection, text=payload.text, close=payload.close
    )
    objection.refresh_from_db()
    return Answer(201, objection)


# --- routes: department lists (名单) -----------------------------------------------------


def _fact_lists(request: HttpRequest) -> Any:
    return scoping.visible(
        request.user,
        FactList.objects.select_related("department", "created_by").annotate(
            entry_count=Count("entries")
        ),
    )


@router.get("/lists", response=list[FactListOut])
@paginate(BoundedLimitOffsetPagination)
def list_fact_lists(
    request: HttpRequest,
    fact_id: str | None = None,
    beneficiary: Beneficiary | None = None,
    period: str | None = None,
    department: str | None = None,
) -> Any:
    """Departments' lists (名单) in the caller's scope, newest period first."""
    qs = _fact_lists(request).order_by("-period", "fact_id", "id")
    qs = filter_given(
        qs,
        fact_id=fact_id,
        beneficiary=beneficiary,
        period=period,
        department__code=department,
    )
    return qs


@router.get("/lists/{list_id}", response=FactListDetailOut)
def get_fact_list(request: HttpRequest, list_id: int) -> Any:
    """One list with all its entries (code, name, value) and the policies that read it."""
    fact_list = scoping.get_for_user(request.user, _fact_lists(request), pk=list_id)
    fact = services.list_fact(fact_list.fact_id)
    entries = scoping.visible(request.user, queries.list_entries(fact_list, fact))
    fact_list.entry_rows = [
        {"beneficiary_id": pk, "code": code or "", "name": name or "", "value": value}
        for pk, code, name, value in entries.order_by("b_code", "beneficiary_id").values_list(
            "beneficiary_id", "b_code", "b_name", "value"
        )
    ]
    fact_list.policies_reading = queries.policies_reading(
        fact_list, scoping.visible(request.user, Policy.objects.all())
    )
    return fact_list


MAX_ENTRY_ERRORS = 1000  # errors listed in one answer (the message gives the total)


def _list_department(request: HttpRequest, code: str | None) -> Department | None:
    if code:
        department = Department.objects.filter(code=code).first()
        if department is None:
            raise DomainError(f"没有代码为 {code} 的部门", {"department": "没有该部门"})
        return department
    mine = scoping.grants_for(request.user).department_ids
    if len(mine) == 1:
        return Department.objects.get(pk=next(iter(mine)))
    message = "请填写提供部门代码"
    raise DomainError(message, {"department": message})


@router.post("/lists", response={200: FactListSavedOut, 201: FactListSavedOut})
def save_fact_list(request: HttpRequest, payload: FactListIn) -> Answer[Any]:
    """Create a list, or replace the list of the same fact, beneficiary kind and period
    (all of it): 201 when created, 200 when replaced. Entries are keyed by 统一社会信用代码
    (`uscc`) or 项目代码 (`project_code`); every entry is checked first, and errors name
    each wrong entry (`entries[3].uscc`, `entries[5].value`); nothing is saved then."""
    scoping.require(request.user, Action.CREATE, model=FactList)
    department = _list_department(request, payload.department)
    fact, period = services.fact_list_header(
        user=request.user,
        department=department,
        fact_id=payload.fact_id,
        beneficiary=payload.beneficiary,
        period=payload.period,
    )
    lookup = queries.BeneficiaryLookup(request.user, payload.beneficiary)
    key = "project_code" if payload.beneficiary == Beneficiary.PROJECT else "uscc"
    value_domain = services.list_value_domain(fact, payload.beneficiary)
    errors: dict[str, str] = {}
    codes: list[str | None] = []
    for index, entry in enumerate(payload.entries):
        raw = getattr(entry, key)
        try:
            codes.append(lookup.normalize(raw or ""))
        except CodeError as exc:
            codes.append(None)
            errors[f"entries[{index}].{key}"] = f"第 {index + 1} 项：{exc}"
    lookup.load(c for c in codes if c)
    values: dict[int, str] = {}
    index_of: dict[int, int] = {}
    first_seen: dict[str, int] = {}
    notes: list[str] = []
    for index, (entry, code) in enumerate(zip(payload.entries, codes, strict=True)):
        where = f"entries[{index}]"
        value: str | None = None
        try:
            value = domain.list_value(fact, entry.value, value_domain)
        except domain.BadValue as exc:
            errors[f"{where}.value"] = f"第 {index + 1} 项：{exc}"
        if code is None:
            continue
        if code in first_seen:
            errors[f"{where}.{key}"] = f"第 {index + 1} 项：与第 {first_seen[code] + 1} 项重复"
            continue
        first_seen[code] = index
        found = lookup.find(code, entry.name)
        if found.pk is None:
            field = key if found.column == "code" else "name"
            errors[f"{where}.{field}"] = f"第 {index + 1} 项：{found.reason}"
            continue
        if found.note:
            notes.append(f"第 {index + 1} 项：{found.note}")
        if value is not None:
            values[found.pk] = value
            index_of[found.pk] = index
    if errors:
        shown = dict(list(errors.items())[:MAX_ENTRY_ERRORS])
        raise DomainError(f"名单中有 {len(errors)} 处错误，没有保存", shown)
    try:
        saved = services.fact_list_save(
            user=request.user,
            department=department,  # type: ignore[arg-type]
            fact_id=fact.id,
            period=period,
            values=values,
            name=payload.name,
            beneficiary=payload.beneficiary,
            as_of=payload.as_of,
            source_note=payload.source_note,
        )
    except services.ListEntriesError as exc:
        raise DomainError(
            exc.message,
            {
                f"entries[{index_of.get(pk, 0)}].{key if field == 'beneficiary' else 'value'}": (
                    reason
                )
                for pk, (field, reason) in exc.entry_errors.items()
            },
        ) from exc
    fact_list = _fact_lists(request).get(pk=saved.fact_list.pk)
    change = saved.change
    return Answer(
        201 if change.created else 200,
        {
            "fact_list": fact_list,
            "created": change.created,
            "added": len(change.added),
            "removed": len(change.removed),
            "changed": len(change.changed),
            "summary": change.summary,
            "notes": notes,
        },
    )


# --- routes: policies -----------------------------------------------------------------


@router.get("", response=list[PolicyOut])
@paginate(BoundedLimitOffsetPagination)
def list_policies(
    request: HttpRequest, status: PolicyStatus | None = None, department: str | None = None
) -> Any:
    qs = scoping.visible(request.user, Policy.objects.select_related("department")).order_by("id")
    qs = filter_given(qs, status=status, department__code=department)
    return qs


@router.get("/{policy_id}", response=PolicyDetailOut)
def get_policy(request: HttpRequest, policy_id: int) -> Any:
    policy = _policy(request, policy_id)
    policy.guide = _guide(policy)  # type: ignore[attr-defined]
    return policy


@router.post("/{policy_id}/runs", response={201: RunOut})
def start_run(request: HttpRequest, policy_id: int, payload: RunIn) -> Answer[Any]:
    """Start (or re-run) the run of the policy for a year; it executes in the background."""
    policy = _policy(request, policy_id)
    run = services.run_start(
        user=request.user, policy=policy, period=payload.period, confirm=payload.confirm
    )
    return Answer(201, run)


@router.post("/{policy_id}/dry-run", response=DryRunOut)
def dry_run(request: HttpRequest, policy_id: int, payload: DryRunIn) -> Any:
    """What the policy would cost for a year, who gains and who loses (nothing is written)."""
    policy = _policy(request, policy_id)
    try:
        report = queries.dry_run(policy, payload.period, payload.parameters)
    except (RulesError, catalogues.CatalogueError, ValueError) as exc:
        raise DomainError(f"试算失败：{exc}", {"period": str(exc)}) from exc

    def rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                "id": r["id"],
                "name": r["name"],
                "before": r["before"],
                "after": r["after"],
                "delta": r["delta"],
            }
            for r in items
        ]

    return {
        "period": report.period,
        "baseline": report.baseline_label,
        "baseline_total": report.baseline_total,
        "scenario_total": report.scenario_total,
        "delta": report.delta,
        "budget": report.budget,
        "baseline_count": report.baseline_count,
        "scenario_count": report.scenario_count,
        "gainers_count": report.gainers_count,
        "losers_count": report.losers_count,
        "gainers": rows(report.gainers),
        "losers": rows(report.losers),
    }
