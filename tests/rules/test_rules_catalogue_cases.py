"""The YAML test cases of the fixture catalogue pass on both engines."""

from __future__ import annotations

from zhenxing.rules import Catalogue, run_tests


def test_fixture_catalogue_has_no_errors(catalogue: Catalogue) -> None:
    errors = [d.format() for d in catalogue.check() if d.is_error]
    assert errors == []


def test_every_yaml_case_passes_in_interpreter_and_polars(catalogue: Catalogue) -> None:
    outcomes = run_tests(catalogue)
    assert len(outcomes) >= 40
    failed = [(o.rule_id, o.case.name, o.engine, o.problems) for o in outcomes if not o.passed]
    assert failed == []
    assert {o.engine for o in outcomes} == {"interpret", "polars"}
