"""Every write of the policies part: the catalogue, department lists, runs, review,
approval, the ledger's corrections and objections.

Each service checks scope with `core.scoping`, refuses with a `DomainError` in Chinese,
and records the actor in the audit trail. Bulk data (run results, payments) moves in
bulk (`facts.write_frame`, `bulk_create`), never row by row through the ORM.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl
from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_noop
from django_tasks import task

from zhenxing.core import audit, clock, money, scoping, worker
from zhenxing.core.models import AuditAction, Department
from zhenxing.core.roles import Action
from zhenxing.core.services import DomainError, save_audited
from zhenxing.enterprises.domain import ValueDomain, default_domain
from zhenxing.enterprises.models import FactDefinition
from zhenxing.policies import catalogues, domain
from zhenxing.policies import facts as facts_mod
from zhenxing.policies.models import (
    OPEN_RUN_STATUSES,
    Allocation,
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
    Stacking,
)
from zhenxing.rules import RulesError, evaluate
from zhenxing.rules.schema import FactDef

logger = logging.getLogger(__name__)

SourceFactory = Callable[[dict[str, FactDef]], facts_mod.FactsSource]
RESULTS_TABLE = "policies_runresult"
_PERIOD_RE = re.compile(r"^\d{4}$")


def _rules_message(exc: Exception) -> str:
    if isinstance(exc, RulesError):
        return "；".join(str(d.message("zh")) for d in exc.diagnostics[:3])
    return str(exc)


# ---------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------

POLICY_FIELDS = {
    "code",
    "name",
    "catalogue",
    "rule_file",
    "rule_id",
    "department",
    "beneficiary",
    "annual_budget",
    "city_share_pct",
    "stacking",
    "stacking_group",
    "allocation",
    "time_limit",
    "contact",
    "note",
}


# A policy's fields that change what its open batches pay (at approval the batch is
# reallocated with them): whoever changes one counts as a preparer of those batches.
BATCH_AMOUNT_FIELDS = frozenset(
    {"annual_budget", "city_share_pct", "stacking", "stacking_group", "allocation"}
)


def _count_as_preparer(run: PolicyRun, user: Any) -> None:
    """Four eyes: whoever changed a batch — started or re-ran it, excluded a result or
    took an exclusion back, changed what it pays — is one of its preparers, and
    `run_approve` refuses a preparer. The caller holds the run's row lock or the run is
    new."""
    if user.pk in (run.preparer_ids or []):
        return
    run.preparer_ids = [*(run.preparer_ids or []), user.pk]
    PolicyRun.objects.filter(pk=run.pk).update(preparer_ids=run.preparer_ids)


def check_rule(policy: Policy) -> catalogues.ResolvedRule:
    """The policy's rule, or a DomainError naming the field that is wrong."""
    try:
        resolved = catalogues.resolve(policy.catalogue, policy.rule_file, policy.rule_id)
    except catalogues.CatalogueError as exc:
        raise DomainError(str(exc), {"rule_file": str(exc)}) from exc
    if resolved.entity != policy.beneficiary:
        message = (
            f"规则 {policy.rule_id} 的主体是"
            f"“{domain.ENTITY_WORDS.get(resolved.entity, resolved.entity)}”，"
            f"与兑付对象不一致"
        )
        raise DomainError(message, {"beneficiary": message})
    return resolved


def _check_policy(policy: Policy) -> None:
    check_rule(policy)
    if policy.stacking == Stacking.HIGHER and not policy.stacking_group:
        message = "“从高享受一次”须填写不叠加分组"
        raise DomainError(message, {"stacking_group": message})


@transaction.atomic
def policy_create(*, user: Any, **values: Any) -> Policy:
    unknown = set(values) - POLICY_FIELDS
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    scoping.require(
        user, Action.CREATE, model=Policy, values={"department": values.get("department")}
    )
    policy = Policy(**values)
    _check_policy(policy)
    save_audited(policy, user=user)
    return policy


@transaction.atomic
def policy_update(*, user: Any, policy: Policy, **values: Any) -> Policy:
    unknown = set(values) - POLICY_FIELDS
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    scoping.require(user, Action.CHANGE, policy)
    if (
        "department" in values
        and getattr(values["department"], "pk", values["department"]) != policy.department_id
    ):
        scoping.require(
            user, Action.CREATE, model=Policy, values={"department": values["department"]}
        )
    locked = {"catalogue", "rule_file", "rule_id", "beneficiary"}
    if policy.status != PolicyStatus.DRAFT:
        changed = [k for k in locked if k in values and values[k] != getattr(policy, k)]
        if changed:
            message = "已发布或已废止的政策不能更换规则或兑付对象；请新建政策"
            raise DomainError(message, {changed[0]: message})
    pays_differently = any(
        key in BATCH_AMOUNT_FIELDS and value != getattr(policy, key)
        for key, value in values.items()
    )
    for key, value in values.items():
        setattr(policy, key, value)
    _check_policy(policy)
    save_audited(policy, user=user)
    if pays_differently:  # the open batches now pay what this user decided
        for run in PolicyRun.objects.select_for_update().filter(
            policy=policy, status__in=OPEN_RUN_STATUSES
        ):
            _count_as_preparer(run, user)
    return policy


@transaction.atomic
def policy_publish(*, user: Any, policy: Policy, on: datetime.date | None = None) -> Policy:
    """Publish a draft (the department head decides). A provisional rule never is."""
    scoping.require(user, Action.APPROVE, policy)
    if policy.status == PolicyStatus.PUBLISHED:
        return policy
    resolved = check_rule(policy)
    if not resolved.verified:
        message = "规则为暂定（未核实），不能发布，也不能兑付；请先核实规则"
        raise DomainError(message, {"rule_id": message})
    _check_policy(policy)
    policy.status = PolicyStatus.PUBLISHED
    policy.published_on = on or clock.today()
    policy.retired_on = None
    save_audited(policy, user=user, reason="发布政策")
    return policy


@transaction.atomic
def policy_retire(*, user: Any, policy: Policy, on: datetime.date | None = None) -> Policy:
    scoping.require(user, Action.APPROVE, policy)
    if policy.status == PolicyStatus.RETIRED:
        return policy
    policy.status = PolicyStatus.RETIRED
    policy.retired_on = on or clock.today()
    save_audited(policy, user=user, reason="废止政策")
    return policy


# ---------------------------------------------------------------------------
# Department lists (名单)
# ---------------------------------------------------------------------------

LIST_AUDIT_LINES = 100  # entry changes listed one by one in a replacement's audit entry
_CHUNK = 500


