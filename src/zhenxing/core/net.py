"""The client's address, for the audit log and the sign-in lockout (django-axes).

`X-Forwarded-For` is whatever the client chose to send unless a proxy of ours wrote it,
so it is read only when `settings.TRUSTED_PROXY_COUNT` (env ZHENXING_TRUSTED_PROXY_COUNT)
says how many proxies stand in front of the app: each appends the address it saw, so
the client is the entry that many places from the right. Otherwise the peer address
(REMOTE_ADDR) is the client.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.utils.ipv6 import clean_ipv6_address


def normal_address(text: str) -> str | None:
    """The address in the form the database stores it, or None if it is not one."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return clean_ipv6_address(str(address))
    return str(address)


def client_address(request: Any) -> str | None:
    """The address the request came from (None when none can be told)."""
    meta = getattr(request, "META", None) or {}
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies > 0:
        forwarded = [p for p in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",") if p.strip()]
        if len(forwarded) >= proxies:
            found = normal_address(forwarded[-proxies])
            if found is not None:
                return found
    return normal_address(str(meta.get("REMOTE_ADDR", "")))
