"""`{% can %}`: the one way a template asks whether to show a form, a button or a link.

    {% load access %}
    {% can "change" project as may_edit %}
    {% can "create" "enterprises.Tier" enterprise=enterprise as may_grant %}
    {% if may_edit %}<a class="btn" href="…">编辑</a>{% endif %}
    {% may_import "project-reports" as may_upload %}

It answers with `core.scoping.can` for the signed-in user, so what a page offers is exactly
what the service behind it accepts: a role that may not write sees no way to write.
Keyword arguments are the scope values of a new record (`values=` of `scoping.can`).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.apps import apps
from django.db import models

from zhenxing.core import excel, scoping

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context: template.Context, action: str, target: Any, **values: Any) -> bool:
    """May the user do `action` to `target` (a record, a model, or "app_label.Model")?"""
    user = _user(context)
    if isinstance(target, models.Model):
        return scoping.can(user, action, target)
    model = apps.get_model(target) if isinstance(target, str) else target
    return scoping.can(user, action, model=model, values=values or None)


@register.simple_tag(takes_context=True)
def may_import(context: template.Context, kind: str) -> bool:
    """May the user use the registered Excel import `kind` (`core.excel.may_import`)?"""
    spec = excel.REGISTRY.get(kind)
    return spec is not None and excel.may_import(_user(context), spec)


def _user(context: template.Context) -> Any:
    request = context.get("request")
    return getattr(request, "user", None) or context.get("user")