class ListEntriesError(DomainError):
    """Entries of a list were refused: `entry_errors` maps a beneficiary id to
    (field, message), the field being "beneficiary" or "value"."""

    def __init__(self, entry_errors: dict[int, tuple[str, str]]) -> None:
        first, (_field, reason) = next(iter(entry_errors.items()))
        message = f"名单中有 {len(entry_errors)} 个条目有误，如对象 {first}：{reason}"
        super().__init__(message, {"values": message})
        self.entry_errors = entry_errors


@dataclass(frozen=True)
class ListSaved:
    """A saved list and what saving it changed."""

    fact_list: FactList
    change: domain.ListChange


def _catalogue_facts() -> dict[str, FactDef]:
    """Every fact the rule catalogues declare (their facts files), by id."""
    out: dict[str, FactDef] = {}
    for name in catalogues.CATALOGUES:
        for rule in catalogues.catalogue(name).rules.values():
            for version in rule.versions:
                for fid, fact in version.schema.facts.items():
                    out.setdefault(fid, fact)
    return out


def list_fact(fact_id: str) -> FactDef | None:
    """The declaration of a fact in the rule catalogues (None if none declares it)."""
    return _catalogue_facts().get(fact_id)


def list_value_domain(fact: FactDef, beneficiary: str) -> ValueDomain:
    """The values a list may give `fact`: for an enterprise fact the domain of its
    definition in the registry (the same check as every other write of the fact), else
    the default domain of its declaration (amounts and counts non-negative, enum
    members)."""
    if beneficiary == Beneficiary.ENTERPRISE:
        definition = FactDefinition.objects.filter(code=fact.id).first()
        if definition is not None:
            return definition.domain
    value_type = "money" if fact.unit == "yuan" else fact.type.value
    return default_domain(fact.id, value_type, fact.values)


def list_fact_choices(beneficiary: str) -> list[tuple[str, str]]:
    """(fact id, Chinese label) of the catalogue facts a list of `beneficiary`
    (enterprise or project) may supply: those the catalogues declare for that kind of
    beneficiary (or for any)."""
    facts = _catalogue_facts()
    chosen = [
        (fid, catalogues.label_of(f)) for fid, f in facts.items() if f.entity in (None, beneficiary)
    ]
    return sorted(chosen, key=lambda kv: (kv[1], kv[0]))


def fact_list_header(
    *, user: Any, department: Department | None, fact_id: str, beneficiary: str, period: Any
) -> tuple[FactDef, str]:
    """Check what a list is (fact, beneficiary kind, year) and who gives it (department):
    the fact's declaration and the period, or a DomainError naming each wrong field.
    Anyone who may not enter lists at all is refused with PermissionDenied."""
    scoping.require(user, Action.CREATE, model=FactList)
    errors: dict[str, str] = {}
    period = str(period).strip()
    if not _PERIOD_RE.match(period):
        errors["period"] = "期间应为年度，如 2023"
    elif int(period) > clock.today().year:
        errors["period"] = f"{period} 年尚未开始，不能登记该年度的名单"
    if beneficiary not in Beneficiary.values:
        errors["beneficiary"] = "对象类型应为企业或项目"
    fact = list_fact(fact_id)
    if fact is None:
        errors["fact_id"] = f"规则目录中没有事实 {fact_id}"
    elif beneficiary in Beneficiary.values and fact.entity not in (None, beneficiary):
        errors["fact_id"] = (
            f"“{fact.label}”是{domain.ENTITY_WORDS.get(fact.entity or '', '')}的事实，"
            f"不能用于{domain.ENTITY_WORDS[beneficiary]}名单"
        )
    if department is None:
        errors["department"] = "请选择提供部门"
    elif not scoping.can(user, Action.CREATE, model=FactList, values={"department": department}):
        errors["department"] = f"您不能以{department.name}的名义登记名单"
    if errors:
        raise DomainError(next(iter(errors.values())), errors)
    assert fact is not None
    existing = (
        FactList.objects.select_related("department")
        .filter(fact_id=fact_id, beneficiary=beneficiary, period=period)
        .first()
    )
    _check_replace(user, existing, fact)
    return fact, period


def _check_replace(user: Any, existing: FactList | None, fact: FactDef) -> None:
    """A list is replaced by its department's staff or an administrator only."""
    if existing is not None and not scoping.can(user, Action.CHANGE, existing):
        message = (
            f"{existing.period}年“{fact.label}”名单由{existing.department.name}登记，"
            f"只有该部门人员或管理员可以替换"
        )
        raise DomainError(message, {"department": message})


def _list_entries(fact_list: FactList | None, fact: FactDef) -> dict[int, str] | None:
    """The entries of a list as stored (None: no list), values in today's canonical form."""
    if fact_list is None:
        return None
    out: dict[int, str] = {}
    for beneficiary_id, value in FactListEntry.objects.filter(fact_list=fact_list).values_list(
        "beneficiary_id", "value"
    ):
        try:
            out[beneficiary_id] = domain.list_value(fact, value)
        except domain.BadValue:
            out[beneficiary_id] = value
    return out


def fact_list_entries(fact_list: FactList) -> dict[int, str]:
    """A list's entries: beneficiary id → stored value."""
    fact = list_fact(fact_list.fact_id)
    if fact is None:
        return dict(
            FactListEntry.objects.filter(fact_list=fact_list).values_list("beneficiary_id", "value")
        )
    return _list_entries(fact_list, fact) or {}


def _beneficiary_model(beneficiary: str) -> Any:
    from zhenxing.enterprises.models import Enterprise
    from zhenxing.projects.models import Project

    return Project if beneficiary == Beneficiary.PROJECT else Enterprise


def _check_beneficiaries(user: Any, beneficiary: str, ids: list[int]) -> set[int]:
    """The ids among `ids` that are no beneficiary the user can see."""
    model = _beneficiary_model(beneficiary)
    found: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found.update(
            scoping.visible(user, model.objects.filter(pk__in=chunk)).values_list("pk", flat=True)
        )
    return set(ids) - found


def _list_audit_lines(
    fact: FactDef,
    beneficiary: str,
    change: domain.ListChange,
    old: dict[int, str] | None,
    new: dict[int, str],
) -> list[dict[str, Any]]:
    """The audit lines of a list's entries: the count, then each entry added, removed or
    changed (at most LIST_AUDIT_LINES of them) with the beneficiary's name and code."""
    from zhenxing.policies.queries import beneficiary_names

    lines: list[dict[str, Any]] = [
        {
            "field": "entries",
            "label": "名单条目",
            "old": None if old is None else f"{len(old)} 条",
            "new": f"{change.total} 条",
        }
    ]
    if old is None:
        return lines
    keys = [*change.added, *change.removed, *(k for k, _o, _n in change.changed)]
    shown = keys[:LIST_AUDIT_LINES]
    names = beneficiary_names(beneficiary, shown)
    for key in shown:
        name, code = names.get(key, (str(key), ""))
        before, after = old.get(key), new.get(key)
        lines.append(
            {
                "field": f"entry:{key}",
                "label": f"{name}（{code}）" if code else name,
                "old": None if before is None else domain.list_value_words(fact, before),
                "new": None if after is None else domain.list_value_words(fact, after),
            }
        )
    if len(keys) > len(shown):
        lines.append(
            {
                "field": "entries:more",
                "label": "其余条目",
                "old": None,
                "new": f"另有 {len(keys) - len(shown)} 处变更未逐条列出",
            }
        )
    return lines


