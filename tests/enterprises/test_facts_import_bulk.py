"""A bureau's facts sheet is written in one short bulk transaction (issue 9 item 3): the
rows are looked up and checked first; the values, their effective flags and the
submissions are then written in a few statements whatever the number of rows, so the
import no longer holds SQLite's write lock row by row."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection

from zhenxing.core import audit, excel

from ..faults import registry_sheet

HEADERS = ["统一社会信用代码", "年度", "营业收入（销售收入）（万元）", "职工总数"]


def _registered(world: Any, count: int) -> list[str]:
    from zhenxing.enterprises.imports import ENTERPRISE_IMPORT

    data, codes = registry_sheet(count)
    assert excel.run_import(ENTERPRISE_IMPORT, data, user=world.users["area"]).ok
    return codes


@pytest.mark.django_db(transaction=True)
def test_a_facts_sheet_writes_in_a_few_statements_whatever_its_length(
    world: Any, defs: Any, today: datetime.date
) -> None:
    from zhenxing.enterprises.models import FactSubmission, FactValue

    codes = _registered(world, 40)
    data = excel.build_xlsx(HEADERS, [[code, 2023, 100 + i, 10] for i, code in enumerate(codes)])
    statements: list[tuple[str, bool]] = []

    def log(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(log):
        result = excel.run_import(
            excel.REGISTRY["enterprise-facts-tax"], data, user=world.users["dept"]
        )

    assert result.ok, result.errors
    assert FactValue.objects.filter(source="tax", enterprise__uscc__in=codes).count() == 80
    assert FactSubmission.objects.filter(source="tax").count() == 40
    inside = [sql for sql, in_transaction in statements if in_transaction]
    outside = [sql for sql, in_transaction in statements if not in_transaction]
    assert len(outside) >= len(codes)  # each row's enterprise looked up before
    assert len(inside) <= 20, inside


def test_a_second_sheet_changes_the_submissions_with_their_audit_trail(
    world: Any, defs: Any, today: datetime.date
) -> None:
    from zhenxing.enterprises.models import FactSubmission, FactValue

    codes = _registered(world, 3)
    spec = excel.REGISTRY["enterprise-facts-tax"]
    first = excel.build_xlsx(HEADERS, [[code, 2023, 100, 10] for code in codes])
    assert excel.run_import(spec, first, user=world.users["dept"]).ok
    second = excel.build_xlsx(HEADERS, [[code, 2023, 200, None] for code in codes])
    assert excel.run_import(spec, second, user=world.users["dept"]).ok

    for submission in FactSubmission.objects.filter(source="tax"):
        assert submission.summary.startswith("营业收入")  # the last change's facts
        trail = list(audit.entries_for(submission))
        assert [e.action for e in trail] == ["update", "create"]
        assert trail[0].actor == world.users["dept"]
        assert submission.history.count() == 2
    revenue = FactValue.objects.filter(source="tax", fact__code="revenue", year=2023)
    assert {v.value for v in revenue} == {"2000000.00"}  # 200 万元, replaced
    assert FactValue.objects.filter(source="tax", fact__code="employees").count() == 3  # kept


def test_a_refused_value_names_its_row_and_column_and_writes_nothing(
    world: Any, defs: Any, today: datetime.date
) -> None:
    from zhenxing.enterprises.models import FactValue

    codes = _registered(world, 2)
    data = excel.build_xlsx(HEADERS, [[codes[0], 2023, 100, 10], [codes[1], 2023, 100, -5]])
    result = excel.run_import(
        excel.REGISTRY["enterprise-facts-tax"], data, user=world.users["dept"]
    )
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(3, "职工总数")]
    assert not FactValue.objects.filter(source="tax").exists()
