"""`./zx serve` and `./zx demo`: the web server and the background worker, supervised.

The supervising process (the one `./zx serve` runs in) starts two children, each in a
process group of its own:

- the web server: gunicorn with gthread workers, or Django's runserver with autoreload
  for development (`--dev`);
- the background worker (`manage db_worker`), restarted with back-off whenever it dies.

gunicorn replaces its own dead worker processes; if the web server as a whole exits, the
supervisor stops and exits with code 1, for systemd (or the operator) to act on.

SIGINT (Ctrl-C), SIGTERM and SIGHUP stop both gracefully, then whatever is left of their
process groups is killed, so nothing outlives `./zx serve`. On Linux the children are
also sent SIGTERM if the supervisor itself is killed. gunicorn is configured here by
command-line options; nothing is read from files at run time.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

DEFAULT_THREADS = 4
MAX_DEFAULT_WORKERS = 8
GRACEFUL_SECONDS = 20  # in-flight requests and the current task get this long on shutdown
MAX_REQUESTS = 1000  # a worker process is replaced after about this many requests (leaks)
MAX_REQUESTS_JITTER = 100  # ... give or take, so the processes are not replaced together
KEEPALIVE_SECONDS = 5
# A child that ran this long before dying starts again at once; quicker deaths back off.
STABLE_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 60.0
STATIC_STAMP = ".zhenxing-static-stamp"


def default_workers(cores: int | None = None) -> int:
    """gunicorn's rule of thumb, 2 × cores + 1, capped: each process holds a Django."""
    return min(2 * (cores or os.cpu_count() or 1) + 1, MAX_DEFAULT_WORKERS)


def gunicorn_command(host: str, port: int) -> list[str]:
    from django.conf import settings

    workers = settings.SERVE_WORKERS or default_workers()
    threads = settings.SERVE_THREADS or DEFAULT_THREADS
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "zhenxing.serving:preloaded_application()",
        # Django, every view and the API's schemas are loaded once in the master (see
        # preloaded_application): workers start warm, also those replacing others after
        # --max-requests, and share that memory.
        "--preload",
        f"--bind={bind}",
        "--worker-class=gthread",
        f"--workers={workers}",
        f"--threads={threads}",
        f"--timeout={settings.SERVE_REQUEST_TIMEOUT}",
        f"--graceful-timeout={GRACEFUL_SECONDS}",
        f"--keep-alive={KEEPALIVE_SECONDS}",
        f"--max-requests={MAX_REQUESTS}",
        f"--max-requests-jitter={MAX_REQUESTS_JITTER}",
        # The control socket's default path is per user, not per server: two servers on
        # one machine would fight over it.
        "--no-control-socket",
        "--error-logfile=-",
    ]
    if Path("/dev/shm").is_dir():
        # The heartbeat file on a RAM disk: a slow disk must not make workers look hung.
        command.append("--worker-tmp-dir=/dev/shm")
    return command


def preloaded_application() -> Any:
    """The WSGI application, warmed: the URLconf (every view module, the API and its
    schemas) imported and every template compiled, so the first requests a new worker
    process answers are not seconds slower than the rest."""
    from django.core.wsgi import get_wsgi_application
    from django.db import connections
    from django.template import engines
    from django.template.exceptions import TemplateDoesNotExist, TemplateSyntaxError
    from django.urls import get_resolver

    application = get_wsgi_application()
    get_resolver().url_patterns  # noqa: B018 - imports the views, builds the API
    for engine in engines.all():
        folders = [Path(folder) for folder in engine.template_dirs]
        for folder in folders:
            for template in folder.rglob("*.html"):
                with contextlib.suppress(TemplateDoesNotExist, TemplateSyntaxError):
                    engine.get_template(template.relative_to(folder).as_posix())
    connections.close_all()  # a connection opened here must not be shared by the forks
    return application


def runserver_command(host: str, port: int) -> list[str]:
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return [sys.executable, "-m", "django", "runserver", address]  # autoreload on


def worker_command() -> list[str]:
    return [sys.executable, "-m", "django", "db_worker", "--queue-name", "*"]


