"""The shipped catalogues read completely in English: every fact, parameter, condition
and score item has its `label_en` / `title_en`, and every public field of a rule
(title, issuer, document, article, source) its `*_en` (issue 8, item 7). A catalogue
of one's own may stay Chinese only; these are the ones the demo's pages show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zhenxing.rules import load_catalogue

SRC = Path(__file__).resolve().parents[2] / "src" / "zhenxing"
CATALOGUES = [SRC / "rules" / "catalogue" / "yingkou", SRC / "policies" / "rule_examples"]
HAN = re.compile(r"[\u4e00-\u9fff]")


def _missing_english(root: Path) -> list[str]:
    catalogue = load_catalogue(root)
    missing: list[str] = []
    for rule in catalogue.rules.values():
        for v in rule.versions:
            where = f"{v.file.name} {v.rule_id}"
            for name in ("title", "issuer", "document", "article", "source"):
                if getattr(v, name) and not getattr(v, f"{name}_en"):
                    missing.append(f"{where}: {name}_en")
            facts = {**v.schema.facts, **v.inputs}
            things = [
                *(("fact", f.id, f.label, f.label_en) for f in facts.values()),
                *(("parameter", p.name, p.label, p.label_en) for p in v.parameters.values()),
                *(("condition", c.name, c.label, c.label_en) for c in v.conditions),
            ]
            if v.score is not None:
                things += [("score item", i.id, i.title, i.title_en) for i in v.score.items]
            for kind, name, label, english in things:
                if label and label != name and not english:
                    missing.append(f"{where}: {kind} {name} has no English label")
                if HAN.search(english):
                    missing.append(f"{where}: {kind} {name}'s English label has Chinese")
    return sorted(set(missing))


@pytest.mark.parametrize("root", CATALOGUES, ids=lambda p: p.name)
def test_every_public_text_of_the_shipped_catalogues_has_english(root: Path) -> None:
    assert _missing_english(root) == []


def test_the_basis_reads_in_english_from_the_en_fields() -> None:
    catalogue = load_catalogue(SRC / "rules" / "catalogue" / "yingkou")
    version = catalogue.rules["high_tech_enterprise"].latest
    assert version.legal_reference() == "科技部 财政部 国家税务总局 国科发火〔2016〕32号 第十一条"
    assert version.legal_reference(english=True) == (
        "Ministry of Science and Technology, Ministry of Finance, State Taxation "
        "Administration, Guo Ke Fa Huo [2016] No. 32, Article 11"
    )
