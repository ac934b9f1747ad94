"""The worker killed mid-run, for real (issue 9 item 3): a worker process SIGKILLed while
a run reads its facts leaves the run "running"; once its heartbeat is stale, the run
page marks it failed with the reason, and it runs again."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from zhenxing.policies import services
from zhenxing.policies.models import PolicyRun, RunResult, RunStatus

from ..faults import child, from_file, kill, on_sqlite_only, to_file, wait_for_line
from .conftest import source

pytestmark = [pytest.mark.django_db(transaction=True), on_sqlite_only]


def test_a_worker_killed_mid_run_leaves_a_run_that_fails_clearly_and_runs_again(
    client: Any, world: Any, policy: Any, facts_two: Any, settings: Any, tmp_path: Path
) -> None:
    immediate = settings.TASKS
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    run = services.run_start(user=world.users["dept"], policy=policy, period="2023", confirm=True)
    assert run.status == RunStatus.QUEUED
    db_file = to_file(tmp_path)

    worker = child(tmp_path, "worker", ZHENXING_RUN_STALE_SECONDS="60")
    wait_for_line(worker, "STUCK")  # the worker took the run and is reading its facts
    kill(worker)
    with sqlite3.connect(db_file) as db:
        row = db.execute(
            "SELECT status, progress FROM policies_policyrun WHERE id = ?", [run.pk]
        ).fetchone()
    assert tuple(row) == ("running", 10)  # what a killed worker leaves: "running 10 %"
    from_file(db_file)

    settings.RUN_STALE_SECONDS = 1
    time.sleep(1.5)  # nobody beats its heartbeat any more
    client.force_login(world.users["dept"])
    page = client.get(run.get_absolute_url()).content.decode()
    failed = PolicyRun.objects.get(pk=run.pk)
    assert failed.status == RunStatus.FAILED and "后台任务进程中断" in page
    assert not RunResult.objects.filter(run=failed).exists()

    settings.TASKS = immediate
    again = services.run_start(
        user=world.users["dept"], policy=policy, period="2023", source=source(facts_two)
    )
    assert again.pk == run.pk and again.status == RunStatus.COMPUTED
    assert RunResult.objects.filter(run=again).count() == 2
