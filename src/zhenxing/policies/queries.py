"""Every aggregate read of the policies part: payout totals from the ledger, the guide of a
policy, an enterprise's entitlements, a batch's payout list, the dry run, and department
lists (their entries with names and codes, the policies that read them, and finding a
list's beneficiaries by code)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast
from django.utils.translation import get_language, gettext

from zhenxing.core import scoping
from zhenxing.core.models import in_reader_language
from zhenxing.core.money import CENT
from zhenxing.core.roles import Action
from zhenxing.core.services import DomainError
from zhenxing.policies import catalogues, domain
from zhenxing.policies import facts as facts_mod
from zhenxing.policies import guide as guides
from zhenxing.policies.models import (
    EntryKind,
    FactList,
    FactListEntry,
    LedgerEntry,
    Policy,
    PolicyRun,
    PolicyStatus,
    RunResult,
    RunStatus,
)
from zhenxing.rules import RulesError
from zhenxing.rules.explain import explain
from zhenxing.rules.schema import FactDef
from zhenxing.rules.simulate import simulate

ZERO = Decimal("0.00")


# ---------------------------------------------------------------------------
# Ledger totals
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PaidTotal:
    until: datetime.date
    paid_total: Decimal
    policies_paid: int


def payouts_total(
    *, until: datetime.date, entries: QuerySet[LedgerEntry] | None = None
) -> PaidTotal:
    """Paid up to and including `until`, from the ledger: payments − reversals +
    adjustments (reversals are stored negative, so this is the plain sum), and the number
    of policies whose net paid amount is above zero."""
    qs = (entries if entries is not None else LedgerEntry.objects.all()).filter(
        booked_on__lte=until
    )
    per_policy = qs.values("policy_id").annotate(net=Sum("amount"))
    total = sum((row["net"] or ZERO for row in per_policy), ZERO)
    paid = sum(1 for row in per_policy if (row["net"] or ZERO) > 0)
    return PaidTotal(until, Decimal(total).quantize(CENT), paid)


def paid_by_policy(entries: QuerySet[LedgerEntry] | None = None) -> dict[int, Decimal]:
    qs = entries if entries is not None else LedgerEntry.objects.all()
    return {
        row["policy_id"]: row["net"] or ZERO
        for row in qs.values("policy_id").annotate(net=Sum("amount"))
    }


def paid_by_year(entries: QuerySet[LedgerEntry]) -> list[tuple[int, Decimal, int]]:
    """(year booked, net amount, entries) for the policy page's table."""
    rows: dict[int, list[Any]] = {}
    for entry in entries.values("booked_on", "amount"):
        year = entry["booked_on"].year
        slot = rows.setdefault(year, [ZERO, 0])
        slot[0] += entry["amount"]
        slot[1] += 1
    return [(y, v[0], v[1]) for y, v in sorted(rows.items())]


def net_of(entry: LedgerEntry) -> Decimal:
    """What a payment comes to after its corrections (for the entitlements page)."""
    total = entry.amount
    current = entry
    while True:
        reversal = LedgerEntry.objects.filter(reverses=current).first()
        if reversal is None:
            return total
        total += reversal.amount
        adjustment = LedgerEntry.objects.filter(corrects=reversal).first()
        if adjustment is None:
            return total
        total += adjustment.amount
        current = adjustment


# ---------------------------------------------------------------------------
# The how-to-claim guide
# ---------------------------------------------------------------------------


@dataclass
class PolicyGuide:
    policy: Policy
    guide: guides.Guide | None
    period: str
    error: str = ""

    @property
    def department(self) -> str:
        return self.policy.department.full_name

    @property
    def public(self) -> dict[str, str]:
        """The rule's public title, summary and source in the reader's language."""
        if self.guide is None:
            return {}
        english = (get_language() or "").startswith("en")
        title, summary, source = self.guide.public(english)
        return {"title": title, "summary": summary, "source": source}

    @property
    def time_limit(self) -> str:
        return self.policy.time_limit or gettext("每年度测算一次，经部门负责人审批后兑付")

    @property
    def contact(self) -> str:
        return self.policy.contact or self.policy.department.full_name


