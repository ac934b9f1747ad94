"""Large imports run in the background worker with a progress page; per-user rate limits
on uploads and exports answer 429 with Retry-After."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhenxing.core import excel

HEADERS = ["统一社会信用代码", "企业名称", "所在区域"]
GOOD = ["91350100M000100Y43", "甲公司", "鲅鱼圈区"]
BAD = ["91210804123456788G", "乙公司", "鲅鱼圈区"]  # the check digit should be F


@pytest.fixture
def background(settings: Any, tmp_path: Any) -> Any:
    """Every upload counts as large; the waiting files go to a folder of the test's."""
    settings.IMPORT_BACKGROUND_BYTES = 0
    settings.IMPORT_DIR = tmp_path / "imports"
    return settings.IMPORT_DIR


def _post(client: Any, rows: list[list[str]], kind: str = "enterprises") -> Any:
    upload = SimpleUploadedFile("名单.xlsx", excel.build_xlsx(HEADERS, rows))
    return client.post(f"/imports/{kind}/", {"file": upload})


def test_a_large_file_is_imported_in_the_background_and_its_file_deleted(
    world: Any, client: Any, background: Any
) -> None:
    from zhenxing.core.models import ImportJob
    from zhenxing.enterprises.models import Enterprise

    client.force_login(world.users["area"])
    answer = _post(client, [GOOD])
    job = ImportJob.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/imports/enterprises/jobs/{job.pk}/"
    assert (job.status, job.progress, job.rows_written) == ("done", 100, 1)
    assert Enterprise.objects.filter(name="甲公司").exists()
    assert list(background.iterdir()) == []  # the upload waited here and is gone
    page = client.get(answer["Location"]).content.decode()
    assert "导入成功：共 1 行" in page and "名单.xlsx" in page


def test_the_job_page_shows_the_same_row_errors_as_a_small_file(
    world: Any, client: Any, settings: Any, tmp_path: Any
) -> None:
    client.force_login(world.users["area"])
    small = _post(client, [GOOD, BAD]).content.decode()
    settings.IMPORT_BACKGROUND_BYTES = 0
    settings.IMPORT_DIR = tmp_path
    answer = _post(client, [GOOD, BAD])
    page = client.get(answer["Location"]).content.decode()

    def error_table(html: str) -> str:
        return html[html.index('<table class="list">') : html.index("</table>")]

    assert error_table(page) == error_table(small)
    assert "校验位应为 F" in page and "本次没有导入任何数据" in page
    report = client.get(answer["Location"] + "errors/")
    assert excel.read_rows(report.content)[1][:2] == [3, "统一社会信用代码"]
    assert list(tmp_path.iterdir()) == []


def test_a_file_declaring_many_rows_goes_to_the_background_however_small(
    world: Any, client: Any, settings: Any, tmp_path: Any
) -> None:
    settings.IMPORT_BACKGROUND_ROWS = 5
    settings.IMPORT_DIR = tmp_path
    client.force_login(world.users["area"])
    assert _post(client, [GOOD]).status_code == 302  # a message, then the same page
    many = _post(client, [[f"91210804MA0{i:07d}", f"企业{i}", "鲅鱼圈区"] for i in range(10)])
    assert "/jobs/" in many["Location"]


def test_a_queued_job_shows_its_progress_and_polls_it(
    world: Any, client: Any, background: Any
) -> None:
    from zhenxing.core.models import ImportJob

    user = world.users["area"]
    job = ImportJob.objects.create(
        user=user,
        kind="enterprises",
        file_name="大文件.xlsx",
        progress=40,
        progress_note="已读取 80,000 行",
    )
    client.force_login(user)
    page = client.get(f"/imports/enterprises/jobs/{job.pk}/").content.decode()
    assert "已读取 80,000 行" in page and 'hx-trigger="every 2s"' in page
    poll = client.get(f"/imports/enterprises/jobs/{job.pk}/progress/")
    assert "HX-Refresh" not in poll
    ImportJob.objects.filter(pk=job.pk).update(status="done", summary="导入成功：共 9 行")
    assert client.get(f"/imports/enterprises/jobs/{job.pk}/progress/")["HX-Refresh"] == "true"
    # nobody else sees it, not even someone who may use the same import
    client.force_login(world.users["dept"])
    assert client.get(f"/imports/enterprises/jobs/{job.pk}/").status_code == 404


def test_a_job_that_fails_says_so_and_deletes_its_file(
    world: Any, client: Any, background: Any, monkeypatch: Any
) -> None:
    from zhenxing.core.models import ImportJob
    from zhenxing.enterprises.models import Enterprise

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk")

    monkeypatch.setattr(excel, "run_import", broken)
    client.force_login(world.users["area"])
    answer = _post(client, [GOOD])
    job = ImportJob.objects.get()
    assert job.status == "failed" and "内部错误" in job.summary
    assert not Enterprise.objects.filter(name="甲公司").exists()
    assert list(background.iterdir()) == []
    assert "内部错误" in client.get(answer["Location"]).content.decode()


