"""Large imports run in the background worker, as policy runs do.

A sheet over `settings.IMPORT_BACKGROUND_BYTES` or `IMPORT_BACKGROUND_ROWS` (`is_large`)
is not read during the request: `job_start` stores the upload in `settings.IMPORT_DIR`
(mode 0600) and queues `import_run`; the worker imports it with `excel.run_import`, as a
small file is imported at once, records the progress (rows read) on the `ImportJob`, then
the outcome or the row errors, and deletes the file whatever happened. The job's page
(`core.import_views.import_job`) polls the progress and then shows what a small file's
page shows.
"""

from __future__ import annotations

import datetime
import logging
import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_noop
from django_tasks import task

from zhenxing.core import clock, excel, sheets, worker
from zhenxing.core.models import ImportJob, ImportStatus

logger = logging.getLogger(__name__)

ERROR_REPORT_LIMIT = 5000  # row errors kept with a job (page and .xlsx), as for a small file
_READING_SHARE = 80  # percent of the bar for reading; checking and writing the rest


def is_large(size: int, head: bytes | None) -> bool:
    """Import in the background? By the upload's size, and for a small file by the rows
    it declares (an .xlsx's dimension, a CSV's lines) — a few hundred kB can hold 100,000
    rows."""
    if size > settings.IMPORT_BACKGROUND_BYTES:
        return True
    rows = sheets.estimated_rows(head) if head is not None else None
    return rows is not None and rows > settings.IMPORT_BACKGROUND_ROWS


def job_for(user: Any, pk: int) -> ImportJob | None:
    """The job, if it is this user's (a job is seen by whoever uploaded it, nobody else).
    A job whose worker died is marked failed first, so its page never spins for ever."""
    if not getattr(user, "is_authenticated", False):
        return None
    fail_stale_jobs(ImportJob.objects.filter(pk=pk))
    return ImportJob.objects.filter(pk=pk, user_id=user.pk).first()


# Stored in Chinese, shown in the reader's language (the job page translates it).
WORKER_LOST = gettext_noop("后台任务进程中断（长时间没有心跳），没有写入任何数据；请重新上传")


def _stale_jobs() -> Any:
    cutoff = clock.now() - datetime.timedelta(seconds=settings.RUN_STALE_SECONDS)
    return ImportJob.objects.filter(status=ImportStatus.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )


def fail_stale_jobs(jobs: Any = None) -> int:
    """Mark failed every running job (of `jobs`, or all) whose worker gave no sign of
    life within `settings.RUN_STALE_SECONDS`, and delete its waiting file. The import
    writes in one transaction, so a dead worker left nothing half-written. Registered
    with `core.worker` (at start and periodically) and called by the job's page."""
    stale = _stale_jobs() if jobs is None else _stale_jobs().filter(pk__in=jobs.values("pk"))
    failed = 0
    for job in stale:
        changed = (
            _stale_jobs()
            .filter(pk=job.pk)
            .update(
                status=ImportStatus.FAILED,
                progress=100,
                progress_note=str(ImportStatus.FAILED.label),
                summary=WORKER_LOST,
                finished_at=clock.now(),
                stored_name="",
            )
        )
        if changed and job.stored_name:
            (Path(settings.IMPORT_DIR) / job.stored_name).unlink(missing_ok=True)
        failed += changed
    return failed


