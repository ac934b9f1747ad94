"""Vectorised evaluation, earlier periods, missing values, explanation, simulation, CLI."""

from __future__ import annotations

import io
import shutil
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from zhenxing.rules import Catalogue, evaluate, interpret, load_catalogue
from zhenxing.rules.cli import main
from zhenxing.rules.explain import explain
from zhenxing.rules.simulate import simulate

from .conftest import CATALOGUE

PROJECTS = pl.DataFrame(
    {
        "entity_id": ["P1", "P2", "P3", "P4"],
        "period": ["2019"] * 4,
        "project_category": ["emerging", "green", None, "emerging"],
        "fixed_asset_investment_completed": [10_000_000, 10_000_000, 1000, 37_500_000],
        "enterprise_fiscal_contribution": [5_000_000, 5_000_000, 50, 99_000_000],
    }
)


def test_long_results_have_one_row_per_entity_and_rule(catalogue: Catalogue) -> None:
    rs = catalogue.select(entity="project", period="2019")
    out = evaluate(rs, PROJECTS)
    assert out.columns[:5] == ["entity_id", "rule_id", "eligible", "amount", "score"]
    amounts = dict(zip(out["entity_id"], out["amount"], strict=True))
    assert amounts == {
        "P1": Decimal("800000.00"),
        "P2": Decimal("0.00"),
        "P3": Decimal("0.00"),
        "P4": Decimal("3000000.00"),
    }
    assert out.schema["amount"] == pl.Decimal(18, 2)
    status = dict(zip(out["entity_id"], out["status"], strict=True))
    assert status["P3"] == 1  # category missing → not eligible, reported as such


def test_pyarrow_tables_are_accepted(catalogue: Catalogue) -> None:
    rs = catalogue.select(entity="project", period="2019")
    out = evaluate(rs, PROJECTS.to_arrow(), layout="wide")
    assert out["emerging_industry_project.amount_fen"].to_list()[0] == 80_000_000


def test_earlier_period_facts_come_from_earlier_rows(write_rules: Any) -> None:
    root = write_rules(
        {
            "g.yaml": """
id: growth
title: 营收增长
entity: enterprise
conditions:
  grew: revenue > revenue@year-1
amount: (revenue - 营业收入@year-1) * 0.01
"""
        }
    )
    rs = load_catalogue(root).select(period="2024")
    facts = pl.DataFrame(
        {
            "entity_id": ["A", "A", "B"],
            "period": ["2024", "2023", "2024"],
            "revenue": [Decimal("1200.00"), Decimal("1000.00"), Decimal("5.00")],
        }
    )
    out = evaluate(rs, facts).sort("entity_id")
    assert out["amount"].to_list() == [Decimal("2.00"), Decimal("0.00")]
    assert out["status"].to_list() == [0, 2]  # B has no 2023 row: revenue is 'report'
    ref = interpret(rs, {"revenue": "1200", "revenue@year-1": "1000"})["growth"]
    assert ref.amount == Decimal("2.00")


def test_editing_a_parameter_in_a_copy_changes_amounts(tmp_path: Path) -> None:
    copy = tmp_path / "cat"
    shutil.copytree(CATALOGUE, copy)
    rule = copy / "subsidies" / "emerging_industry_project.yaml"
    rule.write_text(rule.read_text("utf-8").replace("2019-01-01: 3000000", "2019-01-01: 2500000"))
    before = evaluate(load_catalogue(CATALOGUE).select(entity="project", period="2019"), PROJECTS)
    after = evaluate(load_catalogue(copy).select(entity="project", period="2019"), PROJECTS)
    assert before.filter(pl.col("entity_id") == "P4")["amount"][0] == Decimal("3000000.00")
    assert after.filter(pl.col("entity_id") == "P4")["amount"][0] == Decimal("2500000.00")


def test_simulation_reports_cost_and_losers(catalogue: Catalogue) -> None:
    base = catalogue.select(entity="project", period="2019")
    report = simulate(base, base.with_overrides({"cap": 2_000_000}), PROJECTS)
    assert report.baseline_total == Decimal("3800000.00")
    assert report.scenario_total == Decimal("2800000.00")
    assert report.changes["entity_id"].to_list() == ["P4"]
    assert "减少 1 个主体" in report.summary()


def test_explanation_names_the_failed_condition_and_the_law(catalogue: Catalogue) -> None:
    rs = catalogue.select(entity="project", period="2019")
    facts = {
        "project_category": "green",
        "fixed_asset_investment_completed": 1,
        "enterprise_fiscal_contribution": 1,
    }
    text = explain(rs, "emerging_industry_project", facts).text()
    assert "营政发〔2019〕示例号" in text and "第二条第（一）项" in text
    assert "不符合条件（未满足：属于战略性新兴产业项目）" in text
    assert "✗ 属于战略性新兴产业项目" in text


