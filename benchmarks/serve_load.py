"""Benchmark: the demo under load, gunicorn (`./zx serve`) and runserver side by side.

Loads the Yingkou demo into a data directory (or uses one already loaded), then for each
server in turn — gunicorn started exactly as `./zx serve` starts it (the supervisor of
zhenxing.serving, without the background worker), and Django's runserver with threads
as `./zx serve` ran it before issue 9 — drives it over loopback with 1, 10 and 50
concurrent signed-in clients, after a warm-up at 10 clients that is not measured. Each
client repeats, for a bounded time (--seconds) and at most 200 rounds:

- the home page of each of the seven demo roles (`/`, one session per role);
- the project list page (`/projects/`, the area user);
- `GET /api/v1/projects` and `GET /api/v1/projects/figures?period=2024-05` (the
  department user);
- a monthly report submission (`PUT /api/v1/projects/{id}/reports/2024-06` by the area
  user, on a project of the client's own, sending the version it last read).

Prints p50, p95 and errors (5xx, refused or timed-out connections, any unexpected status)
per request kind, server and level. Bars: no errors at 50 clients; at 10 clients
gunicorn's home-page p95 at most half of runserver's.

    ./zx bench serve_load [--data-dir DIR] [--levels 1,10,50] [--seconds 30] [--warmup 10]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROLES = ["admin", "dept", "dept_head", "area", "steward", "enterprise", "leader"]
KINDS = ["home", "projects page", "api projects", "api figures", "report PUT"]
PERIOD = "2024-06"  # the month being reported (open on the demo's today)
FIGURES = "2024-05"  # the last month complete on the demo's today
REQUEST_TIMEOUT = 60


def _zhenxing(*args: str) -> list[str]:
    return [sys.executable, "-m", "zhenxing.cli", *args]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(kind: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    if kind == "gunicorn":
        command = _zhenxing("serve", "--no-worker", "--port", str(port))
    else:  # what `./zx serve` ran before issue 9: runserver, threaded, no reloader
        address = f"127.0.0.1:{port}"
        command = [sys.executable, "-m", "django", "runserver", "--noreload", address]
    return subprocess.Popen(
        command,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_ready(base: str, process: subprocess.Popen[bytes], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            if requests.get(f"{base}/login/", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{base} did not answer within {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    import signal

    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _sign_in(base: str, username: str, password: str) -> dict[str, str]:
    session = requests.Session()
    session.get(f"{base}/login/", timeout=REQUEST_TIMEOUT)
    answer = session.post(
        f"{base}/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT,
    )
    if answer.status_code != 302:
        raise SystemExit(f"signing in as {username} failed: {answer.status_code}")
    return dict(session.cookies)


@dataclass
class Results:
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    wall: float = 0.0
    server_cpu: float = 0.0  # CPU seconds the server's processes used meanwhile
    client_cpu: float = 0.0  # ... and this process, the clients

    def requests(self) -> int:
        return sum(len(v) for v in self.seconds.values()) + sum(self.errors.values())

    def add(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            if error is None:
                self.seconds[kind].append(seconds)
            else:
                self.errors[kind] += 1
                if len(self.examples) < 3:
                    self.examples.append(f"{kind}: {error}")


class Client(threading.Thread):
    """One browser with seven signed-in users (a cookie per role) on one keep-alive
    connection, and a project of its own to report on."""

    def __init__(
        self,
        base: str,
        cookies: dict[str, dict[str, str]],
        project_id: int,
        results: Results,
        deadline: float,
        max_rounds: int,
    ) -> None:
        super().__init__(daemon=True)
        self.base, self.results, self.deadline = base, results, deadline
        self.project_id, self.max_rounds = project_id, max_rounds
        self.session = requests.Session()
        self.session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self.cookie = {
            r: "; ".join(f"{k}={v}" for k, v in jar.items()) for r, jar in cookies.items()
        }
        self.csrf = cookies["area"]["csrftoken"]
        self.version: int | None = None
        self.rng = random.Random(project_id)

    def _timed(self, kind: str, role: str, method: str, path: str, **kw: Any) -> Any:
        headers = {"Cookie": self.cookie[role], **kw.pop("headers", {})}
        started = time.perf_counter()
        try:
            answer = self.session.request(
                method,
                self.base + path,
                headers=headers,
                timeout=REQUEST_TIMEOUT,
                allow_redirects=False,
                **kw,
            )
        except requests.RequestException as exc:
            self.results.add(kind, 0, type(exc).__name__)
            return None
        elapsed = time.perf_counter() - started
        error = None if answer.status_code in (200, 201) else f"HTTP {answer.status_code}"
        if error and len(self.results.examples) < 5:
            error += " " + answer.text[:120].replace("\n", " ")
        self.results.add(kind, elapsed, error)
        return answer if error is None else None

    def _report(self) -> None:
        path = f"/api/v1/projects/{self.project_id}/reports/{PERIOD}"
        if self.version is None:
            current = self.session.get(
                self.base + path, headers={"Cookie": self.cookie["area"]}, timeout=REQUEST_TIMEOUT
            )
            self.version = current.json()["version"] if current.status_code == 200 else 0
        amount = f"{self.rng.randrange(100_000, 900_000)}.{self.rng.randrange(100):02d}"
        answer = self._timed(
            "report PUT",
            "area",
            "PUT",
            path,
            json={"investment": amount, "version": self.version, "confirm": True},
            headers={"X-CSRFToken": self.csrf},
        )
        self.version = answer.json()["version"] if answer is not None else None

    def run(self) -> None:
        rounds = 0
        while time.monotonic() < self.deadline and rounds < self.max_rounds:
            rounds += 1
            for role in ROLES:
                self._timed("home", role, "GET", "/")
            self._timed("projects page", "area", "GET", "/projects/")
            self._timed("api projects", "dept", "GET", "/api/v1/projects")
            self._timed("api figures", "dept", "GET", f"/api/v1/projects/figures?period={FIGURES}")
            self._report()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _tree_cpu(pid: int) -> float:
    """CPU seconds used so far by `pid` and every process below it (Linux /proc)."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats.get(current, (0, 0))[1]
        todo += [child for child, (parent, _) in stats.items() if parent == current]
    return total / os.sysconf("SC_CLK_TCK")


