"""Writes to the enterprise registry. Each takes the acting user, checks scope, is audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from zhenxing.core import scoping
from zhenxing.core.codes import uscc as uscc_codes
from zhenxing.core.codes.errors import CodeError
from zhenxing.core.roles import Action
from zhenxing.core.services import DomainError, save_audited
from zhenxing.enterprises.models import Enterprise

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


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    if "uscc" in values:
        try:
            values["uscc"] = uscc_codes.validate(values["uscc"])
        except CodeError as exc:
            raise DomainError(str(exc), {"uscc": str(exc)}) from exc
    return values


def _save(enterprise: Enterprise, *, user: Any) -> Enterprise:
    try:
        save_audited(enterprise, user=user)
    except ValidationError as exc:
        errors = {k: "；".join(str(m) for m in v) for k, v in exc.message_dict.items()}
        raise DomainError("企业信息有误", errors) from exc
    return enterprise


@transaction.atomic
def enterprise_create(*, user: Any, **values: Any) -> Enterprise:
    values = _normalise(values)
    scoping.require(user, Action.CREATE, model=Enterprise, values={"area": values.get("area")})
    enterprise = Enterprise(**{k: v for k, v in values.items() if k in EDITABLE_FIELDS})
    return _save(enterprise, user=user)


@transaction.atomic
def enterprise_update(*, user: Any, enterprise: Enterprise, **values: Any) -> Enterprise:
    scoping.require(user, Action.CHANGE, enterprise)
    values = _normalise(values)
    if "area" in values and values["area"] != enterprise.area:
        # moving a record to another area must be allowed on the target area too
        scoping.require(user, Action.CREATE, model=Enterprise, values={"area": values["area"]})
    for key, value in values.items():
        if key in EDITABLE_FIELDS:
            setattr(enterprise, key, value)
    return _save(enterprise, user=user)
