"""`/healthz` and `/readyz` (core/health.py) and the worker's heartbeat (core/heartbeat.py)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from zhenxing.core import health, heartbeat
from zhenxing.core.models import WorkerHeartbeat

SECRET = "password authentication failed for user zx_secret_owner at 10.9.8.7"


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path


def _ready(client: Any) -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, json.loads(response.content)


def test_healthz_answers_without_a_sign_in_and_without_the_database(client: Any) -> None:
    response = client.get("/healthz")  # no django_db mark: a query would fail the test
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_200_when_every_check_passes(client: Any) -> None:
    heartbeat.beat("worker-1")
    status, body = _ready(client)
    assert status == 200
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {"database", "migrations", "worker", "data_dir"}
    assert all(check == {"ok": True} for check in body["checks"].values())


@pytest.mark.django_db
def test_readyz_names_a_worker_that_never_beat_and_one_that_stopped(client: Any) -> None:
    status, body = _ready(client)
    assert (status, body["failing"]) == (503, ["worker"])
    assert body["checks"]["worker"] == {"ok": False, "reason": "no_heartbeat"}

    heartbeat.beat("worker-1")
    later = heartbeat.STALE_AFTER + datetime.timedelta(seconds=5)
    with time_machine.travel(heartbeat.clock.machine_now() + later):
        status, body = _ready(client)
    assert (status, body["checks"]["worker"]) == (503, {"ok": False, "reason": "stale"})


@pytest.mark.django_db
def test_the_demo_day_does_not_make_a_live_worker_look_old(client: Any, settings: Any) -> None:
    settings.TODAY_OVERRIDE = "2024-06-30"
    heartbeat.beat("worker-1")
    assert heartbeat.worker_alive()
    assert _ready(client)[0] == 200


@pytest.mark.django_db
def test_readyz_names_unapplied_migrations(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    heartbeat.beat("worker-1")
    on_disk = health._migrations_on_disk() | {("core", "9999_from_the_future")}
    monkeypatch.setattr(health, "_migrations_on_disk", lambda: on_disk)
    status, body = _ready(client)
    assert (status, body["failing"]) == (503, ["migrations"])
    assert body["checks"]["migrations"]["reason"] == "unapplied"


@pytest.mark.django_db
def test_readyz_names_a_data_directory_it_cannot_write(
    client: Any, settings: Any, tmp_path: Path
) -> None:
    heartbeat.beat("worker-1")
    settings.DATA_DIR = tmp_path / "gone"
    status, body = _ready(client)
    assert (status, body["failing"]) == (503, ["data_dir"])
    assert str(tmp_path) not in json.dumps(body)  # no paths for an anonymous caller


@pytest.mark.django_db
def test_readyz_without_the_database_says_so_and_tells_no_secret(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: BaseDatabaseWrapper) -> None:
        raise OperationalError(SECRET)

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
    response = client.get("/readyz")
    body = json.loads(response.content)
    assert response.status_code == 503
    assert body["failing"] == ["database", "migrations", "worker"]
    assert body["checks"]["database"] == {"ok": False, "reason": "unreachable"}
    assert "zx_secret_owner" not in response.content.decode()
    assert "10.9.8.7" not in response.content.decode()


def test_the_probes_refuse_other_methods(client: Any) -> None:
    assert client.post("/healthz").status_code == 405


# --- the heartbeat ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_beat_updates_the_workers_row_and_forgets_workers_long_gone() -> None:
    heartbeat.beat("old")
    with time_machine.travel(heartbeat.clock.machine_now() + datetime.timedelta(days=2)):
        heartbeat.beat("worker-1")
        heartbeat.beat("worker-1")
        assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["worker-1"]
        assert heartbeat.seconds_since_last_beat() == pytest.approx(0, abs=5)


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_keeps_beating_until_stopped() -> None:
    beating = heartbeat.start("threaded", interval=0.05)
    first = WorkerHeartbeat.objects.get(worker_id="threaded").beat_at  # the beat at start
    try:
        for _ in range(200):
            row = WorkerHeartbeat.objects.get(worker_id="threaded")
            if row.beat_at > first:
                break
            beating.thread.join(0.05)
        assert row.beat_at > first
    finally:
        beating.stop()
    assert not beating.thread.is_alive()


@pytest.mark.django_db
def test_a_beat_that_fails_does_not_stop_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    def locked(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(heartbeat, "beat", locked)
    beating = heartbeat.start("unlucky", interval=0.01)
    beating.stop()  # no exception escaped


def test_db_worker_is_ours_and_starts_the_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    """`manage db_worker` and `manage worker` are one worker: resilient, and beating."""
    from django.core.management import get_commands

    from zhenxing.core import worker
    from zhenxing.core.management.commands import worker as core_worker
    from zhenxing.worker.management.commands import db_worker as ours

    assert get_commands()["db_worker"] == "zhenxing.worker"
    assert ours.Command is core_worker.Command
    started: list[str] = []
    monkeypatch.setattr(heartbeat, "start", lambda worker_id: started.append(worker_id))
    monkeypatch.setattr(worker.ResilientWorker, "configure_signals", lambda self: None)
    monkeypatch.setattr(worker.ResilientWorker, "run", lambda self: None)
    ours.Command().handle(
        verbosity=0,
        queue_name="default",
        interval=1.0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="w-42",
        exclude_queues="",
    )
    assert started == ["w-42"]