@transaction.atomic
def fact_list_save(
    *,
    user: Any,
    department: Department,
    fact_id: str,
    period: Any,
    values: Mapping[int, Any],
    name: str = "",
    beneficiary: str = Beneficiary.ENTERPRISE,
    as_of: datetime.date | None = None,
    source_note: str = "",
    expected_digest: str | None = None,
) -> ListSaved:
    """Create or replace a department's list of one fact for one period (all of it).

    `values` maps beneficiary ids (enterprises or projects) to values, typed by the fact's
    declaration (`domain.list_value`); a list has at least one entry. Refused as a whole,
    with a DomainError naming the field or a ListEntriesError naming each wrong entry.
    Replacing needs the right to change the existing list (its department's staff, or an
    administrator). With `expected_digest` (`domain.entries_digest` of the entries a
    preview was compared with), a list changed since is refused. The audit entry of the
    list says how many entries were added, removed and changed, and lists them.
    """
    fact, period = fact_list_header(
        user=user,
        department=department,
        fact_id=fact_id,
        beneficiary=beneficiary,
        period=period,
    )
    if not values:
        message = "名单中没有任何条目"
        raise DomainError(message, {"entries": message})
    entry_errors: dict[int, tuple[str, str]] = {}
    new: dict[int, str] = {}
    value_domain = list_value_domain(fact, beneficiary)
    for key, raw in values.items():
        try:
            new[int(key)] = domain.list_value(fact, raw, value_domain)
        except domain.BadValue as exc:
            entry_errors[int(key)] = ("value", str(exc))
    missing = _check_beneficiaries(user, beneficiary, sorted(new))
    what = "项目库中没有该项目" if beneficiary == Beneficiary.PROJECT else "企业名录中没有该企业"
    for key in sorted(missing):
        entry_errors.setdefault(key, ("beneficiary", f"{what}（编号 {key}），或不在您的查看范围内"))
    if entry_errors:
        raise ListEntriesError(entry_errors)
    fact_list = (
        FactList.objects.select_for_update()
        .select_related("department")
        .filter(fact_id=fact_id, beneficiary=beneficiary, period=period)
        .first()
    )
    _check_replace(user, fact_list, fact)
    old = _list_entries(fact_list, fact)
    if expected_digest is not None and expected_digest != domain.entries_digest(old):
        message = "名单在您预览之后已有变动，请重新上传"
        raise DomainError(message, {"file": message})
    change = domain.list_change(old, new)
    if fact_list is None:
        fact_list = FactList(fact_id=fact_id, beneficiary=beneficiary, period=period)
    fact_list.name = (name or "").strip() or fact_list.name or f"{period}年{fact.label}名单"
    fact_list.department = department
    fact_list.as_of = as_of or clock.today()
    fact_list.source_note = source_note
    fact_list.created_by = user if getattr(user, "is_authenticated", False) else None
    lines = _list_audit_lines(fact, beneficiary, change, old, new)
    try:
        with transaction.atomic():
            save_audited(fact_list, user=user, reason=change.summary, changes=lines)
    except IntegrityError as exc:
        message = "同一事实、对象类型和期间的名单刚刚已由他人登记，请重新上传"
        raise DomainError(message, {"file": message}) from exc
    stale = sorted([*change.removed, *(k for k, _o, _n in change.changed)])
    for start in range(0, len(stale), _CHUNK):
        FactListEntry.objects.filter(
            fact_list=fact_list, beneficiary_id__in=stale[start : start + _CHUNK]
        ).delete()
    fresh = sorted([*change.added, *(k for k, _o, _n in change.changed)])
    FactListEntry.objects.bulk_create(
        [FactListEntry(fact_list=fact_list, beneficiary_id=k, value=new[k]) for k in fresh],
        batch_size=5000,
    )
    return ListSaved(fact_list, change)


# ---------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------


def _check_period(policy: Policy, period: str) -> str:
    period = str(period).strip()
    if not _PERIOD_RE.match(period):
        raise DomainError("期间应为年度，如 2023", {"period": "期间应为年度，如 2023"})
    if int(period) > clock.today().year:
        message = f"{period} 年尚未开始，不能测算"
        raise DomainError(message, {"period": message})
    try:
        resolved = catalogues.resolve(policy.catalogue, policy.rule_file, policy.rule_id, period)
    except catalogues.CatalogueError as exc:
        raise DomainError(str(exc), {"period": str(exc)}) from exc
    if not resolved.verified:
        message = "规则为暂定（未核实），不能测算兑付"
        raise DomainError(message, {"rule_id": message})
    return period


def missing_lists(policy: Policy, period: str) -> list[str]:
    """The labels of the facts the policy's rule reads that only lists (名单) supply and
    that have no list for the year read: a run would find nobody eligible on them."""
    cat = catalogues.catalogue(policy.catalogue)
    rules = cat.select(period=period, rule_ids=[policy.rule_id])
    decls, _back, lagged = facts_mod.columns_of(rules)
    years_of = {fid: {int(period)} for fid in decls}
    for _column, fid, back in lagged:
        years_of.setdefault(fid, set()).add(int(period) - back)
    wanted = facts_mod.list_only(policy.beneficiary, sorted(years_of))
    listed = set(
        FactList.objects.filter(beneficiary=policy.beneficiary, fact_id__in=wanted)
        .filter(entries__isnull=False)
        .values_list("fact_id", "period")
        .distinct()
    )
    missing = []
    for fid in wanted:
        for year in sorted(years_of[fid], reverse=True):
            if (fid, str(year)) not in listed:
                missing.append(f"{year} 年“{decls[fid].label or fid}”")
    return missing


