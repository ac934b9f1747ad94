"""Write the API's OpenAPI schema to docs/openapi.json (the snapshot a test checks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


def schema_text() -> str:
    from zhenxing.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1")
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


SNAPSHOT = Path(settings.PROJECT_DIR) / "docs" / "openapi.json"


class Command(BaseCommand):
    help = "Write the OpenAPI schema snapshot to docs/openapi.json"

    def handle(self, *args: Any, **options: Any) -> None:
        SNAPSHOT.write_text(schema_text(), encoding="utf-8")
        self.stdout.write(f"wrote {SNAPSHOT}")
