"""The triggers that keep the payout ledger append-only on SQLite, installed by migration
0007 and again after every `migrate` (`PoliciesConfig.ready`): SQLite drops a table's
triggers whenever a migration rebuilds the table (as altering a constraint does), so
they are (re)created idempotently rather than trusted to survive. PostgreSQL's triggers
(migration 0002) survive ALTER TABLE and need nothing of this.

The DELETE trigger lets a flush or a restore through (`core.db.wiping`); nothing else.
"""

from __future__ import annotations

from typing import Any

from zhenxing.core.db import WIPING_FUNCTION

TABLE = "policies_ledgerentry"

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: no UPDATE'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        WHEN {WIPING_FUNCTION}() = 0
        BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: no DELETE'); END;""",
]
SQLITE_DROP_DELETE_TRIGGER = f"DROP TRIGGER IF EXISTS {TABLE}_no_delete;"


def install(connection: Any) -> None:
    """Create the SQLite triggers where they are missing (no-op on other databases or
    before the ledger table exists)."""
    if connection.vendor != "sqlite":
        return
    if TABLE not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        for sql in SQLITE_TRIGGERS:
            cursor.execute(sql)
