"""Fixtures for the rules-engine tests: pure Python, no database, no Django."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
if str(SRC) not in sys.path:  # the package may not be installed in the venv yet
    sys.path.insert(0, str(SRC))

from zhenxing.rules import Catalogue, load_catalogue  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
CATALOGUE = FIXTURES / "catalogue"


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue(CATALOGUE)


@pytest.fixture
def write_rules(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a small catalogue (facts.yaml + rule files) into a temporary folder."""

    def write(files: dict[str, str], facts: str | None = None) -> Path:
        (tmp_path / "facts.yaml").write_text(
            facts if facts is not None else (CATALOGUE / "facts.yaml").read_text("utf-8"),
            encoding="utf-8",
        )
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return tmp_path

    return write