def collect_static_if_changed() -> bool:
    """Run collectstatic when the static sources changed since the last run (it takes
    seconds even when nothing changed, because every file is compressed again). Servers
    sharing a data directory take turns (a lock file), and the later ones skip it."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders
    from django.core.management import call_command

    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    root = Path(settings.STATIC_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    stamp = root / STATIC_STAMP
    with open(root.parent / ".collectstatic.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text(encoding="ascii") == digest.hexdigest():
            return False
        call_command("collectstatic", interactive=False, verbosity=0)
        stamp.write_text(digest.hexdigest(), encoding="ascii")
    return True


def serve(host: str, port: int, *, worker: bool = True, dev: bool = False) -> int:
    """Serve until interrupted; returns the exit code. Django must be set up."""
    collect_static_if_changed()
    web = runserver_command(host, port) if dev else gunicorn_command(host, port)
    children = [Child("Web 服务", web, essential=True)]
    if worker:
        children.append(Child("后台任务进程", worker_command()))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zhenxing.settings"}
    return Supervisor(children, env=env).run()


@dataclass
class Child:
    label: str
    command: list[str]
    # An essential child (the web server) that exits stops the whole server; the others
    # are restarted with back-off.
    essential: bool = False
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    quick_deaths: int = 0
    restart_at: float | None = None


@dataclass
class Supervisor:
    children: list[Child]
    env: dict[str, str]
    out: TextIO = sys.stderr
    grace_seconds: float = GRACEFUL_SECONDS + 5
    poll_seconds: float = 0.2
    signals_received: list[int] = field(default_factory=list)

    def run(self) -> int:
        handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        previous = {signum: signal.signal(signum, self._on_signal) for signum in handled}
        code = 0
        try:
            for child in self.children:
                self._start(child)
            while not self.signals_received:
                failed = self._tend()
                if failed:
                    code = 1
                    break
                time.sleep(self.poll_seconds)
        finally:
            self._stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return code

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.signals_received.append(signum)
        if len(self.signals_received) == 1:
            self._say("正在停止（再按一次 Ctrl-C 立即结束）……")

    def _say(self, message: str) -> None:
        print(f"zhenxing serve: {message}", file=self.out, flush=True)

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(
            child.command,
            env=self.env,
            stdin=subprocess.DEVNULL,
            # A process group of its own: stopped as a whole, and the terminal's Ctrl-C
            # reaches only the supervisor, which stops the children in order. (Not a
            # session of its own: the server stays in the caller's scheduling group.)
            process_group=0,
            preexec_fn=_die_with_parent(os.getpid()),  # safe: the supervisor has no threads
        )
        child.started_at = time.monotonic()
        child.restart_at = None
        self._say(f"{child.label}已启动（进程 {child.process.pid}）")

    def _tend(self) -> bool:
        """Restart children that died; True when the server cannot go on."""
        now = time.monotonic()
        for child in self.children:
            if child.process is None:
                if child.restart_at is not None and now >= child.restart_at:
                    self._start(child)
                continue
            code = child.process.poll()
            if code is None:
                continue
            _kill_group(child.process.pid, signal.SIGKILL)  # anything it left behind
            lived = now - child.started_at
            child.process = None
            if child.essential:
                # gunicorn restarts its own workers; its master exiting means the port is
                # taken, the settings are wrong or it was killed. Stop and exit non-zero
                # (systemd's Restart=on-failure decides) rather than loop here.
                self._say(f"{child.label}已退出（退出代码 {code}），见上面的错误信息；全部停止。")
                return True
            child.quick_deaths = 0 if lived >= STABLE_SECONDS else child.quick_deaths + 1
            delay = 0.0 if child.quick_deaths == 0 else backoff_seconds(child.quick_deaths)
            child.restart_at = now + delay
            self._say(f"{child.label}意外退出（退出代码 {code}），{delay:.0f} 秒后重启。")
        return False

    def _stop_all(self) -> None:
        running = [c.process for c in self.children if c.process is not None]
        for process in running:
            _kill_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace_seconds
        while any(p.poll() is None for p in running):
            if time.monotonic() > deadline or len(self.signals_received) > 1:
                break
            time.sleep(0.1)
        for process in running:
            _kill_group(process.pid, signal.SIGKILL)  # leftovers, or all after a 2nd Ctrl-C
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        for child in self.children:
            child.process = None
        self._say("已停止。")


def backoff_seconds(quick_deaths: int) -> float:
    """1, 2, 4, … seconds after the 1st, 2nd, 3rd … death in a row, at most a minute."""
    return float(min(2 ** (quick_deaths - 1), MAX_BACKOFF_SECONDS))


def _kill_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to send SIGTERM to the child when the supervisor
    dies, even by SIGKILL; elsewhere nothing (the normal stop path still applies)."""
    if not sys.platform.startswith("linux"):
        return None
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return None
    libc = ctypes.CDLL(libc_name, use_errno=True)
    pr_set_pdeathsig = 1

    def hook() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() != parent:  # the supervisor died before the hook ran
            os._exit(1)

    return hook
