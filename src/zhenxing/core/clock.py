"""The platform's "today". The demo runs on 2024-06-30 (ZHENXING_TODAY); tests freeze time."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone


def today() -> datetime.date:
    if settings.TODAY_OVERRIDE:
        return datetime.date.fromisoformat(settings.TODAY_OVERRIDE)
    return timezone.localdate()
