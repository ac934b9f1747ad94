"""`zhenxing check`: Django's deployment checks plus ours (core/checks.py), one line each."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from zhenxing.commands.check import report_checks
from zhenxing.core import checks, health, heartbeat

GOOD_KEY = "k" * 20 + "Zx-8f3a9c1e7b6d5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6"


def _ids(found: list[Any]) -> list[str]:
    return [finding.id for finding in found]


def test_the_secret_key_must_not_be_a_public_one(settings: Any) -> None:
    for public in ("zhenxing-insecure-development-key", "django-insecure-abc"):
        settings.SECRET_KEY = public
        assert _ids(checks.secret_key(None)) == ["zhenxing.E001"]
    settings.SECRET_KEY = GOOD_KEY
    assert checks.secret_key(None) == []


def test_allowed_hosts_must_name_the_site(settings: Any) -> None:
    for hosts, expected in [
        ([], ["zhenxing.E002"]),
        (["*"], ["zhenxing.W002"]),
        (["127.0.0.1", "localhost", "testserver"], ["zhenxing.W003"]),
        (["zx.yingkou.gov.cn"], []),
    ]:
        settings.ALLOWED_HOSTS = hosts
        assert _ids(checks.allowed_hosts(None)) == expected, hosts


@pytest.mark.django_db
def test_the_database_must_be_reachable_and_migrated(monkeypatch: pytest.MonkeyPatch) -> None:
    assert checks.database(None) == []
    on_disk = health._migrations_on_disk() | {("policies", "9999_next")}
    monkeypatch.setattr(health, "_migrations_on_disk", lambda: on_disk)
    found = checks.database(None)
    assert _ids(found) == ["zhenxing.E004"] and "policies.9999_next" in found[0].msg
    monkeypatch.setattr(health, "database", lambda: health.Probe(False, "unreachable", "gone"))
    assert _ids(checks.database(None)) == ["zhenxing.E003"]


def test_cjk_fonts_are_looked_for(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(checks, "CJK_FONT_GLOBS", (str(tmp_path / "NotoSansCJK*"),))
    assert _ids(checks.cjk_fonts(None)) == ["zhenxing.W005"]
    (tmp_path / "NotoSansCJK-Regular.ttc").write_bytes(b"")
    assert checks.cjk_fonts(None) == []


@pytest.mark.django_db
def test_the_worker_must_be_beating(settings: Any) -> None:
    settings.TASKS_IMMEDIATE = False
    assert _ids(checks.worker(None)) == ["zhenxing.W006"]
    heartbeat.beat("worker-1")
    assert checks.worker(None) == []


def test_the_data_directory_must_be_writable_with_room(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DATA_DIR = tmp_path / "missing"
    assert _ids(checks.data_dir(None)) == ["zhenxing.E007"]
    settings.DATA_DIR = tmp_path
    assert checks.data_dir(None) == [] or _ids(checks.data_dir(None)) == ["zhenxing.W008"]
    for free, expected in [(100 * 1024**2, "zhenxing.E008"), (1024**3, "zhenxing.W008")]:
        monkeypatch.setattr(health, "free_disk_bytes", lambda free=free: free)
        assert _ids(checks.data_dir(None)) == [expected]
    monkeypatch.setattr(health, "free_disk_bytes", lambda: 50 * 1024**3)
    assert checks.data_dir(None) == []


@pytest.mark.django_db
def test_zhenxing_check_prints_one_line_per_finding_and_fails_on_errors(
    settings: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    # the browser tests set this for Playwright in the same process; a server never has it
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    settings.DATA_DIR = tmp_path
    settings.DEBUG = False
    settings.SECRET_KEY = "zhenxing-insecure-development-key"
    out = io.StringIO()
    assert report_checks(out) == 1
    lines = out.getvalue().splitlines()
    assert any(line.startswith("错误 zhenxing.E001: ") for line in lines)
    assert any(" security.W004: " in line for line in lines)  # Django's deployment checks
    assert lines[-1].startswith("检查完毕：")
    assert len(lines) == len({line.split(":")[0] for line in lines})  # one line each

    settings.SECRET_KEY = GOOD_KEY
    settings.ALLOWED_HOSTS = ["zx.yingkou.gov.cn"]
    heartbeat.beat("worker-1")
    out = io.StringIO()
    assert report_checks(out) == 0, out.getvalue()  # warnings alone do not fail
