"""Benchmark: the audit-log list page over 100,000 entries, seen by area staff.

Filtered (area's own entries, action = 修改), sorted (by time, then by operator),
paginated 50 to a page; median of 50 warm requests through Django's full stack
(middleware, scoping, template) on SQLite. Bar: under 200 ms.

    ./zx bench audit_list [--entries 100000] [--requests 50] [--database-url URL]
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    os.environ["ZHENXING_DATA_DIR"] = tempfile.mkdtemp(prefix="zhenxing-bench-")
    os.environ.setdefault("ZHENXING_DEMO", "1")
    if args.database_url:
        os.environ["ZHENXING_DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhenxing.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.test import Client

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.AXES_ENABLED = False
    call_command("migrate", verbosity=0)
    from zhenxing.core.models import Area, AuditEntry, RoleAssignment, User
    from zhenxing.core.reference import load_reference
    from zhenxing.core.roles import Role
    from zhenxing.enterprises.models import Enterprise

    load_reference()
    areas = list(Area.objects.exclude(code="210800"))
    own = Area.objects.get(code="210804")
    user = User.objects.create_user("bench-area", password="x")
    RoleAssignment.objects.create(user=user, role=Role.AREA_STAFF, area=own)
    ct = ContentType.objects.get_for_model(Enterprise)
    rng = random.Random(1)
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    t0 = time.perf_counter()
    batch = []
    for i in range(args.entries):
        area = rng.choice(areas)
        batch.append(
            AuditEntry(
                timestamp=start + datetime.timedelta(seconds=i * 37),
                actor_name=rng.choice(["王专员", "李科长", "张科员", "赵主任", "系统"]),
                action=rng.choice(["create", "update", "update", "update", "delete"]),
                content_type=ct,
                object_id=str(rng.randrange(1, 20000)),
                object_repr=f"企业{rng.randrange(1, 20000)}有限公司",
                area=area,
                changes=[{"field": "address", "label": "地址", "old": "甲", "new": "乙"}],
            )
        )
        if len(batch) == 5000:
            AuditEntry.objects.bulk_create(batch)
            batch = []
    AuditEntry.objects.bulk_create(batch)
    load_seconds = time.perf_counter() - t0

    client = Client()
    client.force_login(user)
    queries = [
        f"/system/audit/?area={own.pk}&action=update&sort=-timestamp&page={{page}}",
        "/system/audit/?action=update&sort=actor_name&page={page}",
        "/system/audit/?q=企业1&sort=-timestamp&page={page}",
    ]
    for url in queries:  # warm-up
        assert client.get(url.format(page=1)).status_code == 200
    timings = []
    for i in range(args.requests):
        url = queries[i % len(queries)].format(page=1 + (i % 7))
        t = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200
    visible = AuditEntry.objects.filter(area=own).count()
    median = statistics.median(timings)
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
    print(
        f"entries: {args.entries} (visible to the area user: {visible}); "
        f"generated in {load_seconds:.1f} s"
    )
    print(
        f"requests: {len(timings)}; median {median:.1f} ms; "
        f"p90 {sorted(timings)[int(len(timings) * 0.9) - 1]:.1f} ms; max {max(timings):.1f} ms"
    )
    print("bar: median under 200 ms:", "PASS" if median < 200 else "FAIL")
    return 0 if median < 200 else 1


if __name__ == "__main__":
    sys.exit(main())
