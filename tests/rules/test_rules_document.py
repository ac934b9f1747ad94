"""The rule document format: loading, versions by date, dated parameters, schema."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from zhenxing.rules import Catalogue, Period, RulesError, interpret, load_catalogue


def test_rule_metadata_is_loaded_with_legal_reference(catalogue: Catalogue) -> None:
    v = catalogue.rule("emerging_industry_project").latest
    assert v.title == "战略性新兴产业项目补助"
    assert v.document == "营政发〔2019〕示例号"
    assert v.entity == "project" and v.period_kind == "year"
    assert v.verified is True
    assert v.valid_from == dt.date(2019, 1, 1)
    assert "第二条" in v.legal_reference()


def test_yaml_numbers_are_exact_decimals(catalogue: Catalogue) -> None:
    rate = catalogue.rule("emerging_industry_project").latest.parameters["rate"]
    assert rate.values[0].value == Decimal("0.08")
    assert isinstance(rate.values[0].value, Decimal)


def test_version_is_chosen_by_the_first_day_of_the_period(catalogue: Catalogue) -> None:
    rule = catalogue.rule("exhibition_booth")
    assert rule.version_for("2020").valid_to == dt.date(2020, 12, 31)  # type: ignore[union-attr]
    assert rule.version_for("2021").document == "营政发〔2021〕示例号"  # type: ignore[union-attr]
    assert rule.version_for("2018") is None


def test_no_rule_applies_before_its_validity(catalogue: Catalogue) -> None:
    assert catalogue.select(entity="project", period="2018").ids == []


def test_select_filters_by_entity_and_period_kind(catalogue: Catalogue) -> None:
    assert catalogue.select(entity="project", period="2019").ids == ["emerging_industry_project"]
    assert "tech_sme" in catalogue.select(entity="enterprise", period="2024").ids
    # yearly rules do not run for a month
    assert catalogue.select(entity="enterprise", period="2024-03").ids == []


def test_dated_parameter_value_in_force_on_period_start(write_rules: Any) -> None:
    root: Path = write_rules(
        {
            "r.yaml": """
id: award_rule
title: 奖励
entity: enterprise
parameters:
  award:
    unit: yuan
    values:
      2019-01-01: {value: 100000, reference: 旧文}
      2022-07-01: {value: 150000, reference: 新文}
amount: award
"""
        }
    )
    cat = load_catalogue(root)
    assert interpret(cat.select(period="2022"), {})["award_rule"].amount == Decimal("100000.00")
    assert interpret(cat.select(period="2023"), {})["award_rule"].amount == Decimal("150000.00")
    # a month period takes the value in force on its first day
    param = cat.rule("award_rule").latest.parameters["award"]
    assert param.at(Period.parse("2022-07").first_day).reference == "新文"  # type: ignore[union-attr]


def test_parameter_missing_for_the_period_is_an_error(write_rules: Any) -> None:
    root = write_rules(
        {
            "r.yaml": """
id: late_param
title: 参数晚于版本
entity: enterprise
valid_from: 2019-01-01
parameters:
  award: {unit: yuan, values: {2020-01-01: 1000}}
amount: award
"""
        }
    )
    cat = load_catalogue(root)
    diags = [d for d in cat.check() if d.code == "missing-parameter"]
    assert diags and diags[0].location is not None and diags[0].location.line == 7
    with pytest.raises(RulesError):
        cat.select(period="2019")


def test_versions_may_live_in_separate_files(write_rules: Any) -> None:
    head = "id: split_rule\ntitle: 分文件版本\nentity: enterprise\n"
    root = write_rules(
        {
            "a.yaml": head + "valid_from: 2019-01-01\nvalid_to: 2020-12-31\namount: 1\n",
            "b.yaml": head + "valid_from: 2021-01-01\namount: 2\n",
        }
    )
    cat = load_catalogue(root)
    assert [d for d in cat.check() if d.is_error] == []
    assert interpret(cat.select(period="2020"), {})["split_rule"].amount == Decimal("1.00")
    assert interpret(cat.select(period="2021"), {})["split_rule"].amount == Decimal("2.00")


def test_overlapping_versions_are_reported(write_rules: Any) -> None:
    head = "id: overlap_rule\ntitle: 重叠\nentity: enterprise\namount: 1\n"
    root = write_rules(
        {"a.yaml": head + "valid_from: 2019-01-01\n", "b.yaml": head + "valid_from: 2021-01-01\n"}
    )
    codes = [d.code for d in load_catalogue(root).check()]
    assert "version-overlap" in codes


def test_nearest_facts_yaml_is_used(write_rules: Any, tmp_path: Path) -> None:
    root = write_rules(
        {"sub/r.yaml": "id: local_rule\ntitle: 本地\nentity: enterprise\namount: bonus\n"}
    )
    (root / "sub" / "facts.yaml").write_text(
        "facts:\n  bonus: {type: money, label: 奖金, missing: zero}\n", encoding="utf-8"
    )
    cat = load_catalogue(root)
    assert [d for d in cat.check() if d.is_error] == []
    assert interpret(cat.select(period="2024"), {"bonus": "12.5"})["local_rule"].amount == Decimal(
        "12.50"
    )


def test_unverified_rules_can_be_excluded(write_rules: Any) -> None:
    root = write_rules(
        {
            "r.yaml": "id: provisional\ntitle: 暂定规则\nentity: enterprise\n"
            "verified: false\namount: 1\n"
        }
    )
    cat = load_catalogue(root)
    assert cat.select(period="2024").ids == ["provisional"]
    assert cat.select(period="2024", verified_only=True).ids == []
