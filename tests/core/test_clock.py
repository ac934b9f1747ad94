"""One clock (`core.clock`): every date and moment the platform writes comes from it, so a
record made on the demo's "today" carries that day, not the machine's date."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

SRC = Path(__file__).resolve().parents[2] / "src" / "zhenxing"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# what reads the machine's clock directly; `auto_now` fields stamp with Django's clock too
MACHINE_CLOCK = re.compile(
    r"timezone\.now\b|date\.today\(|datetime\.now\(|datetime\.utcnow\(|localdate\(|auto_now"
)


def test_only_core_clock_reads_the_machine_clock() -> None:
    """A source scan: the old migrations keep what they recorded then, nothing else may."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative == "core/clock.py" or "/migrations/" in relative:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if MACHINE_CLOCK.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == [], "use zhenxing.core.clock.now()/today():\n" + "\n".join(offenders)


def test_the_scan_would_catch_a_direct_read() -> None:
    assert MACHINE_CLOCK.search("stamp = timezone.now()")
    assert MACHINE_CLOCK.search("day = datetime.date.today()")
    assert MACHINE_CLOCK.search("day = timezone.localdate()")
    assert not MACHINE_CLOCK.search("day = clock.today()")


@time_machine.travel(datetime.datetime(2026, 3, 5, 1, 30, tzinfo=datetime.UTC), tick=False)
def test_now_is_the_override_day_at_the_local_time_of_day(settings: Any) -> None:
    from zhenxing.core import clock

    settings.TODAY_OVERRIDE = "2024-06-30"
    now = clock.now()
    assert now.tzinfo is not None
    local = now.astimezone(SHANGHAI)
    assert (local.date(), local.hour, local.minute) == (datetime.date(2024, 6, 30), 9, 30)
    assert clock.today() == datetime.date(2024, 6, 30)
    settings.TODAY_OVERRIDE = ""
    assert clock.now() == datetime.datetime(2026, 3, 5, 1, 30, tzinfo=datetime.UTC)
    assert clock.today() == datetime.date(2026, 3, 5)


@time_machine.travel(datetime.datetime(2026, 3, 5, 20, 0, tzinfo=datetime.UTC), tick=False)
def test_today_is_the_date_in_shanghai_not_in_utc(settings: Any) -> None:
    from zhenxing.core import clock

    settings.TODAY_OVERRIDE = ""
    assert clock.today() == datetime.date(2026, 3, 6)  # 04:00 the next morning in Yingkou


DEMO_DAY = datetime.date(2024, 6, 30)


@time_machine.travel(datetime.datetime(2026, 3, 5, 2, 0, tzinfo=datetime.UTC), tick=False)
def test_an_export_is_named_for_the_platforms_day(settings: Any) -> None:
    from zhenxing.core import excel

    settings.TODAY_OVERRIDE = DEMO_DAY.isoformat()
    response = excel.xlsx_response(b"", "项目")
    assert "20240630" in response["Content-Disposition"]
