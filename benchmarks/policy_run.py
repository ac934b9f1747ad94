"""Benchmark: one policy run over the whole registry, facts in the database → stored results.

Generates N enterprises with bulk SQL (a recursive CTE on SQLite, generate_series on
PostgreSQL — never the ORM) and their facts, then times `policies.services.run_start`
for one published policy and one year: read the population and the facts, evaluate the
rule in one vectorised pass (Polars), allocate the budget, and store one result row per
enterprise (eligible, amount, payable, condition mask, status, the facts read as JSON) with
`executemany` (SQLite) or `COPY` (PostgreSQL). Bars: 300,000 enterprises under 10 s,
1,000,000 under 30 s.

Facts (`--facts`):
- `list` (default): a department list (名单) with one value per enterprise — the first-set
  equipment award (2019 rule: 15 % of the contract price, at most 1,000,000 yuan);
- `registry`: the registry's yearly facts (`enterprises.FactValue`, two years per
  enterprise) read through `enterprises.queries.facts_frame` — the example rule "规上工业
  企业稳增长奖励（示例）" (main-business revenue this year and last year).

    ./zx bench policy_run --enterprises 300000
    ./zx bench policy_run --enterprises 1000000 --throwaway-postgres
    ./zx bench policy_run --enterprises 300000 --facts registry
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from decimal import Decimal
from typing import Any

BARS = {300_000: 10.0, 1_000_000: 30.0}


def _create_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')


def _fill(model: Any, given: dict[str, str]) -> tuple[list[str], list[str]]:
    """Columns and SQL expressions for an INSERT … SELECT into `model`'s table: `given`,
    plus a constant for every other NOT NULL column without a database default."""
    from django.db import models

    columns, exprs = [], []
    for field in model._meta.concrete_fields:
        if isinstance(field, models.AutoField | models.BigAutoField):
            continue
        column = field.column
        if column in given:
            columns.append(column)
            exprs.append(given[column])
            continue
        if field.null or field.db_default is not models.NOT_PROVIDED:
            continue
        default = field.get_default()
        if isinstance(field, models.BooleanField):
            literal = "TRUE" if default else "FALSE"
        elif isinstance(field, models.DateTimeField):
            literal = "CURRENT_TIMESTAMP"
        elif isinstance(field, models.DateField):
            literal = "'2024-01-01'"
        elif isinstance(default, int | float | Decimal):
            literal = str(default)
        elif isinstance(field, models.IntegerField | models.DecimalField):
            literal = "0"
        else:
            literal = "'" + str(default or "").replace("'", "''") + "'"
        columns.append(column)
        exprs.append(literal)
    return columns, exprs


def _insert_series(model: Any, n: int, given: dict[str, str]) -> None:
    """INSERT n rows into `model`'s table; `i` (1..n) may be used in the expressions."""
    from django.db import connection

    columns, exprs = _fill(model, given)
    table = model._meta.db_table
    select = ", ".join(exprs)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"SELECT {select} FROM generate_series(1, {int(n)}) AS s(i)"
            )
        else:
            cursor.execute(
                "WITH RECURSIVE s(i) AS "
                f"(SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {int(n)}) "
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} FROM s"
            )


