"""Is this installation alive, and ready to serve? Probes shared by `/healthz`,
`/readyz` and `zhenxing check` (core/checks.py).

`/healthz` (liveness) answers as soon as the process can answer at all: nothing is
looked up. `/readyz` (readiness) runs each probe and answers 200 when all pass, 503
naming the ones that failed. Neither needs a sign-in, so neither says anything an
outsider should not know: no paths, no database address, no error text (that goes to
the log) — only which probe failed and a short reason code.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from zhenxing.core import heartbeat

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Probe:
    ok: bool
    reason: str = ""  # a short code ("unreachable", "stale") when not ok
    detail: str = ""  # for the operator (the log, `zhenxing check`); never in /readyz


def database() -> Probe:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return Probe(False, "unreachable", str(exc).strip())
    return Probe(True)


@cache
def _migrations_on_disk() -> frozenset[tuple[str, str]]:
    """The newest migration of each app as the code has them (read once per process)."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())


def unapplied_migrations() -> list[str]:
    """The code's newest migrations the database has not applied (one query)."""
    applied = MigrationRecorder(connection).applied_migrations()
    return sorted(
        f"{app}.{name}" for app, name in _migrations_on_disk() if (app, name) not in applied
    )


def migrations() -> Probe:
    try:
        missing = unapplied_migrations()
    except DatabaseError as exc:
        return Probe(False, "unknown", str(exc).strip())
    if missing:
        return Probe(False, "unapplied", ", ".join(missing))
    return Probe(True)


def worker() -> Probe:
    if settings.TASKS_IMMEDIATE:  # tasks run inside the request: no worker to wait for
        return Probe(True)
    try:
        age = heartbeat.seconds_since_last_beat()
    except DatabaseError as exc:
        return Probe(False, "unknown", str(exc).strip())
    if age is None:
        return Probe(False, "no_heartbeat", _("从未收到过心跳"))
    if age > heartbeat.STALE_AFTER.total_seconds():
        return Probe(False, "stale", _("最近一次心跳在 {seconds:.0f} 秒前").format(seconds=age))
    return Probe(True, detail=_("最近一次心跳在 {seconds:.0f} 秒前").format(seconds=age))


def data_dir() -> Probe:
    """The data directory takes a file (uploads, exports, the SQLite database)."""
    path = Path(settings.DATA_DIR)
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".readyz-"):
            pass
    except OSError as exc:
        return Probe(False, "not_writable", f"{path}: {exc.strerror or exc}")
    return Probe(True)


def free_disk_bytes() -> int:
    return shutil.disk_usage(Path(settings.DATA_DIR)).free


READINESS: dict[str, Callable[[], Probe]] = {
    "database": database,
    "migrations": migrations,
    "worker": worker,
    "data_dir": data_dir,
}


def readiness() -> dict[str, Probe]:
    results: dict[str, Probe] = {}
    for name, probe in READINESS.items():
        needs_database = name in ("migrations", "worker")
        if needs_database and not results["database"].ok:
            results[name] = Probe(False, "unknown", _("数据库无法连接"))
        else:
            results[name] = probe()
    return results


def _json(body: Mapping[str, object], status: int) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
    )


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return _json({"status": "ok"}, 200)


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    results = readiness()
    failing = [name for name, probe in results.items() if not probe.ok]
    for name in failing:
        logger.warning(
            "readiness: %s failed (%s): %s", name, results[name].reason, results[name].detail
        )
    body = {
        "status": "fail" if failing else "ok",
        "checks": {
            name: {"ok": probe.ok, **({"reason": probe.reason} if not probe.ok else {})}
            for name, probe in results.items()
        },
        "failing": failing,
    }
    return _json(body, 503 if failing else 200)