def _load(
    base: str, clients: int, cookies: Any, projects: list[int], seconds: float, server: int
) -> Results:
    results = Results()
    deadline = time.monotonic() + seconds
    threads = [
        Client(base, cookies, projects[i % len(projects)], results, deadline, max_rounds=200)
        for i in range(clients)
    ]
    started, server_cpu, client_cpu = time.monotonic(), _tree_cpu(server), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 2 * REQUEST_TIMEOUT)
    results.wall = time.monotonic() - started
    results.server_cpu = _tree_cpu(server) - server_cpu
    results.client_cpu = time.process_time() - client_cpu
    return results


def _ensure_demo(data_dir: Path, env: dict[str, str]) -> None:
    if (data_dir / "zhenxing.sqlite3").exists() or env.get("ZHENXING_DATABASE_URL"):
        print(f"using the data directory {data_dir} as it is", flush=True)
        return
    print(f"loading the demo into {data_dir} …", flush=True)
    subprocess.run(_zhenxing("demo", "--no-serve"), env=env, check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default="", help="a data directory with the demo loaded")
    parser.add_argument("--levels", default="1,10,50")
    parser.add_argument("--seconds", type=float, default=30, help="per level and server")
    parser.add_argument("--servers", default="gunicorn,runserver")
    parser.add_argument(
        "--warmup", type=float, default=10, help="seconds at 10 clients, not measured"
    )
    args = parser.parse_args()

    from zhenxing.cli import DEMO_PASSWORD, DEMO_TODAY

    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="zhenxing-bench-serve-"))
    env = {
        **os.environ,
        "ZHENXING_DATA_DIR": str(data_dir),
        "ZHENXING_TODAY": DEMO_TODAY,
        "DJANGO_SETTINGS_MODULE": "zhenxing.settings",
    }
    for variable in ("ZHENXING_TESTING", "ZHENXING_DEBUG"):
        env.pop(variable, None)
    _ensure_demo(data_dir, env)
    levels = [int(level) for level in args.levels.split(",")]
    table: dict[tuple[str, int], Results] = {}
    for server in args.servers.split(","):
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        process = _start(server, port, env, data_dir / f"bench-{server}.log")
        try:
            _wait_ready(base, process)
            cookies = {role: _sign_in(base, role, DEMO_PASSWORD) for role in ROLES}
            listed = requests.get(
                f"{base}/api/v1/projects",
                params={"limit": max(levels)},
                cookies=cookies["area"],
                timeout=REQUEST_TIMEOUT,
            ).json()["items"]
            projects = [item["id"] for item in listed]
            # Every worker process and thread has served each kind of request once.
            _load(base, 10, cookies, projects, args.warmup, process.pid)
            for level in levels:
                print(f"{server}: {level} clients for {args.seconds:.0f} s …", flush=True)
                table[(server, level)] = _load(
                    base, level, cookies, projects, args.seconds, process.pid
                )
        finally:
            _stop(process)
    _print(table, levels, args.servers.split(","))
    return 0


