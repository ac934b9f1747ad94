"""`{% load audit %}`: audit entries as a person reads them (`core.audit_display`)."""

from __future__ import annotations

from typing import Any

from django import template

from zhenxing.core.audit_display import readable_changes

register = template.Library()


@register.filter
def audit_changes(entry: Any) -> list[dict[str, str | None]]:
    """`{% for c in entry|audit_changes %}`: label, old and new, formatted for the reader."""
    return readable_changes(entry)
