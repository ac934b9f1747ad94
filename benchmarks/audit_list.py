"""Benchmark: the audit-log list page over 100,000 entries, seen by area staff, and the
cost of the audit log's hash chain.

Filtered (area's own entries, action = 修改), sorted (by time, then by operator),
paginated 50 to a page; median of 50 warm requests through Django's full stack
(middleware, scoping, template) on SQLite. Bar: under 200 ms. The entries are written
through the hash chain (`core.audit_chain.append`, 5,000 at a time), one in twenty a
sign-in only administrators see.

Then the chain's cost on one audited write: `--writes` enterprise updates through
`save_audited` (a historical copy and one chained audit entry each), alternately with the
chain and with a plain INSERT of the entry in its place, medians of each; and the time
`zhenxing audit verify` takes over all entries.

    ./zx bench audit_list [--entries 100000] [--requests 50] [--writes 200] [--database-url URL]
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
    parser.add_argument("--writes", type=int, default=200)
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
    from zhenxing.core import audit_chain
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
    user_ct = ContentType.objects.get_for_model(User)
    rng = random.Random(1)
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    t0 = time.perf_counter()
    batch = []
    for i in range(args.entries):
        area = rng.choice(areas)
        moment = start + datetime.timedelta(seconds=i * 37)
        if i % 20 == 19:  # a sign-in: for administrators only
            batch.append(
                AuditEntry(
                    timestamp=moment,
                    actor_name="张科员",
                    action="sign_in",
                    content_type=user_ct,
                    object_id=str(user.pk),
                    object_repr="张科员",
                    address="10.0.0.1",
                    admin_only=True,
                )
            )
        else:
            batch.append(
                AuditEntry(
                    timestamp=moment,
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
            audit_chain.append(batch, batch_size=5000)
            batch = []
    audit_chain.append(batch, batch_size=5000)
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
    _chain_cost(args.writes, own)
    return 0 if median < 200 else 1


def _chain_cost(writes: int, area: object) -> None:
    """Audited writes with the chain and with a plain INSERT of the entry instead."""
    from zhenxing.core import audit, audit_chain
    from zhenxing.core.models import AuditEntry
    from zhenxing.core.services import save_audited
    from zhenxing.enterprises.models import Enterprise

    enterprise = Enterprise.objects.create(uscc="91210804MA0Q000019", name="基准企业", area=area)
    chained = audit_chain.append

    def plain(entries: list, *, batch_size: int = 500) -> list:  # type: ignore[type-arg]
        return AuditEntry.objects.bulk_create(list(entries), batch_size=batch_size)

    timings: dict[str, list[float]] = {"chain": [], "plain": []}
    for i in range(writes):
        mode = "chain" if i % 2 == 0 else "plain"
        audit.audit_chain.append = chained if mode == "chain" else plain  # type: ignore[assignment]
        enterprise.address = f"地址 {i}"
        t = time.perf_counter()
        save_audited(enterprise, user=audit.SYSTEM)
        timings[mode].append((time.perf_counter() - t) * 1000)
    audit.audit_chain.append = chained  # type: ignore[assignment]
    with_chain, without = statistics.median(timings["chain"]), statistics.median(timings["plain"])
    print(
        f"audited write (save_audited of one enterprise), median of {len(timings['chain'])} "
        f"each: with the chain {with_chain:.2f} ms, plain INSERT {without:.2f} ms, "
        f"difference {with_chain - without:+.2f} ms"
    )
    # the plain entries break the chain on purpose: verify's speed shows on the 100,000
    t = time.perf_counter()
    report = audit_chain.verify()
    print(
        f"audit verify: {report.checked} entries checked in {time.perf_counter() - t:.1f} s "
        f"(stops at the first plain entry of the comparison: {not report.ok})"
    )


if __name__ == "__main__":
    sys.exit(main())
