"""The YAML test cases are checked before they run: a misspelt fact, key or condition
is an error at its place in the file, with a suggestion — never a case that silently
tests nothing. Aliases and earlier-period facts stay accepted."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from zhenxing.rules import load_catalogue, run_tests, testing
from zhenxing.rules.cli import main

FACTS = """\
facts:
  revenue: {type: money, label: 营业收入, aliases: [营业收入], missing: report}
  rd_expense: {type: money, label: 研发费用, aliases: [研发费用], missing: zero}
"""

RULE_HEAD = """\
id: rd_growth
title: 研发投入增长（测试）
entity: enterprise
conditions:
  grew: {expr: rd_expense > rd_expense@year-1, label: 研发费用增长}
  big_enough: revenue >= 1000
amount: rd_expense - rd_expense@year-1
tests:
"""

GOOD_CASE = """\
  - name: 正常
    period: 2024
    facts: {rd_expense: 300, rd_expense@year-1: 200, revenue: 1000}
    expect: {eligible: true, amount: 100}
"""


def _write(tmp_path: Path, cases: str) -> Path:
    (tmp_path / "facts.yaml").write_text(FACTS, encoding="utf-8")
    (tmp_path / "r.yaml").write_text(RULE_HEAD + cases, encoding="utf-8")
    return tmp_path


def _place(cases: str, needle: str) -> tuple[int, int]:
    """1-based line and column in r.yaml of the first `needle` in the test cases."""
    head = len(RULE_HEAD.splitlines())
    for number, line in enumerate(cases.splitlines(), start=head + 1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(needle)


def _failed(outcomes: list[testing.TestOutcome]) -> list[testing.TestOutcome]:
    return [o for o in outcomes if not o.passed]


MISSPELT = """\
  - name: 拼错的事实
    period: 2024
    facts:
      rd_expense: 300
      revnue: 1000
    expect: {eligible: false, status: missing_report}
"""


def test_a_misspelt_fact_is_an_error_with_its_place_and_a_suggestion(tmp_path: Path) -> None:
    # Without the check the case passes: revenue is missing, hence missing_report.
    root = _write(tmp_path, GOOD_CASE + MISSPELT)
    outcomes = run_tests(load_catalogue(root))
    (bad,) = _failed(outcomes)
    assert (bad.case.name, bad.engine) == ("拼错的事实", "check")
    (d,) = bad.details
    assert d.code == "test-unknown-fact" and d.is_error
    assert d.location is not None
    assert (d.location.line, d.location.column) == _place(GOOD_CASE + MISSPELT, "revnue")
    assert d.message("zh") == "测试「拼错的事实」中的未知事实「revnue」"
    assert d.message("en") == "test '拼错的事实': unknown fact 'revnue'"
    assert d.hint("zh") == "是不是想写「revenue」？"
    assert d.hint("en") == "did you mean 'revenue'?"
    # the other case of the same rule still runs, in both engines
    assert [(o.case.name, o.engine) for o in outcomes if o.passed] == [
        ("正常", "interpret"),
        ("正常", "polars"),
    ]


def test_a_name_nothing_resembles_asks_to_declare_the_fact(tmp_path: Path) -> None:
    case = MISSPELT.replace("revnue", "xyz_unrelated")
    (bad,) = _failed(run_tests(load_catalogue(_write(tmp_path, case))))
    (d,) = bad.details
    assert d.code == "test-unknown-fact"
    assert d.hint("en") == "declare the fact in facts.yaml, or check the spelling"


def test_check_reports_the_problems_of_test_cases(tmp_path: Path) -> None:
    cat = load_catalogue(_write(tmp_path, GOOD_CASE + MISSPELT))
    assert [d.code for d in cat.check() if d.is_error] == ["test-unknown-fact"]
    assert [d for d in cat.check(tests=False) if d.is_error] == []


def test_cli_test_prints_file_line_column_and_hint(tmp_path: Path) -> None:
    root = _write(tmp_path, GOOD_CASE + MISSPELT)
    line, column = _place(GOOD_CASE + MISSPELT, "revnue")
    for lang, expected in (
        (
            "en",
            ["error: test '拼错的事实': unknown fact 'revnue'", "hint: did you mean 'revenue'?"],
        ),
        ("zh", ["错误: 测试「拼错的事实」中的未知事实「revnue」", "建议: 是不是想写「revenue」？"]),
    ):
        out, err = io.StringIO(), io.StringIO()
        assert main(["test", "--rules", str(root), "--lang", lang], out, err) == 1
        text = out.getvalue()
        assert f"r.yaml:{line}:{column}: {expected[0]}" in text
        assert expected[1] in text
        assert err.getvalue() == ""  # reported once, with the outcomes
    out = io.StringIO()
    assert main(["check", "--rules", str(root), "--lang", "en"], out, io.StringIO()) == 1
    assert f"r.yaml:{line}:{column}: error: test '拼错的事实': unknown fact 'revnue'" in (
        out.getvalue()
    )


ALIASES = """\
  - name: 别名与往期
    period: 2024
    facts: {研发费用: 300, 研发费用@year-1: 200, 营业收入: 1000, revenue@year-1: 5}
    expect: {eligible: true, amount: 100, conditions: {grew: true, big_enough: true}}
