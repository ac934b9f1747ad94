"""Helpers for tests that run `zhenxing` commands and servers as real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO

# What the test run sets but a real operator's shell does not.
TEST_ONLY_VARIABLES = ("ZHENXING_TESTING", "ZHENXING_SECRET_KEY", "ZHENXING_DATABASE_URL")


def operator_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of an operator who set nothing but the data directory."""
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_VARIABLES}
    env.update(
        ZHENXING_DATA_DIR=str(data_dir),
        ZHENXING_WORKERS="1",
        ZHENXING_THREADS="2",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def zhenxing(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "zhenxing.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_serve(port: int, env: dict[str, str], log: IO[bytes], *extra: str) -> subprocess.Popen:
    """`zhenxing serve` in a session of its own, as a terminal would run it."""
    return subprocess.Popen(
        [sys.executable, "-m", "zhenxing.cli", "serve", "--port", str(port), *extra],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], object], timeout: float, interval: float = 0.2) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    return check()


def answers(url: str) -> int:
    """The HTTP status of a GET (redirects not followed), or 0 when nothing answers."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, urllib.error.URLError):
        return 0


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (command) state ppid ...": the command may hold spaces and parentheses.
    return int(stat.rsplit(")", 1)[1].split()[1])


def descendants(pid: int) -> list[int]:
    """Every living process below `pid` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parent = _parent_of(int(entry))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return [p for p in found if alive(p)]


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def stop(process: subprocess.Popen) -> None:
    """Tear down after a test, whatever state it left the server in."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def processes_using(data_dir: Path) -> list[int]:
    """Living processes started with this data directory in their environment: whatever
    a server left behind, however it was started."""
    needle = f"ZHENXING_DATA_DIR={data_dir}\0".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                environ = Path(f"/proc/{entry}/environ").read_bytes()
            except OSError:
                continue
            if needle in environ and alive(int(entry)):
                found.append(int(entry))
    return found


def wait_ready(server: subprocess.Popen, url: str, timeout: float = 180) -> bool:
    """Wait until `url` answers 200 or the server exits; True when it answers."""
    wait_until(lambda: answers(url) == 200 or server.poll() is not None, timeout)
    return server.poll() is None and answers(url) == 200
