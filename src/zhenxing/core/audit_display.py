"""Audit entries as a person reads them, in the reader's language and time zone.

An entry stores raw values and each value's kind (`core.audit`); they are formatted here,
when shown, the same way on every page, in the audit list and its export, and in the
API: a choice by its label, an amount with its unit and thousands separators, a moment
in Asia/Shanghai, a field by its translated label. Entries written before kinds were
stored (labels and values as text) are shown through their model's field where it still
exists, so old trails still read well.
"""

from __future__ import annotations

import datetime
import decimal
import json
import re
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from zhenxing.core import clock, money
from zhenxing.core.audit import Kind, kind_of
from zhenxing.core.models import AuditEntry


def _model_of(entry: AuditEntry) -> type[models.Model] | None:
    if not entry.content_type_id:
        return None
    return ContentType.objects.get_for_id(entry.content_type_id).model_class()


def _field(model: type[models.Model] | None, name: Any) -> models.Field | None:
    if model is None or not isinstance(name, str):
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) and field.concrete else None


def _choice(field: models.Field | None, value: Any) -> str:
    if field is None:
        return str(value)
    labels = dict(field.flatchoices)
    if value in labels:
        return str(labels[value])
    # entries written before kinds were stored hold the Chinese label itself
    with translation.override(None):
        codes = {str(label): code for code, label in labels.items()}
    return str(labels[codes[value]]) if value in codes else str(value)


def _moment(value: Any) -> str:
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return clock.local(moment).strftime("%Y-%m-%d %H:%M")


def show_value(kind: str, value: Any, field: models.Field | None = None) -> str | None:
    """One stored value as the page shows it (None stays None: nothing was there)."""
    if value is None or value == "":
        return None if value is None else ""
    if kind == Kind.CHOICE:
        return _choice(field, value)
    if kind == Kind.MONEY:
        try:
            return money.format_yuan(decimal.Decimal(str(value).replace(",", "")))
        except decimal.InvalidOperation:
            return str(value)
    if kind == Kind.BOOL:
        truth = value if isinstance(value, bool) else str(value) in {"True", "true", "1"}
        return gettext("是") if truth else gettext("否")
    if kind == Kind.DATETIME:
        return _moment(value)
    if kind == Kind.JSON and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _legacy_kind(field: models.Field | None, value: Any) -> str:
    """The kind of a value stored before kinds were: from its field, or its look."""
    if field is not None:
        return kind_of(field)
    if isinstance(value, str) and len(value) > 16 and value[10:11] == "T":
        return Kind.DATETIME  # an ISO moment in UTC, as entries stored them then
    return Kind.TEXT


def readable_changes(entry: AuditEntry) -> list[dict[str, str | None]]:
    """The entry's changes as `{field, label, old, new}`, every value a display string."""
    model = _model_of(entry)
    out = []
    for change in entry.changes or ():
        name = change.get("field")
        field = _field(model, name)
        if field is not None:
            label = str(field.verbose_name)
        else:
            label = gettext(change["label"]) if change.get("label") else str(name or "")
        old, new = change.get("old"), change.get("new")
        kind = change.get("kind")
        out.append(
            {
                "field": str(name or ""),
                "label": label,
                "old": show_value(kind or _legacy_kind(field, old), old, field),
                "new": show_value(kind or _legacy_kind(field, new), new, field),
            }
        )
    return out


def changes_text(entry: AuditEntry) -> str:
    """The changes on one line ("建设内容：旧 → 新；…"), for the audit list and its export."""
    chinese = (translation.get_language() or "zh").startswith("zh")
    colon, semicolon = ("：", "；") if chinese else (": ", "; ")
    lines = []
    for change in readable_changes(entry):
        old = change["old"] if change["old"] not in (None, "") else "-"
        new = change["new"] if change["new"] not in (None, "") else "-"
        lines.append(f"{change['label']}{colon}{old} → {new}")
    return semicolon.join(lines)


#: The reasons the platform itself writes, stored in Chinese as written (old entries
#: included); `reason_text` shows them in the reader's language. A placeholder stands
#: for a number, a date or what a person typed (shown as typed).
_REASONS = (
    gettext_noop("新建测算"),
    gettext_noop("提出异议"),
    gettext_noop("答复异议"),
    gettext_noop("办结异议"),
    gettext_noop("审批兑付 %(count)s 户"),
    gettext_noop("批次 %(batch)s 审批兑付"),
    gettext_noop("更正台账 %(entry)s：%(old)s → %(new)s 元；%(reason)s"),
    gettext_noop("名单新建：共 %(count)s 条"),
    gettext_noop("名单替换：新增 %(added)s，删除 %(removed)s，变更 %(changed)s"),
)
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _pattern(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)  # text, name, text, name, …, text
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$", re.DOTALL)


_REASON_PATTERNS = [(template, _pattern(template)) for template in _REASONS]
#: who did it when nobody signed in (`core.audit` stores it in Chinese)
SYSTEM_ACTOR = gettext_noop("系统")


def reason_text(reason: str) -> str:
    """A stored reason in the reader's language when the platform wrote it; what a
    person typed stays as typed."""
    for template, pattern in _REASON_PATTERNS:
        match = pattern.match(reason or "")
        if match:
            return gettext(template) % match.groupdict()
    return reason


def actor_text(actor_name: str) -> str:
    """The stored actor name; the platform itself ("系统") in the reader's language."""
    return gettext(SYSTEM_ACTOR) if actor_name == SYSTEM_ACTOR else actor_name
