"""The process the fault tests kill: run with the venv's python, on a SQLite file in
ZHENXING_DATA_DIR (`tests/faults.py` prepares it).

    python tests/fault_child.py worker          # the task worker; a run's facts
                                                      # step hangs (prints STUCK)
    python tests/fault_child.py import FILE USER [--pause]
                                                      # the registry import; with --pause
                                                      # it hangs inside its write
                                                      # transaction (prints WRITING)
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any


def _setup() -> None:
    os.environ.setdefault("ZHENXING_TESTING", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhenxing.settings"
    import django

    django.setup()


def _hang(signal: str) -> None:
    print(signal, flush=True)
    while True:
        time.sleep(60)


def worker() -> int:
    _setup()
    from django.core.management import call_command

    from zhenxing.policies import facts

    def stuck_source(_decls: Any) -> Any:
        def read(_request: Any) -> Any:
            _hang("STUCK")

        return read

    facts.default_source = stuck_source  # type: ignore[assignment]
    call_command("worker", "--no-startup-delay", "--interval", "0.2", verbosity=0)
    return 0


def registry_import(path: str, username: str, pause: bool) -> int:
    _setup()
    from zhenxing.core import audit, excel
    from zhenxing.core.models import User

    if pause:
        # the records are inserted; the process dies before the transaction commits
        audit.record_many = lambda *a, **k: _hang("WRITING")  # type: ignore[assignment]
    with open(path, "rb") as sheet:
        data = sheet.read()
    user = User.objects.get(username=username)
    result = excel.run_import(excel.REGISTRY["enterprises"], data, user=user)
    print(result.summary() if result.ok else result.errors[:3], flush=True)
    return 0 if result.ok else 1


if __name__ == "__main__":
    if sys.argv[1] == "worker":
        sys.exit(worker())
    sys.exit(registry_import(sys.argv[2], sys.argv[3], "--pause" in sys.argv))