@transaction.atomic
def run_start(
    *,
    user: Any,
    policy: Policy,
    period: str | int,
    source: SourceFactory | None = None,
    confirm: bool = False,
) -> PolicyRun:
    """Start (or re-run) the run of a policy for a period.

    Without `source` the run executes as a background task (progress on its page); with
    `source` (tests, benchmarks) it executes here with that facts source. Running again
    recomputes the open run of that policy and period in place: same facts, same results.
    A rule that reads facts only lists supply, with no list for the year, would find
    nobody eligible: the run is refused on `confirm` until the user confirms (a run
    given its own `source` reads no lists and is not asked).
    """
    scoping.require(
        user, Action.CREATE, model=PolicyRun, values={"policy__department": policy.department}
    )
    # a run left "running" by a dead worker is failed first, so that it may start again
    fail_stale_runs(PolicyRun.objects.filter(policy=policy).values_list("pk", flat=True))
    if policy.status != PolicyStatus.PUBLISHED:
        raise DomainError("只有已发布的政策才能测算兑付", {"policy": "政策未发布"})
    period = _check_period(policy, str(period))
    if source is None and not confirm:
        missing = missing_lists(policy, period)
        if missing:
            message = (
                f"没有{'、'.join(missing)}名单（或名单没有条目），测算将找不到符合条件的对象。"
                "请先登记名单；确需测算请确认"
            )
            raise DomainError(message, {"confirm": message})
    run = (
        PolicyRun.objects.select_for_update()
        .filter(policy=policy, period=period, status__in=OPEN_RUN_STATUSES)
        .first()
    )
    if run is None:
        run = PolicyRun(policy=policy, period=period, prepared_by=user, preparer_ids=[user.pk])
        reason = "新建测算"
    else:
        scoping.require(user, Action.CHANGE, run)
        if run.status == RunStatus.RUNNING:
            raise DomainError("该批次正在测算，请稍候")
        if user.pk not in run.preparer_ids:
            run.preparer_ids = [*run.preparer_ids, user.pk]
        reason = "重新测算"
    run.status = RunStatus.QUEUED
    run.progress = 0
    run.progress_note = "排队等待测算"
    run.error = ""
    save_audited(run, user=user, reason=reason)
    if source is not None:
        run_execute(run.pk, source=source)
    else:
        execute_run.enqueue(run.pk)
    run.refresh_from_db()
    return run


class _Stopwatch:
    """Seconds per step of a run, logged at INFO (the benchmark prints them)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.last = time.perf_counter()
        self.laps: list[tuple[str, float]] = []

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.laps.append((step, now - self.last))
        self.last = now

    def log(self) -> None:
        logger.info(
            "%s: %s", self.label, ", ".join(f"{step} {secs:.2f} s" for step, secs in self.laps)
        )


def _progress(run: PolicyRun, pct: int, note: str) -> None:
    # Each step also beats the heartbeat: a step reached shows the worker alive.
    PolicyRun.objects.filter(pk=run.pk).update(
        progress=pct, progress_note=note, heartbeat_at=clock.now()
    )


def _beat(run_id: int) -> None:
    PolicyRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(heartbeat_at=clock.now())


def heartbeat_every() -> float:
    """Seconds between two heartbeats of a running run: an eighth of the staleness limit,
    so that several beats may be missed (the database busy) before it counts as dead."""
    return max(0.2, settings.RUN_STALE_SECONDS / 8)


class RunSuperseded(Exception):
    """The run this execution computes was marked failed (its worker looked dead) or
    started again meanwhile: what this execution computed is not written."""


# The reason a run whose worker died is marked failed: stored in Chinese, shown in the
# reader's language (the run page translates it).
WORKER_LOST = gettext_noop(
    "后台任务进程中断（长时间没有心跳，可能已被终止或服务器已重启），测算未完成；"
    "已清除本次未完成的结果，请重新测算"
)


def _stale_runs() -> QuerySet[PolicyRun]:
    """Running runs whose worker gave no sign of life within the staleness limit."""
    cutoff = clock.now() - datetime.timedelta(seconds=settings.RUN_STALE_SECONDS)
    return PolicyRun.objects.filter(status=RunStatus.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff)
        | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
        | Q(heartbeat_at__isnull=True, started_at__isnull=True)
    )


def fail_stale_runs(runs: Iterable[int] | None = None) -> int:
    """Mark failed every running run (of `runs`, or all) whose worker died; returns how
    many. Called by the worker (at start and periodically: `core.worker`) and by the
    pages and routes that show a run, so that no run waits for an operator."""
    stale = _stale_runs()
    if runs is not None:
        stale = stale.filter(pk__in=list(runs))
    return sum(_fail_stale(pk) for pk in stale.values_list("pk", flat=True))


@transaction.atomic
def _fail_stale(run_id: int) -> bool:
    """In one transaction: check again that the run is still stale, discard what its
    dead execution may have written (the reviewer's exclusions stay, for the re-run),
    and mark it failed with the reason, in the audit trail as the platform's act."""
    run = _stale_runs().select_for_update().filter(pk=run_id).first()
    if run is None:
        return False  # it beat, finished or failed meanwhile
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {RESULTS_TABLE} WHERE run_id = %s AND excluded = %s", [run.pk, False]
        )
    run.status = RunStatus.FAILED
    run.error = WORKER_LOST
    run.progress_note = "测算失败"
    run.finished_at = clock.now()
    run.population = run.eligible_count = run.payable_count = 0
    run.eligible_total = run.payable_total = Decimal(0)
    run.excluded_count = RunResult.objects.filter(run=run).count()
    save_audited(
        run,
        user=audit.SYSTEM,
        reason=f"后台任务进程超过 {settings.RUN_STALE_SECONDS} 秒没有心跳，判定测算中断",
    )
    logger.warning("policy run %s: worker lost, marked failed", run.pk)
    return True


def run_execute(run_id: int, *, source: SourceFactory | None = None) -> PolicyRun:
    """Compute a run: facts → the engine (one vectorised pass) → stored results.

    Called by the background task (or directly with a facts source). A failure marks
    the run as failed with the reason; nothing half-written remains. While it computes,
    a heartbeat shows the run's worker alive (`fail_stale_runs` fails a run whose worker
    died). A locked or unavailable database (`OperationalError`) is not the run's fault:
    it propagates, and the task retries the whole run.
    """
    run = PolicyRun.objects.select_related("policy").get(pk=run_id)
    if run.status == RunStatus.APPROVED:
        return run
    started = time.perf_counter()
    run.started_at = clock.now()
    PolicyRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        started_at=run.started_at,
        heartbeat_at=run.started_at,
        progress=2,
        progress_note="读取规则",
    )
    mine = PolicyRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING, started_at=run.started_at)
    try:
        with worker.heartbeat(lambda: _beat(run.pk), heartbeat_every()):
            summary = _compute(run, source or facts_mod.default_source)
    except (OperationalError, RunSuperseded):
        raise
    except Exception as exc:  # the run page must say why, whatever failed
        expected = isinstance(
            exc,
            RulesError
            | catalogues.CatalogueError
            | DomainError
            | ValueError
            | pl.exceptions.PolarsError,
        )
        if expected:
            logger.warning("policy run %s failed: %s", run.pk, exc)
        else:
            logger.exception("policy run %s failed", run.pk)
        message = _rules_message(exc) if expected else f"内部错误：{type(exc).__name__}"
        mine.update(
            status=RunStatus.FAILED,
            error=message[:2000],
            progress_note="测算失败",
            finished_at=clock.now(),
        )
        run.refresh_from_db()
        return run
    seconds = Decimal(str(round(time.perf_counter() - started, 3)))
    mine.update(
        status=RunStatus.COMPUTED,
        progress=100,
        progress_note="测算完成，待审批",
        finished_at=clock.now(),
        seconds=seconds,
        **summary,
    )
    run.refresh_from_db()
    return run


