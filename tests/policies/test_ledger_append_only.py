"""The payout ledger is append-only in the database itself, on SQLite as on PostgreSQL:
an UPDATE or DELETE is refused whatever the path (the model's guards bypassed through
`_base_manager`, raw SQL); only a flush or a restore empties it (`core.db.wiping`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction

from zhenxing.core import db
from zhenxing.policies import ledger_triggers, services
from zhenxing.policies.models import LedgerEntry


@pytest.fixture
def entry(world: Any, computed_run: Any) -> LedgerEntry:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    found = LedgerEntry.objects.filter(enterprise=world.own_enterprise).first()
    assert found is not None
    return found


def _refused(sql: str, params: list[Any]) -> None:
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def test_the_base_manager_cannot_delete_or_update_a_ledger_row(entry: LedgerEntry) -> None:
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        LedgerEntry._base_manager.filter(pk=entry.pk).delete()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        LedgerEntry._base_manager.filter(pk=entry.pk).update(amount=Decimal("1.00"))
    assert LedgerEntry.objects.filter(pk=entry.pk, amount=entry.amount).exists()


def test_raw_sql_cannot_delete_or_update_a_ledger_row(entry: LedgerEntry) -> None:
    _refused("DELETE FROM policies_ledgerentry WHERE id = %s", [entry.pk])
    _refused("DELETE FROM policies_ledgerentry", [])
    _refused("UPDATE policies_ledgerentry SET amount = 1 WHERE id = %s", [entry.pk])
    assert LedgerEntry.objects.count() == 2


def test_wiping_is_allowed_only_inside_the_gate(entry: LedgerEntry) -> None:
    """What a flush and a restore do on SQLite (PostgreSQL's TRUNCATE fires no row
    trigger); the gate is off again afterwards."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL empties tables with TRUNCATE")
    with transaction.atomic(), db.wiping(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM policies_ledgerentry")
        assert LedgerEntry.objects.count() == 0
        transaction.set_rollback(True)
    assert LedgerEntry.objects.count() == 2
    assert db.is_wiping() == 0
    _refused("DELETE FROM policies_ledgerentry WHERE id = %s", [entry.pk])


def test_the_sqlite_triggers_come_back_after_a_table_rebuild(entry: LedgerEntry) -> None:
    """SQLite drops a table's triggers when a migration rebuilds it; `install` (run by
    migration 0007 and after every migrate) puts them back."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER {ledger_triggers.TABLE}_no_delete")
            cursor.execute(f"DROP TRIGGER {ledger_triggers.TABLE}_no_update")
        ledger_triggers.install(connection)
        ledger_triggers.install(connection)  # idempotent
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [ledger_triggers.TABLE],
            )
            names = sorted(row[0] for row in cursor.fetchall())
    assert names == [f"{ledger_triggers.TABLE}_no_delete", f"{ledger_triggers.TABLE}_no_update"]
    _refused("DELETE FROM policies_ledgerentry WHERE id = %s", [entry.pk])


@pytest.mark.postgres_only
def test_postgres_refuses_both_through_its_triggers(entry: LedgerEntry) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'policies_ledgerentry'::regclass "
            "AND NOT tgisinternal ORDER BY tgname"
        )
        names = [row[0] for row in cursor.fetchall()]
    assert names == ["policies_ledgerentry_no_delete", "policies_ledgerentry_no_update"]
    _refused("DELETE FROM policies_ledgerentry WHERE id = %s", [entry.pk])


@pytest.mark.django_db(transaction=True)
def test_a_flush_still_empties_the_ledger(world: Any, computed_run: Any) -> None:
    """A transactional test's flush (DELETE on SQLite) goes through the gate: this test
    passing, and the next one finding an empty ledger, is the proof."""
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    assert LedgerEntry.objects.count() == 2
