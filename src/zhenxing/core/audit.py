"""The audit index: one row per change to any domain record, with fields before → after.

django-simple-history keeps a full historical copy of each audited model. Each time it
writes one, we add an `AuditEntry` with the diff against the row *as it was stored*
before the save (loaded in a `pre_save` handler: one query), and the record's scope
(area, enterprise, department), so that the audit list can be filtered, sorted and
scoped across the whole platform with one indexed table. Diffing against what was stored,
not against the previous historical copy, keeps the trail right for records that came in
without one (the demo loader and bulk imports use `bulk_create`).

Writers that bypass `save()` (`bulk_create`, `bulk_update`, `QuerySet.update`) write their
entries with `record(...)` / `record_many(...)`, taking a `snapshot(obj)` before they change
a record. Nothing else builds `AuditEntry` rows.

What an entry stores: each change is `{field, label, old, new, kind}`, the values raw and
JSON-safe (a choice's code, an amount as "1234.50", a moment as ISO with its offset, a
related record by its name at the time), `label` the untranslated source label and `kind`
how to show the value. `core.audit_display.readable_changes(entry)` formats them for the reader's
language and time zone when the entry is shown (page, list, API). See docs/development.md.
"""

from __future__ import annotations

import datetime
import decimal
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import pre_save
from django.utils import translation
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from zhenxing.core import audit_chain, clock
from zhenxing.core.models import AuditAction, AuditEntry
from zhenxing.core.net import client_address

_ACTION = {"+": AuditAction.CREATE, "~": AuditAction.UPDATE, "-": AuditAction.DELETE}
_SKIP_FIELDS = {"id", "password", "last_login"}
_CHUNK = 500


class _System:
    """The platform acting on its own: the demo loader, reference data, background work.

    Passed as `user=` where no person acts, so that skipping the scope check is a
    visible decision of the caller (`save_audited(obj, user=audit.SYSTEM)`), never
    what happens to any `None` that slipped through. Entries show it as 系统.
    """

    pk = None
    is_authenticated = False

    def __str__(self) -> str:
        return "系统"

    def __repr__(self) -> str:
        return "audit.SYSTEM"


SYSTEM: Any = _System()


def actor_name(user: Any) -> str:
    """The name an audit entry shows for who acted: display name, username, or 系统."""
    if user is None or user is SYSTEM:
        return "系统"
    return getattr(user, "display_name", "") or getattr(user, "username", "") or "系统"


def _actor(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) and user.pk else None


def acting_user() -> Any:
    """Who acts on this thread: the signed-in user of the request being served, else
    SYSTEM (the command line, the worker)."""
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else SYSTEM


def current_address() -> str | None:
    """The client address of the request being served on this thread, if any (the
    request simple-history's middleware keeps for the length of a request)."""
    request = getattr(HistoricalRecords.context, "request", None)
    return client_address(request) if request is not None else None


# --- values as stored ------------------------------------------------------------------


class Kind:
    """How a stored value is shown (`core.audit_display`)."""

    TEXT = "text"
    CHOICE = "choice"
    MONEY = "money"
    NUMBER = "number"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    REF = "ref"  # a related record, stored by its name
    JSON = "json"


def is_money(field: models.Field) -> bool:
    """Amounts in yuan are `DecimalField(max_digits=18, decimal_places=2)`."""
    return (
        isinstance(field, models.DecimalField)
        and field.decimal_places == 2
        and (field.max_digits or 0) >= 14
    )


def kind_of(field: models.Field) -> str:
    if field.is_relation:
        return Kind.REF
    if field.choices:
        return Kind.CHOICE
    if is_money(field):
        return Kind.MONEY
    if isinstance(field, models.BooleanField):
        return Kind.BOOL
    if isinstance(field, models.DateTimeField):
        return Kind.DATETIME
    if isinstance(field, models.DateField):
        return Kind.DATE
    if isinstance(field, models.DecimalField | models.IntegerField | models.FloatField):
        return Kind.NUMBER
    if isinstance(field, models.JSONField):
        return Kind.JSON
    return Kind.TEXT


@functools.cache
def _tracked_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    return tuple(f for f in model._meta.concrete_fields if f.name not in _SKIP_FIELDS)


@functools.cache  # one per field: a bulk write's entries ask it thousands of times
def source_label(field: models.Field) -> str:
    """The field's label as written in the code (zh-Hans), whatever language is active:
    the reader's language is applied when the entry is shown."""
    with translation.override(None):
        return str(field.verbose_name)


