"""`zhenxing manage worker`: the background task worker. The options of django_tasks_db's
`db_worker`, run by `core.worker.ResilientWorker`: it waits out a locked or unavailable
database instead of exiting, repairs work left behind by a dead worker, and writes its
heartbeat (`core.heartbeat`). `manage db_worker` runs the same (app `zhenxing.worker`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django_tasks_db.management.commands import db_worker

from zhenxing.core import heartbeat
from zhenxing.core.worker import ResilientWorker


class Command(db_worker.Command):
    help = "后台任务进程：数据库被锁或暂时不可用时等待重试，不退出；启动时修复中断的任务"

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **_options: Any,
    ) -> None:
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues 只能与 --queue-name='*' 一起使用")
        # No --reload here: a production worker is restarted by its supervisor, not by
        # a file watcher that may stop a task halfway.
        worker = ResilientWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        worker.configure_signals()
        heartbeat.start(worker_id)  # /readyz and `zhenxing check` see the worker alive
        worker.run()
