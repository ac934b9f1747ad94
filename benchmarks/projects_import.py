"""Benchmark: an area's monthly report sheet of 2,000 rows, imported from Excel.

Generates 2,000 projects in 鲅鱼圈区 (half of them already reported for the month, so
half the rows replace a report and half file a new one), writes the area's sheet for
2024-06 as .xlsx, and times `excel.run_import` for the area user: reading the file,
checking every row (project found and in scope, month open, numbers), and writing all
rows in one transaction through `services.reports_submit_many` with the audit trail.
Median of the runs (each run imports the sheet again, replacing the reports).
Bar: under 5 s.

    ./zx bench projects_import [--rows 2000] [--runs 3] [--database-url URL]
    ./zx bench projects_import --throwaway-postgres   # starts a private PostgreSQL server
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal

BAR_SECONDS = 5.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--throwaway-postgres",
        action="store_true",
        help="start a private PostgreSQL server (zhenxing.testrunner.PostgresServer)",
    )
    args = parser.parse_args()
    server = None
    if args.throwaway_postgres:
        import psycopg

        from zhenxing.testrunner import PostgresServer

        server = PostgresServer()
        args.database_url = server.start()
        base, name = args.database_url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
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
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhenxing.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from zhenxing.core import excel
    from zhenxing.core.models import Area, RoleAssignment, User
    from zhenxing.core.reference import load_reference
    from zhenxing.core.roles import Role
    from zhenxing.projects.models import MonthlyReport, Project, StatusChange

    load_reference()
    own = Area.objects.get(code="210804")
    user = User.objects.create_user("bench-area", password="x", display_name="鲅鱼圈区填报员")
    RoleAssignment.objects.create(user=user, role=Role.AREA_STAFF, area=own)
    rng = random.Random(20240630)

    t0 = time.perf_counter()
    Project.objects.bulk_create(
        Project(
            code=f"2023-210804-04-01-{i:06d}",
            name=f"鲅鱼圈区基准测试项目{i:04d}",
            area=own,
            total_investment=Decimal(rng.randrange(10_000, 5_000_000)) * 100,
            status="continuing",
            status_since="2023-03-01",
        )
        for i in range(args.rows)
    )
    projects = list(Project.objects.filter(area=own).order_by("pk"))
    StatusChange.objects.bulk_create(
        StatusChange(project=p, status="continuing", date="2023-03-01") for p in projects
    )
    MonthlyReport.objects.bulk_create(
        MonthlyReport(project=p, year=2024, month=6, investment=Decimal(1000))
        for p in projects[::2]
    )
    generated = time.perf_counter() - t0

    amounts = [Decimal(rng.randrange(1, 5_000_000)) / 100 for _p in projects]  # 万元, 2 places
    texts = ["" if rng.random() < 0.8 else "用地手续待办理" for _p in projects]

    def sheet(run: int) -> bytes:
        """The area's sheet for run `run`: every figure moved by run × 0.01 万元, so that
        every run writes every row (an unchanged row is not written at all). Random
        figures are often above a project's remaining investment: the 超常确认 column
        confirms them, as an area would after checking."""
        rows = [
            [
                p.code,
                "",
                "2024-06",
                float(amount + Decimal(run) / 100),
                rng.randrange(0, 101),
                "主体结构施工中",
                text,
                "",
                "是",
            ]
            for p, amount, text in zip(projects, amounts, texts, strict=True)
        ]
        return excel.build_xlsx(
            [
                "项目代码",
                "项目名称",
                "月份",
                "当月完成投资（万元）",
                "形象进度（%）",
                "形象进度说明",
                "存在问题",
                "修改原因",
                "超常确认",
            ],
            rows,
        )

    spec = excel.REGISTRY["project-reports"]
    timings = []
    for run in range(args.runs):
        data = sheet(run)
        user = User.objects.get(pk=user.pk)  # a fresh request's user, no cached grants
        t = time.perf_counter()
        result = excel.run_import(spec, data, user=user)
        timings.append(time.perf_counter() - t)
        assert result.ok, result.errors[:5]
        assert result.rows_written == args.rows and result.outcome.filed == args.rows
    assert MonthlyReport.objects.filter(year=2024, month=6).count() == args.rows
    median = statistics.median(timings)
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
    print(f"rows: {args.rows} ({len(data) // 1024} KiB .xlsx); generated in {generated:.1f} s")
    print("runs: " + ", ".join(f"{t:.2f} s" for t in timings) + f"; median {median:.2f} s")
    print(f"bar: under {BAR_SECONDS:.0f} s:", "PASS" if median < BAR_SECONDS else "FAIL")
    return 0 if median < BAR_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
