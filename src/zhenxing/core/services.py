"""Shared write helpers. Every write in every part goes through a service that calls these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models, transaction

from zhenxing.core import audit, clock, scoping
from zhenxing.core.models import AuditAction
from zhenxing.core.roles import Action


class DomainError(Exception):
    """A business rule refused the change. `errors` maps field names to messages."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


def _check_actor(user: Any) -> None:
    if user is None:
        # No silent bypass: a write nobody is named for must say that the platform acts.
        raise TypeError("save_audited needs the acting user, or audit.SYSTEM for the platform")


def _history_user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def save_audited(
    obj: models.Model,
    *,
    user: Any,
    reason: str = "",
    changes: Sequence[dict[str, Any]] = (),
    action: str | None = None,
    authorised_by: models.Model | None = None,
    before: dict[str, Any] | None = None,
) -> models.Model:
    """Check scope, then save with the acting user and reason recorded in the audit trail.

    The user must be allowed `action` on the record: by default CREATE for a new record
    (with the scope it is created in) and CHANGE for a stored one (the record as stored,
    so that nobody moves a record out of reach by changing its area). A service whose
    write rests on another right passes it (`action=Action.APPROVE`); one whose write
    follows from a right on another record names that record (`authorised_by=stewardship`:
    the steward role a leader gets with a stewardship), and the check is made on it.
    `user=audit.SYSTEM`
    is the platform itself (the demo loader, reference data, background work): no scope
    check, shown as 系统. `None` is refused: every write names who acts.

    `changes` are changes that are not fields of the record — the entries of a replaced
    list, say — as {field, label, old, new}: the audit entry of this save lists them
    after the fields that changed (and is written even if no field changed).

    The entry diffs against the row as stored before this save; a service that already
    wrote part of the change (a version claimed with an UPDATE) passes `before`, the
    record's `audit.snapshot` from before it began.
    """
    _check_actor(user)
    if user is not audit.SYSTEM:
        target = authorised_by if authorised_by is not None else obj
        if target._state.adding:
            scoping.require(
                user, action or Action.CREATE, model=type(target), values=audit.scope_values(target)
            )
        else:
            scoping.require(user, action or Action.CHANGE, target)
    obj._history_user = _history_user(user)  # type: ignore[attr-defined]
    if reason:
        obj._change_reason = reason  # type: ignore[attr-defined]
    obj.full_clean()
    if before is not None:
        obj._audit_before = before  # type: ignore[attr-defined]
    obj._audit_changes = list(changes)  # type: ignore[attr-defined]
    try:
        obj.save()
    finally:
        del obj._audit_changes  # type: ignore[attr-defined]
    return obj


def check_new(obj: models.Model, *, user: Any) -> models.Model:
    """Everything `save_audited` checks before creating `obj`, without writing: the user
    may create it where it is (CREATE with its scope values) and its fields are valid
    (`full_clean`, unique values included). Reads only, so a bulk writer checks every
    record this way before it takes the database's write lock (`create_many_audited`)."""
    _check_actor(user)
    if user is not audit.SYSTEM:
        scoping.require(user, Action.CREATE, model=type(obj), values=audit.scope_values(obj))
    obj.full_clean()
    return obj


def create_many_audited(
    objs: Sequence[models.Model], *, user: Any, reason: str = ""
) -> Sequence[models.Model]:
    """Create many new records of one model in one short transaction, each audited as
    `save_audited` would: one `bulk_create`, their historical records (actor, reason)
    and their audit entries, all stamped with the same moment.

    Check each record first with `check_new` (outside any transaction: on SQLite a
    transaction holds the write lock for its whole length, and every other writer waits).
    The scope is checked again here, in memory; a record that became invalid between the
    check and the write (the same unique code created meanwhile) fails the whole batch
    with the database's IntegrityError, and nothing is written."""
    _check_actor(user)
    if not objs:
        return objs
    model = type(objs[0])
    if user is not audit.SYSTEM:
        allowed: dict[tuple[tuple[str, Any], ...], bool] = {}
        for obj in objs:
            values = audit.scope_values(obj)
            key = tuple(sorted((k, getattr(v, "pk", v)) for k, v in values.items()))
            if key not in allowed:
                scoping.require(user, Action.CREATE, model=model, values=values)
                allowed[key] = True
    stamp = clock.now()
    history_user = _history_user(user)
    with transaction.atomic():
        model._default_manager.bulk_create(objs, batch_size=500)
        history_attribute = getattr(model._meta, "simple_history_manager_attribute", None)
        if history_attribute is not None:
            getattr(model, history_attribute).bulk_history_create(
                objs, default_user=history_user, default_date=stamp, default_change_reason=reason
            )
        audit.record_many(objs, user=user, action=AuditAction.CREATE, reason=reason, at=stamp)
    return objs


def delete_audited(obj: models.Model, *, user: Any, reason: str = "") -> None:
    """Check scope (DELETE), then delete with the actor and reason in the audit trail."""
    _check_actor(user)
    if user is not audit.SYSTEM:
        scoping.require(user, Action.DELETE, obj)
    obj._history_user = _history_user(user)  # type: ignore[attr-defined]
    if reason:
        obj._change_reason = reason  # type: ignore[attr-defined]
    obj.delete()
