from __future__ import annotations

import datetime
import subprocess
import sys

import pytest

from zhenxing.core.codes import registry
from zhenxing.core.codes.errors import CodeError

TODAY = datetime.date(2024, 6, 30)


@pytest.mark.parametrize(
    ("kind", "value", "normalised"),
    [
        ("uscc", " 91210804123456788f ", "91210804123456788F"),
        ("gb2260", "210804", "210804"),
        ("gb4754", "C3874", "3874"),
        ("project_code", "2024210804040112345X", "2024-210804-04-01-12345X"),
    ],
)
def test_validate_returns_the_normalised_value(kind: str, value: str, normalised: str) -> None:
    assert registry.validate(kind, value, today=TODAY) == normalised


def test_kinds() -> None:
    assert registry.KINDS == ("uscc", "gb2260", "gb4754", "project_code")
    assert set(registry.LABELS) == set(registry.KINDS)


def test_errors_carry_chinese_and_english_messages() -> None:
    with pytest.raises(CodeError) as info:
        registry.validate("uscc", "91210804123456788G", today=TODAY)
    assert str(info.value) == info.value.message_zh == "校验位应为 F，实际为 G"
    assert info.value.message_en == "the check character should be F, not G"
    assert isinstance(info.value, ValueError)


def test_an_unknown_kind_is_a_code_error() -> None:
    with pytest.raises(CodeError) as info:
        registry.validate("isbn", "x", today=TODAY)
    assert info.value.reason == "unknown_kind"
    assert "uscc" in info.value.message_zh


def test_notices_report_soft_checks() -> None:
    assert registry.notices("uscc", "91210804123456788F", today=TODAY) == []
    assert registry.notices("gb2260", "210804", today=TODAY) == []


def test_the_package_imports_no_django() -> None:
    script = (
        "import sys; import zhenxing.core.codes.registry; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'ninja')]; "
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", script], check=False).returncode == 0
