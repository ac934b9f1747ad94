"""Background work: a policy run executes in the task worker (`django_tasks`), so the
person who started it can leave; the run's page shows its progress and result.

The task itself is `policies.services.execute_run`, next to the run it executes. This
module keeps the name runs were queued under before (`zhenxing.policies.tasks.execute_run`)
so that the worker still finds the rows already waiting in the queue.
"""

from __future__ import annotations

from zhenxing.policies.services import execute_run

__all__ = ["execute_run"]