@task()
@worker.retry_on_database_errors()
def execute_run(run_id: int) -> str:
    """The background task `run_start` queues: `run_execute` in the task worker, so the
    person who started the run can leave. It lives here, beside what it runs, so that
    the services and the task module never import each other. A locked database retries
    the whole run (it recomputes from the facts: the same results); a run superseded
    meanwhile (failed as stale, started again) ends here."""
    try:
        return str(run_execute(run_id).status)
    except RunSuperseded:
        return "superseded"
    except OperationalError:
        _fail_unavailable(run_id)
        raise


DATABASE_UNAVAILABLE = gettext_noop(
    "数据库暂时不可用（多次重试仍未成功），测算未完成；请稍后重新测算"
)


def _fail_unavailable(run_id: int) -> None:
    """After the last retry: say so on the run if the database answers now (if not, the
    run's heartbeat goes stale and `fail_stale_runs` marks it failed later)."""
    try:
        PolicyRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            error=DATABASE_UNAVAILABLE,
            progress_note="测算失败",
            finished_at=clock.now(),
        )
    except OperationalError:
        logger.warning("policy run %s: database still unavailable", run_id)


def _snapshot(
    frame: pl.DataFrame, period: int, decls: dict[str, FactDef], lagged: list[tuple[str, str, int]]
) -> pl.DataFrame:
    """Per entity, the JSON of the facts the rule read (lagged ones as `fact@year-n`)."""
    current = frame.filter(pl.col("period") == str(period)).select(
        "entity_id", *[pl.col(fid) for fid in sorted(decls)]
    )
    for column, fid, back in lagged:
        prior = frame.filter(pl.col("period") == str(period - back)).select(
            "entity_id", pl.col(fid).alias(column)
        )
        current = current.join(prior, on="entity_id", how="left")
    names = [c for c in current.columns if c != "entity_id"]
    if not names:
        return current.select("entity_id", pl.lit("{}").alias("facts"))
    as_text = [
        pl.col(c).cast(pl.String)
        if current.schema[c].is_decimal() or current.schema[c] == pl.Date
        else pl.col(c)
        for c in names
    ]
    return current.select("entity_id", pl.struct(as_text).struct.json_encode().alias("facts"))


def _compute(run: PolicyRun, source_factory: SourceFactory) -> dict[str, Any]:
    policy = run.policy
    period = int(run.period)
    resolved = catalogues.resolve(policy.catalogue, policy.rule_file, policy.rule_id, run.period)
    if not resolved.verified:
        raise DomainError("规则为暂定（未核实），不能测算兑付")
    rs = catalogues.ruleset(policy.catalogue, policy.rule_id, run.period)
    if policy.rule_id not in rs.ids:
        raise DomainError(f"规则 {policy.rule_id} 不适用于 {run.period} 年")
    rule = rs.rule(policy.rule_id)
    decls, back, lagged = facts_mod.columns_of(rs)
    clock_ = _Stopwatch(f"policy run {run.pk}")
    pop = facts_mod.population(policy.beneficiary, None)
    request = facts_mod.FactsRequest(
        policy.beneficiary, period, tuple(sorted(decls)), back, known_population=pop
    )
    clock_.lap("population")
    _progress(run, 10, "读取事实数据")
    frame = source_factory(decls)(request)
    clock_.lap("facts")
    _progress(run, 35, "规则测算")
    wide = evaluate(rs, frame, layout="wide")
    clock_.lap("evaluate")
    rid = policy.rule_id
    results = wide.select(
        pl.col("entity_id").cast(pl.Int64),
        pl.col(f"{rid}.eligible").alias("eligible"),
        pl.col(f"{rid}.amount_fen").cast(pl.Int64).alias("fen"),
        pl.col(f"{rid}.conditions").cast(pl.Int64).alias("conditions"),
        pl.col(f"{rid}.status").cast(pl.Int64).alias("status"),
    )
    results = results.join(pop, on="entity_id", how="left").join(
        _snapshot(frame, period, decls, lagged), on="entity_id", how="left"
    )
    clock_.lap("snapshot")
    _progress(run, 55, "预算分配与叠加核对")
    previous = _exclusions(run)
    claims = results.filter(
        pl.col("eligible") & (pl.col("fen") > 0) & ~pl.col("entity_id").is_in(list(previous))
    ).select(pl.col("entity_id").alias("key"), "fen")
    payable, note, budget_fen = _payable(run, claims)
    results = results.join(
        payable.select(pl.col("key").alias("entity_id"), "paid", "why"), on="entity_id", how="left"
    ).with_columns(pl.col("paid").fill_null(0), pl.col("why").fill_null(""))
    project = policy.beneficiary == Beneficiary.PROJECT
    rows = results.select(
        pl.lit(run.pk, dtype=pl.Int64).alias("run_id"),
        pl.col("enterprise_id"),
        (pl.col("entity_id") if project else pl.lit(None, dtype=pl.Int64)).alias("project_id"),
        pl.col("area_id"),
        pl.col("eligible"),
        pl.col("status"),
        pl.col("conditions"),
        facts_mod.fen_to_decimal(pl.col("fen")).alias("amount"),
        facts_mod.fen_to_decimal(pl.col("paid")).alias("payable"),
        pl.col("facts").fill_null("{}"),
        pl.col("why").alias("note"),
    )
    clock_.lap("payable")
    _progress(run, 70, "写入测算结果")
    with transaction.atomic():
        if not PolicyRun.objects.filter(
            pk=run.pk, status=RunStatus.RUNNING, started_at=run.started_at
        ).exists():
            raise RunSuperseded(run.pk)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {RESULTS_TABLE} WHERE run_id = %s", [run.pk])
        clock_.lap("delete old results")
        facts_mod.write_frame(RESULTS_TABLE, rows, text_columns=["facts", "note"])
        _restore_exclusions(run, previous, project)
    clock_.lap("write results")
    clock_.log()
    eligible = results.filter(pl.col("eligible"))
    labels = [rule.condition_label(n) for n in rule.conditions]
    return {
        "rule_version": resolved.version.validity(),
        "rule_digest": resolved.digest(),
        "condition_names": list(rule.conditions),
        "condition_labels": labels,
        "population": results.height,
        "eligible_count": eligible.height,
        "eligible_total": domain.from_fen(int(eligible["fen"].sum() or 0)),
        "excluded_count": len(previous),
        "payable_count": int((results["paid"] > 0).sum()),
        "payable_total": domain.from_fen(int(results["paid"].sum() or 0)),
        "budget_available": domain.from_fen(budget_fen) if budget_fen is not None else None,
        "allocation_note": note,
    }


