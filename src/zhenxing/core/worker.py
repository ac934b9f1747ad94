"""The background worker that survives its database, and what it does to recover.

`./zx manage worker` (the command `core/management/commands/worker.py`, started by
`./zx serve`) runs the
task queue of django_tasks_db with `ResilientWorker`: a locked or briefly unavailable
database (`OperationalError`) makes it wait and try again with a growing pause, never
exit; a task's result that cannot be recorded is recorded once the database answers.

Work that dies with its worker (a policy run whose process was killed) is found by the
parts themselves: each registers a recovery with `register_recovery` in its `ready()`,
and the worker calls them when it starts and every few seconds while it runs (a thread
beside the task loop, so that a long task does not delay them). Pages and API routes
that show such work call the part's check too, so that nothing waits for an operator.

`retry_on_database_errors` retries a task (or any idempotent step) on `OperationalError`;
`heartbeat` beats a callable from a thread while a long step runs.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_PAUSE = 0.5  # seconds before the first retry; doubled each time
LONGEST_PAUSE = 30.0  # the pause stops growing here
TASK_ATTEMPTS = 5  # a task is tried this many times on OperationalError before it fails

# What a database that is locked, restarting or unreachable raises (InterfaceError: a
# connection that broke under a query is used again), as opposed to a bug.
UNAVAILABLE = (OperationalError, InterfaceError)

Recovery = Callable[[], int]
_RECOVERIES: dict[str, Recovery] = {}


def register_recovery(name: str, recover: Recovery) -> None:
    """Have the worker call `recover()` at start and periodically; it returns how many
    records it repaired (a policy run left running by a dead worker, say)."""
    _RECOVERIES[name] = recover


def run_recoveries() -> dict[str, int]:
    """Call every registered recovery once; a database that does not answer skips it
    (the next round tries again)."""
    repaired = {}
    for name, recover in _RECOVERIES.items():
        try:
            repaired[name] = recover()
        except UNAVAILABLE as exc:
            logger.warning("recovery %s skipped, database unavailable: %s", name, exc)
        if repaired.get(name):
            logger.warning("recovery %s repaired %s record(s)", name, repaired[name])
    return repaired


def recovery_interval() -> float:
    """Seconds between two rounds of recovery: a quarter of the staleness limit, so that
    a dead run is marked failed soon after it becomes stale (between 1 s and a minute)."""
    return max(1.0, min(60.0, settings.RUN_STALE_SECONDS / 4))


def pauses(first: float = FIRST_PAUSE, longest: float = LONGEST_PAUSE) -> Iterator[float]:
    """0.5, 1, 2, 4 … seconds, at most `longest`: the back-off between retries."""
    pause = first
    while True:
        yield pause
        pause = min(pause * 2, longest)


def _forget_broken_connections() -> None:
    """After an OperationalError the connection may be unusable (PostgreSQL restarted, a
    transaction left aborted): close it, the next query opens a fresh one. A connection
    inside a transaction is its owner's to roll back, and is left alone."""
    for conn in connections.all(initialized_only=True):
        if conn.in_atomic_block:
            continue
        with contextlib.suppress(Exception):
            conn.close()


def retry_on_database_errors(
    attempts: int = TASK_ATTEMPTS,
) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorate an idempotent step so that an `OperationalError` (database locked or
    unavailable) retries it after a growing pause, up to `attempts` tries in all."""

    def decorate(step: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(step)
        def retried(*args: Any, **kwargs: Any) -> T:
            waits = pauses()
            for attempt in range(1, attempts + 1):
                try:
                    return step(*args, **kwargs)
                except UNAVAILABLE as exc:
                    if attempt == attempts:
                        raise
                    pause = next(waits)
                    logger.warning(
                        "%s: database unavailable (%s), try %s of %s again in %.1f s",
                        step.__name__,
                        exc,
                        attempt + 1,
                        attempts,
                        pause,
                    )
                    _forget_broken_connections()
                    time.sleep(pause)
            raise AssertionError("unreachable")  # pragma: no cover

        return retried

    return decorate


@contextlib.contextmanager
def heartbeat(beat: Callable[[], None], every: float) -> Iterator[None]:
    """Call `beat()` every `every` seconds from a thread while the block runs: a long
    step (reading the facts, writing results) still shows that its process is alive. A
    beat that fails (the database busy) is skipped; the next one tries again."""
    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.wait(every):
                try:
                    beat()
                except UNAVAILABLE as exc:
                    logger.info("heartbeat skipped: %s", exc)
        finally:
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=loop, name="heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 15)


class ResilientWorker(Worker):
    """django_tasks_db's worker, made to outlive its database: an `OperationalError`
    anywhere in the loop (claiming a task, recording its result) pauses and resumes the
    loop instead of ending the process, and recoveries run beside it."""

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep, **options: Any) -> None:
        super().__init__(**options)
        self._sleep = sleep
        self._stop_recoveries = threading.Event()

    def run(self) -> None:
        run_recoveries_safely()
        recoveries = threading.Thread(target=self._recover_periodically, daemon=True)
        recoveries.start()
        try:
            waits = pauses()
            while self.running:
                try:
                    super().run()  # returns only in batch mode or after --max-tasks
                    return
                except UNAVAILABLE as exc:
                    pause = next(waits)
                    logger.warning(
                        "worker: database unavailable (%s); resuming in %.1f s", exc, pause
                    )
                    _forget_broken_connections()
                    self._sleep(pause)
        finally:
            self._stop_recoveries.set()

    def run_task(self, db_task_result: Any) -> None:
        # A finished task whose result cannot be written (database locked) must not take
        # the worker down nor be recorded as failed: write it once the database answers.
        for name in ("set_successful", "set_failed"):
            setattr(db_task_result, name, self._until_written(getattr(db_task_result, name)))
        super().run_task(db_task_result)

    def _until_written(self, write: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(write)
        def written(*args: Any, **kwargs: Any) -> None:
            waits = pauses()
            while True:
                try:
                    return write(*args, **kwargs)
                except UNAVAILABLE as exc:
                    if not self.running:  # shutting down: the task stays claimed
                        raise
                    pause = next(waits)
                    logger.warning(
                        "worker: task result not recorded (%s); again in %.1f s", exc, pause
                    )
                    _forget_broken_connections()
                    self._sleep(pause)

        return written

    def _recover_periodically(self) -> None:
        try:
            while not self._stop_recoveries.wait(recovery_interval()):
                run_recoveries_safely()
        finally:
            connections.close_all()


def run_recoveries_safely() -> None:
    """`run_recoveries`, never raising: a recovery's own bug is logged, the worker goes on."""
    try:
        close_old_connections()
        run_recoveries()
    except Exception:
        logger.exception("worker recovery failed")
