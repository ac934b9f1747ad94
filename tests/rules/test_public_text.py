"""Rule documents keep internal remarks apart from public text (issue 8, item 6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zhenxing.rules import load_catalogue

SRC = Path(__file__).resolve().parents[2] / "src" / "zhenxing"
RULE = """\
id: booth
title: 展位费补助
title_en: Booth-fee subsidy
{extra}
entity: enterprise
facts: [exhibition_booth_fees]
amount: exhibition_booth_fees
"""
FACTS = """\
entities: [enterprise]
facts:
  exhibition_booth_fees: {type: money, label: 展位费, entity: enterprise}
"""


def _codes(write_rules: Any, extra: str) -> list[tuple[str, dict[str, Any]]]:
    root = write_rules({"booth.yaml": RULE.format(extra=extra)}, facts=FACTS)
    cat = load_catalogue(root)
    return [(d.code, d.args) for d in cat.diagnostics if d.is_error]


def test_public_fields_and_internal_notes_are_loaded_apart(write_rules: Any) -> None:
    root = write_rules(
        {
            "booth.yaml": RULE.format(
                extra="summary: 展位费全额补助。\n"
                "summary_en: Booth fees are paid in full.\n"
                "source: 营口市2019年惠企政策\n"
                "source_note: 种子资料 002；兑付前须以原文核对\n"
                "notes: 待核实文号"
            )
        },
        facts=FACTS,
    )
    cat = load_catalogue(root)
    assert not [d for d in cat.diagnostics if d.is_error]
    version = cat.rule("booth").latest
    assert (version.summary, version.summary_en) == (
        "展位费全额补助。",
        "Booth fees are paid in full.",
    )
    assert version.source == "营口市2019年惠企政策"
    assert version.source_note == "种子资料 002；兑付前须以原文核对"
    assert version.notes == "待核实文号"


@pytest.mark.parametrize(
    ("extra", "field", "marker"),
    [
        ("source: 据报道（种子资料 002）", "source", "种子资料"),
        ("summary: 补助全额，兑付前须以原文核对", "summary", "兑付前须"),
        ("summary_en: TODO translate", "summary_en", "TODO"),
    ],
)
def test_an_internal_remark_in_a_public_field_is_an_error(
    write_rules: Any, extra: str, field: str, marker: str
) -> None:
    assert ("internal-remark", {"field": field, "marker": marker}) in _codes(write_rules, extra)


def test_english_inside_chinese_public_text_is_an_error(write_rules: Any) -> None:
    codes = _codes(write_rules, "source: 营口市惠企政策。Confirm against the original document.")
    assert [c for c, _ in codes] == ["english-in-chinese"]
    assert codes[0][1]["field"] == "source"


def test_description_is_still_read_as_the_summary(write_rules: Any) -> None:
    root = write_rules({"booth.yaml": RULE.format(extra="description: 旧写法的说明")}, facts=FACTS)
    assert load_catalogue(root).rule("booth").latest.summary == "旧写法的说明"


@pytest.mark.parametrize(
    "folder", [SRC / "rules" / "catalogue", SRC / "policies" / "rule_examples"]
)
def test_the_shipped_catalogues_have_only_public_text_in_public_fields(folder: Path) -> None:
    cat = load_catalogue(folder)
    assert not [d for d in cat.diagnostics if d.is_error], cat.diagnostics
    for rule in cat.rules.values():
        for version in rule.versions:
            for text in (version.title, version.summary, version.source):
                assert "种子资料" not in text and "核对" not in text, (rule.id, text)
