"""Docs that cannot rot: every environment variable settings.py reads is in .env.example."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_read_from_the_environment_is_documented() -> None:
    source = (ROOT / "src" / "zhenxing" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r'"(ZHENXING_[A-Z_]+)"', source))
    documented = set(
        re.findall(
            r"^(ZHENXING_[A-Z_]+)=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M
        )
    )
    assert read == documented


def test_the_readme_names_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "./zx demo" in readme and "./zx test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./zx test" in ci
