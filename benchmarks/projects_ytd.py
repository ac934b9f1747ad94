"""Benchmark: the city's year-to-date project figures over 10,000 projects × 36 months.

Generates 10,000 projects in the nine areas with status histories, library memberships,
key-list entries, annual plans and 36 months of monthly reports (2021-06 … 2024-05,
360,000 reports), then times `projects.queries.figures(period=2024-05)` for the whole
city (median of 5 warm runs), the same for one area user's scoped queryset, and
`figures_by_area`. Bar: the city's figures in under 1 s.

    ./zx bench projects_ytd [--projects 10000] [--months 36] [--runs 5]
    ./zx bench projects_ytd --database-url postgres://USER@HOST:PORT/DB
    ./zx bench projects_ytd --throwaway-postgres   # starts a private PostgreSQL server
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from typing import Any

BAR_SECONDS = 1.0


def _create_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')


def _generate(projects: int, months: int, rng: random.Random) -> float:
    """Bulk-create the data set; returns the seconds it took."""
    from zhenxing.core.models import Area
    from zhenxing.core.periods import Period
    from zhenxing.projects import models as m

    started = time.perf_counter()
    areas = list(Area.objects.exclude(code="210800").select_related("parent"))
    lists = {}
    for code, name, parent in (
        ("province-major", "省重大工程", None),
        ("port-city", "港产城", None),
        ("port-city-port", "港口", "port-city"),
        ("port-city-industry", "港口产业", "port-city"),
    ):
        lists[code] = m.KeyList.objects.create(code=code, name=name, parent=lists.get(parent))
    rows = []
    for index in range(projects):
        area = rng.choice(areas)
        host = area.parent.code if area.is_park else area.code
        rows.append(
            m.Project(
                code=f"2022-{host}-04-01-{index:06d}",
                name=f"基准项目{index}",
                area=area,
                total_investment=Decimal(rng.randrange(1_000, 500_000)) * 10_000,
                status="continuing",
                status_since=datetime.date(2024, 1, 1),
            )
        )
    m.Project.objects.bulk_create(rows, batch_size=2000)

    last = Period(2024, 5)
    periods = [last]
    while len(periods) < months:
        periods.append(periods[-1].previous())
    changes, memberships, entries, plans, reports = [], [], [], [], []
    for project in rows:
        start = datetime.date(2021, 1, 1) + datetime.timedelta(days=rng.randrange(1100))
        changes += [
            m.StatusChange(project=project, status="reserve", date=start),
            m.StatusChange(project=project, status="new_start", date=start),
            m.StatusChange(project=project, status="continuing", date=datetime.date(2023, 1, 1)),
            m.StatusChange(
                project=project,
                status="resumed",
                date=datetime.date(rng.choice([2023, 2024]), rng.randint(3, 6), 10),
            ),
        ]
        memberships += [
            m.LibraryMembership(
                project=project, library="reserve", entered_on=start, left_on=start
            ),
            m.LibraryMembership(project=project, library="construction", entered_on=start),
        ]
        if rng.random() < 0.05:
            memberships.append(
                m.LibraryMembership(project=project, library="key", entered_on=start)
            )
            code = rng.choice(["province-major", "port-city-port", "port-city-industry"])
            entries.append(m.KeyListEntry(project=project, key_list=lists[code], entered_on=start))
        for year in (2022, 2023, 2024):
            plans.append(
                m.AnnualPlan(
                    project=project,
                    year=year,
                    planned_investment=Decimal(rng.randrange(100, 50_000)) * 10_000,
                )
            )
        for period in periods:
            reports.append(
                m.MonthlyReport(
                    project=project,
                    year=period.year,
                    month=period.month,
                    investment=Decimal(rng.randrange(1, 5_000_000)) * 100,
                )
            )
        if len(reports) >= 20_000:
            m.MonthlyReport.objects.bulk_create(reports, batch_size=5000)
            reports = []
    m.MonthlyReport.objects.bulk_create(reports, batch_size=5000)
    m.StatusChange.objects.bulk_create(changes, batch_size=5000)
    m.LibraryMembership.objects.bulk_create(memberships, batch_size=5000)
    m.KeyListEntry.objects.bulk_create(entries, batch_size=5000)
    m.AnnualPlan.objects.bulk_create(plans, batch_size=5000)
    return time.perf_counter() - started


def _time(call: Any, runs: int) -> tuple[float, float, int]:
    """(median ms, max ms, SQL queries per call) over `runs` warm calls."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()  # warm-up
    with CaptureQueriesContext(connection) as captured:
        call()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), max(timings), len(captured.captured_queries)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--throwaway-postgres",
        action="store_true",
        help="start a private PostgreSQL server (zhenxing.testrunner.PostgresServer)",
    )
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
    if args.database_url:
        os.environ["ZHENXING_DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhenxing.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from zhenxing.core import scoping
    from zhenxing.core.models import Area, RoleAssignment, User
    from zhenxing.core.periods import Period
    from zhenxing.core.reference import load_reference
    from zhenxing.core.roles import Role
    from zhenxing.projects import queries
    from zhenxing.projects.models import MonthlyReport, Project

    load_reference()
    load_seconds = _generate(args.projects, args.months, random.Random(1))
    vendor = connection.vendor
    if vendor == "postgresql":  # what autovacuum would have done by now
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    period = Period(2024, 5)
    own = Area.objects.get(code="210804")
    user = User.objects.create_user("bench-area", password="x")
    RoleAssignment.objects.create(user=user, role=Role.AREA_STAFF, area=own)
    leader = User.objects.create_user("bench-leader", password="x")
    RoleAssignment.objects.create(user=leader, role=Role.LEADER)

    def city() -> Any:
        return queries.figures(period=period)

    def city_as_leader() -> Any:
        everything = scoping.visible(leader, Project.objects.all())
        return queries.figures(period=period, projects=everything)

    def area_user() -> Any:
        return queries.figures(period=period, projects=scoping.visible(user, Project.objects.all()))

    def by_area() -> Any:
        return queries.figures_by_area(period=period)

    result = city()
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
    print(
        f"projects: {Project.objects.count()}; monthly reports: {MonthlyReport.objects.count()}; "
        f"generated in {load_seconds:.1f} s"
    )
    print(
        f"city 2024-05: started or resumed {result.started_or_resumed}; "
        f"ytd {result.investment_ytd}; last year {result.investment_ytd_last_year}; "
        f"yoy {result.investment_ytd_yoy_pct} %; "
        f"construction library {result.libraries['construction'].count}"
    )
    medians = {}
    for label, call in (
        ("figures, city", city),
        ("figures, city (leader's scoping.visible)", city_as_leader),
        ("figures, area user's scope (鲅鱼圈区)", area_user),
        ("figures_by_area (9 areas)", by_area),
    ):
        median, worst, count = _time(call, args.runs)
        medians[label] = median
        print(f"{label}: median {median:.1f} ms, max {worst:.1f} ms, {count} SQL queries")
    passed = medians["figures, city"] < BAR_SECONDS * 1000
    print("bar: the city's figures under 1 s:", "PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
