"""Writes to the enterprise part. Each takes the acting user, checks scope, is audited.

Registry: `enterprise_create`, `enterprise_update` (a name change keeps the former name).
Facts: `facts_record` (one source's figures for one enterprise and year), `fact_priority_set`,
`sync_fact_definitions` (from the rule catalogue's facts.yaml), `resolve_effective`.
Tiers: `tier_grant` (a grant or a renewal, with its event), `tier_lose`, `tier_correct`.
Pool: `pool_enter`, `pool_change_stage`, `pool_follow_up`, `pool_assign`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from zhenxing.core import audit, clock, scoping
from zhenxing.core.codes import uscc as uscc_codes
from zhenxing.core.codes.errors import CodeError
from zhenxing.core.models import AuditAction
from zhenxing.core.roles import Action
from zhenxing.core.services import DomainError, check_new, create_many_audited, save_audited
from zhenxing.enterprises import criteria, domain
from zhenxing.enterprises.models import (
    Enterprise,
    FactDefinition,
    FactSubmission,
    FactValue,
    FollowUp,
    FollowUpKind,
    FormerName,
    PoolEntry,
    Tier,
    TierEvent,
)

EDITABLE_FIELDS = (
    "uscc",
    "name",
    "area",
    "industry",
    "address",
    "ownership",
    "size_class",
    "registration_date",
    "above_size_since",
    "contact_name",
    "contact_phone",
)
FIRST_YEAR = 2000


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    if "uscc" in values:
        try:
            values["uscc"] = uscc_codes.validate(values["uscc"])
        except CodeError as exc:
            raise DomainError(str(exc), {"uscc": str(exc)}) from exc
    return values


def _save(obj: Any, *, user: Any, message: str = "企业信息有误", reason: str = "") -> Any:
    try:
        save_audited(obj, user=user, reason=reason)
    except ValidationError as exc:
        errors = {k: "；".join(str(m) for m in v) for k, v in exc.message_dict.items()}
        raise DomainError(message, errors) from exc
    return obj


# --------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------


@transaction.atomic
def enterprise_create(*, user: Any, clusters: Iterable[Any] = (), **values: Any) -> Enterprise:
    values = _normalise(values)
    scoping.require(user, Action.CREATE, model=Enterprise, values={"area": values.get("area")})
    enterprise = Enterprise(**{k: v for k, v in values.items() if k in EDITABLE_FIELDS})
    _save(enterprise, user=user)
    if clusters:
        enterprise.clusters.set(list(clusters))
    return enterprise


def enterprise_build(*, user: Any, **values: Any) -> Enterprise:
    """The enterprise `enterprise_create` would register, checked (scope, fields, the
    code not yet registered) but not saved: an import builds every row's record this
    way, reading only, then creates them all at once (`core.services.create_many_audited`)."""
    values = _normalise(values)
    enterprise = Enterprise(**{k: v for k, v in values.items() if k in EDITABLE_FIELDS})
    try:
        check_new(enterprise, user=user)
    except ValidationError as exc:
        errors = {k: "；".join(str(m) for m in v) for k, v in exc.message_dict.items()}
        raise DomainError("企业信息有误", errors) from exc
    return enterprise


@transaction.atomic
def enterprise_update(
    *, user: Any, enterprise: Enterprise, clusters: Iterable[Any] | None = None, **values: Any
) -> Enterprise:
    scoping.require(user, Action.CHANGE, enterprise)
    values = _normalise(values)
    if "area" in values and values["area"] != enterprise.area:
        # moving a record to another area must be allowed on the target area too
        scoping.require(user, Action.CREATE, model=Enterprise, values={"area": values["area"]})
    old_name = enterprise.name
    for key, value in values.items():
        if key in EDITABLE_FIELDS:
            setattr(enterprise, key, value)
    _save(enterprise, user=user)
    if enterprise.name != old_name and old_name:
        FormerName.objects.create(enterprise=enterprise, name=old_name, until=clock.today())
    if clusters is not None:
        enterprise.clusters.set(list(clusters))
    return enterprise


def can_see_contacts(user: Any, enterprise: Enterprise) -> bool:
    """Contacts are personal data: shown to the staff who handle the enterprise — city
    departments, the staff of its own area, administrators — and to the enterprise itself.
    Not to city leaders (they read figures, not people's phone numbers), stewards, or
    other areas."""
    return scoping.sees_personal_data(user, enterprise)


# --------------------------------------------------------------------------------------
# Fact definitions
# --------------------------------------------------------------------------------------


def sync_fact_definitions(catalogue_dir: str | None = None) -> int:
    """Create or update one definition per enterprise fact of the catalogue's facts.yaml
    (same ids), plus the registry's extra facts. A declared priority is kept; a new
    definition starts from `domain.PRIORITY_OVERRIDES`. Returns how many rows changed."""
    from zhenxing.enterprises.queries import catalogue_dir as default_dir

    path = catalogue_dir or default_dir()
    wanted: list[dict[str, Any]] = []
    members: dict[str, tuple[str, ...]] = {}
    for order, fact in enumerate(criteria.enterprise_facts(path)):
        members[fact.id] = tuple(fact.values)
        wanted.append(
            {
                "code": fact.id,
                "label": fact.label,
                "label_en": fact.label_en,
                "value_type": "money" if fact.unit == "yuan" else fact.type.value,
                "unit": fact.unit,
                "scale": fact.scale,
                "derivation": domain.DERIVATIONS.get(fact.id, domain.Derivation.STORED).value,
                "in_catalogue": True,
                "sort_order": order,
            }
        )
    base = len(wanted)
    for i, extra in enumerate(domain.EXTRA_FACTS):
        wanted.append(
            {
                "code": extra.id,
                "label": extra.label,
                "label_en": extra.label_en,
                "value_type": extra.value_type.value,
                "unit": extra.unit,
                "scale": domain.DEFAULT_SCALE.get(extra.value_type, 0),
                "derivation": "",
                "in_catalogue": False,
                "sort_order": base + i,
            }
        )
    existing = {d.code: d for d in FactDefinition.objects.all()}
    changed = 0
    for values in wanted:
        current = existing.get(values["code"])
        if current is None:
            # A new definition starts from the default priority and domain; both are
            # data from then on (an administrator may change them), so a sync keeps them.
            priority = domain.PRIORITY_OVERRIDES.get(values["code"], ())
            value_domain = domain.default_domain(
                values["code"], values["value_type"], members.get(values["code"], ())
            )
            FactDefinition.objects.create(
                **values,
                source_priority=",".join(s.value for s in priority),
                minimum=value_domain.minimum,
                maximum=value_domain.maximum,
                members=",".join(value_domain.members),
            )
            changed += 1
            continue
        if any(getattr(current, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(current, k, v)
            current.save()
            changed += 1
    return changed


@transaction.atomic
def fact_priority_set(
    *, user: Any, definition: FactDefinition, priority: Iterable[str], reason: str = ""
) -> FactDefinition:
    """Declare the order in which sources are read for one fact; re-resolves its values."""
    scoping.require(user, Action.CHANGE, definition)
    try:
        order = domain.parse_priority(",".join(priority))
    except domain.Invalid as exc:
        raise DomainError(exc.message, {"source_priority": exc.message}) from exc
    definition.source_priority = ",".join(s.value for s in order)
    _save(definition, user=user, message="来源优先级有误", reason=reason)
    resolve_effective(definitions=[definition])
    return definition


# --------------------------------------------------------------------------------------
# Yearly facts
# --------------------------------------------------------------------------------------


def _rank_sql(definitions: Iterable[FactDefinition]) -> str:
    """CASE fact_id WHEN … THEN (CASE source WHEN … THEN rank …) END — constants only."""
    branches = []
    for d in definitions:
        inner = " ".join(f"WHEN '{s.value}' THEN {i}" for i, s in enumerate(d.priority))
        branches.append(f"WHEN {int(d.pk)} THEN (CASE source {inner} ELSE 99 END)")
    return f"CASE fact_id {' '.join(branches)} ELSE 99 END"


def resolve_effective(
    *,
    definitions: Iterable[FactDefinition] | None = None,
    enterprise_ids: Iterable[int] | None = None,
    years: Iterable[int] | None = None,
) -> None:
    """Mark, for each enterprise, year and fact, the value of the highest-priority source
    as `effective` (the one the rules read) and the others not. One UPDATE statement."""
    defs = list(definitions) if definitions is not None else list(FactDefinition.objects.all())
    if not defs:
        return
    table = FactValue._meta.db_table
    where = [f"fact_id IN ({', '.join(str(int(d.pk)) for d in defs)})"]
    if enterprise_ids is not None:
        ids = sorted({int(i) for i in enterprise_ids})
        if not ids:
            return
        where.append(f"enterprise_id IN ({', '.join(map(str, ids))})")
    if years is not None:
        ys = sorted({int(y) for y in years})
        if not ys:
            return
        where.append(f"year IN ({', '.join(map(str, ys))})")
    condition = " AND ".join(where)
    sql = (
        f"UPDATE {table} SET effective = (id IN ("
        f"SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY enterprise_id, year, fact_id "
        f"ORDER BY {_rank_sql(defs)}, id) AS rn FROM {table} WHERE {condition}) ranked "
        f"WHERE rn = 1)) WHERE {condition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)


def _fact_writable(user: Any, enterprise: Enterprise, source: str) -> None:
    scoping.require(
        user,
        Action.CREATE,
        model=FactSubmission,
        values={"enterprise__area": enterprise.area, "enterprise": enterprise},
    )
    if not scoping.can(
        user,
        Action.CREATE,
        model=FactSubmission,
        values={"enterprise__area": enterprise.area, "enterprise": enterprise, "source": source},
    ):
        raise scoping.PermissionDenied("企业只能报送“企业自报”来源的数据")


def _known_source(source: str) -> str:
    try:
        return domain.Source(source).value
    except ValueError:
        raise DomainError("数据来源有误", {"source": f"未知的数据来源“{source}”"}) from None


def _clean_facts(
    defs: Mapping[str, FactDefinition],
    year: int,
    as_of: datetime.date | None,
    values: Mapping[str, Any],
    today: datetime.date,
) -> tuple[datetime.date, dict[str, str]]:
    """The checks of one enterprise's year of facts (no query): the year, the data date,
    each value against its fact's type and domain. Returns (as_of, fact id → stored text)."""
    if not FIRST_YEAR <= int(year) <= today.year:
        raise DomainError("年度有误", {"year": f"年度应在 {FIRST_YEAR}–{today.year} 之间"})
    as_of = as_of or today
    if as_of > today:
        raise DomainError("数据日期有误", {"as_of": "数据日期不能晚于今天"})
    errors: dict[str, str] = {}
    clean: dict[str, str] = {}
    for code, raw in values.items():
        definition = defs.get(code)
        if definition is None:
            errors[code] = f"没有事实“{code}”"
            continue
        if not definition.importable:
            errors[code] = f"“{definition.short_label}”由资质称号或登记信息推出，不能报送"
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            clean[code] = definition.clean_value(raw)
        except domain.Invalid as exc:
            errors[code] = f"{definition.short_label}：{exc.message}"
    if errors:
        raise DomainError("年度数据有误", errors)
    if not clean:
        raise DomainError("没有可记录的数据", {"values": "至少填写一项数据"})
    return as_of, clean


@transaction.atomic
def facts_record(
    *,
    user: Any,
    enterprise: Enterprise,
    year: int,
    source: str,
    values: Mapping[str, Any],
    as_of: datetime.date | None = None,
    reason: str = "",
    definitions: Mapping[str, FactDefinition] | None = None,
) -> FactSubmission:
    """Record what `source` says for one enterprise and year: each fact id → value.

    A fact already given by this source for that year is replaced; facts not named keep
    their values. Values are checked against the fact's type and domain (a negative
    amount or count, a grade out of range, an unknown enum member); derived facts (from
    tiers or the registration record) are refused. Errors name the fact."""
    source = _known_source(source)
    _fact_writable(user, enterprise, source)
    today = clock.today()
    defs = (
        dict(definitions)
        if definitions is not None
        else {d.code: d for d in FactDefinition.objects.filter(code__in=list(values))}
    )
    as_of, clean = _clean_facts(defs, year, as_of, values, today)
    FactValue.objects.bulk_create(
        [
            FactValue(
                enterprise=enterprise,
                year=year,
                fact=defs[code],
                source=source,
                value=text,
                as_of=as_of,
            )
            for code, text in clean.items()
        ],
        update_conflicts=True,
        unique_fields=["enterprise", "year", "fact", "source"],
        update_fields=["value", "as_of"],
    )
    resolve_effective(
        definitions=[defs[c] for c in clean], enterprise_ids=[enterprise.pk], years=[year]
    )
    submission = FactSubmission.objects.filter(
        enterprise=enterprise, year=year, source=source
    ).first() or FactSubmission(enterprise=enterprise, year=year, source=source)
    submission.as_of = max(as_of, submission.as_of) if submission.as_of else as_of
    submission.summary = "；".join(f"{defs[c].short_label}={v}" for c, v in clean.items())
    submission.recorded_at = clock.now()
    _save(submission, user=user, message="年度数据有误", reason=reason)
    return submission


@dataclass(frozen=True)
class FactItem:
    """One enterprise's year of facts from one source, for `facts_record_many`."""

    enterprise: Enterprise
    year: int
    values: Mapping[str, Any]
    as_of: datetime.date | None = None


class FactsRefused(DomainError):
    """`facts_record_many` refused items: `item_errors` maps an item's position to
    {field: message} (a fact id, `year`, `as_of`, `values`, `enterprise`)."""

    def __init__(self, item_errors: dict[int, dict[str, str]]) -> None:
        super().__init__("年度数据有误", {})
        self.item_errors = item_errors


def facts_record_many(
    *, user: Any, source: str, items: Sequence[FactItem], reason: str = ""
) -> list[FactSubmission]:
    """`facts_record` for many enterprises and years at once (a bureau's sheet): every
    item checked first, reading only (scope once per enterprise, the definitions once);
    then, only if none was refused, all written in one short transaction — the values
    in one upsert, `effective` resolved in one statement, the submissions created and
    changed in bulk with their history and audit entries. Refusals raise `FactsRefused`
    naming each item; nothing is written."""
    source = _known_source(source)
    today = clock.today()
    codes = sorted({code for item in items for code in item.values})
    defs = {d.code: d for d in FactDefinition.objects.filter(code__in=codes)}
    errors: dict[int, dict[str, str]] = {}
    refused_enterprises: dict[int, str | None] = {}
    seen: dict[tuple[int, int], int] = {}
    cleaned: list[tuple[FactItem, datetime.date, dict[str, str]]] = []
    for position, item in enumerate(items):
        key = (item.enterprise.pk, int(item.year))
        if key in seen:
            errors[position] = {"year": f"与第 {seen[key] + 1} 项重复"}
            continue
        seen[key] = position
        if item.enterprise.pk not in refused_enterprises:
            try:
                _fact_writable(user, item.enterprise, source)
                refused_enterprises[item.enterprise.pk] = None
            except scoping.PermissionDenied as exc:
                refused_enterprises[item.enterprise.pk] = exc.message
        refusal = refused_enterprises[item.enterprise.pk]
        if refusal is not None:
            errors[position] = {"enterprise": refusal}
            continue
        try:
            as_of, clean = _clean_facts(defs, item.year, item.as_of, item.values, today)
        except DomainError as exc:
            errors[position] = exc.errors or {"values": exc.message}
            continue
        cleaned.append((item, as_of, clean))
    if errors:
        raise FactsRefused(errors)
    stored = _stored_submissions(source, [item for item, _a, _c in cleaned])
    stamp = clock.now()
    created: list[FactSubmission] = []
    changed: list[FactSubmission] = []
    before: dict[int, dict[str, Any]] = {}
    result: list[FactSubmission] = []
    for item, as_of, clean in cleaned:
        submission = stored.get((item.enterprise.pk, int(item.year)))
        if submission is None:
            submission = FactSubmission(enterprise=item.enterprise, year=item.year, source=source)
            created.append(submission)
        else:
            if user is not audit.SYSTEM:
                scoping.require(user, Action.CHANGE, submission)
            before[submission.pk] = audit.snapshot(submission)
            changed.append(submission)
        submission.as_of = max(as_of, submission.as_of) if submission.as_of else as_of
        submission.summary = "；".join(f"{defs[c].short_label}={v}" for c, v in clean.items())
        submission.recorded_at = stamp
        result.append(submission)
    values = [
        FactValue(
            enterprise=item.enterprise,
            year=item.year,
            fact=defs[code],
            source=source,
            value=text,
            as_of=as_of,
        )
        for item, as_of, clean in cleaned
        for code, text in clean.items()
    ]
    with transaction.atomic():
        FactValue.objects.bulk_create(
            values,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["enterprise", "year", "fact", "source"],
            update_fields=["value", "as_of"],
        )
        resolve_effective(
            definitions=[defs[code] for code in {v.fact.code for v in values}],
            enterprise_ids={item.enterprise.pk for item, _a, _c in cleaned},
            years={int(item.year) for item, _a, _c in cleaned},
        )
        create_many_audited(created, user=user, reason=reason)
        if changed:
            FactSubmission.objects.bulk_update(
                changed, ["as_of", "summary", "recorded_at"], batch_size=500
            )
            FactSubmission.history.bulk_history_create(
                changed,
                update=True,
                default_user=user if getattr(user, "is_authenticated", False) else None,
                default_date=stamp,
                default_change_reason=reason,
            )
            audit.record_many(
                changed,
                user=user,
                action=AuditAction.UPDATE,
                before=before,
                reason=reason,
                at=stamp,
            )
    return result


def _stored_submissions(
    source: str, items: Sequence[FactItem]
) -> dict[tuple[int, int], FactSubmission]:
    """The submissions this source already has for the items' enterprises and years."""
    wanted = {(item.enterprise.pk, int(item.year)) for item in items}
    enterprise_ids = sorted({pk for pk, _year in wanted})
    years = sorted({year for _pk, year in wanted})
    found: dict[tuple[int, int], FactSubmission] = {}
    for start in range(0, len(enterprise_ids), 500):
        chunk = enterprise_ids[start : start + 500]
        for submission in FactSubmission.objects.filter(
            source=source, enterprise_id__in=chunk, year__in=years
        ).select_related("enterprise__area"):
            key = (submission.enterprise_id, submission.year)
            if key in wanted:
                found[key] = submission
    return found


# --------------------------------------------------------------------------------------
# Tiers
# --------------------------------------------------------------------------------------


def _tier_writable(user: Any, enterprise: Enterprise) -> None:
    scoping.require(
        user,
        Action.CREATE,
        model=Tier,
        values={"enterprise__area": enterprise.area, "enterprise": enterprise},
    )


@transaction.atomic
def tier_grant(
    *,
    user: Any,
    enterprise: Enterprise,
    code: str,
    issued_on: datetime.date,
    level: str | None = None,
    expires_on: datetime.date | None = None,
    certificate_no: str = "",
    issuer: str = "",
    batch: str = "",
    note: str = "",
) -> Tier:
    """Record a certificate: a renewal if it continues one the enterprise held (see
    `domain.grant_kind`), else a grant — the event policies read as "newly recognised".
    An open pool entry targeting this tier moves to 已认定."""
    _tier_writable(user, enterprise)
    try:
        tier_code = domain.TierCode(code)
    except ValueError:
        raise DomainError("资质称号有误", {"code": f"未知的资质称号“{code}”"}) from None
    if not domain.EARLIEST_TIER_DATE <= issued_on <= clock.today():
        raise DomainError(
            "发证日期有误",
            {"issued_on": f"发证日期应在 {domain.EARLIEST_TIER_DATE} 至今天之间"},
        )
    level = level or domain.DEFAULT_LEVEL[tier_code].value
    try:
        domain.Level(level)
    except ValueError:
        raise DomainError("级别有误", {"level": f"未知的级别“{level}”"}) from None
    if expires_on is None:
        expires_on = domain.default_expiry(tier_code, issued_on)
    if expires_on is not None and expires_on < issued_on:
        raise DomainError("有效期有误", {"expires_on": "有效期至不能早于发证日期"})
    if expires_on is not None and expires_on.year > issued_on.year + 20:
        raise DomainError("有效期有误", {"expires_on": "有效期不能超过 20 年"})
    earlier = list(
        Tier.objects.filter(enterprise=enterprise, code=tier_code, level=level).order_by(
            "-issued_on"
        )
    )
    if any(t.issued_on == issued_on for t in earlier):
        raise DomainError("重复登记", {"issued_on": "该企业同一日期已登记此资质"})
    kind = domain.grant_kind(
        [domain.Holding(t.issued_on, t.expires_on, t.ended_on) for t in earlier], issued_on
    )
    previous = None
    if kind is domain.EventKind.RENEWED:
        previous = next(t for t in earlier if t.issued_on <= issued_on and t.ended_on is None)
    tier = Tier(
        enterprise=enterprise,
        code=tier_code.value,
        level=level,
        certificate_no=certificate_no,
        issuer=issuer,
        batch=batch,
        issued_on=issued_on,
        expires_on=expires_on,
        renewal_of=previous,
    )
    _save(tier, user=user, message="资质信息有误", reason=note)
    TierEvent.objects.create(
        tier=tier,
        enterprise=enterprise,
        code=tier.code,
        level=level,
        kind=kind.value,
        date=issued_on,
        note=note or batch,
        recorded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    for entry in PoolEntry.objects.filter(
        enterprise=enterprise, target=tier.code, year__lte=issued_on.year
    ).exclude(stage__in=[domain.Stage.RECOGNISED, domain.Stage.EXITED]):
        _change_stage(
            user,
            entry,
            domain.Stage.RECOGNISED,
            max(issued_on, entry.stage_since),
            f"已认定（{tier}，{issued_on.isoformat()} 发证）",
            kind=FollowUpKind.STAGE,
        )
    return tier


@transaction.atomic
def tier_lose(*, user: Any, tier: Tier, date: datetime.date, reason: str) -> Tier:
    """The enterprise lost the tier on `date` (revoked, cancelled, given up)."""
    scoping.require(user, Action.CHANGE, tier)
    if not reason.strip():
        raise DomainError("请填写原因", {"reason": "请填写撤销或取消的原因"})
    if tier.ended_on is not None:
        raise DomainError("已撤销", {"date": f"该证书已于 {tier.ended_on} 撤销/取消"})
    if date < tier.issued_on:
        raise DomainError("日期有误", {"date": "撤销日期不能早于发证日期"})
    if date > clock.today():
        raise DomainError("日期有误", {"date": "撤销日期不能晚于今天"})
    tier.ended_on = date
    tier.end_reason = reason.strip()
    _save(tier, user=user, message="资质信息有误", reason=reason)
    TierEvent.objects.create(
        tier=tier,
        enterprise_id=tier.enterprise_id,
        code=tier.code,
        level=tier.level,
        kind=domain.EventKind.LOST.value,
        date=date,
        note=reason.strip(),
        recorded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    return tier


TIER_CORRECTABLE = ("certificate_no", "issuer", "batch", "expires_on")


@transaction.atomic
def tier_correct(*, user: Any, tier: Tier, reason: str = "", **values: Any) -> Tier:
    """Correct a certificate's number, issuer, batch or expiry date (audited)."""
    scoping.require(user, Action.CHANGE, tier)
    for key, value in values.items():
        if key not in TIER_CORRECTABLE:
            raise DomainError("不能修改", {key: "该项不能修改；如发证日期有误请撤销后重新登记"})
        setattr(tier, key, value)
    if tier.expires_on is not None and tier.expires_on < tier.issued_on:
        raise DomainError("有效期有误", {"expires_on": "有效期至不能早于发证日期"})
    return _save(tier, user=user, message="资质信息有误", reason=reason)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------
# Cultivation pool
# --------------------------------------------------------------------------------------


def _check_responsible(responsible: Any, enterprise: Enterprise) -> None:
    if responsible is None:
        return
    if scoping.can(
        responsible,
        Action.CHANGE,
        model=PoolEntry,
        values={"enterprise__area": enterprise.area, "enterprise": enterprise},
    ):
        return
    raise DomainError("责任人有误", {"responsible": "责任人应为市直部门或企业所在区域的工作人员"})


@transaction.atomic
def pool_enter(
    *,
    user: Any,
    enterprise: Enterprise,
    target: str,
    year: int,
    responsible: Any = None,
    entered_on: datetime.date | None = None,
    note: str = "",
) -> PoolEntry:
    scoping.require(
        user,
        Action.CREATE,
        model=PoolEntry,
        values={"enterprise__area": enterprise.area, "enterprise": enterprise},
    )
    try:
        target = domain.TierCode(target).value
    except ValueError:
        raise DomainError("培育目标有误", {"target": f"未知的资质称号“{target}”"}) from None
    if PoolEntry.objects.filter(enterprise=enterprise, target=target, year=year).exists():
        raise DomainError("已在培育库", {"target": "该企业本年度已以此目标入库"})
    _check_responsible(responsible, enterprise)
    day = entered_on or clock.today()
    if not FIRST_YEAR <= year <= clock.today().year + 1:
        raise DomainError("培育年度有误", {"year": f"培育年度应在 {FIRST_YEAR} 至明年之间"})
    if not datetime.date(FIRST_YEAR, 1, 1) <= day <= clock.today():
        raise DomainError("入库日期有误", {"entered_on": "入库日期不能晚于今天"})
    entry = PoolEntry(
        enterprise=enterprise,
        target=target,
        year=year,
        stage=domain.Stage.ENTERED.value,
        stage_since=day,
        furthest=domain.stage_rank(domain.Stage.ENTERED),
        entered_on=day,
        responsible=responsible,
        note=note,
    )
    return _save(entry, user=user, message="培育信息有误")  # type: ignore[no-any-return]


def _change_stage(
    user: Any,
    entry: PoolEntry,
    stage: domain.Stage,
    date: datetime.date,
    note: str,
    *,
    kind: str = FollowUpKind.STAGE,
    exit_reason: str = "",
) -> PoolEntry:
    try:
        domain.check_stage_change(entry.stage, stage)
    except domain.Invalid as exc:
        raise DomainError(exc.message, {"stage": exc.message}) from exc
    if date < entry.stage_since:
        raise DomainError("日期有误", {"date": "日期不能早于进入当前阶段的日期"})
    if date > max(clock.today(), entry.stage_since):
        raise DomainError("日期有误", {"date": "日期不能晚于今天"})
    previous = entry.stage
    entry.stage = stage.value
    entry.stage_since = date
    entry.furthest = max(entry.furthest, domain.stage_rank(stage))
    if stage is domain.Stage.EXITED:
        entry.exit_reason = exit_reason
    _save(entry, user=user, message="培育信息有误", reason=note)
    follow = FollowUp(
        entry=entry,
        date=date,
        kind=kind,
        note=note
        or f"{domain.STAGE_LABELS[domain.Stage(previous)]} → {domain.STAGE_LABELS[stage]}",
        stage_from=previous,
        stage_to=stage.value,
        recorded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    _save(follow, user=user, message="跟踪记录有误")
    return entry


@transaction.atomic
def pool_change_stage(
    *,
    user: Any,
    entry: PoolEntry,
    stage: str,
    date: datetime.date | None = None,
    note: str = "",
    exit_reason: str = "",
) -> PoolEntry:
    scoping.require(user, Action.CHANGE, entry)
    try:
        new = domain.Stage(stage)
    except ValueError:
        raise DomainError("阶段有误", {"stage": f"未知的阶段“{stage}”"}) from None
    if new is domain.Stage.EXITED and not exit_reason.strip():
        raise DomainError("请填写退出原因", {"exit_reason": "退出培育库须写明原因"})
    return _change_stage(
        user, entry, new, date or clock.today(), note, exit_reason=exit_reason.strip()
    )


@transaction.atomic
def pool_follow_up(
    *,
    user: Any,
    entry: PoolEntry,
    kind: str,
    note: str,
    date: datetime.date | None = None,
    next_step: str = "",
) -> FollowUp:
    scoping.require(user, Action.CHANGE, entry)
    if kind not in FollowUpKind.values or kind == FollowUpKind.STAGE:
        raise DomainError("方式有误", {"kind": "请选择走访、电话、座谈/培训或政策与服务推送"})
    if not note.strip():
        raise DomainError("请填写情况", {"note": "请填写跟踪情况"})
    day = date or clock.today()
    if not entry.entered_on <= day <= clock.today():
        raise DomainError("日期有误", {"date": "日期应在入库日期至今天之间"})
    follow = FollowUp(
        entry=entry,
        date=day,
        kind=kind,
        note=note.strip(),
        next_step=next_step.strip(),
        recorded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    return _save(follow, user=user, message="跟踪记录有误")  # type: ignore[no-any-return]


@transaction.atomic
def pool_assign(*, user: Any, entry: PoolEntry, responsible: Any) -> PoolEntry:
    scoping.require(user, Action.CHANGE, entry)
    _check_responsible(responsible, entry.enterprise)
    entry.responsible = responsible
    return _save(entry, user=user, message="培育信息有误")  # type: ignore[no-any-return]
