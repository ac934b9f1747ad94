from __future__ import annotations

from collections import Counter

import pytest

from zhenxing.core.codes import gb4754
from zhenxing.core.codes.errors import CodeError


def test_counts_per_level() -> None:
    counts = Counter(i.level for i in gb4754.industries())
    assert counts == {"section": 20, "division": 97, "group": 473, "class": 1381}


def test_sections_are_a_to_t_and_divisions_01_to_97() -> None:
    assert [i.code for i in gb4754.industries("section")] == list("ABCDEFGHIJKLMNOPQRST")
    assert [i.code for i in gb4754.industries("division")] == [f"{n:02d}" for n in range(1, 98)]


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("0232", "森林改培"),
        ("0532", "畜禽粪污处理活动"),
        ("3874", "智能照明器具制造"),
        ("C", "制造业"),
        ("38", "电气机械和器材制造业"),
        ("359", "环保、邮政、社会公共服务及其他专用设备制造"),
        ("9700", "国际组织"),
    ],
)
def test_2017_edition_codes_are_present(code: str, name: str) -> None:
    industry = gb4754.lookup(code)
    assert industry is not None and industry.name == name


def test_every_row_nests_under_its_parent() -> None:
    table = {i.code: i for i in gb4754.industries()}
    for industry in table.values():
        if industry.level == "section":
            assert industry.parent is None
            continue
        assert industry.parent in table
        if industry.level in ("group", "class"):
            assert industry.code.startswith(industry.parent)
    groups_with_classes = {i.parent for i in table.values() if i.level == "class"}
    assert groups_with_classes == {i.code for i in table.values() if i.level == "group"}


def test_path_and_section_of() -> None:
    assert [i.code for i in gb4754.path("3874")] == ["C", "38", "387", "3874"]
    assert gb4754.section_of("3874") == "C"
    assert gb4754.section_of("01") == "A"
    assert gb4754.section_of("T") == "T"


def test_children() -> None:
    assert [i.code for i in gb4754.children("387")] == ["3871", "3872", "3873", "3874", "3879"]
    assert [i.code for i in gb4754.children("022")] == ["0220"]


def test_a_code_with_its_section_letter_in_front_is_normalised() -> None:
    assert gb4754.validate("C3874") == "3874"
    assert gb4754.validate(" c3874 ") == "3874"
    assert gb4754.validate("３８７４") == "3874"


@pytest.mark.parametrize(
    ("code", "reason", "fragment"),
    [
        ("", "empty", "不能为空"),
        ("U", "unknown", "A–T"),
        ("98", "unknown", "大类 98 不存在（大类为 01–97）"),
        ("388", "unknown", "中类 388 不存在：大类 38（电气机械和器材制造业）下的中类有 381、"),
        ("3878", "unknown", "中类 387（照明器具制造）下的小类有 3871、3872、3873、3874、3879"),
        ("3888", "unknown", "大类 38（电气机械和器材制造业）下没有中类 388"),
        ("38X", "format", "应为门类字母（A–T）或 2–4 位数字"),
        ("38741", "format", "应为门类字母（A–T）或 2–4 位数字"),
        ("D3874", "section_letter", "属于门类 C（制造业），不是 D"),
        ("Z12", "section_letter", "门类为 A–T"),
    ],
)  # fmt: skip
def test_invalid_codes_say_what_is_wrong(code: str, reason: str, fragment: str) -> None:
    with pytest.raises(CodeError) as info:
        gb4754.validate(code)
    assert info.value.reason == reason
    assert fragment in info.value.message_zh
    assert info.value.message_en
    assert gb4754.lookup(code) is None
    assert not gb4754.is_known(code)
