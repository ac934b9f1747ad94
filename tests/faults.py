"""Helpers of the fault tests (issue 9 item 3): a registry sheet of new enterprises, and
a child process (`fault_child.py`) on a SQLite file that a test kills at a chosen moment.

The test database (SQLite in memory) is copied to a file for the child (`to_file`) and
back again (`from_file`, `sqlite3` backup), so that the child's work is checked with
the ORM. Tests using the child need `django_db(transaction=True)` and SQLite."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from zhenxing.core import excel
from zhenxing.demo.codes import demo_uscc

CHILD = Path(__file__).with_name("fault_child.py")
ROOT = Path(__file__).resolve().parents[1]
REGISTRY_HEADERS = ["统一社会信用代码", "企业名称", "所在区域", "行业代码", "所有制", "成立日期"]
on_sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the child process runs on a SQLite file"
)


def registry_sheet(count: int, area: str = "鲅鱼圈区") -> tuple[bytes, list[str]]:
    """An .xlsx of `count` new enterprises in `area` (kind `enterprises`), and their codes."""
    rng = random.Random(count)
    codes = sorted({demo_uscc(rng, "210804") for _ in range(count)})
    rows = [
        [code, f"测试企业{i:03d}有限公司", area, "3311", "民营", "2015-03-01"]
        for i, code in enumerate(codes)
    ]
    return excel.build_xlsx(REGISTRY_HEADERS, rows), codes


def to_file(data_dir: Path) -> Path:
    """The test database, as the SQLite file of a data directory."""
    path = data_dir / "zhenxing.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    return path


def from_file(path: Path) -> None:
    """The file, back as the test database (what the child left)."""
    source = sqlite3.connect(path)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def child(data_dir: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    """`fault_child.py ARGS` on the data directory's database, its output piped."""
    environment = {
        **os.environ,
        "ZHENXING_DATA_DIR": str(data_dir),
        "ZHENXING_TESTING": "1",
        "PYTHONPATH": str(ROOT / "src"),
        **env,
    }
    environment.pop("ZHENXING_DATABASE_URL", None)
    environment.pop("ZHENXING_TASKS_IMMEDIATE", None)
    return subprocess.Popen(
        [sys.executable, str(CHILD), *args], env=environment, stdout=subprocess.PIPE, text=True
    )


def wait_for_line(process: subprocess.Popen[str], line: str, timeout: float = 240) -> None:
    """Until the child prints `line` (it reached the moment to be killed at)."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = process.stdout.readline()
        if got.strip() == line:
            return
        if not got and process.poll() is not None:
            break
    process.kill()
    pytest.fail(f"the child never printed {line} (exit {process.poll()})")


def kill(process: subprocess.Popen[str]) -> None:
    """SIGKILL: no handler runs, no transaction is rolled back by the process."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