def guide_for(policy: Policy, period: str | int | None = None) -> PolicyGuide:
    """The policy's guide, written from its rule in force in `period` (default: the
    latest version)."""
    try:
        resolved = catalogues.resolve(policy.catalogue, policy.rule_file, policy.rule_id, period)
        when = str(period) if period is not None else _period_of(resolved)
        rs = catalogues.ruleset(policy.catalogue, policy.rule_id, when, verified_only=False)
        english = (get_language() or "").startswith("en")
        return PolicyGuide(policy, guides.guide(rs, policy.rule_id, english=english), when)
    except (catalogues.CatalogueError, RulesError) as exc:
        return PolicyGuide(policy, None, str(period or ""), str(exc))


def _period_of(resolved: catalogues.ResolvedRule) -> str:
    from zhenxing.core import clock

    year = clock.today().year
    start = resolved.version.valid_from
    if start is not None and start.year > year:
        year = start.year
    end = resolved.version.valid_to
    if end is not None and end.year < year:
        year = end.year
    return str(year)


def published_policies() -> QuerySet[Policy]:
    """The public catalogue (no personal data): published policies."""
    return Policy.objects.filter(status=PolicyStatus.PUBLISHED).select_related("department")


# ---------------------------------------------------------------------------
# Explanations and entitlements
# ---------------------------------------------------------------------------


def explanation(result: RunResult) -> str:
    """Why this beneficiary does or does not qualify, from the facts the run read."""
    run = result.run
    policy = run.policy
    try:
        rs = catalogues.ruleset(policy.catalogue, policy.rule_id, run.period)
        english = (get_language() or "").startswith("en")
        text = explain(
            rs, policy.rule_id, result.facts_dict(), lang="en" if english else "zh"
        ).text()
    except (catalogues.CatalogueError, RulesError, KeyError) as exc:
        return gettext("无法生成说明：%(error)s") % {"error": exc}
    lines = [text]
    if result.excluded:
        lines.append(gettext("审核排除：%(reason)s") % {"reason": result.exclusion_reason})
    if result.note:
        lines.append(gettext("兑付说明：%(note)s") % {"note": result.note_text})
    return "\n".join(lines)


@dataclass
class Entitlement:
    result: RunResult
    paid: Decimal
    entries: list[LedgerEntry] = field(default_factory=list)

    @property
    def policy(self) -> Policy:
        return self.result.run.policy


def entitlements(enterprise_ids: list[int]) -> list[Entitlement]:
    """An enterprise's results in approved batches where it qualified or was paid."""
    results = (
        RunResult.objects.filter(enterprise_id__in=enterprise_ids, run__status=RunStatus.APPROVED)
        .filter(Q(eligible=True) | Q(payable__gt=0))
        .select_related("run__policy__department", "project")
        .order_by("-run__period", "run__policy__code")
    )
    out = []
    for result in results:
        entries = list(
            LedgerEntry.objects.filter(
                policy_id=result.run.policy_id,
                beneficiary_kind=result.run.policy.beneficiary,
                beneficiary_id=int(result.project_id or result.enterprise_id or 0),
                period=result.run.period,
            ).order_by("booked_on", "pk")
        )
        paid = sum((e.amount for e in entries), ZERO)
        out.append(Entitlement(result, paid, entries))
    return out


def latest_results(enterprise_id: int) -> QuerySet[RunResult]:
    """The enterprise's results in approved batches, eligible or not (latest first)."""
    return (
        RunResult.objects.filter(enterprise_id=enterprise_id, run__status=RunStatus.APPROVED)
        .select_related("run__policy", "project")
        .order_by("-run__period", "run__policy__code")
    )


# ---------------------------------------------------------------------------
# A batch's payout list (page and the finance bureau's export)
# ---------------------------------------------------------------------------


@dataclass
class PayoutLine:
    entry: LedgerEntry
    enterprise_name: str
    uscc: str
    project_name: str
    project_code: str
    area_name: str


