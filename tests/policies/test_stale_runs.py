"""A run whose worker died: found by its stale heartbeat, marked failed (in the audit
trail as the platform's act), what it may have written discarded in one transaction,
and startable again — without an operator (issue 9 item 3)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import OperationalError

from zhenxing.core import audit, clock, worker
from zhenxing.policies import services
from zhenxing.policies.models import PolicyRun, RunResult, RunStatus

from .conftest import source

pytestmark = pytest.mark.django_db


def _died_while_running(run: PolicyRun, seconds_ago: int = 600) -> None:
    """The state a SIGKILLed worker leaves: running, results of a previous compute, a
    heartbeat that stopped `seconds_ago`."""
    beat = clock.now() - datetime.timedelta(seconds=seconds_ago)
    PolicyRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, progress=35, progress_note="规则测算", heartbeat_at=beat
    )


def test_the_run_page_fails_a_run_whose_worker_died_and_it_runs_again(
    client: Any, world: Any, computed_run: PolicyRun, facts_two: Any, settings: Any
) -> None:
    settings.RUN_STALE_SECONDS = 120
    dept = world.users["dept"]
    own = RunResult.objects.get(run=computed_run, enterprise=world.own_enterprise)
    services.result_exclude(user=world.users["dept_head"], result=own, reason="合同存疑")
    _died_while_running(computed_run)

    client.force_login(dept)
    page = client.get(computed_run.get_absolute_url())

    assert page.status_code == 200
    assert "后台任务进程中断" in page.content.decode()
    run = PolicyRun.objects.get(pk=computed_run.pk)
    assert run.status == RunStatus.FAILED and run.error == services.WORKER_LOST
    assert (run.population, run.payable_count, run.payable_total) == (0, 0, 0)
    # what the dead execution may have written is gone; the reviewer's exclusion stays
    assert list(RunResult.objects.filter(run=run).values_list("pk", "excluded")) == [(own.pk, True)]
    entry = audit.entries_for(run).first()
    assert entry is not None and entry.actor is None and entry.actor_name == "系统"
    assert "没有心跳" in entry.reason

    again = services.run_start(
        user=dept, policy=run.policy, period=run.period, source=source(facts_two)
    )
    assert again.pk == run.pk and again.status == RunStatus.COMPUTED and again.error == ""
    assert RunResult.objects.get(pk__isnull=False, run=run, enterprise=own.enterprise).excluded


def test_a_run_with_a_recent_heartbeat_is_left_running(
    world: Any, computed_run: PolicyRun, settings: Any
) -> None:
    settings.RUN_STALE_SECONDS = 120
    _died_while_running(computed_run, seconds_ago=30)
    assert services.fail_stale_runs() == 0
    assert PolicyRun.objects.get(pk=computed_run.pk).status == RunStatus.RUNNING
    with pytest.raises(services.DomainError, match="正在测算"):
        services.run_start(
            user=world.users["dept"], policy=computed_run.policy, period=computed_run.period
        )


def test_the_api_and_a_rerun_fail_a_stale_run_first(
    client: Any, world: Any, computed_run: PolicyRun, facts_two: Any, settings: Any
) -> None:
    settings.RUN_STALE_SECONDS = 60
    _died_while_running(computed_run)
    client.force_login(world.users["dept"])
    answer = client.get(f"/api/v1/policies/runs/{computed_run.pk}").json()
    assert answer["status"] == "failed" and "后台任务进程中断" in answer["error"]

    _died_while_running(computed_run)
    rerun = services.run_start(
        user=world.users["dept"],
        policy=computed_run.policy,
        period=computed_run.period,
        source=source(facts_two),
    )
    assert rerun.status == RunStatus.COMPUTED


def test_the_worker_recovery_round_fails_stale_runs(computed_run: PolicyRun, settings: Any) -> None:
    settings.RUN_STALE_SECONDS = 60
    _died_while_running(computed_run)
    assert worker.run_recoveries()["policies.stale_runs"] == 1
    assert PolicyRun.objects.get(pk=computed_run.pk).status == RunStatus.FAILED


def test_a_run_without_any_heartbeat_started_long_ago_is_stale(
    computed_run: PolicyRun, settings: Any
) -> None:
    """Runs left running before heartbeats existed are found by their start time."""
    settings.RUN_STALE_SECONDS = 60
    PolicyRun.objects.filter(pk=computed_run.pk).update(
        status=RunStatus.RUNNING,
        heartbeat_at=None,
        started_at=clock.now() - datetime.timedelta(hours=3),
    )
    assert services.fail_stale_runs() == 1


def test_a_run_marked_failed_meanwhile_does_not_get_the_dead_executions_results(
    world: Any, computed_run: PolicyRun, facts_two: Any, settings: Any, monkeypatch: Any
) -> None:
    """A slow worker that was taken for dead writes nothing when it finally finishes."""
    settings.RUN_STALE_SECONDS = 60
    real_payable = services._payable

    def meanwhile_failed(run: PolicyRun, claims: Any) -> Any:
        _died_while_running(run)
        services.fail_stale_runs()
        return real_payable(run, claims)

    monkeypatch.setattr(services, "_payable", meanwhile_failed)
    with pytest.raises(services.RunSuperseded):
        services.run_execute(computed_run.pk, source=source(facts_two))
    run = PolicyRun.objects.get(pk=computed_run.pk)
    assert run.status == RunStatus.FAILED
    assert not RunResult.objects.filter(run=run).exists()


def test_a_locked_database_retries_the_run_and_it_completes(
    computed_run: PolicyRun, facts_two: Any, monkeypatch: Any
) -> None:
    calls = {"n": 0}
    real = services.run_execute

    def locked_twice(run_id: int, **kwargs: Any) -> PolicyRun:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OperationalError("database is locked")
        return real(run_id, source=source(facts_two))

    monkeypatch.setattr(services, "run_execute", locked_twice)
    monkeypatch.setattr(worker.time, "sleep", lambda _s: None)
    PolicyRun.objects.filter(pk=computed_run.pk).update(status=RunStatus.QUEUED)
    assert services.execute_run.call(computed_run.pk) == RunStatus.COMPUTED
    assert calls["n"] == 3
