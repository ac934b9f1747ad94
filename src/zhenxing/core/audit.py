"""The audit index: one row per change to any domain record, with fields before → after.

django-simple-history keeps a full historical copy of each audited model. Each time it
writes one, we add an `AuditEntry` with the diff against the previous copy and the
record's scope (area, enterprise, department), so that the audit list can be filtered,
sorted and scoped across the whole platform with one indexed table.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from simple_history.signals import post_create_historical_record

from zhenxing.core.models import AuditAction, AuditEntry

_ACTION = {"+": AuditAction.CREATE, "~": AuditAction.UPDATE, "-": AuditAction.DELETE}
_SKIP_FIELDS = {"password", "last_login"}


def plain(value: Any) -> Any:
    """A JSON-safe, readable form of a field value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def actor_name(user: Any) -> str:
    """The name an audit entry shows for who acted: display name, username, or 系统."""
    if user is None:
        return "系统"
    return getattr(user, "display_name", "") or getattr(user, "username", "") or "系统"


def _field_value(instance: Any, field: models.Field) -> Any:
    """The value as a person reads it: the label of a choice, the name of a related record."""
    value = getattr(instance, field.attname, None)
    if value is None or value == "":
        return value
    if isinstance(field, models.ForeignKey):
        related_model: Any = field.related_model
        related = related_model._default_manager.filter(**{field.target_field.name: value}).first()
        return str(related) if related is not None else value
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return value


def _tracked_fields(historical: Any) -> list[models.Field]:
    tracked = historical.instance_type._meta.concrete_fields
    return [f for f in tracked if f.name not in _SKIP_FIELDS and f.name != "id"]


def diff(previous: Any | None, current: Any, *, deleted: bool = False) -> list[dict[str, Any]]:
    """[{field, label, old, new}] for each field that differs between two historical copies."""
    changes = []
    for field in _tracked_fields(current):
        if not hasattr(current, field.attname):
            continue
        new = None if deleted else plain(_field_value(current, field))
        old = plain(_field_value(previous, field)) if previous is not None else None
        if deleted:
            old, new = plain(_field_value(current, field)), None
        if old != new:
            changes.append(
                {"field": field.name, "label": str(field.verbose_name), "old": old, "new": new}
            )
    return changes


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


def _on_historical_record(sender: Any, instance: Any, history_instance: Any, **_: Any) -> None:
    spec = getattr(type(instance), "scope", None)
    action = _ACTION.get(history_instance.history_type, AuditAction.UPDATE)
    previous = None
    if action == AuditAction.UPDATE:
        previous = history_instance.prev_record
    changes = diff(previous, history_instance, deleted=action == AuditAction.DELETE)
    # changes that are not fields of the record (`services.save_audited(changes=...)`)
    changes += [
        {key: plain(change.get(key)) for key in ("field", "label", "old", "new")}
        for change in getattr(instance, "_audit_changes", None) or ()
    ]
    if action == AuditAction.UPDATE and not changes:
        return
    user = history_instance.history_user
    area_id = department_id = enterprise_id = None
    if spec is not None:
        area_id = _scope_value(instance, spec.area)
        department_id = _scope_value(instance, spec.department)
        enterprise_id = _scope_value(instance, spec.enterprise)
    AuditEntry.objects.create(
        timestamp=history_instance.history_date,
        actor=user if user is not None and user.pk else None,
        actor_name=actor_name(user),
        action=action,
        content_type=ContentType.objects.get_for_model(type(instance), for_concrete_model=True),
        object_id=str(instance.pk),
        object_repr=str(instance)[:255],
        area_id=area_id,
        department_id=department_id,
        enterprise_id=enterprise_id,
        changes=changes,
        reason=(history_instance.history_change_reason or "")[:255],
    )


_RECORD_URLS: dict[str, str] = {}


def register_record_url(model: type[models.Model], url_name: str) -> None:
    """Let audit entries of `model` link to its page (`url_name` takes the record's pk)."""
    _RECORD_URLS[model._meta.label_lower] = url_name


def record_url(entry: AuditEntry) -> str | None:
    url_name = _RECORD_URLS.get(f"{entry.content_type.app_label}.{entry.content_type.model}")
    if url_name is None or entry.action == AuditAction.DELETE:
        return None
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(url_name, args=[entry.object_id])
    except NoReverseMatch:
        return None


def connect() -> None:
    post_create_historical_record.connect(
        _on_historical_record, dispatch_uid="zhenxing-audit-index"
    )


def entries_for(obj: models.Model) -> models.QuerySet[AuditEntry]:
    """The audit trail of one record, newest first (shown on the record's page)."""
    ct = ContentType.objects.get_for_model(type(obj), for_concrete_model=True)
    return AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk)).select_related("actor")