def payout_lines(run: PolicyRun, entries: QuerySet[LedgerEntry] | None = None) -> list[PayoutLine]:
    entries = (
        (entries if entries is not None else LedgerEntry.objects.all())
        .filter(run=run)
        .select_related("enterprise", "project", "area")
        .order_by("area__sort_order", "pk")
    )
    return [
        PayoutLine(
            entry=e,
            enterprise_name=e.enterprise.name if e.enterprise else "",
            uscc=e.enterprise.uscc if e.enterprise else "",
            project_name=e.project.name if e.project else "",
            project_code=e.project.code if e.project else "",
            area_name=e.area.name if e.area else "",
        )
        for e in entries
    ]


def batch_totals(run: PolicyRun) -> dict[str, Any]:
    agg = LedgerEntry.objects.filter(run=run).aggregate(
        total=Sum("amount"),
        city=Sum("city_amount"),
        county=Sum("county_amount"),
        count=Count("id", filter=Q(kind=EntryKind.PAYMENT)),
    )
    return {k: (v if v is not None else (0 if k == "count" else ZERO)) for k, v in agg.items()}


def by_area(run: PolicyRun) -> list[dict[str, Any]]:
    """A batch's totals per area; `area_name` in the reader's language."""
    rows = list(
        LedgerEntry.objects.filter(run=run)
        .values("area__name", "area__name_en", "area__sort_order")
        .annotate(
            total=Sum("amount"), city=Sum("city_amount"), county=Sum("county_amount"), n=Count("id")
        )
        .order_by("area__sort_order")
    )
    for row in rows:
        row["area_name"] = in_reader_language(row["area__name"] or "", row["area__name_en"] or "")
    return rows


# ---------------------------------------------------------------------------
# The dry run ("what would this cost, who gains, who loses")
# ---------------------------------------------------------------------------


@dataclass
class DryRun:
    policy: Policy
    period: str
    overrides: Mapping[str, Decimal | datetime.date]
    baseline_label: str
    baseline_total: Decimal
    scenario_total: Decimal
    baseline_count: int
    scenario_count: int
    budget: Decimal
    gainers: list[dict[str, Any]]
    losers: list[dict[str, Any]]
    gainers_count: int
    losers_count: int
    summary: str
    parameters: list[tuple[str, str, str]]

    @property
    def delta(self) -> Decimal:
        return self.scenario_total - self.baseline_total

    @property
    def over_budget(self) -> bool:
        return self.scenario_total > self.budget


