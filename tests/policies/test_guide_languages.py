"""One guide builder for both languages (policies/guide.py): the Chinese guide reads as
before and the English one has no Chinese at all for a rule whose catalogue entries
all have English (issue 8, item 7)."""

from __future__ import annotations

import re

from zhenxing.policies import catalogues
from zhenxing.policies.guide import guide

HAN = re.compile(r"[\u4e00-\u9fff]")


def _text(g: object) -> str:
    return repr(g.__dict__)


def test_chinese_and_english_guide_of_the_same_rule() -> None:
    rs = catalogues.ruleset("yingkou", "emerging_industry_project", "2019", verified_only=False)
    zh = guide(rs, "emerging_industry_project")
    en = guide(rs, "emerging_industry_project", english=True)
    assert zh.conditions[0].label == "属于战略性新兴产业项目"
    assert "项目类别为“战略性新兴产业”" in zh.conditions[0].words
    assert zh.parameters[2].value == "300万元"
    assert "单个项目支持额度上限（300万元）" in zh.amount
    assert en.conditions[0].label == "A strategic emerging-industry project"
    assert en.conditions[0].words == 'Project category is "emerging"'
    assert en.parameters[2].value == "¥3,000,000.00"
    assert "Support cap per project (¥3,000,000.00)" in en.amount
    assert en.basis.startswith("Yingkou Municipal People's Government")
    assert en.who.startswith("Projects that meet")
    assert not HAN.search(_text(en).replace(en.title_en, "")), _text(en)
