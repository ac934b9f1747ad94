"""The quality gates run as tests, once (on the SQLite pass): ruff, import-linter, mypy,
and no missing migration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("ZHENXING_DATABASE_URL")),
    reason="static checks run once, on the SQLite pass",
)


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ZHENXING_TESTING": "1"}
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)


def test_ruff_finds_nothing() -> None:
    result = _run(str(BIN / "ruff"), "check", "src", "tests", "benchmarks", "scripts")
    assert result.returncode == 0, result.stdout[-4000:]


def test_ruff_format_is_applied() -> None:
    result = _run(str(BIN / "ruff"), "format", "--check", "src", "tests", "benchmarks", "scripts")
    assert result.returncode == 0, result.stdout[-4000:]


def test_the_pure_core_imports_no_django() -> None:
    result = _run(str(BIN / "lint-imports"))
    assert result.returncode == 0, result.stdout[-4000:]


def test_mypy_finds_nothing() -> None:
    result = _run(str(BIN / "mypy"), "src/zhenxing")
    assert result.returncode == 0, result.stdout[-6000:]


def test_no_model_change_lacks_a_migration() -> None:
    result = _run(
        sys.executable,
        "-m",
        "django",
        "makemigrations",
        "--check",
        "--dry-run",
        "--settings=zhenxing.settings",
    )
    assert result.returncode == 0, result.stdout[-4000:]
