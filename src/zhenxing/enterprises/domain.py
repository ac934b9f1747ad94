"""Enterprise facts, tiers and the cultivation pool: the rules, in pure Python (no Django).

- Sources of yearly facts and the declared priority between them (which value the rules read).
- The canonical text form of a fact value (exact on SQLite and PostgreSQL alike).
- Tier codes (shared/docs/glossary.md), levels, "held on a date", renewal vs new grant.
- Cultivation-pool stages and the funnel.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from zhenxing.core import money

# --------------------------------------------------------------------------------------
# Sources and priority
# --------------------------------------------------------------------------------------


class Source(StrEnum):
    TAX = "tax"  # 税务
    STATISTICS = "statistics"  # 统计
    MARKET_REGULATOR = "market_regulator"  # 市场监管
    SELF_REPORTED = "self_reported"  # 企业自报


def gettext_noop(text: str) -> str:
    """Marks a label for translation without Django: `makemessages` collects it, and the
    pages translate it where they show it (`gettext(label)`)."""
    return text


def pgettext(context: str, text: str) -> str:
    """Like gettext_noop, for a word whose English depends on where it is used
    (入库 is "Entered" as a pool stage, "Add" on a button): `makemessages` collects
    it with its context; the pages translate it with `pgettext(context, label)`."""
    del context
    return text


STAGE_CONTEXT = "pool stage"


SOURCE_LABELS = {
    Source.TAX: gettext_noop("税务"),
    Source.STATISTICS: gettext_noop("统计"),
    Source.MARKET_REGULATOR: gettext_noop("市场监管"),
    Source.SELF_REPORTED: gettext_noop("企业自报"),
}

DEFAULT_PRIORITY: tuple[Source, ...] = (
    Source.TAX,
    Source.STATISTICS,
    Source.MARKET_REGULATOR,
    Source.SELF_REPORTED,
)

# Facts whose authoritative source is not the tax bureau (per-fact overrides of the default).
# Statistics owns the statistical-survey figures (主营业务收入, 从业人员, 产值, 出口);
# the market regulator owns IP and certification records.
PRIORITY_OVERRIDES: dict[str, tuple[Source, ...]] = {
    "main_business_revenue": (Source.STATISTICS, Source.TAX, Source.SELF_REPORTED),
    "employees": (Source.STATISTICS, Source.TAX, Source.SELF_REPORTED),
    "tech_staff": (Source.STATISTICS, Source.SELF_REPORTED),
    "rd_staff": (Source.STATISTICS, Source.SELF_REPORTED),
    "output_value": (Source.STATISTICS, Source.SELF_REPORTED),
    "exports": (Source.STATISTICS, Source.TAX, Source.SELF_REPORTED),
    "high_tech_product_revenue": (Source.STATISTICS, Source.TAX, Source.SELF_REPORTED),
    "ip_class1": (Source.MARKET_REGULATOR, Source.SELF_REPORTED),
    "ip_class2": (Source.MARKET_REGULATOR, Source.SELF_REPORTED),
    "ip_class1_self_developed": (Source.MARKET_REGULATOR, Source.SELF_REPORTED),
    "ip_class1_high_value": (Source.MARKET_REGULATOR, Source.SELF_REPORTED),
    "ip_class1_main_product_applied": (Source.MARKET_REGULATOR, Source.SELF_REPORTED),
    "quality_system_certified": (Source.MARKET_REGULATOR, Source.SELF_REPORTED),
    "own_brand": (Source.MARKET_REGULATOR, Source.SELF_REPORTED),
}


def parse_priority(text: str) -> tuple[Source, ...]:
    """'statistics,tax' → (STATISTICS, TAX); unknown names raise ValueError."""
    out: list[Source] = []
    for part in text.replace("，", ",").split(","):
        name = part.strip()
        if not name:
            continue
        try:
            source = Source(name)
        except ValueError:
            raise ValueError(f"未知的数据来源“{name}”") from None
        if source in out:
            raise ValueError(f"数据来源“{SOURCE_LABELS[source]}”重复")
        out.append(source)
    return tuple(out)


def full_priority(declared: Sequence[Source]) -> tuple[Source, ...]:
    """The declared order, then the sources it does not name in the default order (a value
    from an unnamed source is still read, but only when no named source has one)."""
    rest = [s for s in DEFAULT_PRIORITY if s not in declared]
    return (*declared, *rest)


def pick(values: dict[Source, str], priority: Sequence[Source]) -> Source | None:
    """The source whose value the rules read."""
    for source in full_priority(priority):
        if source in values:
            return source
    return None


# --------------------------------------------------------------------------------------
# Fact types and the canonical text form of a value
# --------------------------------------------------------------------------------------


class ValueType(StrEnum):
    MONEY = "money"
    DECIMAL = "decimal"
    RATIO = "ratio"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATE = "date"
    TEXT = "text"
    ENUM = "enum"


NUMERIC = frozenset({ValueType.MONEY, ValueType.DECIMAL, ValueType.RATIO, ValueType.INTEGER})
DEFAULT_SCALE = {ValueType.MONEY: 2, ValueType.DECIMAL: 2, ValueType.RATIO: 6, ValueType.INTEGER: 0}
_TRUE = {"true", "1", "yes", "y", "t", "是", "有"}
_FALSE = {"false", "0", "no", "n", "f", "否", "无"}


FIGURE_LIMIT = Decimal(10) ** 20  # any fact's number other than an amount


def _quoted(value: object) -> str:
    return str(value)[:40]


class Invalid(ValueError):
    """A value or a change the rules refuse; the message is in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def canonical(value: object, value_type: ValueType | str, scale: int = 0) -> str:
    """The stored text of a value: exact decimals with the fact's scale, ISO dates,
    "true"/"false". Raises Invalid with a Chinese message when the value does not fit."""
    kind = ValueType(value_type)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Invalid("值为空")
    if kind in NUMERIC:
        try:
            number = money.parse_number(value)  # 1,234.5 and 1234.5 alike
        except money.NumberError:
            raise Invalid(f"“{value}”不是数字") from None
        if number is None:
            raise Invalid("值为空")
        # the range first: 1E+300 cannot even be quantized. An amount is bounded as every
        # amount column is (core.money), whoever reports it; other figures by 10^20.
        limit = money.MAX_YUAN if kind is ValueType.MONEY else FIGURE_LIMIT
        if abs(number) >= limit:
            raise Invalid(f"“{_quoted(value)}”超出范围")
        places = 0 if kind is ValueType.INTEGER else scale
        quantum = Decimal(1).scaleb(-places)
        if number != number.quantize(quantum):
            if kind is ValueType.INTEGER:
                raise Invalid(f"“{value}”不是整数")
            raise Invalid(f"“{value}”最多保留 {places} 位小数")
        return f"{number.quantize(quantum):f}"
    if kind is ValueType.BOOLEAN:
        if isinstance(value, bool):
            return "true" if value else "false"
        text = str(value).strip().lower()
        if text in _TRUE:
            return "true"
        if text in _FALSE:
            return "false"
        raise Invalid(f"“{value}”应为“是”或“否”")
    if kind is ValueType.DATE:
        if isinstance(value, datetime.datetime):
            return value.date().isoformat()
        if isinstance(value, datetime.date):
            return value.isoformat()
        try:
            return datetime.date.fromisoformat(str(value).strip()[:10]).isoformat()
        except ValueError:
            raise Invalid(f"“{value}”不是日期，应为 2024-05-31 这样的格式") from None
    text = str(value).strip().replace("\x1e", " ").replace("\x1f", " ")
    if len(text) > 255:
        raise Invalid("文字太长（最多 255 字）")
    return text


