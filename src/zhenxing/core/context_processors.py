"""What every page needs: the platform's name, the user's roles, the navigation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from zhenxing.core import scoping
from zhenxing.core.roles import Action


def _sees(model_label: str) -> Callable[[Any], bool]:
    """The entry is for users who may see some record of the part's main model (an
    enterprise user has no projects to look at, a steward no enterprises)."""

    def who(user: Any) -> bool:
        try:
            model = apps.get_model(model_label)
        except LookupError:
            return False  # that part has not landed yet
        return scoping.can(user, Action.VIEW, model=model)

    return who


# (part, label, url name, who sees it: None = every signed-in user)
NAVIGATION: list[tuple[str, Any, str, Callable[[Any], bool] | None]] = [
    ("home", _("首页"), "home", None),
    ("projects", _("项目"), "projects:list", _sees("projects.Project")),
    ("race", _("赛马"), "assessment:home", None),
    ("enterprises", _("企业"), "enterprises:list", _sees("enterprises.Enterprise")),
    # the catalogue for the city, the public catalogue or an enterprise's own entitlements
    ("policies", _("政策"), "policies:list", None),
    ("appeals", _("诉求"), "appeals:list", None),
    ("indicators", _("指标"), "indicators:home", None),
    ("system", _("系统"), "core:reference", scoping.works_for_the_city),
]


def navigation(request: HttpRequest) -> list[dict[str, Any]]:
    """The left navigation: the parts that apply to this user, none leading to a page
    that would be empty or refused for them."""
    current = getattr(request, "nav_part", None) or _guess_part(request)
    user = getattr(request, "user", None)
    items = []
    for part, label, url_name, who in NAVIGATION:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue  # that part has not landed yet
        if who is not None and not who(user):
            continue
        items.append({"part": part, "label": label, "url": url, "active": part == current})
    return items


def _guess_part(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    namespace = match.namespace if match else ""
    return {
        "enterprises": "enterprises",
        "core": "system",
        "clusters": "system",
        "projects": "projects",
        "stewards": "projects",
        "assessment": "race",
        "policies": "policies",
        "appeals": "appeals",
        "indicators": "indicators",
    }.get(namespace, "home")


def platform(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    english = (get_language() or "").startswith("en")
    return {
        "platform_name": settings.PLATFORM_NAME_EN if english else settings.PLATFORM_NAME,
        "city_name": settings.CITY_NAME_EN if english else settings.CITY_NAME,
        "nav_items": navigation(request) if signed_in else [],
        "user_roles": scoping.role_labels(user) if signed_in else [],
    }
