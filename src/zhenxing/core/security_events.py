"""Security events in the audit log, and sessions that end.

Recorded through `core.audit.event` (who, when by `core.clock`, from which address by
`core.net.client_address`), for administrators' eyes only: sign-ins, failed sign-ins,
lockouts (django-axes), sign-outs, sessions ended by time, password changes (by the user)
and resets (by someone else, e.g. an administrator in the admin site or `createadmin`).
Token creation and revocation are recorded by `core.tokens`, exports of personal data by
`core.listing`, backups and restores by `core.backup`, role grants as the changes of
`RoleAssignment` records (admin-only entries, as those of users are).

A changed password also revokes the user's API tokens: whoever took the password may
have made one.

Sessions end after `SESSION_IDLE_SECONDS` without a request and, whatever the activity,
`SESSION_MAX_SECONDS` after sign-in (`SessionTimeoutMiddleware`). The moment of the last
request is written to the session at most once a minute, so that reading pages does not
write to the database on every request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

from zhenxing.core import audit, clock
from zhenxing.core.models import AuditAction
from zhenxing.core.net import client_address

SIGNED_IN_AT = "zhenxing_signed_in_at"
SEEN_AT = "zhenxing_seen_at"
SEEN_EVERY_SECONDS = 60


def _known_user(username: str) -> Any | None:
    if not username:
        return None
    return get_user_model().objects.filter(username=username).first()


def _on_signed_in(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = clock.now().timestamp()
        request.session[SIGNED_IN_AT] = now
        request.session[SEEN_AT] = now
    audit.event(
        AuditAction.SIGN_IN,
        user=user,
        subject=user,
        address=client_address(request) if request is not None else None,
    )


def _on_signed_out(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    if user is None or getattr(request, "_zhenxing_session_expired", False):
        return  # nobody was signed in; or the timeout wrote its own entry
    audit.event(
        AuditAction.SIGN_OUT,
        user=user,
        subject=user,
        address=client_address(request) if request is not None else None,
    )


def _on_sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any
) -> None:
    username = str(credentials.get("username") or "")[:150]
    known = _known_user(username)
    audit.event(
        AuditAction.SIGN_IN_FAILED,
        user=audit.SYSTEM,
        subject=known,
        # an unknown name is kept as typed: a guessed account is worth knowing about
        subject_repr="" if known is not None else username,
        address=client_address(request) if request is not None else None,
    )


def _on_locked_out(
    sender: Any, request: HttpRequest | None, username: str, ip_address: str, **_: Any
) -> None:
    known = _known_user(username)
    audit.event(
        AuditAction.LOCKED_OUT,
        user=audit.SYSTEM,
        subject=known,
        subject_repr="" if known is not None else str(username or "")[:150],
        # stored in the source language, as every audit reason is
        reason=f"连续登录失败 {settings.AXES_FAILURE_LIMIT} 次",
        address=client_address(request) if request is not None else ip_address,
    )


def _on_user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not instance.__dict__.pop("_password_changed", False) or created:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "password" not in update_fields:
        return
    actor = audit.acting_user()
    own = getattr(actor, "pk", None) == instance.pk
    audit.event(
        AuditAction.PASSWORD_CHANGED if own else AuditAction.PASSWORD_RESET,
        user=actor,
        subject=instance,
    )
    from zhenxing.core import tokens

    tokens.revoke_all(owner=instance, user=actor, reason="密码已修改")


def connect() -> None:
    user_logged_in.connect(_on_signed_in, dispatch_uid="zhenxing-security-signed-in")
    user_logged_out.connect(_on_signed_out, dispatch_uid="zhenxing-security-signed-out")
    user_login_failed.connect(_on_sign_in_failed, dispatch_uid="zhenxing-security-failed")
    post_save.connect(
        _on_user_saved, sender=get_user_model(), dispatch_uid="zhenxing-security-password"
    )
    from axes.signals import user_locked_out

    user_locked_out.connect(_on_locked_out, dispatch_uid="zhenxing-security-locked-out")


def session_ended(session: Any, now: float) -> bool:
    """Has this signed-in session run past its idle or its absolute limit?"""
    signed_in = session.get(SIGNED_IN_AT)
    if signed_in is None:
        return False
    seen = session.get(SEEN_AT, signed_in)
    return (
        now - float(signed_in) > settings.SESSION_MAX_SECONDS
        or now - float(seen) > settings.SESSION_IDLE_SECONDS
    )


class SessionTimeoutMiddleware:
    """Signs out a session idle too long or signed in too long ago (after the
    authentication and message middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if session.get(SIGNED_IN_AT) is not None:
            now = clock.now().timestamp()
            if session_ended(session, now):
                self._end(request)
            elif now - float(session.get(SEEN_AT, 0)) >= SEEN_EVERY_SECONDS:
                session[SEEN_AT] = now
        return self.get_response(request)

    @staticmethod
    def _end(request: HttpRequest) -> None:
        user: Any = request.user
        if getattr(user, "is_authenticated", False):
            audit.event(
                AuditAction.SESSION_EXPIRED,
                user=user,
                subject=user,
                address=client_address(request),
            )
        request._zhenxing_session_expired = True  # type: ignore[attr-defined]
        logout(request)
        if not request.path.startswith("/api/"):
            messages.info(request, gettext("会话已超时，请重新登录"))