def _exclusions(run: PolicyRun) -> dict[int, tuple[str, int | None]]:
    """The reviewer's exclusions of a run, by beneficiary id (kept across re-runs)."""
    out: dict[int, tuple[str, int | None]] = {}
    for enterprise_id, project_id, reason, by in RunResult.objects.filter(
        run=run, excluded=True
    ).values_list("enterprise_id", "project_id", "exclusion_reason", "excluded_by_id"):
        key = project_id if project_id is not None else enterprise_id
        out[int(key)] = (reason, by)
    return out


def _restore_exclusions(
    run: PolicyRun, previous: dict[int, tuple[str, int | None]], project: bool
) -> None:
    for key, (reason, by) in previous.items():
        lookup = {"project_id": key} if project else {"enterprise_id": key, "project_id": None}
        RunResult.objects.filter(run=run, **lookup).update(
            excluded=True, exclusion_reason=reason, excluded_by_id=by, payable=Decimal(0)
        )


def ledger_net(
    *, policy_ids: list[int], period: str, beneficiary: str, exclude_run: int | None = None
) -> pl.DataFrame:
    """Net amount in the ledger (payments − reversals + adjustments) per beneficiary:
    `key`, `paid_fen`."""
    if not policy_ids:
        return pl.DataFrame(schema={"key": pl.Int64, "paid_fen": pl.Int64})
    marks = ", ".join(["%s"] * len(policy_ids))
    extra = " AND run_id <> %s" if exclude_run is not None else ""
    params: list[Any] = [*policy_ids, period, beneficiary]
    if exclude_run is not None:
        params.append(exclude_run)
    return facts_mod.read_frame(
        "SELECT beneficiary_id, SUM(CAST(ROUND(amount * 100) AS BIGINT)) "
        f"FROM policies_ledgerentry WHERE policy_id IN ({marks}) AND period = %s "
        f"AND beneficiary_kind = %s{extra} GROUP BY beneficiary_id",
        params,
        {"key": pl.Int64, "paid_fen": pl.Int64},
    )


def _payable(run: PolicyRun, claims: pl.DataFrame) -> tuple[pl.DataFrame, str, int | None]:
    """What each claim is paid: `key`, `paid` (fen), `why`; the batch's allocation note;
    the budget available (fen).

    In order: what this policy already paid for the period (a supplementary run pays only
    the rest); the stacking rule ("pay the higher once" within the policy's group); the
    budget, with the policy's allocation rule when the claims exceed it.
    """
    policy = run.policy
    notes: list[str] = []
    work = claims.with_columns(pl.lit("").alias("why"))
    # 1. paid already by this policy for this period
    here = ledger_net(
        policy_ids=[policy.pk],
        period=run.period,
        beneficiary=policy.beneficiary,
        exclude_run=run.pk,
    )
    if not here.is_empty():
        work = work.join(here, on="key", how="left").with_columns(pl.col("paid_fen").fill_null(0))
        work = work.with_columns(
            pl.when(pl.col("paid_fen") > 0).then(pl.lit(0)).otherwise(pl.col("fen")).alias("fen"),
            pl.when(pl.col("paid_fen") > 0)
            .then(pl.lit("本期已兑付，不再重复兑付"))
            .otherwise(pl.col("why"))
            .alias("why"),
        ).drop("paid_fen")
        done = int((here["paid_fen"] > 0).sum())
        notes.append(f"本政策本期已兑付 {done} 户，不再重复兑付。")
    # 2. stacking: pay the higher once within the group
    if policy.stacking == Stacking.HIGHER and policy.stacking_group:
        others = list(
            Policy.objects.filter(
                stacking_group=policy.stacking_group,
                stacking=Stacking.HIGHER,
                beneficiary=policy.beneficiary,
            )
            .exclude(pk=policy.pk)
            .values_list("pk", flat=True)
        )
        already = ledger_net(policy_ids=others, period=run.period, beneficiary=policy.beneficiary)
        stacked = domain.apply_stacking(work.select("key", "fen"), already)
        work = work.drop("fen").join(stacked, on="key", how="left")
        touched = work.filter(pl.col("other_fen") > 0)
        if touched.height:
            work = work.with_columns(
                pl.when(pl.col("other_fen") > 0)
                .then(
                    pl.when(pl.col("fen") > 0)
                    .then(pl.lit("与同组政策不叠加，从高享受：补足差额"))
                    .otherwise(pl.lit("与同组政策不叠加，已按更高标准享受"))
                )
                .otherwise(pl.col("why"))
                .alias("why")
            )
            names = "、".join(
                f"《{n}》"
                for n in Policy.objects.filter(pk__in=others).values_list("name", flat=True)
            )
            notes.append(
                f"叠加规则：与{names}不叠加、从高享受一次，"
                f"涉及 {touched.height} 户（已享受部分从应兑付额中扣除）。"
            )
        work = work.select("key", "fen", "why")
    # 3. the budget
    budget_fen = domain.to_fen(policy.annual_budget) - int(
        ledger_net(
            policy_ids=[policy.pk],
            period=run.period,
            beneficiary=policy.beneficiary,
            exclude_run=run.pk,
        )["paid_fen"].sum()
        or 0
    )
    budget_fen = max(0, budget_fen)
    positive = work.filter(pl.col("fen") > 0)
    allocation = domain.allocate(positive.select("key", "fen"), budget_fen, policy.allocation)
    notes.append(allocation.note)
    paid = work.join(allocation.frame.select("key", "paid"), on="key", how="left").with_columns(
        pl.col("paid").fill_null(0)
    )
    if allocation.applied:
        label = Allocation(policy.allocation).label
        paid = paid.with_columns(
            pl.when((pl.col("fen") > 0) & (pl.col("paid") < pl.col("fen")))
            .then(pl.lit(f"预算不足：{label}"))
            .otherwise(pl.col("why"))
            .alias("why")
        )
    return paid.select("key", "paid", "why"), "\n".join(notes), budget_fen


