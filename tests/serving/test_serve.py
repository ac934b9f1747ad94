"""`zhenxing serve` as an operator runs it: real processes, real signals, a fresh data
directory with no variables set but ZHENXING_DATA_DIR."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from zhenxing import serving

from .processes import (
    alive,
    answers,
    command_line,
    descendants,
    free_port,
    operator_env,
    processes_using,
    start_serve,
    stop,
    wait_ready,
    wait_until,
    zhenxing,
)

ADMIN_PASSWORD = "Serve-Test-Passw0rd"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Migrated once for the module (the slow part): a fresh data directory."""
    path = tmp_path_factory.mktemp("serve") / "var"
    result = zhenxing("migrate", env=operator_env(path))
    assert result.returncode == 0, result.stderr
    yield path


def _workers_of(server: subprocess.Popen) -> list[int]:
    return [p for p in descendants(server.pid) if "db_worker" in command_line(p)]


def _serve_until_ready(data_dir: Path, tmp_path: Path, *extra: str) -> tuple:
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = start_serve(port, operator_env(data_dir), log, *extra)
    url = f"http://127.0.0.1:{port}/login/"
    assert wait_ready(server, url), (tmp_path / "serve.log").read_text()
    return server, url


def test_the_first_migrate_writes_a_private_key_that_token_create_then_uses(
    data_dir: Path,
) -> None:
    """The README's `./zx token create USER` after setting up, with no variables set."""
    key_file = data_dir / "secret_key"
    key = key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    env = operator_env(data_dir, ZHENXING_ADMIN_PASSWORD=ADMIN_PASSWORD)
    created = zhenxing("createadmin", "operator", env=env)
    assert created.returncode == 0, created.stderr
    token = zhenxing("token", "create", "operator", env=env)
    assert token.returncode == 0, token.stderr
    assert "Traceback" not in token.stderr and "operator" in token.stdout
    assert key_file.read_text() == key


def test_serve_runs_gunicorn_restarts_a_killed_worker_and_sigterm_leaves_nothing(
    data_dir: Path, tmp_path: Path
) -> None:
    server, url = _serve_until_ready(data_dir, tmp_path)
    try:
        tree = descendants(server.pid)
        assert any("gunicorn" in command_line(p) for p in tree)
        (first,) = wait_until(lambda: _workers_of(server), timeout=30)
        os.kill(first, signal.SIGKILL)
        restarted = wait_until(lambda: [p for p in _workers_of(server) if p != first], 30)
        assert restarted, (tmp_path / "serve.log").read_text()
        assert answers(url) == 200
        tree = descendants(server.pid)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
        assert [p for p in tree if alive(p)] == []
        assert processes_using(data_dir) == []
    finally:
        stop(server)


def test_ctrl_c_in_the_terminal_leaves_nothing(data_dir: Path, tmp_path: Path) -> None:
    server, _ = _serve_until_ready(data_dir, tmp_path)
    try:
        tree = descendants(server.pid)
        assert len(tree) >= 3  # gunicorn, its worker process, the background worker
        os.killpg(server.pid, signal.SIGINT)  # what the terminal sends its foreground group
        server.wait(timeout=60)
        assert [p for p in tree if alive(p)] == []
        assert processes_using(data_dir) == []
    finally:
        stop(server)


def test_a_port_already_taken_stops_serve_with_an_error_and_nothing_left(
    data_dir: Path, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        log = (tmp_path / "serve.log").open("wb")
        server = start_serve(port, operator_env(data_dir), log)
        try:
            assert server.wait(timeout=120) == 1
            assert processes_using(data_dir) == []
            assert "全部停止" in (tmp_path / "serve.log").read_text()
        finally:
            stop(server)


def test_worker_counts_come_from_the_cores_unless_set(settings: object) -> None:
    assert serving.default_workers(1) == 3
    assert serving.default_workers(2) == 5
    assert serving.default_workers(64) == serving.MAX_DEFAULT_WORKERS
    settings.SERVE_WORKERS, settings.SERVE_THREADS = 3, 7  # type: ignore[attr-defined]
    command = serving.gunicorn_command("127.0.0.1", 8000)
    assert {"--worker-class=gthread", "--workers=3", "--threads=7"} <= set(command)
    assert any(part.startswith("--max-requests-jitter=") for part in command)


def test_the_worker_backs_off_when_it_keeps_dying() -> None:
    assert [serving.backoff_seconds(n) for n in (1, 2, 3, 4, 10)] == [1, 2, 4, 8, 60]
