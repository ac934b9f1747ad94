"""Benchmark: how long a 6,000-row enterprise import keeps SQLite's write lock.

On SQLite one writer at a time holds the database's write lock; while an import holds
it, a monthly report saved on a page, the worker claiming a task, anyone's sign-in
stamp waits (and gives up after the busy timeout, 10 s). This measures it from outside,
as another writer would feel it: a probe thread on its own connection tries
`BEGIN IMMEDIATE` every 10 ms without waiting, and the longest stretch during which it
could not is the longest write-lock hold. It also times the whole import.

Generates a registry sheet of `--rows` new enterprises in 鲅鱼圈区 (kind `enterprises`:
统一社会信用代码, 企业名称, 所在区域, 行业代码, 所有制, 企业规模, 成立日期) and imports it
with `excel.run_import` as the area's staff user, on a fresh SQLite database in a
temporary data directory. Bar: the write lock is held under 5 s, half of SQLite's busy
timeout (10 s, settings.py), so that a writer waiting for it waits instead of failing.
Measured on a busy machine the figures grow with its load: compare before and after in
the same run of the machine (BENCHMARKS.md).

    ./zx bench import_lock [--rows 6000]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import threading
import time

BAR_SECONDS = 5.0  # half of the busy timeout


class LockProbe:
    """Tries to take the write lock every `every` seconds, never waiting; records the
    longest stretch of refusals (the longest time another writer held the lock)."""

    def __init__(self, path: str, every: float = 0.01) -> None:
        self.path = path
        self.every = every
        self.longest = 0.0
        self.refused_since: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LockProbe:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        db = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            while not self._stop.is_set():
                now = time.perf_counter()
                try:
                    db.execute("BEGIN IMMEDIATE")
                    db.execute("ROLLBACK")
                    self.refused_since = None
                except sqlite3.OperationalError:
                    if self.refused_since is None:
                        self.refused_since = now
                    self.longest = max(self.longest, now - self.refused_since)
                time.sleep(self.every)
        finally:
            db.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=6000)
    args = parser.parse_args()
    os.environ["ZHENXING_DATA_DIR"] = tempfile.mkdtemp(prefix="zhenxing-bench-")
    os.environ.setdefault("ZHENXING_DEMO", "1")
    os.environ["ZHENXING_TODAY"] = "2024-06-30"
    os.environ.pop("ZHENXING_DATABASE_URL", None)  # the write lock is SQLite's
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
    from zhenxing.demo.codes import demo_uscc
    from zhenxing.enterprises.models import Enterprise

    load_reference()
    own = Area.objects.get(code="210804")
    user = User.objects.create_user("bench-area", password="x", display_name="鲅鱼圈区工作人员")
    RoleAssignment.objects.create(user=user, role=Role.AREA_STAFF, area=own)
    rng = random.Random(20240630)
    codes: set[str] = set()
    while len(codes) < args.rows:
        codes.add(demo_uscc(rng, own.code))
    rows = [
        [
            code,
            f"营口基准测试企业{i:05d}有限公司",
            own.name,
            rng.choice(["3311", "3360", "2614", "1321", "5164"]),
            rng.choice(["民营", "国有", "外资"]),
            rng.choice(["小型", "中型", "微型"]),
            f"20{rng.randrange(0, 24):02d}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 10)}",
        ]
        for i, code in enumerate(sorted(codes))
    ]
    data = excel.build_xlsx(
        ["统一社会信用代码", "企业名称", "所在区域", "行业代码", "所有制", "企业规模", "成立日期"],
        rows,
    )
    before = Enterprise.objects.count()
    spec = excel.REGISTRY["enterprises"]
    writes: list[float] = []
    bulk_writer = getattr(excel, "create_many_audited", None)
    if bulk_writer is not None:  # the checked rows written in one transaction (timed)

        def timed_writer(*a: object, **k: object) -> object:
            t = time.perf_counter()
            try:
                return bulk_writer(*a, **k)
            finally:
                writes.append(time.perf_counter() - t)

        excel.create_many_audited = timed_writer
    with LockProbe(str(settings.DATABASES["default"]["NAME"])) as probe:
        t = time.perf_counter()
        result = excel.run_import(spec, data, user=User.objects.get(pk=user.pk))
        total = time.perf_counter() - t
    assert result.ok, result.errors[:5]
    assert Enterprise.objects.count() == before + args.rows
    print(f"rows: {args.rows} ({len(data) // 1024} KiB .xlsx), SQLite")
    print(f"import: {total:.2f} s in all")
    if writes:
        print(f"of which the write transaction: {sum(writes):.2f} s")
    print(f"write lock held at most: {probe.longest:.2f} s")
    ok = probe.longest < BAR_SECONDS
    print(f"bar: write lock under {BAR_SECONDS:.0f} s:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