def _reallocate(run: PolicyRun) -> None:
    """Recompute what each result is paid (after a review decision, and at approval)."""
    project = run.policy.beneficiary == Beneficiary.PROJECT
    key_col = "project_id" if project else "enterprise_id"
    rows = facts_mod.read_frame(
        f"SELECT id, {key_col}, CAST(ROUND(amount * 100) AS BIGINT), "
        "CAST(ROUND(payable * 100) AS BIGINT), excluded, note "
        "FROM policies_runresult WHERE run_id = %s AND eligible = %s",
        [run.pk, True],
        {
            "id": pl.Int64,
            "key": pl.Int64,
            "fen": pl.Int64,
            "old": pl.Int64,
            "excluded": pl.Boolean,
            "old_note": pl.String,
        },
    )
    claims = rows.filter(~pl.col("excluded") & (pl.col("fen") > 0)).select("key", "fen")
    payable, note, budget_fen = _payable(run, claims)
    merged = rows.join(payable, on="key", how="left").with_columns(
        pl.col("paid").fill_null(0),
        pl.when(pl.col("excluded"))
        .then(pl.lit("审核排除"))
        .otherwise(pl.col("why").fill_null(""))
        .alias("why"),
    )
    changed = merged.filter(
        (pl.col("paid") != pl.col("old")) | (pl.col("why") != pl.col("old_note"))
    )
    if not changed.is_empty():
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE policies_runresult SET payable = %s, note = %s WHERE id = %s",
                [
                    (str(domain.from_fen(paid)), why, rid)
                    for rid, paid, why in changed.select("id", "paid", "why").iter_rows()
                ],
            )
    eligible_total = int(rows["fen"].sum() or 0)
    PolicyRun.objects.filter(pk=run.pk).update(
        eligible_count=rows.height,
        eligible_total=domain.from_fen(eligible_total),
        excluded_count=int(rows["excluded"].sum() or 0),
        payable_count=int((merged["paid"] > 0).sum()),
        payable_total=domain.from_fen(int(merged["paid"].sum() or 0)),
        budget_available=domain.from_fen(budget_fen) if budget_fen is not None else None,
        allocation_note=note,
    )
    run.refresh_from_db()


@transaction.atomic
def result_exclude(*, user: Any, result: RunResult, reason: str, exclude: bool = True) -> RunResult:
    """A department reviewer excludes a case from the batch (with a reason), or takes an
    exclusion back. Only before approval."""
    scoping.require(user, Action.CHANGE, result)
    run = PolicyRun.objects.select_for_update().select_related("policy").get(pk=result.run_id)
    if run.status != RunStatus.COMPUTED:
        raise DomainError("只有待审批的批次可以调整排除", {"run": "批次不在待审批状态"})
    reason = (reason or "").strip()
    if exclude and not reason:
        raise DomainError("请填写排除原因", {"reason": "请填写排除原因"})
    if exclude and not result.eligible:
        raise DomainError("不符合条件的对象无需排除", {"result": "该对象不符合条件"})
    _count_as_preparer(run, user)
    result.excluded = exclude
    result.exclusion_reason = reason[:255] if exclude else ""
    result.excluded_by = user if exclude else None
    RunResult.objects.filter(pk=result.pk).update(
        excluded=result.excluded,
        exclusion_reason=result.exclusion_reason,
        excluded_by=result.excluded_by,
    )
    _audit_note(run, user, f"{'排除' if exclude else '恢复'}：{result}；原因：{reason or '-'}")
    _reallocate(run)
    result.refresh_from_db()
    return result


def _audit_note(run: PolicyRun, user: Any, reason: str) -> None:
    """A review decision lands in the run's audit trail."""
    audit.record(run, user=user, action=AuditAction.UPDATE, reason=reason)


def run_approve(*, user: Any, run: PolicyRun, on: datetime.date | None = None) -> PolicyRun:
    """The head of the issuing department approves the batch: one payment entry per paid
    beneficiary. Who prepared the run cannot approve it. Approving twice, or twice at the
    same time, pays once: the run row is locked, and the ledger's unique index refuses a
    second payment whatever happens above it."""
    with transaction.atomic():
        locked = PolicyRun.objects.select_for_update().select_related("policy").get(pk=run.pk)
        scoping.require(user, Action.APPROVE, locked)
        if locked.status == RunStatus.APPROVED:
            raise DomainError("该批次已审批，不能重复审批", {"run": "已审批"})
        if locked.status != RunStatus.COMPUTED:
            raise DomainError("测算尚未完成，不能审批", {"run": "测算未完成"})
        if user.pk in (locked.preparer_ids or []):
            # started, re-ran, excluded or restored a result, or changed what it pays
            message = "测算人不能审批本人测算或调整过的批次，须由部门负责人中的另一人审批"
            raise DomainError(message, {"approver": message})
        if locked.policy.status != PolicyStatus.PUBLISHED:
            raise DomainError("政策未发布或已废止，不能兑付", {"policy": "政策不在发布状态"})
        _reallocate(locked)
        booked_on = on or clock.today()
        policy = locked.policy
        project = policy.beneficiary == Beneficiary.PROJECT
        entries = []
        for result in RunResult.objects.filter(run=locked, eligible=True, payable__gt=0).order_by(
            "pk"
        ):
            city, county = domain.split(result.payable, policy.city_share_pct)
            entries.append(
                LedgerEntry(
                    kind=EntryKind.PAYMENT,
                    policy=policy,
                    run=locked,
                    result=result,
                    beneficiary_kind=policy.beneficiary,
                    beneficiary_id=int(
                        (result.project_id if project else result.enterprise_id) or 0
                    ),
                    enterprise_id=result.enterprise_id,
                    project_id=result.project_id,
                    area_id=result.area_id,
                    period=locked.period,
                    amount=result.payable,
                    city_amount=city,
                    county_amount=county,
                    city_share_pct=policy.city_share_pct,
                    booked_on=booked_on,
                    created_by=user,
                    reason=f"批次 {locked.pk} 审批兑付",
                )
            )
        try:
            with transaction.atomic():
                LedgerEntry.objects.bulk_create(entries, batch_size=2000)
        except IntegrityError as exc:
            if not _is_duplicate_payment(exc):
                raise
            raise DomainError(
                "数据库拒绝了重复兑付：同一政策、同一对象、同一期间只能兑付一次",
                {"run": "重复兑付"},
            ) from exc
        locked.status = RunStatus.APPROVED
        locked.approved_by = user
        locked.approved_at = clock.now()
        locked.booked_on = booked_on
        save_audited(locked, user=user, reason=f"审批兑付 {len(entries)} 户")
    return locked


def _is_duplicate_payment(exc: IntegrityError) -> bool:
    text = str(exc).lower()
    return "ledger_one_payment_per_beneficiary_period" in text or (
        "unique" in text and "policies_ledgerentry" in text
    )


