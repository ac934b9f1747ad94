"""`zhenxing backup FILE` / `restore FILE`: every record of every table, round trip exact.

The file is Django's JSON serialisation (gzip-compressed when the name ends in .gz),
with primary keys, content types and permissions, so a restore reproduces the
database as it was, audit history included. Sessions are not backed up.
"""

from __future__ import annotations

import datetime
import gzip
import json
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from zhenxing.core import db

EXCLUDED = {"sessions.session"}


def _models() -> list[str]:
    labels = []
    for model in apps.get_models(include_auto_created=False):
        label = model._meta.label_lower
        if label in EXCLUDED or model._meta.proxy or not model._meta.managed:
            continue
        labels.append(label)
    return labels


class ExactEncoder(DjangoJSONEncoder):
    """Django's encoder cuts datetimes to milliseconds; a backup keeps microseconds."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time):
            return o.isoformat()
        return super().default(o)


def dump() -> str:
    """Every row of every backed-up model, parents before children, as one JSON list."""
    model_list = serializers.sort_dependencies(
        [
            (apps.get_app_config(label.split(".")[0]), [apps.get_model(label)])
            for label in _models()
        ],
        allow_cycles=True,
    )
    parts = []
    for model in model_list:
        queryset = model._base_manager.order_by(model._meta.pk.name)
        text = serializers.serialize("json", queryset.iterator(chunk_size=2000), cls=ExactEncoder)
        if text != "[]":
            parts.append(text[1:-1])
    return "[" + ", ".join(parts) + "]"


def backup_to(path: Path) -> int:
    data = dump()
    count = len(json.loads(data))
    payload = data.encode("utf-8")
    if path.suffix == ".gz":
        payload = gzip.compress(payload)
    path.write_bytes(payload)
    return count


def _read(path: Path) -> str:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8")


def restore_from(path: Path) -> int:
    text = _read(path)
    objects = list(serializers.deserialize("json", text, ignorenonexistent=False))
    with transaction.atomic():
        _wipe()
        for obj in objects:
            obj.save()
        _reset_sequences()
    return len(objects)


def _wipe() -> None:
    """Delete every row of every backed-up table, children first, without signals."""
    tables = [apps.get_model(label)._meta.db_table for label in _models()]
    for model in apps.get_models():
        for field in model._meta.local_many_to_many:
            through: Any = field.remote_field.through
            if through._meta.auto_created:
                tables.append(through._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            quoted = ", ".join(connection.ops.quote_name(t) for t in tables)
            cursor.execute(f"TRUNCATE {quoted} CASCADE")
        else:
            cursor.execute("PRAGMA defer_foreign_keys = ON")
            with db.wiping():  # the ledger's DELETE trigger lets a restore through
                for table in tables:
                    cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    model_list = [apps.get_model(label) for label in _models()]
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
