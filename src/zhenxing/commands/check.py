"""`zhenxing check`: is this installation fit to serve?

Runs Django's system checks with its deployment checks (`check --deploy`) and ours
(`zhenxing/core/checks.py`, tag "zhenxing": secret key, hosts, database reachable and
migrated, CJK fonts, worker heartbeat, data directory writable, free disk), and prints
one line per finding: level, id, message, and the hint when there is one. Exit status 1
when any finding is an error, 0 otherwise (warnings are shown but do not fail).
"""

from __future__ import annotations

import sys
from typing import TextIO

from zhenxing.commands.language import _


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def report_checks(out: TextIO | None = None) -> int:
    """Run every check (Django set up) and print the findings; the exit status."""
    from django.core import checks

    out = out or sys.stdout
    levels = {
        checks.DEBUG: _("调试"),
        checks.INFO: _("信息"),
        checks.WARNING: _("警告"),
        checks.ERROR: _("错误"),
        checks.CRITICAL: _("严重"),
    }
    found = checks.run_checks(include_deployment_checks=True, databases=None)
    found = [f for f in found if not f.is_silenced()]
    found.sort(key=lambda f: (-f.level, f.id or ""))
    for finding in found:
        where = f"{finding.obj}: " if finding.obj is not None and finding.obj != "?" else ""
        line = f"{levels.get(finding.level, finding.level)} {finding.id}: {where}{finding.msg}"
        if finding.hint:
            line += " — " + str(finding.hint)
        print(_one_line(line), file=out)
    errors = sum(1 for f in found if f.is_serious())
    warnings = len(found) - errors
    print(
        _("检查完毕：{errors} 个错误，{warnings} 个警告。").format(
            errors=errors, warnings=warnings
        ),
        file=out,
    )
    return 1 if errors else 0