def _generate(n: int, facts: str) -> tuple[float, Any]:
    from django.db import connection

    from zhenxing.core.models import Area, Department
    from zhenxing.enterprises.models import Enterprise

    started = time.perf_counter()
    areas = list(Area.objects.exclude(code="210800").values_list("pk", flat=True))
    pg = connection.vendor == "postgresql"
    text = "CAST(i AS TEXT)"
    area = "CASE i % {} {} END".format(
        len(areas), " ".join(f"WHEN {j} THEN {pk}" for j, pk in enumerate(areas))
    )
    _insert_series(
        Enterprise,
        n,
        {
            "uscc": f"'B' || lpad({text}, 17, '0')" if pg else "'B' || printf('%017d', i)",
            "name": f"'基准企业' || {text}",
            "area_id": area,
        },
    )
    gxj = Department.objects.get(code="gxj")
    # deterministic pseudo-random values from i (no RNG in SQL needed)
    mix = "((i * 2654435761) % 1000003)"
    if facts == "list":
        from zhenxing.policies.models import FactList, FactListEntry

        fact_list = FactList.objects.create(
            name="基准：首台（套）订货合同名单",
            fact_id="first_set_contract_price",
            period="2023",
            department=gxj,
            as_of="2024-03-31",
        )
        # 60 % of enterprises have a contract; prices 0 … 10,000,000.00 yuan
        value = f"CASE WHEN {mix} % 10 < 6 THEN CAST({mix} * 10 AS TEXT) || '.50' ELSE '0' END"
        _insert_series(
            FactListEntry,
            n,
            {
                "fact_list_id": str(fact_list.pk),
                "beneficiary_id": "(SELECT MIN(id) FROM enterprises_enterprise) + i - 1",
                "value": value,
            },
        )
        policy = ("yingkou", "subsidies-2019/first_set_equipment.yaml", "first_set_equipment")
    else:
        from zhenxing.enterprises.models import FactDefinition, FactValue

        definition = FactDefinition.objects.filter(code="main_business_revenue").first()
        if definition is None:
            definition = FactDefinition.objects.create(
                code="main_business_revenue",
                label="主营业务收入",
                value_type="money",
                unit="yuan",
                scale=2,
            )
        for year, growth in ((2022, "100"), (2023, "118")):
            value = f"CAST(({mix} * 60) * {growth} / 100 AS TEXT)"
            _insert_series(
                FactValue,
                n,
                {
                    "enterprise_id": "(SELECT MIN(id) FROM enterprises_enterprise) + i - 1",
                    "year": str(year),
                    "fact_id": str(definition.pk),
                    "source": "'statistics'",
                    "value": value,
                    "as_of": f"'{year + 1}-03-31'",
                    "effective": "TRUE" if pg else "1",
                },
            )
        policy = ("examples", "growth/above_size_growth.yaml", "above_size_growth_example")
    if pg:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return time.perf_counter() - started, policy


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=300_000)
    parser.add_argument("--facts", choices=["list", "registry"], default="list")
    parser.add_argument(
        "--runs", type=int, default=2, help="timed runs (the first is a new run, the rest re-runs)"
    )
    parser.add_argument("--database-url", default="")
    parser.add_argument("--throwaway-postgres", action="store_true")
    args = parser.parse_args()
    server = None
    if args.throwaway_postgres:
        from zhenxing.testrunner import PostgresServer

        server = PostgresServer()
        args.database_url = server.start()
        _create_database(args.database_url)
    try:
        return _run(args)
    finally:
        if server is not None:
            server.stop()


def _run(args: argparse.Namespace) -> int:
    os.environ["ZHENXING_DATA_DIR"] = tempfile.mkdtemp(prefix="zhenxing-bench-")
    os.environ.setdefault("ZHENXING_DEMO", "1")
    os.environ["ZHENXING_TODAY"] = "2024-06-30"
    if args.database_url:
        os.environ["ZHENXING_DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenxing.settings")
    import django

    django.setup()
    import logging

    logging.basicConfig(level=logging.WARNING, format="  %(message)s")
    logging.getLogger("zhenxing.policies.services").setLevel(logging.INFO)
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from zhenxing.core.models import Department, RoleAssignment, User
    from zhenxing.core.reference import load_reference
    from zhenxing.core.roles import Role
    from zhenxing.policies import facts, services
    from zhenxing.policies.models import Policy, RunResult

    load_reference()
    seconds, (catalogue, rule_file, rule_id) = _generate(args.enterprises, args.facts)
    gxj = Department.objects.get(code="gxj")
    staff = User.objects.create_user("bench-staff", password="x")
    RoleAssignment.objects.create(user=staff, role=Role.DEPT_STAFF, department=gxj)
    admin = User.objects.create_user("bench-admin", password="x", is_superuser=True)
    policy = services.policy_publish(
        user=admin,
        policy=services.policy_create(
            user=admin,
            code="bench",
            name="基准政策",
            catalogue=catalogue,
            rule_file=rule_file,
            rule_id=rule_id,
            department=gxj,
            beneficiary="enterprise",
            annual_budget=Decimal("100000000000"),
        ),
    )
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(
        f"database: {engine}; enterprises: {args.enterprises:,}; facts: {args.facts}; "
        f"generated in {seconds:.1f} s"
    )
    timings = []
    run: Any = None
    for attempt in range(max(1, args.runs)):
        started = time.perf_counter()
        run = services.run_start(
            user=staff, policy=policy, period="2023", source=facts.default_source
        )
        timings.append(time.perf_counter() - started)
        label = "new run" if attempt == 0 else "re-run"
        print(
            f"{label}: {timings[-1]:.2f} s (status {run.status} {run.error}; "
            f"stored {RunResult.objects.filter(run=run).count():,} results; "
            f"eligible {run.eligible_count:,}, total {run.eligible_total:,} yuan)"
        )
    assert Policy.objects.count() == 1
    bar = next((b for n, b in sorted(BARS.items()) if args.enterprises <= n), None)
    best = min(timings)
    if bar is None:
        print(f"best {best:.2f} s (no bar for this size)")
        return 0
    ok = timings[0] < bar and run is not None and run.status == "computed"
    print(
        f"bar: a run over {args.enterprises:,} enterprises under {bar:.0f} s:",
        "PASS" if ok else "FAIL",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
