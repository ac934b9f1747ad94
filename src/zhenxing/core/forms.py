"""The one way a page form hands its data to a service.

Every edit page does the same thing: on a valid POST, call a service; if the service
refuses (`DomainError`), show its messages next to the fields they name and keep
what the person typed; if it succeeds, say so and go back to the record. Views call
`submit` instead of writing that try/except each time, and `form_page` when the page
is nothing but that form: submit, or show the form page (again).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from zhenxing.core import scoping, validation
from zhenxing.core.services import DomainError


def within_bounds(form: Any) -> bool:
    """Check a valid form's cleaned values against the platform's bounds on input
    (`core.validation`): every date in its sane range, no control character in any text.
    A value out of bounds gets its message on its field; False when any did."""
    bounded = True
    for name, value in list(form.cleaned_data.items()):
        message = None
        try:
            if isinstance(value, str):
                validation.check_text(value)
            elif isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
                validation.check_date(value)
        except validation.Refused as exc:
            message = exc.message
        if message is not None:
            form.add_error(name if name in form.fields else None, message)
            bounded = False
    return bounded


def show_domain_error(form: Any, exc: DomainError, fallback_field: str | None = None) -> None:
    """Put a refused change's messages on the form: each on the field it names, the
    rest (and a message that names no field) on `fallback_field` or the whole form.
    A service that needs the user's confirmation (the error names `confirm`) gets it
    offered on forms that know how (`ask_to_confirm`: a checkbox shown unticked)."""
    if "confirm" in exc.errors and hasattr(form, "ask_to_confirm"):
        form.ask_to_confirm()
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else fallback_field, message)
    if not exc.errors:
        form.add_error(fallback_field, exc.message)


def submit(
    request: HttpRequest,
    form: Any,
    action: Callable[[dict[str, Any]], Any],
    *,
    success: str | Callable[[Any], str],
    then: str | Callable[[Any], str],
    error_field: str | None = None,
    refused_field: str | None = None,
) -> HttpResponse | None:
    """Run `action(form.cleaned_data)` when a valid form was posted.

    Returns the redirect to `then` after success (with the `success` message), or
    None when the page should be shown again: not posted, invalid, or refused — in
    which case the service's messages are already on the form. `success` and `then`
    may be functions of what the action returned (e.g. the record it created).
    `error_field` takes the messages that name no field of the form. When the
    service may refuse on scope grounds (a chosen area the user doesn't hold),
    `refused_field` names the field that made the choice and shows it there.
    """
    if request.method != "POST" or not form.is_valid() or not within_bounds(form):
        return None
    try:
        outcome = action(form.cleaned_data)
    except DomainError as exc:
        show_domain_error(form, exc, error_field)
        return None
    except scoping.PermissionDenied as exc:
        if refused_field is None:
            raise
        form.add_error(refused_field, exc.message)
        return None
    messages.success(request, success(outcome) if callable(success) else success)
    return redirect(then(outcome) if callable(then) else then)


def form_page(
    request: HttpRequest,
    form: Any,
    action: Callable[[dict[str, Any]], Any],
    *,
    template: str,
    context: dict[str, Any],
    success: str | Callable[[Any], str],
    then: str | Callable[[Any], str],
    error_field: str | None = None,
    refused_field: str | None = None,
) -> HttpResponse:
    """A page that is one form handed to one service: `submit` it (same arguments), and
    when there is nothing to redirect to, render `template` with `form` and `context`."""
    done = submit(
        request,
        form,
        action,
        success=success,
        then=then,
        error_field=error_field,
        refused_field=refused_field,
    )
    if done:
        return done
    # a form whose confirmation box shows only once a service asked for it (a report's
    # unusual figure) drops the box when nobody asked
    hide_confirm = getattr(form, "hide_confirm_unless_asked", None)
    if hide_confirm is not None:
        hide_confirm()
    return render(request, template, {"form": form, **context})
