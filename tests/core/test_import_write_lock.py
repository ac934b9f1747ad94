"""Imports check every row before they write, then write in one short bulk transaction
(issue 9 item 3): on SQLite a transaction holds the database's write lock from start to
end, and the registry import checked its 6,000 rows inside it (20.8 s, every other
writer waiting). `benchmarks/import_lock.py` measures the hold on a real file."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from zhenxing.core import audit, excel

from ..faults import registry_sheet


@pytest.mark.django_db(transaction=True)
def test_the_registry_import_checks_every_row_before_one_short_transaction(world: Any) -> None:
    from zhenxing.enterprises.imports import ENTERPRISE_IMPORT
    from zhenxing.enterprises.models import Enterprise

    data, codes = registry_sheet(60)
    statements: list[tuple[str, bool]] = []

    def log(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(log):
        result = excel.run_import(ENTERPRISE_IMPORT, data, user=world.users["area"])

    assert result.ok, result.errors
    assert Enterprise.objects.filter(uscc__in=codes).count() == len(codes)
    inside = [sql for sql, in_transaction in statements if in_transaction]
    outside = [sql for sql, in_transaction in statements if not in_transaction]
    # the checks (a few queries per row) ran before the transaction; inside it, a
    # handful of bulk statements whatever the number of rows
    assert len(outside) >= len(codes)
    assert len(inside) <= 12, inside


def test_the_bulk_created_enterprises_have_their_history_and_audit_entries(world: Any) -> None:
    from zhenxing.enterprises.imports import ENTERPRISE_IMPORT
    from zhenxing.enterprises.models import Enterprise

    data, codes = registry_sheet(3)
    user = world.users["area"]
    assert excel.run_import(ENTERPRISE_IMPORT, data, user=user).ok
    for enterprise in Enterprise.objects.filter(uscc__in=codes):
        assert enterprise.history.get().history_user == user
        entry = audit.entries_for(enterprise).get()
        assert entry.action == "create" and entry.actor == user
        assert entry.area_id == enterprise.area_id


def test_a_code_registered_between_the_check_and_the_write_imports_nothing(
    world: Any, monkeypatch: Any
) -> None:
    from zhenxing.core import services as core_services
    from zhenxing.enterprises.imports import ENTERPRISE_IMPORT
    from zhenxing.enterprises.models import Enterprise

    data, codes = registry_sheet(5)
    real = core_services.create_many_audited

    def someone_else_first(objs: Any, **kwargs: Any) -> Any:
        Enterprise.objects.create(uscc=codes[2], name="他人先登记", area=world.own_area)
        return real(objs, **kwargs)

    monkeypatch.setattr(excel, "create_many_audited", someone_else_first)
    result = excel.run_import(ENTERPRISE_IMPORT, data, user=world.users["area"])
    assert not result.ok and result.errors[0].reason == excel.CHANGED_MEANWHILE
    assert Enterprise.objects.filter(uscc__in=codes).count() == 1  # only the other one


def test_a_row_outside_the_users_area_is_a_row_error(world: Any) -> None:
    from zhenxing.enterprises.imports import ENTERPRISE_IMPORT
    from zhenxing.enterprises.models import Enterprise

    data, codes = registry_sheet(2, area="盖州市")
    result = excel.run_import(ENTERPRISE_IMPORT, data, user=world.users["area"])
    assert not result.ok and {e.column for e in result.errors} == {"所在区域"}
    assert not Enterprise.objects.filter(uscc__in=codes).exists()