"""


def test_aliases_and_earlier_periods_are_accepted_by_both_engines(tmp_path: Path) -> None:
    # 研发费用@year-1 must reach the interpreter too: read as 0, the amount would be 300
    outcomes = run_tests(load_catalogue(_write(tmp_path, ALIASES)))
    assert [(o.engine, o.passed, o.problems) for o in outcomes] == [
        ("interpret", True, []),
        ("polars", True, []),
    ]


def test_a_misspelt_earlier_period_fact_suggests_the_earlier_period_name(tmp_path: Path) -> None:
    case = GOOD_CASE.replace("rd_expense@year-1", "rd_expnse@year-1")
    (bad,) = _failed(run_tests(load_catalogue(_write(tmp_path, case))))
    (d,) = bad.details
    assert d.code == "test-unknown-fact"
    assert d.hint("en") == "did you mean 'rd_expense@year-1'?"


@pytest.mark.parametrize(
    "key", ["rd_expense@year+1", "rd_expense@yr-1", "rd_expense@year-0", "rd_expense@month-1"]
)
def test_a_bad_earlier_period_key_is_an_error(tmp_path: Path, key: str) -> None:
    case = GOOD_CASE.replace("rd_expense@year-1", key)
    (bad,) = _failed(run_tests(load_catalogue(_write(tmp_path, case))))
    (d,) = bad.details
    assert d.code == "test-lag"
    assert key in d.message("en") and "fact@year-N" in d.message("en")
    assert d.location is not None and d.location.line == _place(case, key)[0]


def test_a_fact_given_twice_through_an_alias_is_an_error(tmp_path: Path) -> None:
    case = GOOD_CASE.replace("revenue: 1000", "revenue: 1000, 营业收入: 2000")
    (bad,) = _failed(run_tests(load_catalogue(_write(tmp_path, case))))
    (d,) = bad.details
    assert d.code == "test-duplicate-fact"
    assert (
        d.message("en") == "test '正常': fact 'revenue' is given twice ('revenue' and '营业收入')"
    )


@pytest.mark.parametrize(
    ("old", "new", "code", "hint"),
    [
        ("    expect:", "    expected:", "test-unknown-field", "did you mean 'expect'?"),
        ("amount: 100", "amout: 100", "test-unknown-field", "did you mean 'amount'?"),
        ("amount: 100", "amount: 100, conditions: {grw: true}", "test-unknown-condition", None),
        ("amount: 100", "amount: 100, status: missing_reprot", "test-value", None),
        ("eligible: true", "eligible: yes please", "test-value", None),
        ("amount: 100", "amount: 1 hundred", "test-value", None),
        ("amount: 100", "amount: 100, conditions: {grew: 'yes'}", "test-value", None),
    ],
)
def test_misspelt_keys_conditions_and_values_are_errors(
    tmp_path: Path, old: str, new: str, code: str, hint: str | None
) -> None:
    case = GOOD_CASE.replace(old, new)
    assert case != GOOD_CASE
    (bad,) = _failed(run_tests(load_catalogue(_write(tmp_path, case))))
    (d,) = bad.details
    assert d.code == code
    assert d.location is not None
    assert d.location.line == _place(case, new.strip().split(",")[-1].split(":")[0])[0]
    if hint is not None:
        assert d.hint("en") == hint


def test_suggestions_for_conditions_and_statuses(tmp_path: Path) -> None:
    case = GOOD_CASE.replace("amount: 100", "amount: 100, conditions: {grw: true}")
    (bad,) = _failed(run_tests(load_catalogue(_write(tmp_path, case))))
    (d,) = bad.details
    assert d.message("en") == (
        "test '正常': rule 'rd_growth' has no condition 'grw' (conditions: grew, big_enough)"
    )
    assert d.hint("zh") == "是不是想写「grew」？"
    case = GOOD_CASE.replace("amount: 100", "amount: 100, status: missing_reprot")
    (bad,) = _failed(run_tests(load_catalogue(_write(tmp_path, case))))
    assert bad.details[0].hint("en") == "did you mean 'missing_report'?"


def test_bad_periods_are_errors_at_the_period(tmp_path: Path) -> None:
    for period, code in (("2024-13", "test-period"), ("24", "test-period")):
        case = GOOD_CASE.replace("period: 2024", f"period: '{period}'")
        (bad,) = _failed(run_tests(load_catalogue(_write(tmp_path, case))))
        (d,) = bad.details
        assert d.code == code
        assert d.location is not None and d.location.line == _place(case, "period")[0]
    # a yearly rule tested in a month
    case = GOOD_CASE.replace("period: 2024", "period: 2024-03")
    (bad,) = _failed(run_tests(load_catalogue(_write(tmp_path, case))))
    assert [d.code for d in bad.details] == ["test-period-kind"]


def test_a_bad_value_fails_its_own_case_only(tmp_path: Path) -> None:
    """The compiled engine runs the cases of a rule and period as one batch; a case it
    cannot run is reported against that case, the others still pass."""
    bad_value = GOOD_CASE.replace("name: 正常", "name: 坏值").replace(
        "rd_expense: 300", "rd_expense: abc"
    )
    outcomes = run_tests(load_catalogue(_write(tmp_path, GOOD_CASE + bad_value + GOOD_CASE)))
    summary: list[tuple[Any, ...]] = [(o.case.name, o.engine, o.passed) for o in outcomes]
    assert summary == [
        ("正常", "interpret", True),
        ("正常", "polars", True),
        ("坏值", "interpret", False),
        ("坏值", "polars", False),
        ("正常", "interpret", True),
        ("正常", "polars", True),
    ]
    assert all("not a number" in o.problems[0] for o in _failed(outcomes))


def test_cases_of_several_periods_and_versions_keep_their_order(tmp_path: Path) -> None:
    """Batches are formed per rule and period; the outcomes still come in file order."""
    cases = "".join(
        GOOD_CASE.replace("name: 正常", f"name: c{i}").replace("period: 2024", f"period: {p}")
        for i, p in enumerate((2024, 2023, 2024, 2022))
    )
    wrong = GOOD_CASE.replace("name: 正常", "name: wrong").replace("amount: 100", "amount: 99")
    outcomes = run_tests(load_catalogue(_write(tmp_path, cases + wrong)))
    assert [(o.case.name, o.case.period, o.passed) for o in outcomes] == [
        (f"c{i}", str(p), True) for i, p in enumerate((2024, 2023, 2024, 2022)) for _ in range(2)
    ] + [("wrong", "2024", False)] * 2
    assert _failed(outcomes)[0].problems == ["amount: expected 99, got 100.00"]
