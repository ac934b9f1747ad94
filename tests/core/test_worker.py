"""The background worker outlives its database (issue 9 item 3): a locked or unavailable
database while claiming a task or recording its result pauses the worker, never ends
it, and the task still completes; `zhenxing manage worker` runs that worker."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError
from django_tasks import task
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from zhenxing.core import worker

DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@task()
def double(n: int) -> int:
    return 2 * n


def _failing(times: int, message: str, real: Any) -> Any:
    """`real`, except that its first `times` calls raise OperationalError(message)."""
    calls = {"n": 0}

    def call(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise OperationalError(message)
        return real(*args, **kwargs)

    call.calls = calls  # type: ignore[attr-defined]
    return call


def _worker(pauses: list[float]) -> worker.ResilientWorker:
    return worker.ResilientWorker(
        queue_names=["*"],
        interval=0,
        batch=True,  # return once the queue is empty
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
        sleep=pauses.append,
    )


@pytest.mark.django_db(transaction=True)
def test_the_worker_waits_out_a_locked_database_and_the_task_completes(
    settings: Any, monkeypatch: Any
) -> None:
    settings.TASKS = DB_BACKEND
    result = double.enqueue(21)
    # the database refuses the claim three times (locked twice, then unavailable: an error
    # db_worker itself would exit on) and the recording of the result twice
    claim = _failing(2, "database is locked", db_worker.exclusive_transaction)
    claim = _failing(1, "unable to open database file", claim)
    monkeypatch.setattr(db_worker, "exclusive_transaction", claim)
    record = _failing(2, "database is locked", DBTaskResult.set_successful)
    monkeypatch.setattr(DBTaskResult, "set_successful", record)
    pauses: list[float] = []

    _worker(pauses).run()

    stored = DBTaskResult.objects.get(pk=result.id)
    assert stored.status == "SUCCESSFUL" and stored.return_value == 42
    assert record.calls["n"] == 3  # type: ignore[attr-defined]
    # it paused between tries, the pause growing each time
    assert pauses[:3] == [0.5, 1.0, 2.0] and len(pauses) == 5


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_recoveries_when_it_starts(settings: Any, monkeypatch: Any) -> None:
    settings.TASKS = DB_BACKEND
    seen: list[str] = []
    monkeypatch.setitem(worker._RECOVERIES, "test", lambda: seen.append("ran") or 0)
    _worker([]).run()
    assert seen == ["ran"]


def test_a_recovery_that_finds_the_database_locked_is_skipped(monkeypatch: Any) -> None:
    def locked() -> int:
        raise OperationalError("database is locked")

    monkeypatch.setattr(worker, "_RECOVERIES", {"locked": locked, "fine": lambda: 2})
    assert worker.run_recoveries() == {"fine": 2}


def test_the_pauses_grow_to_a_limit() -> None:
    waits = worker.pauses(first=1, longest=5)
    assert [next(waits) for _ in range(5)] == [1, 2, 4, 5, 5]


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_runs_the_queue(settings: Any) -> None:
    from django.core.management import call_command

    settings.TASKS = DB_BACKEND
    result = double.enqueue(5)
    call_command("worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
    assert DBTaskResult.objects.get(pk=result.id).return_value == 10


def test_a_heartbeat_beats_while_a_long_step_runs_and_survives_a_busy_database() -> None:
    import time

    beats: list[float] = []

    def beat() -> None:
        beats.append(time.monotonic())
        if len(beats) == 2:
            raise OperationalError("database is locked")  # skipped; the next beat comes

    with worker.heartbeat(beat, every=0.05):
        time.sleep(0.6)
    count = len(beats)
    time.sleep(0.2)
    assert count >= 4 and len(beats) == count  # it beat throughout, and stopped after