def _normal(field: models.Field, value: Any) -> Any:
    """Values as the database gives them back, so that "100" and Decimal("100.00") agree."""
    if value is None or value == "":
        return None if value is None else ""
    target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
    try:
        return target.to_python(value)
    except Exception:
        return value


def plain(value: Any, field: models.Field | None = None) -> Any:
    """A JSON-safe form of a value (amounts keep their places, moments their offset)."""
    if value is None or isinstance(value, bool | int | str | list | dict):
        return value
    if isinstance(value, decimal.Decimal):
        places = getattr(field, "decimal_places", None)
        if places is not None and value.is_finite():
            value = value.quantize(decimal.Decimal(1).scaleb(-places))
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The record's tracked field values now (related records by key): take it before
    changing a record that `record`/`record_many` will write about."""
    fields = _tracked_fields(type(obj))
    return {f.attname: _normal(f, getattr(obj, f.attname, None)) for f in fields}


def _stored_row(model: type[models.Model], pk: Any) -> dict[str, Any] | None:
    fields = _tracked_fields(model)
    row = model._base_manager.filter(pk=pk).values(*(f.attname for f in fields)).first()
    if row is None:
        return None
    return {f.attname: _normal(f, row[f.attname]) for f in fields}


# --- building entries ------------------------------------------------------------------


def _differences(
    model: type[models.Model], old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> list[tuple[models.Field, Any, Any]]:
    """(field, old, new) for each tracked field that differs; an empty value against
    nothing (a new or deleted record's blank fields) is no change."""
    out = []
    for field in _tracked_fields(model):
        before = old.get(field.attname) if old is not None else None
        after = new.get(field.attname) if new is not None else None
        if (old is None or new is None) and before in (None, "") and after in (None, ""):
            continue
        if before != after:
            out.append((field, before, after))
    return out


class _Names:
    """Names of related records, fetched once per related model for a batch of entries."""

    def __init__(self) -> None:
        self.wanted: dict[models.Field, set[Any]] = {}
        self.known: dict[tuple[models.Field, Any], str] = {}

    def want(self, field: models.Field, key: Any, instance: models.Model | None = None) -> None:
        if key is None or key == "" or (field, key) in self.known:
            return
        if instance is not None and field.is_cached(instance):  # type: ignore[attr-defined]
            related = field.get_cached_value(instance)  # type: ignore[attr-defined]
            if related is not None and getattr(related, field.target_field.attname) == key:  # type: ignore[attr-defined]
                self.known[(field, key)] = str(related)
                return
        self.wanted.setdefault(field, set()).add(key)

    def fetch(self) -> None:
        for field, keys in self.wanted.items():
            target = field.target_field.attname  # type: ignore[attr-defined]
            related: Any = field.related_model
            found = related._base_manager.filter(**{f"{target}__in": list(keys)})
            for obj in found:
                self.known[(field, getattr(obj, target))] = str(obj)
        self.wanted = {}

    def name(self, field: models.Field, key: Any) -> Any:
        if key is None or key == "":
            return key
        return self.known.get((field, key), str(key))


def _scope_value(instance: Any, path: str | None) -> Any:
    if not path:
        return None
    if path == "pk":
        return instance.pk
    target: Any = instance
    parts = path.split("__")
    for i, part in enumerate(parts):
        if target is None:
            return None
        if i == len(parts) - 1:
            field = target._meta.get_field(part)
            return getattr(target, getattr(field, "attname", part), None)
        target = getattr(target, part, None)
    return None


def scope_values(obj: models.Model) -> dict[str, Any]:
    """The record's scope keys by their `ScopeSpec` path ({"project__area": 3, ...})."""
    spec = getattr(type(obj), "scope", None)
    if spec is None:
        return {}
    paths = (spec.area, spec.enterprise, spec.department, spec.project)
    return {path: _scope_value(obj, path) for path in paths if path}


class _Pending:
    """One entry being built: the differences are named in bulk before it is written."""

    def __init__(
        self,
        obj: models.Model,
        action: str,
        old: Mapping[str, Any] | None,
        new: Mapping[str, Any] | None,
        extra: Sequence[Mapping[str, Any]],
        reason: str,
        names: _Names,
    ) -> None:
        self.obj, self.action, self.extra, self.reason = obj, action, extra, reason
        self.differences = _differences(type(obj), old, new)
        for field, before, after in self.differences:
            if field.is_relation:
                names.want(field, before)
                names.want(field, after, obj if new is not None else None)

    def changes(self, names: _Names) -> list[dict[str, Any]]:
        out = []
        for field, before, after in self.differences:
            if field.is_relation:
                before, after = names.name(field, before), names.name(field, after)
            out.append(
                {
                    "field": field.name,
                    "label": source_label(field),
                    "old": plain(before, field),
                    "new": plain(after, field),
                    "kind": kind_of(field),
                }
            )
        out += [
            {key: plain(change.get(key)) for key in ("field", "label", "old", "new")}
            for change in self.extra
        ]
        return out

    def entry(
        self, names: _Names, *, user: Any, at: datetime.datetime, notes: bool = True
    ) -> AuditEntry | None:
        """The entry, or None for an update that changed nothing (and, with `notes`,
        gives no reason either: a reason alone is a note in the record's trail)."""
        changes = self.changes(names)
        if self.action == AuditAction.UPDATE and not changes and not (notes and self.reason):
            return None
        obj = self.obj
        spec = getattr(type(obj), "scope", None)
        return AuditEntry(
            address=current_address(),
            admin_only=bool(spec and spec.system),
            timestamp=at,
            actor=_actor(user),
            actor_name=actor_name(user),
            action=self.action,
            content_type=ContentType.objects.get_for_model(type(obj), for_concrete_model=True),
            object_id=str(obj.pk),
            object_repr=str(obj)[:255],
            area_id=_scope_value(obj, spec.area) if spec else None,
            department_id=_scope_value(obj, spec.department) if spec else None,
            enterprise_id=_scope_value(obj, spec.enterprise) if spec else None,
            changes=changes,
            reason=(self.reason or "")[:255],
        )


def _values_for(
    obj: models.Model, action: str, before: Mapping[str, Any] | None
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
    if action == AuditAction.CREATE:
        return None, snapshot(obj)
    if action == AuditAction.DELETE:
        return (before if before is not None else snapshot(obj)), None
    # an update without a snapshot from before lists only the changes it is given
    return before, (snapshot(obj) if before is not None else None)


def record(
    obj: models.Model,
    *,
    user: Any,
    action: str,
    before: Mapping[str, Any] | None = None,
    changes: Sequence[Mapping[str, Any]] = (),
    reason: str = "",
    at: datetime.datetime | None = None,
) -> AuditEntry | None:
    """Write the audit entry of one change made without `save()`.

    `before` is `snapshot(obj)` taken before the change (for an update; the fields that
    differ from the record now are listed); `changes` are lines beyond its fields
    ({field, label, old, new}). An update that changes nothing and gives no reason
    writes nothing; with a reason it is a note in the record's trail.
    """
    written = record_many(
        [obj],
        user=user,
        action=action,
        before={obj.pk: before} if before is not None else None,
        reason=reason,
        changes={obj.pk: changes},
        at=at,
        notes=True,
    )
    return written[0] if written else None


def record_many(
    objs: Iterable[models.Model],
    *,
    user: Any,
    action: str,
    before: Mapping[Any, Mapping[str, Any]] | None = None,
    reason: str | Callable[[Any], str] = "",
    changes: Mapping[Any, Sequence[Mapping[str, Any]]] | None = None,
    at: datetime.datetime | None = None,
    notes: bool = False,
) -> list[AuditEntry]:
    """Write the audit entries of many records written in bulk (one `bulk_create`).

    `before` maps a record's pk to its `snapshot` from before an update; a record that
    did not change gets no entry (unless `notes`, when a reason alone makes one). `reason`
    is one reason for all or a function of the record; `at` defaults to `clock.now()`
    (pass the moment the records were stamped with, so that both agree).
    """
    names = _Names()
    pending = []
    for obj in objs:
        old, new = _values_for(obj, action, (before or {}).get(obj.pk))
        why = reason(obj) if callable(reason) else reason
        extra = (changes or {}).get(obj.pk, ())
        pending.append(_Pending(obj, action, old, new, extra, why, names))
    names.fetch()
    moment = at or clock.now()
    entries = [
        e for p in pending if (e := p.entry(names, user=user, at=moment, notes=notes)) is not None
    ]
    return audit_chain.append(entries, batch_size=_CHUNK)


def event(
    action: str,
    *,
    user: Any,
    subject: models.Model | None = None,
    subject_repr: str = "",
    reason: str = "",
    changes: Sequence[Mapping[str, Any]] = (),
    address: str | None = None,
    at: datetime.datetime | None = None,
) -> AuditEntry:
    """Write a security event (`AuditAction.SIGN_IN`, `EXPORTED`, `BACKED_UP`…): who
    (`user`; SYSTEM for the operator), about what (`subject`, a record, or only its name in
    `subject_repr`), from which address (given, else the current request's), when. Such
    entries are for administrators only."""
    content_type = (
        ContentType.objects.get_for_model(subject, for_concrete_model=True)
        if subject is not None
        else None
    )
    entry = AuditEntry(
        timestamp=at or clock.now(),
        actor=_actor(user),
        actor_name=actor_name(user),
        action=action,
        content_type=content_type,
        object_id=str(subject.pk) if subject is not None and subject.pk is not None else "",
        object_repr=(subject_repr or (str(subject) if subject is not None else ""))[:255],
        changes=[
            {key: plain(c.get(key)) for key in ("field", "label", "old", "new")} for c in changes
        ],
        reason=(reason or "")[:255],
        address=address if address is not None else current_address(),
        admin_only=True,
    )
    return audit_chain.append([entry])[0]


# --- the hooks on django-simple-history ----------------------------------------------


def _is_audited(model: type[models.Model]) -> bool:
    return hasattr(model._meta, "simple_history_manager_attribute")


def _remember_stored_row(sender: Any, instance: Any, raw: bool = False, **_: Any) -> None:
    """Before an audited record is saved, keep the row as stored: the entry diffs against it."""
    if raw or instance.pk is None or not _is_audited(sender):
        return
    given = instance.__dict__.pop("_audit_before", None)  # `save_audited(before=...)`
    instance._audit_stored = given if given is not None else _stored_row(sender, instance.pk)


def _stamp_history_date(sender: Any, instance: Any, history_instance: Any, **_: Any) -> None:
    """Historical copies carry the platform's clock (the demo's today), not the machine's."""
    if not hasattr(instance, "_history_date"):
        history_instance.history_date = clock.now()


def _on_historical_record(sender: Any, instance: Any, history_instance: Any, **_: Any) -> None:
    action = _ACTION.get(history_instance.history_type, AuditAction.UPDATE)
    stored = instance.__dict__.pop("_audit_stored", None)
    if action == AuditAction.CREATE:
        old, new = None, snapshot(instance)
    elif action == AuditAction.DELETE:
        old, new = snapshot(instance), None
    else:
        old, new = stored, snapshot(instance)
        if old is None:  # saved without our pre_save (should not happen): the last copy
            previous = history_instance.prev_record
            old = snapshot(previous) if previous is not None else None
    names = _Names()
    extra = getattr(instance, "_audit_changes", None) or ()
    reason = history_instance.history_change_reason or ""
    pending = _Pending(instance, action, old, new, extra, reason, names)
    names.fetch()
    # a save that changed nothing leaves no entry, whatever reason it was given
    entry = pending.entry(
        names, user=history_instance.history_user, at=history_instance.history_date, notes=False
    )
    if entry is not None:
        audit_chain.append([entry])


def connect() -> None:
    pre_save.connect(_remember_stored_row, dispatch_uid="zhenxing-audit-stored-row")
    pre_create_historical_record.connect(
        _stamp_history_date, dispatch_uid="zhenxing-audit-history-date"
    )
    post_create_historical_record.connect(
        _on_historical_record, dispatch_uid="zhenxing-audit-index"
    )


# --- reading ---------------------------------------------------------------------------


def register_record_url(model: type[models.Model], url_name: str) -> None:
    """Let audit entries of `model` link to its page (`url_name` takes the record's pk)."""
    AuditEntry.record_url_names[model._meta.label_lower] = url_name


def record_url(entry: AuditEntry) -> str | None:
    """The page of the record an entry speaks of, where it has one."""
    return entry.get_absolute_url()


def entries_for(obj: models.Model) -> models.QuerySet[AuditEntry]:
    """The audit trail of one record, newest first (shown on the record's page)."""
    ct = ContentType.objects.get_for_model(type(obj), for_concrete_model=True)
    return AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk)).select_related("actor")
