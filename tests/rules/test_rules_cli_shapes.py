"""`zhenxing rules eval` over the whole Yingkou catalogue with a facts file in the shape of
the 2019 rules only: the other rules' facts are read as missing, nothing fails."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from zhenxing.rules.cli import main

CATALOGUE = Path(__file__).resolve().parents[2] / "src/zhenxing/rules/catalogue/yingkou"


def test_a_2019_shaped_enterprise_file_runs_the_whole_catalogue(tmp_path: Path) -> None:
    facts = tmp_path / "enterprises.csv"
    facts.write_text(
        "entity_id,first_set_contract_price,recognized_specialized_new_provincial_in_period,"
        "first_above_size_date,exhibition_booth_fees,recognized_high_tech_in_period\n"
        "E1,8000000,true,2024-03-01,12345.67,false\n"
        "E2,,false,,,true\n",
        encoding="utf-8",
    )
    out = tmp_path / "results.csv"
    code = main(
        [
            "eval",
            "--rules",
            str(CATALOGUE),
            "--entity",
            "enterprise",
            "--facts",
            str(facts),
            "--period",
            "2024",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    results = pl.read_csv(out, schema_overrides={"amount": pl.String})
    amounts = {(r["entity_id"], r["rule_id"]): r["amount"] for r in results.iter_rows(named=True)}
    assert amounts[("E1", "first_set_equipment")] == "1000000.00"
    assert amounts[("E1", "exhibition_booth")] == "12345.67"
    assert amounts[("E1", "newly_above_size")] == "50000.00"
    assert amounts[("E2", "high_tech_recognition_award")] == "200000.00"
    assert {"entity_id", "rule_id", "eligible", "amount", "score"} <= set(results.columns)
