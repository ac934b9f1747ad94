"""Checking before running: each problem is a diagnostic with file, line and column."""

from __future__ import annotations

from typing import Any

from zhenxing.rules import Diagnostic, load_catalogue


def _diags(write_rules: Any, body: str) -> list[Diagnostic]:
    root = write_rules({"r.yaml": "id: bad_rule\ntitle: 坏规则\nentity: enterprise\n" + body})
    return [d for d in load_catalogue(root).check() if d.is_error]


def test_syntax_error_points_into_the_yaml_file(write_rules: Any) -> None:
    (d,) = _diags(write_rules, "amount: min(rd_expense, 3\n")
    assert d.code == "syntax"
    assert d.location is not None and (d.location.line, d.location.column) == (4, 26)
    assert "不完整" in d.message("zh") and "incomplete" in d.message("en")


def test_unknown_fact_suggests_the_closest_name(write_rules: Any) -> None:
    (d,) = _diags(write_rules, "amount: rd_expence * 2\n")
    assert d.code == "unknown-name"
    assert d.hint("zh") == "是不是想写「rd_expense」？"
    assert d.hint("en") == "did you mean 'rd_expense'?"
    assert d.location is not None and (d.location.line, d.location.column) == (4, 9)


def test_adding_yuan_to_a_ratio_is_a_unit_error(write_rules: Any) -> None:
    body = "parameters: {share: {unit: ratio, value: 0.5}}\namount: rd_expense + share\n"
    (d,) = _diags(write_rules, body)
    assert d.code == "unit"
    assert "yuan" in d.message("en") and "ratio" in d.message("en")


def test_comparing_yuan_with_a_ratio_is_a_unit_error(write_rules: Any) -> None:
    body = "values: {r: rd_expense / revenue}\nconditions: {c: rd_expense >= r}\n"
    codes = [d.code for d in _diags(write_rules, body)]
    assert codes == ["unit"]


def test_type_errors_are_reported(write_rules: Any) -> None:
    body = "conditions:\n  c: has_high_tech_certificate + 1\n"
    codes = {d.code for d in _diags(write_rules, body)}
    assert "type" in codes


def test_enum_values_are_checked_with_suggestion(write_rules: Any) -> None:
    root = write_rules(
        {
            "p.yaml": "id: p_rule\ntitle: 项目\nentity: project\n"
            'conditions: {c: project_category == "emrging"}\n'
        }
    )
    (d,) = [d for d in load_catalogue(root).check() if d.is_error]
    assert d.code == "enum-value" and d.hint("en") == "did you mean 'emerging'?"


def test_undeclared_parameter_is_unknown(write_rules: Any) -> None:
    (d,) = _diags(write_rules, "amount: cap\n")
    assert d.code in ("unknown-name", "unknown-fact")


def test_condition_cycles_are_found(write_rules: Any) -> None:
    body = "conditions:\n  a: b and true\n  b: not a\n"
    codes = [d.code for d in _diags(write_rules, body)]
    assert "cycle" in codes


def test_rule_reference_cycles_are_found(write_rules: Any) -> None:
    head = "title: 互相引用\nentity: enterprise\n"
    root = write_rules(
        {
            "a.yaml": "id: rule_a\n" + head + "eligible: rules.rule_b.eligible\n",
            "b.yaml": "id: rule_b\n" + head + "eligible: rules.rule_a.eligible\n",
        }
    )
    diags = [d for d in load_catalogue(root).check() if d.code == "cycle"]
    assert diags and "rule_a" in diags[0].message("en")


def test_block_scalar_positions_are_exact(write_rules: Any) -> None:
    body = "amount: |\n  min(rd_expense,\n      nope)\n"
    (d,) = _diags(write_rules, body)
    assert d.location is not None and (d.location.line, d.location.column) == (6, 7)


def test_check_json_output_is_json_only(write_rules: Any) -> None:
    import io
    import json

    from zhenxing.rules.cli import main

    root = write_rules(
        {"r.yaml": "id: bad_rule\ntitle: 坏规则\nentity: enterprise\namount: rd_expence * 2\n"}
    )
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", "--rules", str(root), "--json", "--lang", "en"], out, err) == 1
    (d,) = json.loads(out.getvalue())
    assert (d["code"], d["severity"], d["line"], d["column"]) == ("unknown-name", "error", 4, 9)
    assert d["suggestion"] == "did you mean 'rd_expense'?"
    assert "1 errors" in err.getvalue()


def test_a_unit_mismatch_in_min_or_coalesce_names_both_arguments(write_rules: Any) -> None:
    body = (
        "parameters: {share: {unit: ratio, value: 0.5}}\n"
        "conditions: {a: 'min(rd_expense, share) > 0', b: 'coalesce(rd_expense, share) > 0'}\n"
    )
    messages = [d.message("en") for d in _diags(write_rules, body)]
    assert len(messages) == 2
    assert all("'rd_expense' is yuan, 'share' is ratio" in m for m in messages), messages
