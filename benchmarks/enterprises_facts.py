"""Benchmark: `enterprises.queries.facts_frame` over 300,000 (or 1,000,000) enterprises.

The policies app reads the registry's yearly facts through `facts_frame` for every run over
the whole registry. Generates N enterprises with three stored facts (revenue, R&D expense,
employees) for 2021–2023 from the tax bureau, a second value from the statistics bureau for
30 % of them (the declared priority picks one), a high-tech certificate for 10 % of them,
then times `facts_frame(period_year=2023, years_back=2)` for those three facts plus three
derived ones (registration date, high-tech certificate held, newly recognised), median of
the runs. The frame has N × 3 rows.

    ./zx bench enterprises_facts [--enterprises 300000] [--runs 3]
    ./zx bench enterprises_facts --throwaway-postgres
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import random
import statistics
import sys
import tempfile
import time
from typing import Any

FACTS = ["revenue", "rd_expense", "employees"]
DERIVED = ["registration_date", "has_high_tech_certificate", "recognized_high_tech_in_period"]


def _create_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')


def _bulk(table: str, columns: list[str], rows: Any) -> int:
    """Insert rows fast: COPY on PostgreSQL, executemany on SQLite."""
    from django.db import connection

    count = 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw: Any = cursor.cursor
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        return count
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    raw_connection: Any = connection.connection
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == 50_000:
            raw_connection.executemany(sql, batch)
            count += len(batch)
            batch = []
    if batch:
        raw_connection.executemany(sql, batch)
        count += len(batch)
    return count


def _generate(n: int, rng: random.Random) -> float:
    from django.db import connection, transaction

    from zhenxing.core.models import Area
    from zhenxing.enterprises import services
    from zhenxing.enterprises.models import FactDefinition

    started = time.perf_counter()
    areas = list(Area.objects.exclude(code="210800").values_list("pk", flat=True))
    defs = {d.code: d for d in FactDefinition.objects.filter(code__in=FACTS)}
    with transaction.atomic():
        connection.ensure_connection()
        first = 1

        def enterprises() -> Any:
            for i in range(n):
                reg = datetime.date(1995, 1, 1) + datetime.timedelta(days=rng.randrange(10_000))
                yield (
                    first + i,
                    f"9121080{i:010d}X",
                    f"基准测试企业{i}",
                    areas[i % len(areas)],
                    "",
                    "private",
                    "small",
                    reg.isoformat(),
                    "",
                    "",
                )

        _bulk(
            "enterprises_enterprise",
            [
                "id",
                "uscc",
                "name",
                "area_id",
                "address",
                "ownership",
                "size_class",
                "registration_date",
                "contact_name",
                "contact_phone",
            ],
            enterprises(),
        )

        def values() -> Any:
            for i in range(n):
                e = first + i
                for year in (2021, 2022, 2023):
                    revenue = rng.randrange(10**6, 10**9)
                    row = {
                        "revenue": f"{revenue / 100:.2f}",
                        "rd_expense": f"{revenue * 0.03 / 100:.2f}",
                        "employees": str(rng.randrange(5, 500)),
                    }
                    for code, text in row.items():
                        yield (e, year, defs[code].pk, "tax", text, f"{year + 1}-05-31", False)
                    if i % 10 < 3:
                        as_of = f"{year + 1}-03-31"
                        revenue_pk = defs["revenue"].pk
                        yield (e, year, revenue_pk, "statistics", row["revenue"], as_of, False)

        _bulk(
            "enterprises_factvalue",
            ["enterprise_id", "year", "fact_id", "source", "value", "as_of", "effective"],
            values(),
        )

        def tiers() -> Any:
            for i in range(0, n, 10):
                issued = datetime.date(2021 + i % 3, 11, 20)
                expires = issued.replace(year=issued.year + 3) - datetime.timedelta(days=1)
                dates = (issued.isoformat(), expires.isoformat())
                yield (first + i, "high_tech", "national", "", "", "", *dates, "")

        _bulk(
            "enterprises_tier",
            [
                "enterprise_id",
                "code",
                "level",
                "certificate_no",
                "issuer",
                "batch",
                "issued_on",
                "expires_on",
                "end_reason",
            ],
            tiers(),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO enterprises_tierevent (tier_id, enterprise_id, code, level, kind, "
                "date, note) SELECT id, enterprise_id, code, level, 'granted', issued_on, '' "
                "FROM enterprises_tier"
            )
        services.resolve_effective(definitions=list(defs.values()))
    return time.perf_counter() - started


def _time(call: Any, runs: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()  # warm
    timings = []
    with CaptureQueriesContext(connection) as captured:
        call()
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), max(timings), len(captured.captured_queries)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
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
    os.environ.setdefault("ZHENXING_TODAY", "2024-06-30")
    if args.database_url:
        os.environ["ZHENXING_DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhenxing.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from zhenxing.core.reference import load_reference
    from zhenxing.enterprises.queries import facts_frame

    load_reference()
    seconds = _generate(args.enterprises, random.Random(1))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
    print(f"enterprises: {args.enterprises:,}; generated in {seconds:.1f} s")

    def stored() -> Any:
        return facts_frame(period_year=2023, fact_ids=FACTS, years_back=2)

    def with_derived() -> Any:
        return facts_frame(period_year=2023, fact_ids=FACTS + DERIVED, years_back=2)

    frame = with_derived()
    print(f"frame: {frame.height:,} rows × {frame.width} columns; {frame.schema}")
    buffer = io.StringIO()
    print(frame.head(3), file=buffer)
    print(buffer.getvalue())
    for label, call in (("3 stored facts", stored), ("3 stored + 3 derived facts", with_derived)):
        median, worst, count = _time(call, args.runs)
        print(
            f"facts_frame, {label}: median {median:.0f} ms, max {worst:.0f} ms, {count} SQL queries"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