def dry_run(
    policy: Policy,
    period: str | int,
    overrides: Mapping[str, Decimal | datetime.date] | None = None,
    *,
    source: Any = None,
    limit: int = 50,
) -> DryRun:
    """Simulate the policy over the registry for `period` with `zhenxing.rules.simulate`.

    The baseline is the policy as published (nothing, for a draft); the scenario is the
    same rule with the given parameter `overrides`. Raises `RulesError`/`CatalogueError`,
    and `DomainError` naming `parameters.<name>` for an unknown or a negative parameter.
    """
    period = str(period)
    overrides = dict(overrides or {})
    cat = catalogues.catalogue(policy.catalogue)
    declared = cat.rules.get(policy.rule_id)
    version = declared.version_for(period) if declared is not None else None
    if version is not None:
        errors = domain.override_errors(version.parameters, overrides)
        if errors:
            raise DomainError(
                "试算参数有误", {f"parameters.{name}": m for name, m in errors.items()}
            )
    scenario = cat.select(period=period, rule_ids=[policy.rule_id]).with_overrides(
        {f"{policy.rule_id}.{k}": v for k, v in overrides.items()}
    )
    if policy.rule_id not in scenario.ids:
        raise catalogues.CatalogueError(f"规则 {policy.rule_id} 不适用于 {period} 年")
    live = policy.status != PolicyStatus.DRAFT
    baseline = (
        cat.select(period=period, rule_ids=[policy.rule_id])
        if live
        else cat.select(period=period, rule_ids=[])
    )
    decls, back, _lagged = facts_mod.columns_of(scenario)
    request = facts_mod.FactsRequest(policy.beneficiary, int(period), tuple(sorted(decls)), back)
    frame = (source or facts_mod.default_source)(decls)(request)
    frame = frame.with_columns(pl.col("entity_id").cast(pl.String))
    report = simulate(baseline, scenario, frame)
    changes = report.changes.with_columns(pl.col("entity_id").cast(pl.Int64))
    gain = changes.filter(pl.col("delta") > 0).sort("delta", descending=True)
    lose = changes.filter(pl.col("delta") < 0).sort("delta")
    names = _names(
        policy.beneficiary, [*gain["entity_id"].head(limit), *lose["entity_id"].head(limit)]
    )

    def rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
        return [
            {
                "id": r["entity_id"],
                "name": names.get(r["entity_id"], str(r["entity_id"])),
                "before": r["amount"],
                "after": r["amount_new"],
                "delta": r["delta"],
            }
            for r in frame.head(limit).iter_rows(named=True)
        ]

    per_rule = report.per_rule.filter(pl.col("rule_id") == policy.rule_id)
    base_count = int(per_rule["base_count"].sum() or 0)
    new_count = int(per_rule["new_count"].sum() or 0)
    rule = scenario.rule(policy.rule_id)
    parameters = []
    for name, param in rule.version.parameters.items():
        pv = param.at(scenario.period.first_day)
        current = pv.value if pv is not None else None
        new = overrides.get(name)
        text = domain.fmt_number(current, param.unit) if current is not None else "-"
        if new is not None and new != current:
            text += f" → {domain.fmt_number(new, param.unit)}"
        parameters.append((name, catalogues.label_of(param), text))
    return DryRun(
        policy=policy,
        period=period,
        overrides=overrides,
        baseline_label="现行政策" if live else "未实施（草稿）",
        baseline_total=Decimal(report.baseline_total).quantize(CENT),
        scenario_total=Decimal(report.scenario_total).quantize(CENT),
        baseline_count=base_count,
        scenario_count=new_count,
        budget=policy.annual_budget,
        gainers=rows(gain),
        losers=rows(lose),
        gainers_count=gain.height,
        losers_count=lose.height,
        summary=report.summary(),
        parameters=parameters,
    )


