"""API tokens: created (shown once), listed, revoked, expired. Only hashes are stored.

A token expires `days` after it is made (default `settings.TOKEN_DAYS`, 90), is revoked
when its owner's password changes (`core.security_events`), and records its last use at
most once a minute (one UPDATE a minute, not one per request). Creation and revocation
are security events in the audit log.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext

from zhenxing.core import audit, clock, scoping
from zhenxing.core.models import ApiToken, AuditAction
from zhenxing.core.services import DomainError

MAX_DAYS = 3650
LAST_USE_EVERY_SECONDS = 60


def valid_days(days: int | None) -> int:
    """The lifetime asked for, or the default; refused outside 1 … 3650 days."""
    if days is None:
        return int(settings.TOKEN_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        message = gettext("有效期须为 1 至 %(max)s 天") % {"max": MAX_DAYS}
        raise DomainError(message, {"days": message})
    return days


@transaction.atomic
def token_create(
    *, user: Any, owner: Any, name: str = "", days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for `owner`, valid `days` days; returns the record and the key (which
    is never stored). `user=audit.SYSTEM`: the operator at the command line."""
    if user is None:
        raise TypeError("token_create needs the acting user, or audit.SYSTEM")
    if user is not audit.SYSTEM and user.pk != owner.pk and not scoping.grants_for(user).is_admin:
        raise scoping.PermissionDenied()
    lifetime = valid_days(days)
    key = ApiToken.new_key()
    now = clock.now()
    token = ApiToken.objects.create(
        user=owner,
        name=name,
        prefix=key[:10],
        key_hash=ApiToken.hash_key(key),
        created_at=now,
        expires_at=now + datetime.timedelta(days=lifetime),
    )
    audit.event(
        AuditAction.TOKEN_CREATED,
        user=user,
        subject=token,
        subject_repr=f"{owner.username} {token}",
        reason=f"有效期 {lifetime} 天",  # stored in the source language
    )
    return token, key


@transaction.atomic
def token_revoke(*, user: Any, token: ApiToken, reason: str = "") -> ApiToken:
    """`user=audit.SYSTEM`: the operator at the command line (`zhenxing token revoke`)."""
    if user is None:
        raise TypeError("token_revoke needs the acting user, or audit.SYSTEM")
    operator = user is audit.SYSTEM
    if not operator and user.pk != token.user_id and not scoping.grants_for(user).is_admin:
        raise scoping.PermissionDenied()
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit.event(
            AuditAction.TOKEN_REVOKED,
            user=user,
            subject=token,
            subject_repr=f"{token.user.username} {token}",
            reason=reason,
        )
    return token


def revoke_all(*, owner: Any, user: Any, reason: str) -> int:
    """Revoke every token of `owner` still in force (after a password change)."""
    alive = ApiToken.objects.filter(user_id=owner.pk, revoked_at__isnull=True).select_related(
        "user"
    )
    count = 0
    for token in alive:
        token_revoke(user=audit.SYSTEM if user is None else user, token=token, reason=reason)
        count += 1
    return count


def _in_force(now: datetime.datetime) -> Q:
    return Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def user_for_key(key: str) -> Any | None:
    """The active user a bearer key belongs to, or None (unknown, revoked or expired)."""
    if not key or not key.startswith(ApiToken.TOKEN_PREFIX):
        return None
    now = clock.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(_in_force(now), key_hash=ApiToken.hash_key(key))
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    last = token.last_used_at
    if last is None or (now - last).total_seconds() >= LAST_USE_EVERY_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
