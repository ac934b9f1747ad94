"""The background worker's heartbeat: proof that someone is running the queued tasks.

The worker (`zhenxing db_worker`, which `zhenxing/worker` puts in front of
django-tasks-db's command of that name) calls `start(worker_id)` as it starts: a daemon
thread then writes the `WorkerHeartbeat` row of this process every `INTERVAL` seconds
for as long as the process lives. `/readyz` and `zhenxing check` ask `last_beat()` /
`worker_alive()`: a worker that has not beaten for `STALE_AFTER` is taken as gone.

A beat that fails (the database locked or away for a moment) is skipped and retried at
the next tick; it never stops the worker. Times are the machine's (`clock.machine_now`),
so a demo's fixed "today" does not make a live worker look days old.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import threading

from django.db import DatabaseError, connection

from zhenxing.core import clock
from zhenxing.core.models import WorkerHeartbeat

INTERVAL = 10.0  # seconds between two beats
STALE_AFTER = datetime.timedelta(seconds=60)  # no beat for this long: the worker is gone
FORGET_AFTER = datetime.timedelta(days=1)  # rows of workers long gone are removed

logger = logging.getLogger(__name__)


def beat(worker_id: str, *, started_at: datetime.datetime | None = None) -> None:
    """Write this process's heartbeat now (and forget workers silent for a day)."""
    now = clock.machine_now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"beat_at": now, "host": socket.gethostname()[:255], "pid": os.getpid()},
        create_defaults={
            "beat_at": now,
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at or now,
        },
    )
    WorkerHeartbeat.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()


def last_beat() -> datetime.datetime | None:
    """When any worker last beat (None: never, or every row forgotten)."""
    found = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True)
    return found.first()


def seconds_since_last_beat() -> float | None:
    last = last_beat()
    return None if last is None else (clock.machine_now() - last).total_seconds()


def worker_alive() -> bool:
    age = seconds_since_last_beat()
    return age is not None and age <= STALE_AFTER.total_seconds()


def _beat_or_log(worker_id: str, started_at: datetime.datetime) -> None:
    try:
        beat(worker_id, started_at=started_at)
    except DatabaseError as exc:  # locked or unreachable for a moment: the next tick
        logger.warning("worker heartbeat not written: %s", exc)


class Beating:
    """The heartbeat of this process: `stop()` ends it (the process's end does too)."""

    def __init__(self, worker_id: str, interval: float) -> None:
        self.worker_id = worker_id
        self.interval = interval
        self.started_at = clock.machine_now()
        self._stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="zhenxing-heartbeat", daemon=True)

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                _beat_or_log(self.worker_id, self.started_at)
            finally:
                connection.close()  # this thread's own connection, never left broken

    def stop(self) -> None:
        self._stopped.set()
        self.thread.join(timeout=self.interval + 5)


def start(worker_id: str, *, interval: float = INTERVAL) -> Beating:
    """Beat once now (before the worker takes a task), then every `interval` seconds in
    a daemon thread."""
    beating = Beating(worker_id, interval)
    _beat_or_log(worker_id, beating.started_at)
    beating.thread.start()
    return beating
