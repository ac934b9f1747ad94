"""The platform's cache: Django's file cache in the data directory (shared by every
server process and every app server on that directory; locmem would count rate limits
per process), made to create its folder at the first write rather than when the cache
is opened — so a command run on a data directory that does not exist yet (`zhenxing
check`, `token list`) reports it missing instead of quietly making it."""

from __future__ import annotations

import os
from typing import Any

from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.filebased import FileBasedCache


class FileCache(FileBasedCache):
    def __init__(self, dir: str, params: dict[str, Any]) -> None:
        BaseCache.__init__(self, params)
        self._dir = os.path.abspath(dir)  # `set` makes the folder (Django's own check)
