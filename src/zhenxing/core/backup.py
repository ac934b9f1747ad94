"""`zhenxing backup FILE` / `restore FILE`: every record of every table, round trip exact.

The file is Django's JSON serialisation (gzip-compressed when the name ends in .gz),
with primary keys, content types and permissions, so a restore reproduces the
database as it was, audit history included. Sessions are not backed up.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.db import connection, transaction

EXCLUDED = {"sessions.session"}


def _models() -> list[str]:
    labels = []
    for model in apps.get_models(include_auto_created=False):
        label = model._meta.label_lower
        if label in EXCLUDED or model._meta.proxy or not model._meta.managed:
            continue
        labels.append(label)
    return labels


def dump() -> str:
    out = io.StringIO()
    call_command("dumpdata", *_models(), format="json", indent=None, stdout=out,
                 use_natural_foreign_keys=False, use_natural_primary_keys=False)
    return out.getvalue()


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
    tables += [f.remote_field.through._meta.db_table
               for m in apps.get_models() for f in m._meta.local_many_to_many
               if f.remote_field.through._meta.auto_created]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            quoted = ", ".join(connection.ops.quote_name(t) for t in tables)
            cursor.execute(f"TRUNCATE {quoted} CASCADE")
        else:
            cursor.execute("PRAGMA defer_foreign_keys = ON")
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
