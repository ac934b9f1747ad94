"""Shared write helpers. Every write in every part goes through a service that calls these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models

from zhenxing.core import scoping
from zhenxing.core.roles import Action


class DomainError(Exception):
    """A business rule refused the change. `errors` maps field names to messages."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


def save_audited(
    obj: models.Model,
    *,
    user: Any,
    reason: str = "",
    changes: Sequence[dict[str, Any]] = (),
) -> models.Model:
    """Save with the acting user and reason recorded in the audit trail.

    `changes` are changes that are not fields of the record — the entries of a replaced
    list, say — as {field, label, old, new}: the audit entry of this save lists them
    after the fields that changed (and is written even if no field changed).
    """
    obj._history_user = user if getattr(user, "is_authenticated", False) else None  # type: ignore[attr-defined]
    if reason:
        obj._change_reason = reason  # type: ignore[attr-defined]
    obj.full_clean()
    obj._audit_changes = list(changes)  # type: ignore[attr-defined]
    try:
        obj.save()
    finally:
        del obj._audit_changes  # type: ignore[attr-defined]
    return obj


def delete_audited(obj: models.Model, *, user: Any, reason: str = "") -> None:
    scoping.require(user, Action.DELETE, obj)
    obj._history_user = user if getattr(user, "is_authenticated", False) else None  # type: ignore[attr-defined]
    if reason:
        obj._change_reason = reason  # type: ignore[attr-defined]
    obj.delete()