def test_a_job_whose_user_lost_the_right_while_waiting_writes_nothing(
    world: Any, background: Any, settings: Any
) -> None:
    from zhenxing.core import import_jobs
    from zhenxing.core.models import ImportJob, RoleAssignment
    from zhenxing.enterprises.imports import ENTERPRISE_IMPORT

    user = world.users["area"]
    # the worker's queue (a table) holds the task: nothing runs it during the test
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = import_jobs.job_start(
        user=user,
        spec=ENTERPRISE_IMPORT,
        file_name="x.xlsx",
        chunks=[excel.build_xlsx(HEADERS, [GOOD])],
        size=100,
    )
    assert ImportJob.objects.get(pk=job.pk).status == "queued"
    assert (background / job.stored_name).stat().st_mode & 0o777 == 0o600
    RoleAssignment.objects.filter(user=user).delete()
    done = import_jobs.run_job(job.pk)
    assert done.status == "failed" and "无权" in done.summary
    assert list(background.iterdir()) == []


# --- rate limits ------------------------------------------------------------------


def test_uploads_over_the_rate_limit_answer_429_with_retry_after(
    world: Any, client: Any, settings: Any
) -> None:
    settings.RATE_LIMIT_IMPORTS = "2/h"
    client.force_login(world.users["area"])
    assert _post(client, [BAD]).status_code == 200
    assert _post(client, [BAD]).status_code == 200
    refused = _post(client, [BAD])
    assert refused.status_code == 429
    assert "操作过于频繁" in refused.content.decode()
    assert 0 < int(refused["Retry-After"]) <= 3600
    # the API counts against the same limit, and answers problem+json
    api = client.post(
        "/api/v1/projects/reports/import",
        {"file": SimpleUploadedFile("x.xlsx", excel.build_xlsx(HEADERS, [BAD]))},
    )
    assert api.status_code == 429 and api["Retry-After"]
    assert api["Content-Type"].startswith("application/problem+json")
    assert "操作过于频繁" in api.json()["detail"]
    # another user is not limited by this one's uploads
    client.force_login(world.users["dept"])
    assert _post(client, [BAD]).status_code == 200


def test_exports_over_the_rate_limit_answer_429(world: Any, client: Any, settings: Any) -> None:
    settings.RATE_LIMIT_EXPORTS = "1/m"
    client.force_login(world.users["area"])
    assert client.get("/enterprises/?format=xlsx").status_code == 200
    refused = client.get("/enterprises/?format=xlsx")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
    assert client.get("/enterprises/").status_code == 200  # the page itself is not limited


def test_the_counters_are_shared_by_every_server_process() -> None:
    """locmem would count per process (gunicorn runs several): the shipped settings keep
    the counters in the data directory."""
    from zhenxing import settings as shipped

    backend = shipped.CACHES["default"]["BACKEND"]
    assert backend == "zhenxing.core.cache.FileCache"
    assert str(shipped.CACHES["default"]["LOCATION"]).startswith(str(shipped.DATA_DIR))


def test_a_job_whose_worker_died_is_failed_and_its_file_deleted(
    world: Any, client: Any, background: Any, settings: Any
) -> None:
    """A worker killed mid-import leaves its job "running" with a heartbeat that stops:
    the worker's recovery (or the job's page) marks it failed and deletes the file."""
    import datetime

    from zhenxing.core import clock, import_jobs, worker
    from zhenxing.core.models import ImportJob, ImportStatus

    settings.RUN_STALE_SECONDS = 60
    background.mkdir(parents=True)
    waiting = background / "dead.upload"
    waiting.write_bytes(b"x")
    long_ago = clock.now() - datetime.timedelta(seconds=61)
    user = world.users["area"]
    dead, alive = (
        ImportJob.objects.create(
            user=user,
            kind="enterprises",
            file_name=name,
            stored_name=stored,
            status=ImportStatus.RUNNING,
            started_at=long_ago,
            heartbeat_at=beat,
        )
        for name, stored, beat in (
            ("dead.xlsx", "dead.upload", long_ago),
            ("alive.xlsx", "", clock.now()),
        )
    )
    assert worker.run_recoveries()["core.stale_import_jobs"] == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.status, dead.summary, dead.stored_name) == (
        "failed",
        import_jobs.WORKER_LOST,
        "",
    )
    assert not waiting.exists() and alive.status == "running"
    client.force_login(user)
    page = client.get(f"/imports/enterprises/jobs/{dead.pk}/").content.decode()
    assert "后台任务进程中断" in page
