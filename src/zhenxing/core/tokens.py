"""API tokens: created (shown once), listed, revoked. Only hashes are stored."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from zhenxing.core import audit, clock, scoping
from zhenxing.core.models import ApiToken


@transaction.atomic
def token_create(*, user: Any, owner: Any, name: str = "") -> tuple[ApiToken, str]:
    """A new token for `owner`; returns the record and the key (which is never stored)."""
    if user.pk != owner.pk and not scoping.grants_for(user).is_admin:
        raise scoping.PermissionDenied()
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=owner, name=name, prefix=key[:10], key_hash=ApiToken.hash_key(key)
    )
    return token, key


@transaction.atomic
def token_revoke(*, user: Any, token: ApiToken) -> ApiToken:
    """`user=audit.SYSTEM`: the operator at the command line (`zhenxing token revoke`)."""
    if user is None:
        raise TypeError("token_revoke needs the acting user, or audit.SYSTEM")
    operator = user is audit.SYSTEM
    if not operator and user.pk != token.user_id and not scoping.grants_for(user).is_admin:
        raise scoping.PermissionDenied()
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
    return token


def user_for_key(key: str) -> Any | None:
    """The active user a bearer key belongs to, or None."""
    if not key or not key.startswith(ApiToken.TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
