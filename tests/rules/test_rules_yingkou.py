"""The Yingkou rule catalogue (src/zhenxing/rules/catalogue/yingkou): checks, cases, selection.

The catalogue is data: 8 subsidy rules of 2019 and the official recognition criteria.
These tests keep it clean (no diagnostics), run every YAML case on both engines,
pin which rules a period selects, and run it end to end through the CLI.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from zhenxing.rules import Catalogue, evaluate, interpret, load_catalogue, run_tests
from zhenxing.rules.cli import main
from zhenxing.rules.schema import Period, load_facts_schema

YINGKOU = (
    Path(__file__).resolve().parents[2] / "src" / "zhenxing" / "rules" / "catalogue" / "yingkou"
)
SUBSIDIES = YINGKOU / "subsidies-2019"

PROJECT_RULES = {
    "emerging_industry_project",
    "green_manufacturing_project",
    "smart_manufacturing_project",
}
ENTERPRISE_SUBSIDIES = {
    "first_set_equipment",
    "specialized_new_sme_award",
    "newly_above_size",
    "exhibition_booth",
    "high_tech_recognition_award",
}
CRITERIA = {
    "high_tech_enterprise",
    "high_tech_innovation_assessment",
    "tech_sme",
    "innovative_sme",
    "specialized_new_sme",
    "little_giant",
    "above_designated_size",
    "gazelle",
}
PROVISIONAL_2024 = {"high_tech_innovation_assessment", "innovative_sme", "little_giant", "gazelle"}

# The fact ids the 2019 rules must read (issue 4, item 9), so that any facts file in
# this shape works.
FACTS_2019 = {
    "emerging_industry_project": {
        "project_category",
        "fixed_asset_investment_completed",
        "enterprise_fiscal_contribution",
    },
    "green_manufacturing_project": {
        "project_category",
        "fixed_asset_investment_completed",
        "enterprise_fiscal_contribution",
    },
    "smart_manufacturing_project": {
        "project_category",
        "fixed_asset_investment_completed",
        "enterprise_fiscal_contribution",
    },
    "first_set_equipment": {"first_set_contract_price"},
    "specialized_new_sme_award": {"recognized_specialized_new_provincial_in_period"},
    "newly_above_size": {"first_above_size_date"},
    "exhibition_booth": {"exhibition_booth_fees"},
    "high_tech_recognition_award": {"recognized_high_tech_in_period"},
}


@pytest.fixture(scope="module")
def yingkou() -> Catalogue:
    return load_catalogue(YINGKOU)


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------------------
# Checking and the YAML test cases
# ---------------------------------------------------------------------------


def test_catalogue_checks_clean(yingkou: Catalogue) -> None:
    assert [d.format("en") for d in yingkou.check()] == []
    assert set(yingkou.rules) == PROJECT_RULES | ENTERPRISE_SUBSIDIES | CRITERIA


def test_subsidy_folder_checks_clean_on_its_own() -> None:
    alone = load_catalogue(SUBSIDIES)
    assert [d.format("en") for d in alone.check()] == []
    assert set(alone.rules) == PROJECT_RULES | ENTERPRISE_SUBSIDIES


def test_cli_check_is_clean() -> None:
    code, out, _ = _run("check", "--rules", str(YINGKOU), "--lang", "en")
    assert code == 0
    assert "16 rules (18 versions): 0 errors, 0 warnings" in out


def test_every_yaml_case_passes_in_interpreter_and_polars(yingkou: Catalogue) -> None:
    outcomes = run_tests(yingkou)
    failed = [(o.rule_id, o.case.name, o.engine, o.problems) for o in outcomes if not o.passed]
    assert failed == []
    assert {o.engine for o in outcomes} == {"interpret", "polars"}
    cases = {(o.rule_id, o.case.name) for o in outcomes}
    assert len(cases) >= 230
    assert len(outcomes) == 2 * len(cases)


def test_every_rule_version_has_its_own_test_cases(yingkou: Catalogue) -> None:
    for rule in yingkou.rules.values():
        covered = {id(rule.version_for(case.period)) for case in rule.tests}
        for version in rule.versions:
            assert id(version) in covered, f"{rule.id} {version.validity()} has no test case"


def test_test_case_facts_name_declared_facts(yingkou: Catalogue) -> None:
    """A misspelt fact in a test case would be ignored silently; catch it here."""
    for rule in yingkou.rules.values():
        for case in rule.tests:
            version = rule.version_for(case.period)
            assert version is not None, (rule.id, case.name)
            schema = version.fact_schema()
            for key in case.facts:
                name = str(key).partition("@")[0]
                assert schema.resolve(name) is not None, (rule.id, case.name, key)


def test_the_2019_rules_read_exactly_the_agreed_fact_ids(yingkou: Catalogue) -> None:
    rs = yingkou.select(period="2019", rule_ids=sorted(FACTS_2019))
    for rule in rs.rules:
        assert {ref.fact.id for ref in rule.facts.values()} == FACTS_2019[rule.id]
        assert set(rule.version.facts_listed or ()) == FACTS_2019[rule.id]
        assert rule.version.valid_from == dt.date(2019, 1, 1)
        assert rule.version.verified
        assert rule.version.document == ""  # the source gives no document number
        assert "文号" in rule.version.source_note  # why: an internal note, not public text
    assert yingkou.rule("newly_above_size").latest.period_kind == "once"


def test_subsidy_facts_file_repeats_the_top_level_declarations() -> None:
    top, _ = load_facts_schema(YINGKOU / "facts.yaml")
    sub, _ = load_facts_schema(SUBSIDIES / "facts.yaml")
    assert set(sub.facts) == set().union(*FACTS_2019.values())
    for fid, fact in sub.facts.items():
        mine = {k: v for k, v in asdict(fact).items() if k != "location"}
        theirs = {k: v for k, v in asdict(top.facts[fid]).items() if k != "location"}
        assert mine == theirs, fid
    assert top.facts["project_category"].values == ("emerging", "green", "smart", "other")


def test_readme_names_every_rule_and_its_status(yingkou: Catalogue) -> None:
    readme = (YINGKOU / "README.md").read_text("utf-8")
    for rule_id in yingkou.rules:
        assert f"`{rule_id}`" in readme, rule_id


# ---------------------------------------------------------------------------
# Selection by entity, period and verification
# ---------------------------------------------------------------------------


def test_projects_2024_get_exactly_the_three_project_rules(yingkou: Catalogue) -> None:
    assert set(yingkou.select(entity="project", period=2024).ids) == PROJECT_RULES
    assert set(yingkou.select(entity="project", period=2024, verified_only=True).ids) == (
        PROJECT_RULES
    )


def test_enterprises_2024_get_the_five_subsidies_and_the_criteria(yingkou: Catalogue) -> None:
    rs = yingkou.select(entity="enterprise", period=2024)
    assert set(rs.ids) == ENTERPRISE_SUBSIDIES | CRITERIA


def test_verified_only_drops_the_provisional_rules(yingkou: Catalogue) -> None:
    every = yingkou.select(entity="enterprise", period=2024)
    verified = yingkou.select(entity="enterprise", period=2024, verified_only=True)
    assert set(every.ids) - set(verified.ids) == PROVISIONAL_2024
    assert all(r.version.verified for r in verified.rules)
    assert not any(r.version.verified for r in every.rules if r.id in PROVISIONAL_2024)


@pytest.mark.parametrize("rule_id", ["specialized_new_sme", "little_giant"])
def test_a_period_from_april_2026_picks_the_2026_version(yingkou: Catalogue, rule_id: str) -> None:
    rs = yingkou.select(entity="enterprise", period="2026-05")
    version = rs.rule(rule_id).version
    assert version.document == "工信部企业〔2026〕2号"
    assert version.valid_from == dt.date(2026, 4, 1)
    assert not version.verified
    # the 2022 version applies up to 2026-03-31; a year period counts from 1 January
    for period in ("2026-03", "2026", "2024"):
        older = yingkou.rule(rule_id).version_for(period)
        assert older is not None and older.document == "工信部企业〔2022〕63号", period
    assert yingkou.rule(rule_id).version_for(Period(2027)) is version
    assert (
        rule_id not in yingkou.select(entity="enterprise", period="2026-05", verified_only=True).ids
    )


# ---------------------------------------------------------------------------
# Amounts: a parameter edited in a copy, and the CLI end to end
# ---------------------------------------------------------------------------

PROJECTS = pl.DataFrame(
    {
        "entity_id": ["P1", "P2", "P3", "P4"],
        "period": ["2024"] * 4,
        "project_category": ["emerging", "smart", "emerging", "green"],
        "fixed_asset_investment_completed": [10_000_000, 10_000_000, 30_000_000, 10_000_000],
        "enterprise_fiscal_contribution": [5_000_000, 5_000_000, 99_000_000, 5_000_000],
    }
)


def _amounts(cat: Catalogue) -> dict[tuple[str, str], Decimal]:
    out = evaluate(cat.select(entity="project", period=2024), PROJECTS)
    return {
        (e, r): a
        for e, r, a in zip(out["entity_id"], out["rule_id"], out["amount"], strict=True)
        if a != 0
    }


def test_editing_the_rate_in_a_copy_changes_the_amounts(tmp_path: Path) -> None:
    copy = tmp_path / "yingkou"
    shutil.copytree(YINGKOU, copy)
    rule = copy / "subsidies-2019" / "emerging_industry_project.yaml"
    text = rule.read_text("utf-8")
    assert text.count("value: 0.08,") == 1
    rule.write_text(text.replace("value: 0.08,", "value: 0.10,"), encoding="utf-8")

    before = _amounts(load_catalogue(YINGKOU))
    edited = load_catalogue(copy)
    assert [d.format("en") for d in edited.check()] == []
    after = _amounts(edited)
    assert before == {
        ("P1", "emerging_industry_project"): Decimal("800000.00"),
        ("P2", "smart_manufacturing_project"): Decimal("800000.00"),
        ("P3", "emerging_industry_project"): Decimal("2400000.00"),
        ("P4", "green_manufacturing_project"): Decimal("500000.00"),
    }
    assert after == {
        ("P1", "emerging_industry_project"): Decimal("1000000.00"),  # 10 % now
        ("P2", "smart_manufacturing_project"): Decimal("800000.00"),  # other rules unchanged
        ("P3", "emerging_industry_project"): Decimal("3000000.00"),  # now capped
        ("P4", "green_manufacturing_project"): Decimal("500000.00"),
    }
    # the reference interpreter agrees with the vectorised engine on the copy
    rs = edited.select(entity="project", period=2024)
    one = interpret(rs, {k: v[0] for k, v in PROJECTS.to_dict(as_series=False).items()})
    assert one["emerging_industry_project"].amount == Decimal("1000000.00")


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_cli_eval_projects_end_to_end(tmp_path: Path) -> None:
    facts = tmp_path / "projects.csv"
    facts.write_text(
        "entity_id,project_category,fixed_asset_investment_completed,"
        "enterprise_fiscal_contribution\n"
        "P1,emerging,10000000,5000000\n"
        "P2,green,10000000,500000\n"
        "P3,smart,37500000,99000000\n"
        "P4,emerging,0.19,10\n"
        "P5,,10000000,5000000\n"
        "P6,smart,,5000000\n",
        encoding="utf-8",
    )
    out = tmp_path / "results.csv"
    code, stdout, stderr = _run(
        "eval",
        "--rules",
        str(YINGKOU),
        "--entity",
        "project",
        "--facts",
        str(facts),
        "--period",
        "2024",
        "--out",
        str(out),
    )
    assert code == 0, stderr
    assert "6 个主体 × 3 条规则" in stdout
    rows = _read_csv(out)
    assert list(rows[0])[:5] == ["entity_id", "rule_id", "eligible", "amount", "score"]
    assert len(rows) == 6 * 3
    assert all(r["amount"].count(".") == 1 and len(r["amount"].split(".")[1]) == 2 for r in rows)
    paid = {(r["entity_id"], r["rule_id"]): r["amount"] for r in rows if r["eligible"] == "true"}
    assert paid == {
        ("P1", "emerging_industry_project"): "800000.00",
        ("P2", "green_manufacturing_project"): "300000.00",  # 60 % of the contribution
        ("P3", "smart_manufacturing_project"): "3000000.00",  # the ceiling
        ("P4", "emerging_industry_project"): "0.02",  # 0.0152 rounded half-up to the fen
    }
    status = {(r["entity_id"], r["rule_id"]): r["status"] for r in rows}
    assert status[("P5", "emerging_industry_project")] == "missing_ineligible"
    assert status[("P6", "smart_manufacturing_project")] == "missing_report"
    assert {r["score"] for r in rows} == {""}


def test_cli_eval_the_2019_enterprise_rules_from_their_folder(tmp_path: Path) -> None:
    facts = tmp_path / "enterprises.csv"
    facts.write_text(
        "entity_id,first_set_contract_price,recognized_specialized_new_provincial_in_period,"
        "first_above_size_date,exhibition_booth_fees,recognized_high_tech_in_period\n"
        "E1,10000000,true,2024-03-01,12345.67,true\n"
        "E2,,false,2018-12-31,,false\n"
        "E3,1000000,,,0,\n",
        encoding="utf-8",
    )
    out = tmp_path / "results.csv"
    code, _, stderr = _run(
        "eval",
        "--rules",
        str(SUBSIDIES),
        "--entity",
        "enterprise",
        "--facts",
        str(facts),
        "--period",
        "2024",
        "--out",
        str(out),
    )
    assert code == 0, stderr
    rows = _read_csv(out)
    assert len(rows) == 3 * 5
    paid = {(r["entity_id"], r["rule_id"]): r["amount"] for r in rows if r["eligible"] == "true"}
    assert paid == {
        ("E1", "first_set_equipment"): "1000000.00",
        ("E1", "specialized_new_sme_award"): "100000.00",
        ("E1", "newly_above_size"): "50000.00",
        ("E1", "exhibition_booth"): "12345.67",
        ("E1", "high_tech_recognition_award"): "200000.00",
        ("E3", "first_set_equipment"): "150000.00",
    }
    status = {(r["entity_id"], r["rule_id"]): r["status"] for r in rows}
    assert status[("E3", "newly_above_size")] == "missing_ineligible"
    assert status[("E2", "newly_above_size")] == "ok"