# ---------------------------------------------------------------------------
# The ledger: corrections
# ---------------------------------------------------------------------------


def _already_reversed(entry: LedgerEntry, reversal: LedgerEntry) -> DomainError:
    """Which reversal undid the entry, when and by whom, and where the correction now is."""
    when = clock.local(reversal.created_at)
    adjustment = LedgerEntry.objects.filter(corrects=reversal).first()
    then = f"，请更正其后的第 {adjustment.pk} 号调整记录" if adjustment is not None else ""
    message = (
        f"第 {entry.pk} 号记录已于 {when:%Y-%m-%d %H:%M} 由第 {reversal.pk} 号冲正记录冲正{then}"
    )
    return DomainError(message, {"entry": message})


@transaction.atomic
def ledger_correct(
    *,
    user: Any,
    entry: LedgerEntry,
    amount: Decimal,
    reason: str,
    on: datetime.date | None = None,
) -> tuple[LedgerEntry, LedgerEntry]:
    """Correct a payment (or an earlier adjustment): a reversal of the whole entry plus
    one adjustment with the right amount, linked to the reversal. The head of the issuing
    department decides; the entry itself never changes."""
    locked = LedgerEntry.objects.select_for_update().select_related("policy").get(pk=entry.pk)
    scoping.require(user, Action.APPROVE, locked)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写更正原因", {"reason": "请填写更正原因"})
    if locked.kind == EntryKind.REVERSAL:
        raise DomainError("冲正记录不能更正", {"entry": "冲正记录不能更正"})
    earlier = LedgerEntry.objects.filter(reverses=locked).first()
    if earlier is not None:
        raise _already_reversed(locked, earlier)
    try:  # a service handed a Decimal is bounded as the API and the form are
        number = money.parse_number(amount)
        if number is None:
            raise DomainError("请填写更正后的金额", {"amount": "必填"})
        amount = money.check_yuan(number)
    except money.NumberError as exc:
        raise DomainError(f"更正后的金额有误：{exc.message}", {"amount": exc.message}) from None
    if amount < 0:
        raise DomainError("更正后的金额不能为负数", {"amount": "不能为负数"})
    booked_on = on or clock.today()
    common = {
        "policy": locked.policy,
        "run_id": locked.run_id,
        "beneficiary_kind": locked.beneficiary_kind,
        "beneficiary_id": locked.beneficiary_id,
        "enterprise_id": locked.enterprise_id,
        "project_id": locked.project_id,
        "area_id": locked.area_id,
        "period": locked.period,
        "city_share_pct": locked.city_share_pct,
        "booked_on": booked_on,
        "created_by": user,
    }
    try:
        with transaction.atomic():
            reversal = LedgerEntry(
                kind=EntryKind.REVERSAL,
                amount=-locked.amount,
                city_amount=-locked.city_amount,
                county_amount=-locked.county_amount,
                reverses=locked,
                reason=f"冲正：{reason}"[:255],
                **common,
            )
            reversal.save()
            city, county = domain.split(amount, locked.city_share_pct)
            adjustment = LedgerEntry(
                kind=EntryKind.ADJUSTMENT,
                amount=amount,
                city_amount=city,
                county_amount=county,
                corrects=reversal,
                result_id=locked.result_id,
                reason=f"调整：{reason}"[:255],
                **common,
            )
            adjustment.save()
    except IntegrityError as exc:  # reversed at the same moment by someone else
        earlier = LedgerEntry.objects.filter(reverses=locked).first()
        if earlier is None:
            raise
        raise _already_reversed(locked, earlier) from exc
    _audit_note(
        locked.run,
        user,
        f"更正台账 {locked.pk}：{locked.amount} → {amount} 元；{reason}",
    )
    return reversal, adjustment


# ---------------------------------------------------------------------------
# Objections
# ---------------------------------------------------------------------------


@transaction.atomic
def objection_file(
    *,
    user: Any,
    enterprise: Any,
    policy: Policy,
    reason: str,
    result: RunResult | None = None,
) -> Objection:
    """An enterprise objects (异议) to its result under a policy, with a reason."""
    scoping.require(user, Action.CREATE, model=Objection, values={"enterprise": enterprise})
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DomainError(
            "请写明异议理由（至少 5 个字）", {"reason": "请写明异议理由（至少 5 个字）"}
        )
    if result is not None:
        if result.enterprise_id != enterprise.pk or result.run.policy_id != policy.pk:
            raise DomainError("测算结果与企业或政策不符", {"result": "测算结果不符"})
        if result.run.status != RunStatus.APPROVED:
            raise DomainError("只能对已审批批次的结果提出异议", {"result": "批次未审批"})
        pending = (
            Objection.objects.select_for_update()
            .filter(result=result)
            .exclude(status=ObjectionStatus.CLOSED)
            .first()
        )
        if pending is not None:
            message = (
                f"对该结果的异议（{clock.local(pending.created_at):%Y-%m-%d} 提出）"
                "尚未办结，请在原异议中补充，或待办结后再提出"
            )
            raise DomainError(message, {"result": message})
    if policy.status == PolicyStatus.DRAFT:
        raise DomainError("政策尚未发布", {"policy": "政策尚未发布"})
    objection = Objection(
        enterprise=enterprise,
        policy=policy,
        run=result.run if result is not None else None,
        result=result,
        period=result.run.period if result is not None else "",
        reason=reason,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    try:
        with transaction.atomic():
            save_audited(objection, user=user, reason="提出异议")
    except IntegrityError as exc:  # filed at the same moment by someone else
        message = "对该结果已有尚未办结的异议"
        raise DomainError(message, {"result": message}) from exc
    return objection


@transaction.atomic
def objection_reply(
    *, user: Any, objection: Objection, text: str, close: bool = False
) -> ObjectionReply:
    """The department answers an objection; `close` ends the case (办结)."""
    scoping.require(
        user,
        Action.CREATE,
        model=ObjectionReply,
        values={"objection__policy__department": objection.policy.department},
    )
    scoping.require(user, Action.CHANGE, objection)
    if objection.status == ObjectionStatus.CLOSED:
        raise DomainError("该异议已办结", {"objection": "已办结"})
    text = (text or "").strip()
    if not text:
        raise DomainError("请填写答复内容", {"text": "请填写答复内容"})
    reply = ObjectionReply(objection=objection, text=text, closes=close, author=user)
    save_audited(reply, user=user)
    objection.status = ObjectionStatus.CLOSED if close else ObjectionStatus.ANSWERED
    if close:
        objection.closed_at = clock.now()
    save_audited(objection, user=user, reason="办结异议" if close else "答复异议")
    return reply


def result_facts(result: RunResult) -> dict[str, Any]:
    return json.loads(result.facts) if result.facts else {}
