"""What a page offers a user to write: forms that post, links to write pages, uploads.

`write_affordances(html)` lists them, so a test can assert that a role that may not
write is offered nothing (a city leader reads the whole city and changes none of it).
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

# Pages that exist to write (the forms behind buttons such as 编辑, 填报, 登记, 上传).
WRITE_PAGES = frozenset(
    {
        "projects:create",
        "projects:edit",
        "projects:status",
        "projects:libraries",
        "projects:plans",
        "projects:report",
        "stewards:leader",
        "stewards:team_add",
        "stewards:visit_new",
        "stewards:problem_new",
        "enterprises:create",
        "enterprises:edit",
        "enterprises:fact_new",
        "enterprises:tier_new",
        "enterprises:tier_lose",
        "enterprises:pool_new",
        "enterprises:pool_stage",
        "enterprises:pool_follow_up",
        "enterprises:pool_assign",
        "policies:create",
        "policies:edit",
        "policies:correct",
        "policies:object",
        "policies:list_upload",
        "import_upload",
    }
)
# Forms every signed-in user has: signing out, the language, their own password and tokens.
OWN_FORMS = ("/logout/", "/i18n/setlang/", "/system/account/")

_FORM = re.compile(r"<form\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')
_LINK = re.compile(r'<a\b[^>]*\bhref="([^"]+)"', re.IGNORECASE)


def _page_name(href: str) -> str | None:
    path = urlsplit(unescape(href)).path
    if not path.startswith("/"):
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def write_affordances(html: str, page: str = "") -> list[str]:
    """Forms that post (other than the user's own) and links to write pages."""
    found = []
    for form in _FORM.finditer(html):
        attrs = {k.lower(): v for k, v in _ATTR.findall(form.group(1))}
        if attrs.get("method", "get").lower() != "post":
            continue
        action = unescape(attrs.get("action", "")) or page
        if any(action.startswith(own) for own in OWN_FORMS):
            continue
        found.append(f"form → {action or '(this page)'}")
    for href in _LINK.findall(html):
        name = _page_name(href)
        if name in WRITE_PAGES:
            found.append(f"link → {unescape(href)} ({name})")
    return found
