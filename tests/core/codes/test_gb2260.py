from __future__ import annotations

import csv
from collections import Counter
from importlib import resources

import pytest

from zhenxing.core.codes import gb2260
from zhenxing.core.codes.errors import CodeError

YINGKOU = {
    "210802": "站前区",
    "210803": "西市区",
    "210804": "鲅鱼圈区",
    "210811": "老边区",
    "210881": "盖州市",
    "210882": "大石桥市",
}

LIAONING_CITIES = {
    "210100": "沈阳市", "210200": "大连市", "210300": "鞍山市", "210400": "抚顺市",
    "210500": "本溪市", "210600": "丹东市", "210700": "锦州市", "210800": "营口市",
    "210900": "阜新市", "211000": "辽阳市", "211100": "盘锦市", "211200": "铁岭市",
    "211300": "朝阳市", "211400": "葫芦岛市",
}  # fmt: skip


def test_yingkou_has_exactly_its_six_county_level_areas() -> None:
    assert {d.code: d.name for d in gb2260.children("210800")} == YINGKOU


def test_liaoning_has_its_fourteen_prefecture_level_cities() -> None:
    assert gb2260.lookup("210000") == gb2260.Division("210000", "辽宁省", "province", None, False)
    assert {d.code: d.name for d in gb2260.children("210000")} == LIAONING_CITIES


def test_lookup_gives_name_level_and_parent() -> None:
    division = gb2260.lookup("210804")
    assert division is not None
    assert (division.name, division.level, division.parent) == ("鲅鱼圈区", "county", "210800")


def test_all_31_provinces_plus_taiwan_hong_kong_macao_are_present() -> None:
    provinces = [d for d in gb2260.divisions() if d.level == "province"]
    assert len(provinces) == 34
    assert {"110000", "210000", "650000", "710000", "810000", "820000"} <= {
        d.code for d in provinces
    }


def test_the_whole_country_is_covered() -> None:
    counts = Counter(d.level for d in gb2260.divisions() if not d.abolished)
    assert counts["prefecture"] >= 330
    assert counts["county"] >= 2800


def test_every_parent_exists_and_codes_nest() -> None:
    divisions = {d.code: d for d in gb2260.divisions()}
    for division in divisions.values():
        assert len(division.code) == 6 and division.code.isdigit()
        if division.level == "province":
            assert division.parent is None and division.code.endswith("0000")
            continue
        assert division.parent in divisions
        parent = divisions[division.parent]
        if division.level == "prefecture":
            assert parent.level == "province" and division.code.endswith("00")
            assert division.code[:2] == parent.code[:2]
        else:
            assert parent.level == "prefecture"
            assert division.code[:4] == parent.code[:4]


def test_development_zone_pseudo_codes_are_not_in_the_table() -> None:
    assert not [d.code for d in gb2260.divisions() if "71" <= d.code[4:] <= "79"]
    assert not gb2260.is_known("220171")  # 长春经济技术开发区: an NBS statistical code only


def test_csv_has_the_documented_columns() -> None:
    data = resources.files("zhenxing.core.codes.data").joinpath("gb2260.csv")
    with data.open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == ["code", "name", "level", "parent", "abolished"]


def test_abolished_codes_are_known_and_valid_but_flagged() -> None:
    division = gb2260.lookup("110103")
    assert division is not None and division.abolished and division.name == "崇文区"
    assert gb2260.is_known("110103")
    assert not gb2260.is_known("110103", include_abolished=False)
    assert gb2260.validate("110103") == "110103"
    with pytest.raises(CodeError, match="已撤销"):
        gb2260.validate("110103", allow_abolished=False)
    assert "110103" not in {d.code for d in gb2260.children("110100")}


def test_path_and_full_name_go_from_province_down() -> None:
    assert [d.code for d in gb2260.path("210804")] == ["210000", "210800", "210804"]
    assert gb2260.full_name("210804") == "辽宁省营口市鲅鱼圈区"
    assert gb2260.full_name("110105") == "北京市朝阳区"  # the 市辖区 placeholder is left out
    assert gb2260.path("999999") == []


def test_validate_accepts_full_width_digits_and_space() -> None:
    assert gb2260.validate(" ２１０８０４ ") == "210804"


@pytest.mark.parametrize(
    ("code", "reason", "fragment"),
    [
        ("", "empty", "不能为空"),
        ("2108", "format", "应为 6 位数字，实际为“2108”（4 位）"),
        ("21080A", "format", "应为 6 位数字"),
        ("990000", "unknown", "前两位 99 不是省级代码"),
        ("219900", "unknown", "辽宁省下没有地级代码 219900"),
        ("210899", "unknown", "辽宁省营口市（210800）下没有这个代码"),
    ],
)
def test_invalid_codes_say_what_is_wrong(code: str, reason: str, fragment: str) -> None:
    with pytest.raises(CodeError) as info:
        gb2260.validate(code)
    assert info.value.reason == reason
    assert fragment in info.value.message_zh
    assert info.value.message_en
    assert info.value.kind == "gb2260"
