"""`db_worker` is the platform's worker too: however it is started (`manage worker`,
which `zhenxing serve` runs, or django_tasks_db's usual `manage db_worker`), it is
`core.worker.ResilientWorker` writing its heartbeat (`core.heartbeat`, read by /readyz)."""

from __future__ import annotations

from zhenxing.core.management.commands.worker import Command

__all__ = ["Command"]
