"""`zhenxing test`: install what the tests need, then run the whole suite twice —
on SQLite and on a throwaway PostgreSQL server — browser tests included.

What it installs (Debian packages, only when missing): postgresql, chromium,
fonts-noto-cjk. The PostgreSQL server lives in a temporary folder, listens on
127.0.0.1 only, and is stopped at the end.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
APT_PACKAGES: dict[str, Callable[[], bool]] = {
    "postgresql": lambda: bool(_pg_bin("initdb")),
    "chromium": lambda: Path("/usr/bin/chromium").exists(),
    "fonts-noto-cjk": lambda: bool(glob.glob("/usr/share/fonts/opentype/noto/NotoSansCJK*")),
}


def _say(message: str) -> None:
    print(f"zhenxing test: {message}", flush=True)


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else None


def ensure_system_packages() -> None:
    missing = [name for name, present in APT_PACKAGES.items() if not present()]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        _say(f"missing Debian packages {missing}; install them with apt-get (needs root)")
        return
    _say(f"installing Debian packages: {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """A private PostgreSQL cluster in a temp folder, run as the `postgres` user if root."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="zhenxing-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        if self.as_root:
            cmd = ("runuser", "-u", "postgres", "--", *cmd)
        return subprocess.run(cmd, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def start(self) -> str:
        initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError("PostgreSQL is not installed (Debian package postgresql)")
        if self.as_root:
            shutil.chown(self.dir, "postgres")
            os.chmod(self.dir, 0o755)
        self._run(
            initdb,
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.dir} -c fsync=off "
            f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        result = self._run(
            pg_ctl,
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "-l",
            str(self.dir / "log"),
            "start",
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                "PostgreSQL did not start:\n" + result.stdout.decode(errors="replace")
            )
        return f"postgres://postgres@127.0.0.1:{self.port}/zhenxing"

    def stop(self) -> None:
        pg_ctl = _pg_bin("pg_ctl")
        if pg_ctl and self.data.exists():
            self._run(pg_ctl, "-D", str(self.data), "-m", "fast", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


_SUMMARY = re.compile(r"(\d+) (passed|failed|error|errors|skipped)")


def _pytest(label: str, env: dict[str, str], args: list[str]) -> tuple[int, dict[str, int]]:
    _say(f"running the suite on {label}")
    cmd = [sys.executable, "-m", "pytest", *args]
    process = subprocess.Popen(
        cmd, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    counts = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    last = ""
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.write(line)
        if re.search(r"\d+ (passed|failed|error)", line) and " in " in line:
            last = line
    code = process.wait()
    for number, word in _SUMMARY.findall(last):
        key = "errors" if word.startswith("error") else word
        counts[key] += int(number)
    return code, counts


def run_all(extra: list[str]) -> int:
    started = time.monotonic()
    ensure_system_packages()
    base_env = {
        **os.environ,
        "ZHENXING_TESTING": "1",
        "DJANGO_SETTINGS_MODULE": "zhenxing.settings",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    base_env.pop("ZHENXING_DATABASE_URL", None)
    data_dir = Path(tempfile.mkdtemp(prefix="zhenxing-test-"))
    base_env["ZHENXING_DATA_DIR"] = str(data_dir)
    args = list(extra or [])
    if "-n" not in args and not any(a.startswith("--numprocesses") for a in args):
        args = ["-n", str(min(2, os.cpu_count() or 1)), *args]  # two workers on two cores
    results: list[tuple[str, int, dict[str, int]]] = []

    code, counts = _pytest("SQLite", base_env, args)
    results.append(("SQLite", code, counts))

    server = PostgresServer()
    try:
        url = server.start()
        pg_env = {
            **base_env,
            "ZHENXING_DATABASE_URL": url,
            "ZHENXING_TEST_POSTGRES_DSN": url.replace("/zhenxing", "/postgres"),
        }
        code, counts = _pytest("PostgreSQL", pg_env, args)
        results.append(("PostgreSQL", code, counts))
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        _say(f"PostgreSQL run could not start: {exc}")
        results.append(("PostgreSQL", 1, {"passed": 0, "failed": 0, "skipped": 0, "errors": 1}))
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)

    passed = sum(c["passed"] for _, _, c in results)
    failed = sum(c["failed"] + c["errors"] for _, _, c in results)
    skipped = sum(c["skipped"] for _, _, c in results)
    for label, code, counts in results:
        _say(
            f"{label}: exit {code}, {counts['passed']} passed, "
            f"{counts['failed'] + counts['errors']} failed, {counts['skipped']} skipped"
        )
    _say(f"took {time.monotonic() - started:.0f} s")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0 if all(code == 0 for _, code, _ in results) else 1
