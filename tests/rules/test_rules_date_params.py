"""Parameters that hold dates: a cut-off that a policy moves from year to year."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from zhenxing.rules import interpret, load_catalogue
from zhenxing.rules.cli import main
from zhenxing.rules.diagnostics import RulesError
from zhenxing.rules.explain import explain

from .test_rules_sql import assert_engines_agree

FACTS = """
facts:
  registered_on: {type: date, label: 注册日期, missing: ineligible}
  revenue: {type: money, label: 销售收入, missing: report}
"""

RULE = """
id: young_firm
title: 新设企业奖励
entity: enterprise
parameters:
  cutoff:
    label: 注册日期起算日
    unit: date
    values:
      2019-01-01: {value: 2018-01-01, reference: 第三条}
      2024-01-01: {value: 2021-07-01, reference: 2024年修订 第三条}
  opened: 2015-06-30
conditions:
  new_enough: registered_on >= cutoff
  not_before_park: registered_on > opened
amount: if period_end - cutoff > 1000 then 20000 else 10000
"""


def _rules(write_rules: Any) -> Any:
    return load_catalogue(write_rules({"young.yaml": RULE}, facts=FACTS))


def test_a_date_parameter_takes_the_value_in_force_in_the_period(write_rules: Any) -> None:
    cat = _rules(write_rules)
    firm = {"registered_on": "2020-03-01", "revenue": 1}
    in_2020 = interpret(cat.select(period="2020"), firm)["young_firm"]
    in_2024 = interpret(cat.select(period="2024"), firm)["young_firm"]
    assert (in_2020.eligible, in_2020.amount) == (True, Decimal("20000.00"))  # 2018-01-01 cut-off
    assert in_2024.eligible is False  # the 2024 cut-off is 2021-07-01
    assert in_2024.conditions == {"new_enough": False, "not_before_park": True}


def test_all_engines_agree_on_date_parameters(write_rules: Any) -> None:
    cat = _rules(write_rules)
    rows = [
        {"entity_id": f"E{i}", "registered_on": day, "revenue": Decimal(1)}
        for i, day in enumerate(
            [
                dt.date(2021, 6, 30),
                dt.date(2021, 7, 1),
                dt.date(2015, 6, 30),
                None,
                dt.date(2017, 1, 1),
            ]
        )
    ]
    for period in ("2020", "2024"):
        assert assert_engines_agree(cat.select(period=period), rows) == 5


def test_the_explanation_and_a_simulated_cut_off_show_the_date(write_rules: Any) -> None:
    cat = _rules(write_rules)
    rs = cat.select(period="2024")
    text = explain(rs, "young_firm", {"registered_on": "2021-06-30", "revenue": 1}).text()
    assert "cutoff（注册日期起算日）［依据：2024年修订 第三条］ = 2021-07-01" in text
    moved = rs.with_overrides({"cutoff": dt.date(2021, 1, 1)})
    assert interpret(moved, {"registered_on": "2021-06-30", "revenue": 1})["young_firm"].eligible


def test_a_date_parameter_is_not_a_number(write_rules: Any) -> None:
    bad = RULE.replace("amount: if period_end - cutoff > 1000", "amount: if cutoff * 2 > 1000")
    cat = load_catalogue(write_rules({"young.yaml": bad}, facts=FACTS))
    assert [d.code for d in cat.check() if d.is_error] == ["type"]
    wrong = RULE.replace("2019-01-01: {value: 2018-01-01", "2019-01-01: {value: 2018-13-01")
    cat = load_catalogue(write_rules({"young.yaml": wrong}, facts=FACTS))
    (error,) = [d for d in cat.diagnostics if d.is_error]
    assert error.location is not None and (error.location.line, error.location.column) == (10, 27)
    assert "2018-13-01" in error.message("zh") and "YYYY-MM-DD" in error.message("en")
    with pytest.raises(RulesError):
        cat.select(period="2024")


def test_the_command_line_simulates_a_moved_cut_off(write_rules: Any, tmp_path: Any) -> None:
    root = write_rules({"young.yaml": RULE}, facts=FACTS)
    facts = tmp_path / "f.csv"
    pl.DataFrame(
        {"entity_id": ["A", "B"], "registered_on": ["2021-03-01", "2022-01-01"], "revenue": [1, 1]}
    ).write_csv(facts)
    base = ["simulate", "--rules", str(root), "--entity", "enterprise", "--facts", str(facts)]
    base += ["--period", "2024"]
    out, err = io.StringIO(), io.StringIO()
    assert main([*base, "--set", "cutoff=2021-01-01"], out, err) == 0, err.getvalue()
    assert "增加 1 个主体" in out.getvalue()
    assert main([*base, "--set", "cutoff=2021-02-30"], io.StringIO(), err) == 2
    assert "参数=YYYY-MM-DD" in err.getvalue()  # in Chinese unless --lang en