def _print(table: dict[tuple[str, int], Results], levels: list[int], servers: list[str]) -> None:
    print()
    print(
        "| clients | request | " + " | ".join(f"{s} p50 / p95 (n, errors)" for s in servers) + " |"
    )
    print("|---|---|" + "---|" * len(servers))
    for level in levels:
        for kind in KINDS:
            cells = []
            for server in servers:
                results = table[(server, level)]
                times = results.seconds.get(kind, [])
                errors = results.errors.get(kind, 0)
                if times:
                    p50 = statistics.median(times) * 1000
                    p95 = _percentile(times, 0.95) * 1000
                    cells.append(f"{p50:.0f} / {p95:.0f} ms ({len(times)}, {errors})")
                else:
                    cells.append(f"– ({errors} errors)")
            print(f"| {level} | {kind} | " + " | ".join(cells) + " |")
    print()
    print("| server | clients | requests/s | server CPU (cores used) | client CPU (cores used) |")
    print("|---|---|---|---|---|")
    for (server, level), results in table.items():
        wall = results.wall or 1.0
        print(
            f"| {server} | {level} | {results.requests() / wall:.1f} | "
            f"{results.server_cpu:.0f} s ({results.server_cpu / wall:.2f}) | "
            f"{results.client_cpu:.0f} s ({results.client_cpu / wall:.2f}) |"
        )
    for (server, level), results in table.items():
        if results.examples:
            print(f"{server} at {level}: " + "; ".join(results.examples))
    _bars(table, levels, servers)


def _bars(table: dict[tuple[str, int], Results], levels: list[int], servers: list[str]) -> None:
    print()
    if 50 in levels and "gunicorn" in servers:
        errors = sum(table[("gunicorn", 50)].errors.values())
        print(
            f"bar: no errors at 50 clients (gunicorn): {errors} errors -> "
            f"{'met' if errors == 0 else 'NOT met'}"
        )
    if 10 in levels and {"gunicorn", "runserver"} <= set(servers):
        fast = _percentile(table[("gunicorn", 10)].seconds["home"], 0.95)
        slow = _percentile(table[("runserver", 10)].seconds["home"], 0.95)
        print(
            f"bar: home p95 at 10 clients, gunicorn {fast * 1000:.0f} ms vs runserver "
            f"{slow * 1000:.0f} ms (ratio {fast / slow:.2f}, bar ≤ 0.50) -> "
            f"{'met' if fast <= slow / 2 else 'NOT met'}"
        )


if __name__ == "__main__":
    sys.exit(main())