def test_one_explanation_takes_under_10_ms(catalogue: Catalogue) -> None:
    rs = catalogue.select(entity="enterprise", period="2024")
    facts = {
        "employees": 100,
        "tech_staff": 10,
        "revenue": 10_000_000,
        "rd_expense": 600_000,
        "total_assets": 5_000_000,
        "ip_class2": 1,
    }
    explain(rs, "tech_sme", facts)
    started = time.perf_counter()
    for _ in range(20):
        explain(rs, "tech_sme", facts)
    assert (time.perf_counter() - started) / 20 < 0.010


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_cli_eval_writes_one_row_per_entity_and_rule(tmp_path: Path) -> None:
    facts = tmp_path / "p.csv"
    PROJECTS.write_csv(facts)
    out = tmp_path / "r.csv"
    code, stdout, err = _run(
        "eval",
        "--rules",
        str(CATALOGUE),
        "--entity",
        "project",
        "--facts",
        str(facts),
        "--period",
        "2019",
        "--out",
        str(out),
    )
    assert code == 0, err
    result = pl.read_csv(out, infer_schema=False)
    assert result.columns[:5] == ["entity_id", "rule_id", "eligible", "amount", "score"]
    assert result.filter(pl.col("entity_id") == "P1")["amount"][0] == "800000.00"
    assert "合计 3,800,000.00 元" in stdout


def test_cli_eval_reports_bad_cells_by_row_and_column(tmp_path: Path) -> None:
    facts = tmp_path / "bad.csv"
    facts.write_text(
        "entity_id,project_category,fixed_asset_investment_completed,enterprise_fiscal_contribution\n"
        "P1,emerging,10,5\nP2,emerging,abc,5\n",
        encoding="utf-8",
    )
    code, _, err = _run(
        "eval",
        "--rules",
        str(CATALOGUE),
        "--entity",
        "project",
        "--facts",
        str(facts),
        "--period",
        "2019",
        "--out",
        str(tmp_path / "r.csv"),
        "--lang",
        "en",
    )
    assert code == 1
    assert f"{facts}:3:3" in err and "abc" in err and "Traceback" not in err


def test_cli_check_and_test_commands(tmp_path: Path) -> None:
    code, out, _ = _run("check", "--rules", str(CATALOGUE))
    assert code == 0 and "0 个错误" in out
    code, out, _ = _run("test", "--rules", str(CATALOGUE), "--lang", "en")
    assert code == 0 and "0 failed" in out
    code, _, err = _run("check", "--rules", str(tmp_path / "nowhere"))
    assert code == 2 and err


def test_cli_explain_and_simulate(tmp_path: Path) -> None:
    facts = tmp_path / "p.parquet"
    PROJECTS.write_parquet(facts)
    code, out, err = _run(
        "explain",
        "--rules",
        str(CATALOGUE),
        "--entity",
        "project",
        "--facts",
        str(facts),
        "--period",
        "2019",
        "--id",
        "P4",
    )
    assert code == 0, err
    assert "3,000,000.00 元" in out
    code, out, err = _run(
        "simulate",
        "--rules",
        str(CATALOGUE),
        "--entity",
        "project",
        "--facts",
        str(facts),
        "--period",
        "2019",
        "--set",
        "emerging_industry_project.cap=2000000",
    )
    assert code == 0, err
    assert "差额 -1,000,000.00 元" in out


def test_a_chinese_alias_names_earlier_periods_too(write_rules: Any) -> None:
    root = write_rules(
        {
            "g.yaml": """
id: growth
title: 营收增长
entity: enterprise
conditions:
  grew: revenue > revenue@year-1
"""
        }
    )
    rs = load_catalogue(root).select(period="2024")
    grew = interpret(rs, {"营业收入": "1200", "营业收入@year-1": "1000"})["growth"]
    shrank = interpret(rs, {"营业收入": "1200", "销售收入@year-1": "1300"})["growth"]
    assert (grew.status, grew.eligible) == (0, True)
    assert (shrank.status, shrank.eligible) == (0, False)


def test_a_count_with_a_fraction_is_refused_not_rounded(write_rules: Any) -> None:
    root = write_rules(
        {
            "s.yaml": """
id: staff
title: 职工人数
entity: enterprise
conditions:
  enough: employees >= 3
"""
        }
    )
    rs = load_catalogue(root).select(period="2024")
    assert interpret(rs, {"employees": "3"})["staff"].eligible
    with pytest.raises(ValueError, match="not an integer"):
        interpret(rs, {"employees": "2.5"})


def test_eligible_can_name_the_pass_mark_condition(write_rules: Any) -> None:
    root = write_rules(
        {
            "s.yaml": """
id: scored
title: 评分认定
entity: enterprise
conditions:
  registered: employees >= 1
score:
  items:
    staff: "band(employees, [10: 30, 50: 60])"
  pass_mark: 60
eligible: pass_mark and registered
"""
        }
    )
    rs = load_catalogue(root).select(period="2024")
    passed = interpret(rs, {"employees": 50})["scored"]
    failed = interpret(rs, {"employees": 10})["scored"]
    assert (passed.eligible, passed.conditions["pass_mark"]) == (True, True)
    assert (failed.eligible, failed.conditions["pass_mark"]) == (False, False)
    frame = pl.DataFrame({"entity_id": ["A", "B"], "period": ["2024"] * 2, "employees": [50, 10]})
    out = evaluate(rs, frame).sort("entity_id")
    assert out["eligible"].to_list() == [True, False]


def test_the_english_explanation_uses_english_punctuation(catalogue: Catalogue) -> None:
    rs = catalogue.select(entity="project", period="2019")
    facts = {
        "project_category": "green",
        "fixed_asset_investment_completed": 1,
        "enterprise_fiscal_contribution": 1,
    }
    text = explain(rs, "emerging_industry_project", facts, lang="en").text()
    assert text.startswith("Rule: ")
    # the references quote Chinese documents; the explanation's own marks are English
    own = text.replace("第二条第（一）项", "")
    assert not any(mark in own for mark in "：（）［］"), text