def canonical_wan(value: object, scale: int = 2) -> str:
    """The stored text (in yuan) of an amount typed in 万元, the unit in which the pages
    and the template take money facts. A figure finer than the fen is refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Invalid("值为空")
    try:
        yuan = money.parse_wan(value)
    except money.NumberError as exc:
        raise Invalid(exc.message) from None
    return canonical(yuan, ValueType.MONEY, scale)


@dataclass(frozen=True)
class ValueDomain:
    """The values a fact may take beyond its type: a range for numbers (either end may be
    open) and the members of an enumeration. Kept as data on the fact's definition, so
    that every path that writes a value (page, API, Excel, CLI, a department's list)
    refuses the same values with the same words."""

    minimum: Decimal | None = None
    maximum: Decimal | None = None
    members: tuple[str, ...] = ()

    def check(self, text: str, value_type: ValueType | str) -> None:
        """Raise Invalid if the canonical `text` lies outside the domain."""
        kind = ValueType(value_type)
        if kind in NUMERIC:
            number = Decimal(text)
            if self.minimum is not None and number < self.minimum:
                raise Invalid(self._below())
            if self.maximum is not None and number > self.maximum:
                raise Invalid(f"不能大于 {_plain(self.maximum)}（{self.describe()}）")
        if self.members and text not in self.members:
            raise Invalid(f"“{text}”不是可选值，可选：{'、'.join(self.members)}")

    def _below(self) -> str:
        if self.minimum == 0 and self.maximum is None:
            return "不能为负数"
        return f"不能小于 {_plain(self.minimum)}（{self.describe()}）"

    def describe(self, english: bool = False) -> str:
        """The domain in words for hints: "不能为负数" / "not negative", "应在 1–4 之间" /
        "between 1 and 4", "" when open."""
        low, high = self.minimum, self.maximum
        if low is not None and high is not None:
            if english:
                return f"between {_plain(low)} and {_plain(high)}"
            return f"应在 {_plain(low)}–{_plain(high)} 之间"
        if low == 0:
            return "not negative" if english else "不能为负数"
        if low is not None:
            return f"at least {_plain(low)}" if english else f"不小于 {_plain(low)}"
        if high is not None:
            return f"at most {_plain(high)}" if english else f"不大于 {_plain(high)}"
        return ""


def _plain(number: Decimal | None) -> str:
    """1.000000 → "1", 0.500000 → "0.5" (a bound as a person writes it)."""
    if number is None:
        return ""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# Facts that may be below zero (a loss); every other amount and count is non-negative.
SIGNED_FACTS = frozenset({"net_profit"})
# Ranges of facts that are grades or shares rather than amounts.
FACT_RANGES: dict[str, tuple[Decimal | None, Decimal | None]] = {
    # 《中小企业数字化水平评测指标》: 一级 to 四级
    "digital_level": (Decimal(1), Decimal(4)),
}


def default_domain(
    fact_id: str, value_type: ValueType | str, members: Sequence[str] = ()
) -> ValueDomain:
    """The domain a fact starts with when its definition is created: amounts (元), counts
    and other quantities are non-negative (except `SIGNED_FACTS`; a ratio such as a
    growth rate may be either), enumerations take their declared members."""
    kind = ValueType(value_type)
    if fact_id in FACT_RANGES:
        low, high = FACT_RANGES[fact_id]
        return ValueDomain(low, high, tuple(members))
    if kind not in NUMERIC:
        return ValueDomain(members=tuple(members) if kind is ValueType.ENUM else ())
    if fact_id in SIGNED_FACTS or kind is ValueType.RATIO:
        return ValueDomain()  # a loss, a growth rate: either sign
    return ValueDomain(minimum=Decimal(0))


def typed(text: str | None, value_type: ValueType | str) -> object:
    """The Python value of a stored text (Decimal, int, bool, date or str)."""
    if text is None:
        return None
    kind = ValueType(value_type)
    if kind is ValueType.INTEGER:
        return int(Decimal(text))
    if kind in NUMERIC:
        return Decimal(text)
    if kind is ValueType.BOOLEAN:
        return text == "true"
    if kind is ValueType.DATE:
        return datetime.date.fromisoformat(text)
    return text


def values_differ(a: str, b: str, value_type: ValueType | str) -> bool:
    """Do two sources disagree? Numbers compare by value ("100.0" equals "100")."""
    kind = ValueType(value_type)
    if kind in NUMERIC:
        try:
            return Decimal(a) != Decimal(b)
        except InvalidOperation:
            return a != b
    return a != b


# --------------------------------------------------------------------------------------
# Facts the registry derives (they are not imported)
# --------------------------------------------------------------------------------------


class Derivation(StrEnum):
    STORED = ""  # imported or entered, per source
    TIER = "tier"  # from the tier records (grants and holdings)
    REGISTRY = "registry"  # from the enterprise's registration record
    REGISTRY_DEFAULT = (
        "registry_default"  # derived from the registry unless a source says otherwise
    )
    SUM_3Y = "sum_3y"  # sum of the yearly fact over three fiscal years unless given


DERIVATIONS: dict[str, Derivation] = {
    "recognized_high_tech_in_period": Derivation.TIER,
    "recognized_specialized_new_provincial_in_period": Derivation.TIER,
    "has_high_tech_certificate": Derivation.TIER,
    "holds_specialized_new_title": Derivation.TIER,
    "registration_date": Derivation.REGISTRY,
    "first_above_size_date": Derivation.REGISTRY,
    "resident_enterprise": Derivation.REGISTRY_DEFAULT,
    "industrial_legal_person": Derivation.REGISTRY_DEFAULT,
    "revenue_3y_total": Derivation.SUM_3Y,
    "rd_expense_3y_total": Derivation.SUM_3Y,
}
SUM_OF = {"revenue_3y_total": "revenue", "rd_expense_3y_total": "rd_expense"}
IMPORTABLE_DERIVATIONS = frozenset(
    {Derivation.STORED, Derivation.REGISTRY_DEFAULT, Derivation.SUM_3Y}
)
# GB/T 4754-2017 sections counted as industry (采矿业, 制造业, 电力热力燃气及水生产和供应业).
INDUSTRY_SECTIONS = frozenset({"B", "C", "D"})


@dataclass(frozen=True)
class ExtraFact:
    """A yearly fact the registry keeps that no rule reads yet (issue 5 item 1)."""

    id: str
    label: str
    label_en: str
    value_type: ValueType
    unit: str


EXTRA_FACTS: tuple[ExtraFact, ...] = (
    ExtraFact("tax_paid", "纳税总额", "Taxes paid", ValueType.MONEY, "yuan"),
    ExtraFact(
        "fiscal_contribution", "地方财政贡献", "Local fiscal contribution", ValueType.MONEY, "yuan"
    ),
    ExtraFact(
        "output_value", "工业总产值", "Gross industrial output value", ValueType.MONEY, "yuan"
    ),
    ExtraFact("exports", "出口额", "Exports", ValueType.MONEY, "yuan"),
)

# How the profile groups the facts (by fact id; anything else goes under 其他).
FACT_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "财务",
        (
            "revenue",
            "main_business_revenue",
            "total_income",
            "high_tech_product_revenue",
            "revenue_3y_total",
            "rd_expense",
            "rd_expense_3y_total",
            "rd_expense_domestic_3y_total",
            "total_cost_expense",
            "total_assets",
            "total_liabilities",
            "net_profit",
            "tax_paid",
            "fiscal_contribution",
            "output_value",
            "exports",
            "equity_financing_2y",
            "equity_financing_3y",
            "venture_capital_round_max",
            "first_set_contract_price",
            "exhibition_booth_fees",
        ),
    ),
    ("人员", ("employees", "tech_staff", "rd_staff")),
    (
        "知识产权",
        (
            "ip_class1",
            "ip_class2",
            "ip_class1_self_developed",
            "ip_class1_high_value",
            "ip_class1_main_product_applied",
        ),
    ),
)


def group_of(fact_id: str) -> str:
    for name, ids in FACT_GROUPS:
        if fact_id in ids:
            return name
    return "其他"


def group_order(fact_id: str) -> tuple[int, int]:
    for index, (_name, ids) in enumerate(FACT_GROUPS):
        if fact_id in ids:
            return index, ids.index(fact_id)
    return len(FACT_GROUPS), 0


# --------------------------------------------------------------------------------------
# Tiers
# --------------------------------------------------------------------------------------


class TierCode(StrEnum):
    TECH_SME = "tech_sme"
    HIGH_TECH = "high_tech"
    EAGLET = "eaglet"
    GAZELLE = "gazelle"
    UNICORN = "unicorn"
    INNOVATIVE_SME = "innovative_sme"
    SPECIALISED_NEW_SME = "specialised_new_sme"
    LITTLE_GIANT = "little_giant"
    SINGLE_CHAMPION = "single_champion"
    ABOVE_SIZE = "above_size"


TIER_LABELS = {
    TierCode.TECH_SME: gettext_noop("科技型中小企业"),
    TierCode.HIGH_TECH: gettext_noop("高新技术企业"),
    TierCode.EAGLET: gettext_noop("雏鹰企业"),
    TierCode.GAZELLE: gettext_noop("瞪羚企业"),
    TierCode.UNICORN: gettext_noop("独角兽企业"),
    TierCode.INNOVATIVE_SME: gettext_noop("创新型中小企业"),
    TierCode.SPECIALISED_NEW_SME: gettext_noop("专精特新中小企业"),
    TierCode.LITTLE_GIANT: gettext_noop("专精特新“小巨人”企业"),
    TierCode.SINGLE_CHAMPION: gettext_noop("制造业单项冠军企业"),
    TierCode.ABOVE_SIZE: gettext_noop("规模以上工业企业"),
}

# The combined counts of the tier-counts API.
EAGLET_OR_GAZELLE = "eaglet_or_gazelle"
SPECIALISED_NEW_ALL = "specialised_new_all"
COMBINED_LABELS = {
    EAGLET_OR_GAZELLE: gettext_noop("雏鹰瞪羚企业（去重）"),
    SPECIALISED_NEW_ALL: gettext_noop("专精特新企业（国家级小巨人与省级专精特新，去重）"),
}


class Level(StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    CITY = "city"


LEVEL_LABELS = {
    Level.NATIONAL: gettext_noop("国家级"),
    Level.PROVINCIAL: gettext_noop("省级"),
    Level.CITY: gettext_noop("市级"),
}

# The level a tier is normally held at, and how many years a certificate runs (form defaults;
# None: no expiry). Tech SMEs are evaluated every year; the others run three years.
DEFAULT_LEVEL = {
    TierCode.TECH_SME: Level.NATIONAL,
    TierCode.HIGH_TECH: Level.NATIONAL,
    TierCode.EAGLET: Level.PROVINCIAL,
    TierCode.GAZELLE: Level.PROVINCIAL,
    TierCode.UNICORN: Level.PROVINCIAL,
    TierCode.INNOVATIVE_SME: Level.PROVINCIAL,
    TierCode.SPECIALISED_NEW_SME: Level.PROVINCIAL,
    TierCode.LITTLE_GIANT: Level.NATIONAL,
    TierCode.SINGLE_CHAMPION: Level.PROVINCIAL,
    TierCode.ABOVE_SIZE: Level.CITY,
}
DEFAULT_VALIDITY_YEARS: dict[TierCode, int | None] = {
    TierCode.TECH_SME: 1,
    TierCode.HIGH_TECH: 3,
    TierCode.EAGLET: 3,
    TierCode.GAZELLE: 3,
    TierCode.UNICORN: 3,
    TierCode.INNOVATIVE_SME: 3,
    TierCode.SPECIALISED_NEW_SME: 3,
    TierCode.LITTLE_GIANT: 3,
    TierCode.SINGLE_CHAMPION: 3,
    TierCode.ABOVE_SIZE: None,
}

EXPIRY_WARNING_DAYS = 90
EARLIEST_TIER_DATE = datetime.date(1990, 1, 1)
# A new certificate issued within this many days after the previous one expired is a
# renewal (复审/重新认定), not a new grant.
RENEWAL_GRACE_DAYS = 180


class EventKind(StrEnum):
    GRANTED = "granted"  # 认定（首次或中断后再次获得）
    RENEWED = "renewed"  # 复审/重新认定（接续）
    LOST = "lost"  # 撤销、取消或放弃


EVENT_LABELS = {
    EventKind.GRANTED: gettext_noop("认定"),
    EventKind.RENEWED: gettext_noop("复审续期"),
    EventKind.LOST: gettext_noop("撤销/取消"),
}


def default_expiry(code: TierCode | str, issued_on: datetime.date) -> datetime.date | None:
    years = DEFAULT_VALIDITY_YEARS[TierCode(code)]
    if years is None:
        return None
    try:
        end = issued_on.replace(year=issued_on.year + years)
    except ValueError:  # 29 February
        end = issued_on.replace(year=issued_on.year + years, day=28)
    return end - datetime.timedelta(days=1)


def held_on(
    day: datetime.date,
    issued_on: datetime.date,
    expires_on: datetime.date | None,
    ended_on: datetime.date | None,
) -> bool:
    """A certificate counts on `day` if issued by then, not expired before it (the expiry
    day itself still counts) and not lost on or before it."""
    if issued_on > day:
        return False
    if expires_on is not None and expires_on < day:
        return False
    return not (ended_on is not None and ended_on <= day)


@dataclass(frozen=True)
class Holding:
    issued_on: datetime.date
    expires_on: datetime.date | None
    ended_on: datetime.date | None


def grant_kind(earlier: Iterable[Holding], issued_on: datetime.date) -> EventKind:
    """A new certificate continues an earlier one (renewal) if that one was still valid
    when it was issued, or expired at most RENEWAL_GRACE_DAYS before; otherwise it is a
    grant. A certificate lost (revoked) never continues."""
    for h in earlier:
        if h.issued_on > issued_on or h.ended_on is not None:
            continue
        if h.expires_on is None:
            return EventKind.RENEWED
        if (issued_on - h.expires_on).days <= RENEWAL_GRACE_DAYS:
            return EventKind.RENEWED
    return EventKind.GRANTED


# --------------------------------------------------------------------------------------
# Cultivation pool
# --------------------------------------------------------------------------------------


class Stage(StrEnum):
    ENTERED = "entered"  # 入库
    CULTIVATING = "cultivating"  # 培育中
    APPLYING = "applying"  # 申报中
    RECOGNISED = "recognised"  # 已认定
    EXITED = "exited"  # 退出


STAGE_LABELS = {
    Stage.ENTERED: pgettext("pool stage", "入库"),
    Stage.CULTIVATING: pgettext("pool stage", "培育中"),
    Stage.APPLYING: pgettext("pool stage", "申报中"),
    Stage.RECOGNISED: pgettext("pool stage", "已认定"),
    Stage.EXITED: pgettext("pool stage", "退出"),
}
# The funnel's order; EXITED is outside it (an entry leaves from whatever stage it reached).
FUNNEL: tuple[Stage, ...] = (Stage.ENTERED, Stage.CULTIVATING, Stage.APPLYING, Stage.RECOGNISED)


def stage_rank(stage: Stage | str) -> int:
    s = Stage(stage)
    return FUNNEL.index(s) + 1 if s in FUNNEL else 0


def check_stage_change(current: Stage | str, new: Stage | str) -> None:
    """Forward by any number of steps, back one step (a failed application), or exit;
    an exited or recognised entry stays where it is (a new year's entry starts again)."""
    cur, nxt = Stage(current), Stage(new)
    if cur == nxt:
        raise Invalid(f"已处于“{STAGE_LABELS[cur]}”阶段")
    if cur in (Stage.EXITED, Stage.RECOGNISED):
        raise Invalid(f"“{STAGE_LABELS[cur]}”的培育记录不能再变更阶段")
    if nxt is Stage.EXITED:
        return
    if stage_rank(nxt) < stage_rank(cur) - 1:
        raise Invalid("阶段只能后退一步（如申报未通过退回培育中）")


@dataclass(frozen=True)
class FunnelRow:
    stage: Stage
    label: str
    current: int  # entries at this stage now
    reached: int  # entries that reached at least this stage (exited ones included)


def funnel(entries: Iterable[tuple[str, int]]) -> list[FunnelRow]:
    """(stage, furthest rank reached) per entry → one row per stage, plus the exits."""
    current: dict[Stage, int] = dict.fromkeys(Stage, 0)
    reached_at: dict[int, int] = {}
    for stage, furthest in entries:
        current[Stage(stage)] += 1
        reached_at[furthest] = reached_at.get(furthest, 0) + 1
    rows = []
    for stage in FUNNEL:
        rank = stage_rank(stage)
        reached = sum(n for r, n in reached_at.items() if r >= rank)
        rows.append(FunnelRow(stage, STAGE_LABELS[stage], current[stage], reached))
    rows.append(FunnelRow(Stage.EXITED, STAGE_LABELS[Stage.EXITED], current[Stage.EXITED], 0))
    return rows