def job_start(
    *, user: Any, spec: excel.ImportSpec, file_name: str, chunks: Iterable[bytes], size: int
) -> ImportJob:
    """Store the upload and queue its import. The caller has checked that the user may
    use `spec` and that the size is within `settings.IMPORT_MAX_BYTES`."""
    sheets.check_size(size)
    folder = Path(settings.IMPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = f"{uuid.uuid4().hex}.upload"
    path = folder / stored_name
    written = 0
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out:
            for chunk in chunks:
                written += len(chunk)
                if written > settings.IMPORT_MAX_BYTES:  # a size that lied
                    raise sheets.SheetError(sheets.too_large_message())
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    job = ImportJob.objects.create(
        user=user,
        kind=spec.kind,
        file_name=file_name[:255],
        stored_name=stored_name,
        size=written,
        rows_estimate=_estimate(path, written),
        progress_note="排队等待导入",
    )
    _forget_old_jobs(user)
    import_run.enqueue(job.pk)
    job.refresh_from_db()
    return job


def _forget_old_jobs(user: Any, keep: int = 20) -> None:
    """Keep a user's last `keep` finished jobs: their row errors are all that is stored."""
    old = list(
        ImportJob.objects.filter(user_id=user.pk)
        .exclude(status__in=(ImportStatus.QUEUED, ImportStatus.RUNNING))
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)[keep:]
    )
    ImportJob.objects.filter(pk__in=old).delete()


def _estimate(path: Path, size: int) -> int | None:
    # For the progress bar only; reading a file of at most IMPORT_MAX_BYTES once is fine.
    return sheets.estimated_rows(path.read_bytes()) if size else None


@task()
def import_run(job_id: int) -> str:
    """The background task `job_start` queues."""
    return str(run_job(job_id).status)


def run_job(job_id: int) -> ImportJob:
    """Import a stored upload; whatever happens the file is deleted and the job says how
    it ended (a job already started or finished is left as it is)."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING,
        started_at=clock.now(),
        heartbeat_at=clock.now(),
        progress=1,
        progress_note="开始读取",
    )
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if not claimed:
        return job
    path = Path(settings.IMPORT_DIR) / job.stored_name

    def beat() -> None:
        ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING).update(
            heartbeat_at=clock.now()
        )

    try:
        with worker.heartbeat(beat, every=max(0.2, settings.RUN_STALE_SECONDS / 8)):
            result = _import(job, path)
    except Exception as exc:  # the job's page must say it failed, whatever failed
        logger.exception("import job %s failed", job.pk)
        summary = f"内部错误：{type(exc).__name__}，没有写入任何数据"
        _finish(job, ImportStatus.FAILED, summary=summary)
    else:
        if result is None:
            pass  # refused before reading: `_import` recorded why
        elif result.ok:
            _finish(
                job,
                ImportStatus.DONE,
                summary=result.summary(),
                rows_total=result.rows_total,
                rows_written=result.rows_written,
            )
        else:
            _finish(
                job,
                ImportStatus.REFUSED,
                summary=f"发现 {len(result.errors)} 处错误，本次没有导入任何数据",
                rows_total=result.rows_total,
                errors=[
                    [e.row, e.column, e.value, e.reason] for e in result.errors[:ERROR_REPORT_LIMIT]
                ],
                error_count=len(result.errors),
            )
    finally:
        path.unlink(missing_ok=True)
        ImportJob.objects.filter(pk=job.pk).update(stored_name="")
    job.refresh_from_db()
    return job


def _import(job: ImportJob, path: Path) -> excel.ImportResult | None:
    spec = excel.REGISTRY.get(job.kind)
    if spec is None or not excel.may_import(job.user, spec):
        # the import is gone, or the user lost the right while the file waited
        _finish(job, ImportStatus.FAILED, summary="您已无权使用此导入，没有写入任何数据")
        return None
    data = path.read_bytes()
    estimate = job.rows_estimate

    def report(rows_read: int) -> None:
        share = min(_READING_SHARE, rows_read * _READING_SHARE // estimate) if estimate else 0
        ImportJob.objects.filter(pk=job.pk).update(
            progress=max(1, share), progress_note=f"已读取 {rows_read:,} 行"
        )

    token = excel.reading_progress.set(report)
    try:
        return excel.run_import(spec, data, user=job.user)
    finally:
        excel.reading_progress.reset(token)


def _finish(job: ImportJob, status: str, **values: Any) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=status,
        progress=100,
        progress_note=str(ImportStatus(status).label),
        finished_at=clock.now(),
        **values,
    )
