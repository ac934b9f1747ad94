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
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext, gettext_noop, pgettext_lazy

from zhenxing.core import clock, money
from zhenxing.core.audit import Kind, kind_of
from zhenxing.core.models import AuditEntry
from zhenxing.core.stored_text import StoredTexts


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
            amount = decimal.Decimal(str(value).replace(",", ""))
        except decimal.InvalidOperation:
            return str(value)
        # money.format_yuan's form, with the unit in the reader's language
        return f"{money.format_number(amount)} {gettext('元')}"
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


def _stored_text(texts: Any, value: str | None) -> str | None:
    """A value the platform wrote in Chinese (a `StoredTexts` of the model's field), in
    the reader's language."""
    return texts.show(value) if texts is not None and isinstance(value, str) else value


def readable_changes(entry: AuditEntry) -> list[dict[str, str | None]]:
    """The entry's changes as `{field, label, old, new}`, every value a display string.

    A model may name the fields whose values are texts the platform writes in Chinese
    (`stored_texts = {field: StoredTexts}`, e.g. a run's progress note); they are shown in
    the reader's language."""
    model = _model_of(entry)
    stored_texts = getattr(model, "stored_texts", {}) if model is not None else {}
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
        texts = stored_texts.get(name)
        out.append(
            {
                "field": str(name or ""),
                "label": label,
                "old": _stored_text(
                    texts, show_value(kind or _legacy_kind(field, old), old, field)
                ),
                "new": _stored_text(
                    texts, show_value(kind or _legacy_kind(field, new), new, field)
                ),
            }
        )
    return out


def _named_in_english(model: type[models.Model]) -> bool:
    """Whether a record type's name has an English form: a `…_en` field (areas, fact
    definitions, clusters), or `named_in_reader_language = True` on the model when the
    English comes from elsewhere (a policy's title from its rule)."""
    if getattr(model, "named_in_reader_language", False):
        return True
    return any(field.name.endswith("_en") for field in model._meta.concrete_fields)


def record_text(entry: AuditEntry) -> str:
    """The record an entry is about, as the reader names it: the name stored with the
    entry; in English, a record whose type has an English name by its name today (a
    fact definition's Chinese label reads "Number of employees (employees)")."""
    if (translation.get_language() or "zh").startswith("zh"):
        return entry.object_repr
    model = _model_of(entry)
    if model is None or not _named_in_english(model):
        return entry.object_repr
    try:
        record = model._default_manager.filter(pk=entry.object_id).first()
    except (ValueError, ValidationError):  # an entry about a record with another key
        return entry.object_repr
    return str(record) if record is not None else entry.object_repr


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
#: for a number, a date or what a person typed (shown as typed). They are translated in
#: their own context: "提出异议" is also a button ("Raise objection"), but as a reason
#: it says what happened ("Objection raised").
REASONS = StoredTexts(
    (
        pgettext_lazy("audit reason", "新建测算"),
        pgettext_lazy("audit reason", "重新测算"),
        pgettext_lazy("audit reason", "提出异议"),
        pgettext_lazy("audit reason", "答复异议"),
        pgettext_lazy("audit reason", "办结异议"),
        pgettext_lazy("audit reason", "审批兑付 %(count)s 户"),
        pgettext_lazy("audit reason", "批次 %(batch)s 审批兑付"),
        pgettext_lazy("audit reason", "更正台账 %(entry)s：%(old)s → %(new)s 元；%(reason)s"),
        pgettext_lazy("audit reason", "名单新建：共 %(count)s 条"),
        pgettext_lazy(
            "audit reason", "名单替换：新增 %(added)s，删除 %(removed)s，变更 %(changed)s"
        ),
        pgettext_lazy("audit reason", "发布政策"),
        pgettext_lazy("audit reason", "废止政策"),
        pgettext_lazy("audit reason", "冲正：%(reason)s"),
        pgettext_lazy("audit reason", "调整：%(reason)s"),
        pgettext_lazy("audit reason", "排除：%(result)s；原因：%(reason)s"),
        pgettext_lazy("audit reason", "恢复：%(result)s；原因：%(reason)s"),
        pgettext_lazy("audit reason", "作废：%(reason)s"),
        pgettext_lazy("audit reason", "指定包保领导"),
        pgettext_lazy("audit reason", "更换包保领导（原为 %(previous)s）"),
    ),
)

#: who did it when nobody signed in (`core.audit` stores it in Chinese)
SYSTEM_ACTOR = gettext_noop("系统")


def reason_text(reason: str) -> str:
    """A stored reason in the reader's language when the platform wrote it; what a
    person typed stays as typed."""
    return REASONS.show(reason)


def actor_text(actor_name: str) -> str:
    """The stored actor name; the platform itself ("系统") in the reader's language."""
    return gettext(SYSTEM_ACTOR) if actor_name == SYSTEM_ACTOR else actor_name