def _names(beneficiary: str, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    if beneficiary == "project":
        from zhenxing.projects.models import Project

        return dict(Project.objects.filter(pk__in=ids).values_list("pk", "name"))
    from zhenxing.enterprises.models import Enterprise

    return dict(Enterprise.objects.filter(pk__in=ids).values_list("pk", "name"))


# ---------------------------------------------------------------------------
# The home page: an enterprise's entitlements in two queries
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EntitlementTotals:
    count: int  # the lines of the entitlements page
    paid: Decimal  # net paid to the enterprises: payments − reversals + adjustments


def entitlement_totals(enterprise_ids: list[int]) -> EntitlementTotals:
    """How many results `entitlements()` lists for the enterprises, and what the ledger
    has paid them (each ledger entry once, whatever the number of batches of a period)."""
    count = (
        RunResult.objects.filter(enterprise_id__in=enterprise_ids, run__status=RunStatus.APPROVED)
        .filter(Q(eligible=True) | Q(payable__gt=0))
        .count()
    )
    paid = LedgerEntry.objects.filter(enterprise_id__in=enterprise_ids).aggregate(s=Sum("amount"))
    return EntitlementTotals(count, Decimal(paid["s"] or ZERO).quantize(CENT))


# ---------------------------------------------------------------------------
# Department lists (名单)
# ---------------------------------------------------------------------------


def beneficiary_names(beneficiary: str, ids: list[int]) -> dict[int, tuple[str, str]]:
    """(name, code) of enterprises (统一社会信用代码) or projects (项目代码) by id."""
    if not ids:
        return {}
    rows: Any
    if beneficiary == "project":
        from zhenxing.projects.models import Project

        rows = Project.objects.filter(pk__in=ids).values_list("pk", "name", "code")
    else:
        from zhenxing.enterprises.models import Enterprise

        rows = Enterprise.objects.filter(pk__in=ids).values_list("pk", "name", "uscc")
    return {pk: (name, code) for pk, name, code in rows}


def list_entries(fact_list: FactList, fact: FactDef | None) -> QuerySet[Any]:
    """A list's entries with their beneficiary's name, code and area (`b_name`, `b_code`,
    `b_area`, `b_area_en`, `b_area_id`, `b_area_order`) and, for a number fact, the value
    as a number (`value_number`), so that the list page can sort and filter by them."""
    if fact_list.beneficiary == "project":
        from zhenxing.projects.models import Project

        target: QuerySet[Any] = Project.objects.filter(pk=OuterRef("beneficiary_id"))
        code = "code"
    else:
        from zhenxing.enterprises.models import Enterprise

        target = Enterprise.objects.filter(pk=OuterRef("beneficiary_id"))
        code = "uscc"
    qs = FactListEntry.objects.filter(fact_list=fact_list).annotate(
        b_name=Subquery(target.values("name")[:1]),
        b_code=Subquery(target.values(code)[:1]),
        b_area=Subquery(target.values("area__name")[:1]),
        b_area_en=Subquery(target.values("area__name_en")[:1]),
        b_area_id=Subquery(target.values("area_id")[:1]),
        b_area_order=Subquery(target.values("area__sort_order")[:1]),
    )
    if fact is not None and fact.is_number:
        qs = qs.annotate(
            value_number=Cast("value", DecimalField(max_digits=30, decimal_places=fact.scale))
        )
    else:
        qs = qs.annotate(value_number=F("value"))
    return qs


_READS: dict[tuple[str, str, str], tuple[Any, frozenset[str]]] = {}


def facts_read(catalogue: str, rule_id: str, period: str) -> frozenset[str]:
    """The facts a policy's rule (and the rules it refers to) reads in a period; the
    latest version's when none is in force then."""
    try:
        cat = catalogues.catalogue(catalogue)
    except catalogues.CatalogueError:
        return frozenset()
    key = (catalogue, rule_id, str(period))
    cached = _READS.get(key)
    if cached is not None and cached[0] is cat:
        return cached[1]
    ids: frozenset[str] = frozenset()
    rule = cat.rules.get(rule_id)
    if rule is not None:
        when = str(period)
        if rule.version_for(catalogues.period_of(when)) is None:
            start = rule.latest.valid_from
            when = str(start.year) if start is not None else when
        try:
            rs = catalogues.ruleset(catalogue, rule_id, when, verified_only=False)
            decls, _back, _lagged = facts_mod.columns_of(rs)
            ids = frozenset(decls)
        except (catalogues.CatalogueError, RulesError, ValueError, KeyError):
            ids = frozenset()
    _READS[key] = (cat, ids)
    return ids


def policies_reading(fact_list: FactList, policies: QuerySet[Policy]) -> list[Policy]:
    """The policies (of `policies`, already scoped) whose rule reads the list's fact."""
    return [
        p
        for p in policies.filter(beneficiary=fact_list.beneficiary).select_related("department")
        if fact_list.fact_id in facts_read(p.catalogue, p.rule_id, fact_list.period)
    ]


_NAME_FORM = str.maketrans({"（": "(", "）": ")", " ": None, "\u3000": None})


def same_name(a: str, b: str) -> bool:
    """Names compared as people write them: full- and half-width brackets, spaces."""
    return a.translate(_NAME_FORM) == b.translate(_NAME_FORM)


@dataclass(frozen=True)
class Known:
    pk: int
    name: str
    former: tuple[str, ...] = ()


@dataclass(frozen=True)
class Found:
    """A code looked up: the beneficiary's id, or the column and reason it was refused;
    `note` when the name given is a former name."""

    pk: int | None
    column: str = ""
    reason: str = ""
    note: str = ""


class BeneficiaryLookup:
    """Finds the beneficiaries of a list by code — 统一社会信用代码 (check character
    verified) or 项目代码 — among those the user can see, and checks the name if one is
    given: the registry's name or one of the enterprise's former names.

    `load(codes)` reads many codes at once (the importer does so for a whole sheet);
    `find` reads what it has not seen yet.
    """

    def __init__(self, user: Any, beneficiary: str) -> None:
        self.user = user
        self.project = beneficiary == "project"
        self.known: dict[str, Known] = {}
        self.loaded: set[str] = set()

    @property
    def code_label(self) -> str:
        return "项目代码" if self.project else "统一社会信用代码"

    def normalize(self, raw: str) -> str:
        """The code in its standard form; a CodeError says what is wrong with it."""
        from zhenxing.core.codes import project_code, uscc

        if self.project:
            return project_code.normalize(raw)
        return uscc.validate(raw)

    def load(self, codes: Any) -> None:
        todo = sorted({c for c in codes if c} - self.loaded)
        for start in range(0, len(todo), 500):
            chunk = todo[start : start + 500]
            if self.project:
                from zhenxing.projects.models import Project

                projects = scoping.visible(self.user, Project.objects.filter(code__in=chunk))
                for pk, code, name in projects.values_list("pk", "code", "name"):
                    self.known[code] = Known(pk, name)
            else:
                from zhenxing.enterprises.models import Enterprise, FormerName

                enterprises = scoping.visible(self.user, Enterprise.objects.filter(uscc__in=chunk))
                found = list(enterprises.values_list("pk", "uscc", "name"))
                former: dict[int, list[str]] = {}
                for enterprise_id, name in FormerName.objects.filter(
                    enterprise_id__in=[pk for pk, _c, _n in found]
                ).values_list("enterprise_id", "name"):
                    former.setdefault(enterprise_id, []).append(name)
                for pk, code, name in found:
                    self.known[code] = Known(pk, name, tuple(former.get(pk, ())))
        self.loaded.update(todo)

    def find(self, code: str, name: str = "") -> Found:
        self.load([code])
        known = self.known.get(code)
        if known is None:
            where = "项目库中没有该项目代码" if self.project else "企业名录中没有该统一社会信用代码"
            return Found(None, "code", f"{where}，或该{self._what}不在您的查看范围内")
        name = (name or "").strip()
        if not name or same_name(name, known.name):
            return Found(known.pk)
        if any(same_name(name, f) for f in known.former):
            return Found(known.pk, note=f"“{name}”是曾用名，现名“{known.name}”")
        reason = f"名称与登记的不符：该{self.code_label}登记的名称是“{known.name}”"
        if known.former:
            reason += f"（曾用名：{'、'.join(known.former)}）"
        return Found(None, "name", reason)

    @property
    def _what(self) -> str:
        return "项目" if self.project else "企业"


# ---------------------------------------------------------------------------
# Corrections of the ledger: which entry a user may correct now
# ---------------------------------------------------------------------------


def correctable(user: Any, entries: QuerySet[LedgerEntry]) -> QuerySet[LedgerEntry]:
    """The entries of `entries` the user may correct (更正) now: payments and adjustments
    not reversed yet, of policies whose corrections the user decides (Action.APPROVE)."""
    open_entries = entries.filter(
        kind__in=[EntryKind.PAYMENT, EntryKind.ADJUSTMENT], reversed_by__isnull=True
    )
    return scoping.visible(user, open_entries, Action.APPROVE)


def with_correct_links(user: Any, entries: QuerySet[LedgerEntry]) -> QuerySet[LedgerEntry]:
    """`entries` with `may_correct`: whether the row links to its correction page."""
    target = LedgerEntry.objects.filter(pk=OuterRef("pk"))
    return entries.annotate(may_correct=Exists(correctable(user, target)))


def with_entry_to_correct(user: Any, results: QuerySet[RunResult]) -> QuerySet[RunResult]:
    """`results` with `entry_to_correct`: the id of the ledger entry that now stands for
    each result's payment (the payment, or the adjustment of its latest correction) if
    the user may correct it, else None."""
    current = correctable(user, LedgerEntry.objects.filter(result=OuterRef("pk"))).order_by("-pk")
    return results.annotate(entry_to_correct=Subquery(current.values("pk")[:1]))
