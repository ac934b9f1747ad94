"""`db_worker` with a heartbeat: the worker writes `WorkerHeartbeat` every few seconds
while it runs (`core.heartbeat`), so a dead or missing worker shows in `/readyz`."""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from zhenxing.core import heartbeat


class Command(DatabaseWorkerCommand):
    help = "Run the background worker (django-tasks-db) and write its heartbeat"

    def handle(self, *args: Any, **options: Any) -> None:
        # --reload runs the worker in a child process; only that child beats.
        if not options.get("reload") or _in_reloaded_child():
            heartbeat.start(options["worker_id"])
        super().handle(*args, **options)


def _in_reloaded_child() -> bool:
    import os

    from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

    return os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"
