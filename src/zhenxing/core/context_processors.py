"""What every page needs: the platform's name, the user's roles, the navigation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from zhenxing.core import scoping

# (part, label, url name, who sees it: None = every signed-in user)
NAVIGATION: list[tuple[str, Any, str, str | None]] = [
    ("home", _("首页"), "home", None),
    ("projects", _("项目"), "projects:list", None),
    ("race", _("赛马"), "assessment:home", None),
    ("enterprises", _("企业"), "enterprises:list", None),
    ("policies", _("政策"), "policies:list", None),
    ("appeals", _("诉求"), "appeals:list", None),
    ("indicators", _("指标"), "indicators:home", None),
    ("system", _("系统"), "core:reference", None),
]


def navigation(request: HttpRequest) -> list[dict[str, Any]]:
    current = getattr(request, "nav_part", None) or _guess_part(request)
    items = []
    for part, label, url_name, _who in NAVIGATION:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue  # that part has not landed yet
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
