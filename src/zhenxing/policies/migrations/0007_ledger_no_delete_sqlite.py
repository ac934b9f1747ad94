"""The payout ledger refuses DELETE on SQLite too (PostgreSQL has since 0002): a trigger
that lets only a flush or a restore through (`core.db.wiping`). Also re-creates the
UPDATE trigger, which 0006's rebuild of the table dropped on SQLite."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from zhenxing.policies import ledger_triggers


def install(apps: Any, schema_editor: Any) -> None:
    ledger_triggers.install(schema_editor.connection)


def uninstall(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(ledger_triggers.SQLITE_DROP_DELETE_TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [("policies", "0006_ledger_zero_reversal")]

    operations = [migrations.RunPython(install, uninstall)]
