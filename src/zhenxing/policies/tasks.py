"""Background work: a policy run executes in the task worker (`django_tasks`), so the
person who started it can leave; the run's page shows its progress and result."""

from __future__ import annotations

from django_tasks import task


@task()
def execute_run(run_id: int) -> str:
    from zhenxing.policies.services import run_execute

    run = run_execute(run_id)
    return run.status
