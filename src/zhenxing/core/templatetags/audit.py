"""`{% load audit %}`: audit entries as a person reads them (`core.audit_display`)."""

from __future__ import annotations

from typing import Any

from django import template

from zhenxing.core.audit_display import actor_text, readable_changes, reason_text

register = template.Library()


@register.filter
def audit_changes(entry: Any) -> list[dict[str, str | None]]:
    """`{% for c in entry|audit_changes %}`: label, old and new, formatted for the reader."""
    return readable_changes(entry)


@register.filter
def audit_reason(reason: str) -> str:
    """`{{ entry.reason|audit_reason }}`: a reason the platform wrote, in the reader's
    language; what a person typed stays as typed."""
    return reason_text(reason)


@register.filter
def audit_actor(actor_name: str) -> str:
    """`{{ entry.actor_name|audit_actor }}`: the platform itself ("系统") translated."""
    return actor_text(actor_name)
