"""Pure logic of policy payouts (no Django): budget allocation to the fen, the city/county
split, stacking against other policies, and the values of department lists (名单) with
what replacing a list changes. The how-to-claim guide (申兑指南) is in guide.py.

Money is handled in fen (integers) and shown in yuan; nothing passes through a float.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl

from zhenxing.core import money
from zhenxing.core.money import CENT
from zhenxing.enterprises.domain import Invalid, ValueDomain
from zhenxing.policies.guide import ENTITY_WORDS as ENTITY_WORDS
from zhenxing.policies.guide import enum_words
from zhenxing.policies.guide import fmt_number as fmt_number
from zhenxing.rules.schema import FactDef, FactType

PRO_RATA = "pro_rata"
SMALL_FIRST = "small_first"
LARGE_FIRST = "large_first"
ALLOCATION_WORDS = {
    PRO_RATA: (
        "按应兑付金额同比例分配（精确到分，尾差按舍去部分从大到小、同额按对象编号从小到大逐分补足）"
    ),
    SMALL_FIRST: (
        "按应兑付金额从小到大依次足额兑付，额满为止（最后一户兑付剩余预算；同额按对象编号从小到大）"
    ),
    LARGE_FIRST: (
        "按应兑付金额从大到小依次足额兑付，额满为止（最后一户兑付剩余预算；同额按对象编号从小到大）"
    ),
}


def to_fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(CENT)


def yuan(amount: Decimal | int | None) -> str:
    """1234567.8 → "1,234,567.80 元"."""
    return money.format_yuan(Decimal(amount or 0))


# ---------------------------------------------------------------------------
# The city/county split
# ---------------------------------------------------------------------------


def split(amount: Decimal, city_share_pct: Decimal) -> tuple[Decimal, Decimal]:
    """(city, county): the city's share rounded half up to the fen, the county the rest."""
    city = (amount * city_share_pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return city, amount - city


# ---------------------------------------------------------------------------
# Budget allocation
# ---------------------------------------------------------------------------


@dataclass
class Allocation:
    """The outcome of applying a budget: `frame` has `key`, `fen` (claimed) and `paid`
    (allocated) in fen; `note` says what was done, for the batch page and the export."""

    frame: pl.DataFrame
    applied: bool
    note: str


def allocate(claims: pl.DataFrame, budget_fen: int | None, rule: str) -> Allocation:
    """Share `budget_fen` among `claims` (`key` Int64, `fen` Int64 > 0).

    When the claims fit (or there is no budget) each is paid in full. Otherwise:
    - `pro_rata`: each gets floor(claim × budget / total) fen; the fen left over go one
      each to the largest discarded fractions (ties: smaller key first). The paid amounts
      add up to the budget exactly.
    - `small_first` / `large_first`: claims in that order (ties: smaller key first) are paid
      in full while the budget lasts; the next one gets what is left; the rest nothing.
    """
    claims = claims.select(pl.col("key").cast(pl.Int64), pl.col("fen").cast(pl.Int64))
    total = int(claims["fen"].sum() or 0)
    if budget_fen is None or total <= budget_fen:
        return Allocation(
            claims.with_columns(pl.col("fen").alias("paid")),
            False,
            f"应兑付合计 {yuan(from_fen(total))}，未超出可用预算，全额兑付。"
            if budget_fen is not None
            else "未设预算，全额兑付。",
        )
    budget_fen = max(0, budget_fen)
    head = (
        f"应兑付合计 {yuan(from_fen(total))}，超出可用预算 {yuan(from_fen(budget_fen))}，"
        f"按政策规定的分配规则：{ALLOCATION_WORDS[rule]}。"
    )
    if rule == PRO_RATA:
        wide = pl.Int128
        product = pl.col("fen").cast(wide) * pl.lit(budget_fen, dtype=wide)
        frame = claims.with_columns(
            (product // pl.lit(total, dtype=wide)).cast(pl.Int64).alias("floor"),
            (product % pl.lit(total, dtype=wide)).alias("rest"),
        )
        left = budget_fen - int(frame["floor"].sum() or 0)
        frame = (
            frame.sort(["rest", "key"], descending=[True, False])
            .with_columns(
                (pl.col("floor") + (pl.int_range(pl.len()) < left).cast(pl.Int64)).alias("paid")
            )
            .sort("key")
            .select("key", "fen", "paid")
        )
        ratio = Decimal(budget_fen) / Decimal(total) * 100
        note = head + f"分配比例约 {ratio.quantize(CENT)}%，兑付合计 {yuan(from_fen(budget_fen))}。"
        return Allocation(frame, True, note)
    descending = rule == LARGE_FIRST
    frame = claims.sort(["fen", "key"], descending=[descending, False]).with_columns(
        pl.col("fen").cum_sum().alias("upto")
    )
    frame = frame.with_columns(
        pl.when(pl.col("upto") <= budget_fen)
        .then(pl.col("fen"))
        .otherwise(
            pl.max_horizontal(
                pl.lit(0, dtype=pl.Int64),
                pl.lit(budget_fen, dtype=pl.Int64) - (pl.col("upto") - pl.col("fen")),
            )
        )
        .alias("paid")
    )
    paid_in_full = frame.filter(pl.col("paid") == pl.col("fen")).height
    partly = frame.filter((pl.col("paid") > 0) & (pl.col("paid") < pl.col("fen"))).height
    note = head + f"足额兑付 {paid_in_full} 户" + (f"，部分兑付 {partly} 户" if partly else "")
    note += f"，其余 {frame.height - paid_in_full - partly} 户本批次不予兑付。"
    return Allocation(frame.sort("key").select("key", "fen", "paid"), True, note)


# ---------------------------------------------------------------------------
# Stacking
# ---------------------------------------------------------------------------


def apply_stacking(claims: pl.DataFrame, already: pl.DataFrame) -> pl.DataFrame:
    """Pay the higher once within a group: `claims` (`key`, `fen`) less what each key has
    already been paid (`already`: `key`, `paid_fen`) by other policies of the group for
    the same period; never below zero. Adds `fen_before`, `other_fen`."""
    if already.is_empty():
        return claims.with_columns(
            pl.col("fen").alias("fen_before"), pl.lit(0, dtype=pl.Int64).alias("other_fen")
        )
    joined = claims.join(
        already.select(pl.col("key").cast(pl.Int64), pl.col("paid_fen").cast(pl.Int64)),
        on="key",
        how="left",
    ).with_columns(pl.col("paid_fen").fill_null(0).alias("other_fen"))
    return joined.select(
        "key",
        pl.max_horizontal(pl.lit(0, dtype=pl.Int64), pl.col("fen") - pl.col("other_fen")).alias(
            "fen"
        ),
        pl.col("fen").alias("fen_before"),
        "other_fen",
    )


# ---------------------------------------------------------------------------
# The dry run's parameters (试算)
# ---------------------------------------------------------------------------


def override_errors(parameters: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, str]:
    """What is wrong with the new parameter values of a dry run (name → message): a name
    the rule does not have, a date for a number or a number for a date, and a negative
    amount, ratio or count — an award is never below zero."""
    errors: dict[str, str] = {}
    for name, value in overrides.items():
        param = parameters.get(name)
        if param is None:
            known = "、".join(parameters) or "无"
            errors[name] = f"规则没有参数“{name}”；可调整的参数：{known}"
            continue
        label = param.label or name
        if param.unit == "date":
            if not isinstance(value, dt.date):
                errors[name] = f"{label}应为日期"
            continue
        number = isinstance(value, (int, Decimal)) and not isinstance(value, (bool, dt.date))
        if not number or not Decimal(value).is_finite():
            errors[name] = f"{label}应为数字"
        elif value < 0:
            errors[name] = f"{label}不能为负数"
    return errors


# ---------------------------------------------------------------------------
# Department lists (名单): values typed by their fact's declaration, and what a
# replacement changes
# ---------------------------------------------------------------------------


class BadValue(ValueError):
    """A list value does not fit its fact; the message says why, in Chinese."""


LIST_TEXT_MAX = 64  # `FactListEntry.value`
_LIST_NUMBER_LIMIT = Decimal(10) ** 16
_TRUE = {"是", "true", "t", "yes", "y", "1"}
_FALSE = {"否", "false", "f", "no", "n", "0"}
_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y年%m月%d日")


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _plain_text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def _list_number(fact: FactDef, raw: Any) -> str:
    try:
        number = money.parse_number(raw)  # 1,234.5 and 1234.5 alike
    except money.NumberError as exc:
        raise BadValue(exc.message) from None
    if number is None:
        raise BadValue("值为空")
    places = 0 if fact.type is FactType.INTEGER else fact.scale
    quantum = Decimal(1).scaleb(-places)
    if number != number.quantize(quantum):
        if fact.type is FactType.INTEGER:
            raise BadValue(f"“{raw}”不是整数")
        if fact.unit == "yuan":
            raise BadValue("金额最多保留两位小数（单位：元）")
        raise BadValue(f"最多保留 {places} 位小数")
    if abs(number) >= _LIST_NUMBER_LIMIT:
        raise BadValue(f"“{raw}”超出范围")
    return f"{number.quantize(quantum):f}"


def _list_date(raw: Any) -> str:
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    text = _plain_text(raw).replace("/", "-").replace(".", "-")
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise BadValue(f"“{_plain_text(raw)}”不是日期，应为 2024-05-31 这样的格式")


def enum_choices(fact: FactDef, english: bool = False) -> list[tuple[str, str]]:
    """(code, readable name) of each value of an enum fact (the name is the code when
    the fact's label does not list the names)."""
    _short, names = enum_words(fact, english)
    return [(code, names.get(code, code)) for code in fact.values]


def _list_enum(fact: FactDef, raw: Any) -> str:
    text = _plain_text(raw)
    choices = enum_choices(fact)
    for code, name in choices:
        if text in (code, name) or text.lower() == code.lower():
            return code
    options = "、".join(name if name == code else f"{name}（{code}）" for code, name in choices)
    raise BadValue(f"“{text}”不是可选值，可选：{options}")


def list_value(fact: FactDef, raw: Any, value_domain: ValueDomain | None = None) -> str:
    """The stored text of one list value of `fact`: exact decimals at the fact's scale,
    "true"/"false", ISO dates, the code of an enum value. Booleans are also read from
    是/否, dates from 2024/5/31 or 2024年5月31日, enum values from their Chinese names.
    With `value_domain` (the fact definition's, `services.list_value_domain`) the value
    is held to it as every other write of the fact is. Raises BadValue."""
    text = _list_text(fact, raw)
    if value_domain is not None:
        try:
            value_domain.check(text, fact.type.value)
        except Invalid as exc:
            raise BadValue(exc.message) from None
    return text


def _list_text(fact: FactDef, raw: Any) -> str:
    if _blank(raw):
        raise BadValue("值为空")
    kind = fact.type
    if kind is FactType.BOOLEAN:
        if isinstance(raw, bool):
            return "true" if raw else "false"
        text = _plain_text(raw).lower()
        if text in _TRUE:
            return "true"
        if text in _FALSE:
            return "false"
        raise BadValue(f"“{_plain_text(raw)}”应为“是”或“否”")
    if kind is FactType.DATE:
        return _list_date(raw)
    if kind is FactType.ENUM:
        return _list_enum(fact, raw)
    if kind is FactType.TEXT:
        text = _plain_text(raw)
        if len(text) > LIST_TEXT_MAX:
            raise BadValue(f"文字太长（最多 {LIST_TEXT_MAX} 字）")
        return text
    return _list_number(fact, raw)


def list_value_typed(fact: FactDef, text: str, english: bool = False) -> Any:
    """A stored list value as a person reads it: bool, Decimal (int for integers),
    date, the name of an enum value (in English when asked), or the text."""
    kind = fact.type
    try:
        if kind is FactType.BOOLEAN:
            return text == "true"
        if kind is FactType.DATE:
            return dt.date.fromisoformat(text)
        if kind is FactType.INTEGER:
            return int(Decimal(text))
        if kind in (FactType.DECIMAL, FactType.RATIO):
            return Decimal(text)
    except (ArithmeticError, ValueError):
        return text
    if kind is FactType.ENUM:
        return dict(enum_choices(fact, english)).get(text, text)
    return text


def list_value_words(fact: FactDef, text: str, english: bool = False) -> str:
    """A stored list value in words: 是/否 (Yes/No), 1,234.00 元, 2024-05-31, 国家级, …"""
    value = list_value_typed(fact, text, english)
    if isinstance(value, bool):
        return ("Yes" if value else "No") if english else ("是" if value else "否")
    if isinstance(value, Decimal) and fact.unit == "yuan":
        return yuan(value)
    return str(value)


def list_value_hint(
    fact: FactDef, value_domain: ValueDomain | None = None, english: bool = False
) -> str:
    """What the 值 column of a list of `fact` holds (the template's note)."""
    hint = _type_hint_en(fact) if english else _type_hint(fact)
    bounds = value_domain.describe(english) if value_domain is not None else ""
    if not (bounds and fact.is_number):
        return hint
    return f"{hint}, {bounds}" if english else f"{hint}，{bounds}"


def _type_hint_en(fact: FactDef) -> str:
    kind = fact.type
    if kind is FactType.BOOLEAN:
        return "Yes or No"
    if kind is FactType.DATE:
        return "a date, e.g. 2024-05-31"
    if kind is FactType.ENUM:
        return "one of: " + ", ".join(code for code, _name in enum_choices(fact, english=True))
    if kind is FactType.TEXT:
        return f"text, at most {LIST_TEXT_MAX} characters"
    if kind is FactType.INTEGER:
        return "a whole number"
    if fact.unit == "yuan":
        return "an amount in yuan, at most two decimal places"
    if fact.unit == "ratio":
        return f"a ratio, e.g. 0.35 for 35%, at most {fact.scale} decimal places"
    return f"a number, at most {fact.scale} decimal places" if fact.scale else "a whole number"


def _type_hint(fact: FactDef) -> str:
    kind = fact.type
    if kind is FactType.BOOLEAN:
        return "填“是”或“否”"
    if kind is FactType.DATE:
        return "日期，如 2024-05-31"
    if kind is FactType.ENUM:
        return "可选：" + "、".join(
            name if name == code else f"{name}（或 {code}）" for code, name in enum_choices(fact)
        )
    if kind is FactType.TEXT:
        return f"文字，最多 {LIST_TEXT_MAX} 字"
    if kind is FactType.INTEGER:
        return "整数"
    if fact.unit == "yuan":
        return "金额，单位：元，最多两位小数"
    if fact.unit == "ratio":
        return f"比例，如 0.35 表示 35%，最多 {fact.scale} 位小数"
    return f"数字，最多 {fact.scale} 位小数" if fact.scale else "整数"


def list_value_example(fact: FactDef) -> str:
    kind = fact.type
    if kind is FactType.BOOLEAN:
        return "是"
    if kind is FactType.DATE:
        return "2024-05-31"
    if kind is FactType.ENUM:
        choices = enum_choices(fact)
        return choices[-1][1] if choices else ""
    if kind is FactType.TEXT:
        return ""
    if kind is FactType.INTEGER:
        return "3"
    if fact.unit == "yuan":
        return "1250000.00"
    if fact.unit == "ratio":
        return "0.35"
    return "1"


@dataclass(frozen=True)
class ListChange:
    """What saving a list changes: the beneficiaries added and removed, and the values
    changed as (beneficiary, old, new); `created` when there was no list before."""

    created: bool
    added: tuple[int, ...]
    removed: tuple[int, ...]
    changed: tuple[tuple[int, str, str], ...]
    total: int

    @property
    def summary(self) -> str:
        if self.created:
            return f"名单新建：共 {self.total} 条"
        return (
            f"名单替换：新增 {len(self.added)}，删除 {len(self.removed)}，变更 {len(self.changed)}"
        )

    @property
    def unchanged(self) -> int:
        return self.total - len(self.added) - len(self.changed)


def list_change(old: dict[int, str] | None, new: dict[int, str]) -> ListChange:
    """Compare a list's entries (beneficiary → stored value) before and after; `old`
    None: there was no list."""
    before = old or {}
    return ListChange(
        created=old is None,
        added=tuple(sorted(k for k in new if k not in before)),
        removed=tuple(sorted(k for k in before if k not in new)),
        changed=tuple(
            (k, before[k], new[k]) for k in sorted(new) if k in before and before[k] != new[k]
        ),
        total=len(new),
    )


def entries_digest(values: dict[int, str] | None) -> str:
    """A short fingerprint of a list's entries ("" for no list): a replacement
    confirmed after a preview is refused if the list changed in between."""
    if values is None:
        return ""
    text = "\n".join(f"{k}={values[k]}" for k in sorted(values))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
