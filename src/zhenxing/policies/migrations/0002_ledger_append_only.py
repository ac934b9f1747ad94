"""The payout ledger is append-only, in the database too.

- SQLite and PostgreSQL: a trigger refuses every UPDATE of a ledger row.
- PostgreSQL: a trigger refuses every DELETE of a ledger row. (TRUNCATE, which the test
  runner uses to empty tables between tests, does not fire row triggers.)
- SQLite: no DELETE trigger, because Django's test flush empties tables with DELETE; the
  model, its queryset and the foreign keys (PROTECT) refuse deletes there.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

TABLE = "policies_ledgerentry"

SQLITE_UP = [
    f"""CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'policies_ledgerentry is append-only: no UPDATE'); END;""",
]
SQLITE_DOWN = [f"DROP TRIGGER IF EXISTS {TABLE}_no_update;"]

POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION policies_ledger_append_only() RETURNS trigger AS $$
       BEGIN
         RAISE EXCEPTION 'policies_ledgerentry is append-only: no %', TG_OP
           USING ERRCODE = 'integrity_constraint_violation';
       END;
       $$ LANGUAGE plpgsql;""",
    f"""CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION policies_ledger_append_only();""",
    f"""CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION policies_ledger_append_only();""",
]
POSTGRES_DOWN = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update ON {TABLE};",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete ON {TABLE};",
    "DROP FUNCTION IF EXISTS policies_ledger_append_only();",
]


def _run(statements: dict[str, list[str]]) -> Any:
    def apply(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("policies", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
