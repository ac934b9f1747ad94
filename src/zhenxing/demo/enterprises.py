"""The Yingkou demo's enterprise tiers, yearly facts and cultivation pool, calibrated to the
published figures (营口日报, `shared/docs/domain.md` §5, `shared/seeds/001`, `003`).

Every count below is computed by the platform (`enterprises.queries.tier_counts`) from
item-level tier certificates: an enterprise counts under every tier it holds that day.

    as at 2023-12-31   科技型中小企业 1,458; 高新技术企业 431; 雏鹰瞪羚 199 (distinct);
                       国家级专精特新“小巨人” 15; 省级专精特新中小企业 110
    new in 2023        科技型中小企业 460; 高新技术企业 65; 雏鹰瞪羚 40 (31 雏鹰 + 9 瞪羚,
                       the three 瞪羚 the paper names among them); 省级专精特新 27 (12 + a batch
                       of 15); 省级制造业单项冠军 3; 创新型中小企业 143; 小升规 80
    as at 2024-05-31   科技型中小企业 1,695 (1,458 + 237 registered in 2024); 专精特新 125
                       (15 + 110); 制造业单项冠军 6; 高新技术企业 431; 雏鹰瞪羚 199
    cultivation pool   1,500+ enterprises (2024)

How: each tier is a set of certificate chains with published-batch dates chosen so that the
counts hold on each date (a certificate counts from its issue day to its expiry day; a
renewal continues the chain). Tech SMEs are registered for one year and renewed in the same
batch slot each year; the others run three years. No certificate of the counted tiers
starts or ends between 2024-01-01 and 2024-05-31 except the 237 new tech SMEs and the
tech-SME renewals, so the May figures follow.

Assumed, not published (plausible, asserted nowhere): the batch dates; the counts of earlier
years (2022 new: tech SMEs 315, high-tech 61, eaglet/gazelle 33 — from the published growth
rates); innovative SMEs before 2023 (120); the above-size stock (about 470); which enterprise
holds what; every enterprise's yearly figures (generated from its tiers so that the portrait
reads sensibly: holders mostly meet the computable criteria, pool candidates nearly meet them);
the occasional disagreement between sources.

Loading is idempotent (nothing happens if any tier exists) and bulk: no audit entries, as
for the projects' demo.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from zhenxing.core import clock

D = datetime.date
SEED = 2024_0630_5
GENERATED = 3000
WAN = 10_000

# --- batch dates -------------------------------------------------------------------------
TECH_SME_SLOTS = {  # the year's registration batches (slot → month, day)
    0: (3, 15),
    1: (5, 10),
    2: (7, 12),
    3: (9, 20),
    4: (11, 15),
}
TECH_SME_2024 = {0: D(2024, 3, 10), 1: D(2024, 5, 5)}  # renewals due before the expiry

# Named by 营口日报 (seed 001) among the 2023 瞪羚 list.
NAMED_GAZELLES = [
    ("营口光明管业有限公司", "210804", "3352"),
    ("辽宁三洋电梯制造有限公司", "210804", "3435"),
    ("辽宁自贸试验区（营口片区）桔子数字科技有限公司", "210804", "6513"),
]

BRAND_CHARS = "华辰盛达鑫源泰恒宏瑞博远鹏安嘉新昌隆丰通伟金海天宇正和信德康晟锐兴旭"
PREFIXES = ["营口", "辽宁", "辽南", "渤海", "北方"]
LOCAL_PREFIX = {"210804": "鲅鱼圈", "210881": "盖州", "210882": "大石桥", "210811": "老边"}
WORDS = [
    ("精工", "3311"),
    ("镁材", "3099"),
    ("汽保设备", "3441"),
    ("乐器", "2431"),
    ("精细化工", "2662"),
    ("新材料", "3039"),
    ("粮油", "1331"),
    ("食品", "1491"),
    ("装备制造", "3463"),
    ("新能源", "3825"),
    ("智能科技", "6513"),
    ("环保科技", "7723"),
    ("重工", "3511"),
    ("铜业", "3251"),
    ("金属制品", "3311"),
    ("电子", "3974"),
    ("阀门", "3443"),
    ("耐火材料", "3089"),
    ("生物科技", "2761"),
    ("塑业", "2929"),
    ("机械", "3421"),
    ("光电", "3976"),
    ("软件", "6513"),
    ("检测", "7452"),
]
SUFFIXES = ["有限公司", "有限公司", "股份有限公司", "科技有限公司"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁于蒋蔡"
COUNTIES = ["210802", "210803", "210804", "210811", "210881", "210882"]
PARK_OF = {"210803": "P01", "210881": "P02", "210804": "P03"}

FOLLOW_UP_NOTES = [
    ("visit", "走访企业，了解研发投入归集和科技人员情况", "指导规范研发费用辅助账"),
    ("phone", "电话了解申报准备进度", "提醒按时提交申报材料"),
    ("meeting", "参加高新技术企业认定培训会", "对照认定条件自评"),
    ("service", "推送研发费用加计扣除政策解读", "协助办理加计扣除备案"),
    ("visit", "现场调研知识产权布局", "对接专利代理机构"),
    ("service", "推送科技创新券、首台套等惠企政策", "跟进政策申报"),
    ("phone", "核实统计报表与税务数据差异", "请企业补报自报数据"),
    ("meeting", "参加专精特新企业培育座谈会", "对照评价指标补短板"),
]


@dataclass
class Cert:
    code: str
    level: str
    issued: datetime.date
    expires: datetime.date | None
    batch: str
    issuer: str
    ended: datetime.date | None = None
    reason: str = ""


@dataclass
class Who:
    """One enterprise's demo roles: the certificate chains, the pool, the facts profile."""

    enterprise: Any
    chains: list[list[Cert]] = field(default_factory=list)
    pool: dict[int, tuple[str, str]] = field(default_factory=dict)  # year → (target, stage)
    near: str = ""  # the tier whose criteria its facts nearly meet
    roles: set[str] = field(default_factory=set)


def _years(issued: datetime.date, years: int) -> datetime.date:
    try:
        end = issued.replace(year=issued.year + years)
    except ValueError:
        end = issued.replace(year=issued.year + years, day=28)
    return end - datetime.timedelta(days=1)


ISSUERS = {
    "tech_sme": "辽宁省科学技术厅",
    "high_tech": "辽宁省科学技术厅 辽宁省财政厅 国家税务总局辽宁省税务局",
    "eaglet": "辽宁省科学技术厅",
    "gazelle": "辽宁省科学技术厅",
    "innovative_sme": "营口市工业和信息化局",
    "specialised_new_sme": "辽宁省工业和信息化厅",
    "little_giant": "工业和信息化部",
    "single_champion": "辽宁省工业和信息化厅",
    "above_size": "营口市统计局",
}
LEVELS = {
    "tech_sme": "national",
    "high_tech": "national",
    "eaglet": "provincial",
    "gazelle": "provincial",
    "innovative_sme": "provincial",
    "specialised_new_sme": "provincial",
    "little_giant": "national",
    "single_champion": "provincial",
    "above_size": "city",
}


def _cert(code: str, issued: datetime.date, years: int | None = 3, batch: str = "") -> Cert:
    return Cert(
        code,
        LEVELS[code],
        issued,
        None if years is None else _years(issued, years),
        batch or f"{issued.year}年第{(issued.month - 1) // 3 + 1}批",
        ISSUERS[code],
    )


def _chain(code: str, dates: Sequence[datetime.date], years: int | None = 3) -> list[Cert]:
    return [_cert(code, d, years) for d in dates]


# --------------------------------------------------------------------------------------
# Enterprises
# --------------------------------------------------------------------------------------


def _generate(rng: random.Random, areas: dict[str, Any], industries: set[str]) -> list[Any]:
    from zhenxing.demo.codes import demo_uscc
    from zhenxing.enterprises.models import Enterprise, Ownership, SizeClass

    taken_names = set(Enterprise.objects.values_list("name", flat=True))
    taken_codes = set(Enterprise.objects.values_list("uscc", flat=True))
    rows: list[Enterprise] = []

    def add(name: str, county: str, industry: str, **extra: Any) -> None:
        uscc = demo_uscc(rng, county)
        while uscc in taken_codes:
            uscc = demo_uscc(rng, county)
        taken_codes.add(uscc)
        taken_names.add(name)
        area = areas[county]
        if county in PARK_OF and rng.random() < 0.25:
            area = areas.get(PARK_OF[county]) or area
        registered = D(1998, 1, 1) + datetime.timedelta(days=rng.randrange(0, 8800))
        rows.append(
            Enterprise(
                uscc=uscc,
                name=name,
                area=area,
                industry_id=industry if industry in industries else None,
                ownership=extra.get(
                    "ownership",
                    rng.choice([Ownership.PRIVATE] * 8 + [Ownership.STATE, Ownership.MIXED]),
                ),
                size_class=extra.get(
                    "size",
                    rng.choice(
                        [SizeClass.SMALL] * 5 + [SizeClass.MICRO] * 2 + [SizeClass.MEDIUM] * 2
                    ),
                ),
                registration_date=registered,
                address=f"{areas[county].name}{rng.choice('东西南北中')}{rng.randint(1, 40)}路"
                f"{rng.randint(1, 300)}号",
                contact_name=f"{rng.choice(SURNAMES)}{rng.choice(['经理', '总', '主任', '会计'])}",
                contact_phone=f"0417-{rng.randint(2, 6)}{rng.randint(100000, 999999)}",
            )
        )

    for name, county, industry in NAMED_GAZELLES:
        if name not in taken_names:
            add(name, county, industry, size=SizeClass.MEDIUM)
    while len(rows) < GENERATED:
        word, industry = rng.choice(WORDS)
        brand = rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)
        if brand[0] == brand[1]:
            continue
        county = rng.choice(COUNTIES)
        prefixes = PREFIXES + [LOCAL_PREFIX[county]] * 2 if county in LOCAL_PREFIX else PREFIXES
        suffix = rng.choice(SUFFIXES)
        if word.endswith("科技") and suffix.startswith("科技"):
            suffix = "有限公司"
        name = rng.choice(prefixes) + brand + word + suffix
        if name in taken_names:
            continue
        add(name, county, industry)
    return Enterprise.objects.bulk_create(rows, batch_size=1000)


# --------------------------------------------------------------------------------------
# Tiers
# --------------------------------------------------------------------------------------


def _tech_sme_dates(slot: int, years: Sequence[int]) -> list[datetime.date]:
    month, day = TECH_SME_SLOTS[slot]
    return [D(y, month, day) for y in years]


def _assign_tiers(rng: random.Random, people: list[Who], existing: list[Who]) -> None:
    """Give the enterprises their certificate chains (see the module's notes)."""
    order = list(people)
    rng.shuffle(order)
    named = [w for w in people if w.enterprise.name in {n for n, _, _ in NAMED_GAZELLES}]
    order = named + [w for w in order if w not in named]

    def take(pool: list[Who], n: int) -> list[Who]:
        picked, rest = pool[:n], pool[n:]
        pool[:] = rest
        return picked

    # High-tech: 446 enterprises; 60 % of them also tech SMEs.
    ht_pool = order[:446]
    ts_only = order[446 : 446 + 1827 - 268]
    rest = order[446 + 1827 - 268 :]
    ht = list(ht_pool)
    rng.shuffle(ht)
    # Eaglet/gazelle come first from the named gazelles and high-tech ones.
    eg_from_ht = [w for w in ht if w in named] + [w for w in ht if w not in named][:117]
    chains_ht = [
        ("2019", 55),
        ("2020r", 80),
        ("2020x", 15),
        ("2021a", 20),
        ("2021", 150),
        ("2022", 61),
        ("2023", 65),
    ]
    i = 0
    for kind, n in chains_ht:
        for w in ht[i : i + n]:
            if kind == "2019":
                w.chains.append(_chain("high_tech", [D(2019, 12, 5), D(2022, 12, 14)]))
            elif kind == "2020r":
                w.chains.append(_chain("high_tech", [D(2020, 12, 1), D(2023, 11, 30)]))
            elif kind == "2020x":
                w.chains.append(_chain("high_tech", [D(2020, 12, 1)]))
            elif kind == "2021a":
                w.chains.append(_chain("high_tech", [D(2021, 8, 18)]))
            elif kind == "2021":
                w.chains.append(_chain("high_tech", [D(2021, 11, 20)]))
            elif kind == "2022":
                w.chains.append(_chain("high_tech", [D(2022, 12, 14)]))
            else:
                w.chains.append(_chain("high_tech", [D(2023, 11, 30)]))
            w.roles.add("high_tech")
        i += n

    # Tech SMEs: 1,827 enterprises (268 of them high-tech).
    ts = [w for w in ht if w not in eg_from_ht][:268] + ts_only
    rng.shuffle(ts)
    groups = [
        ("21-23", 755 - 72 + 72),  # 2021 → 2022 → 2023 (some lapse in 2023, below)
        ("21x", 60),  # 2021 only
        ("22-23", 315),  # new in 2022
        ("23", 460),  # new in 2023
        ("24", 237),  # new in 2024
    ]
    j = 0
    lapsed_2023 = 72
    for kind, n in groups:
        for w in ts[j : j + n]:
            slot = rng.randrange(5) if kind != "24" else rng.randrange(2)
            if kind == "21-23":
                years = [2021, 2022, 2023]
            elif kind == "21x":
                years = [2021]
            elif kind == "22-23":
                years = [2022, 2023]
            elif kind == "23":
                years = [2023]
            else:
                years = []
            dates = _tech_sme_dates(slot, years)
            if kind == "24":
                dates = [TECH_SME_2024[slot]]
            elif 2023 in years and slot in TECH_SME_2024:
                dates.append(TECH_SME_2024[slot])  # renewed before it expires
            w.chains.append(_chain("tech_sme", dates, years=1))
            w.roles.add("tech_sme")
        j += n
    # 72 of the 2021 → 2023 chains stop after 2022 (not renewed in 2023); five revoked.
    lapsing = [w for w in ts[:755] if len(w.chains[-1]) >= 3][:lapsed_2023]
    for k, w in enumerate(lapsing):
        chain = w.chains[-1]
        del chain[2:]
        if k < 5:
            cert = chain[-1]
            cert.ended = cert.issued + datetime.timedelta(days=200)
            cert.reason = ["企业迁出本市", "列入经营异常名录", "虚报科技人员数据"][k % 3]
    # The 2023 counts need 998 renewals: 755 from 2021 + 315 from 2022 − 72 lapsed = 998.

    # Eaglet / gazelle: 205 enterprises, 199 held at 2023-12-31.
    eg_pool = eg_from_ht + [w for w in ts if "high_tech" not in w.roles][: 205 - len(eg_from_ht)]
    eg_new_2023 = eg_pool[:40]
    eg = eg_pool[40:]
    for k, w in enumerate(eg_new_2023):  # the named gazelles first
        code = "gazelle" if k < 9 else "eaglet"
        w.chains.append(_chain(code, [D(2023, 10, 25)]))
        w.roles.add("eaglet_or_gazelle")
    for k, w in enumerate(eg[:70]):  # 2021 batch: 50 eaglets, 20 gazelles
        code = "eaglet" if k < 50 else "gazelle"
        w.chains.append(_chain(code, [D(2021, 10, 15)]))
        if k < 6:  # six eaglets also became gazelles in 2022: counted once
            w.chains.append(_chain("gazelle", [D(2022, 10, 20)]))
        w.roles.add("eaglet_or_gazelle")
    for k, w in enumerate(eg[70:125]):  # 2022 batch: 33 new, 22 renewing 2019 certificates
        code = "eaglet" if k % 3 else "gazelle"
        dates = [D(2022, 10, 20)] if k < 33 else [D(2019, 10, 18), D(2022, 10, 20)]
        w.chains.append(_chain(code, dates))
        w.roles.add("eaglet_or_gazelle")
    for k, w in enumerate(eg[125:165]):  # 2020 batch: 34 renewed in 2023, 6 lapsed
        code = "eaglet" if k % 4 else "gazelle"
        dates = [D(2020, 10, 20), D(2023, 10, 25)] if k < 34 else [D(2020, 10, 20)]
        w.chains.append(_chain(code, dates))
        w.roles.add("eaglet_or_gazelle")

    # Above size: the named large enterprises and about 500 others (industrial ones).
    industrial = [
        w
        for w in existing + rest + ts[1200:]
        if (w.enterprise.industry_id or "")[:2].isdigit()
        and 6 <= int((w.enterprise.industry_id or "00")[:2]) <= 46
        and "high_tech" not in w.roles
    ]
    large = [w for w in existing if w.enterprise.size_class == "large"]
    above = large + [w for w in industrial if w not in large][: 509 - len(large)]
    for k, w in enumerate(above):
        if k < 300:
            first = D(2006, 1, 1) + datetime.timedelta(days=rng.randrange(0, 5400))
        elif k < 355:
            first = D(2021, rng.randint(1, 12), 28)
        elif k < 417:
            first = D(2022, rng.randint(1, 12), 28)
        elif k < 497:
            first = D(2023, rng.randint(1, 12), 28)  # 小升规 80 in 2023
        else:
            first = D(2024, rng.randint(1, 5), 28)
        cert = _cert("above_size", first, None, batch=f"{first.year}年{first.month}月入库")
        if len(large) <= k < len(large) + 25:  # left the statistic in 2022–2023 (退规)
            cert.ended = D(2022 + k % 2, 12, 31)
            cert.reason = "主营业务收入低于2000万元，退出规上统计"
        w.chains.append([cert])
        w.roles.add("above_size")
        if cert.ended is None:
            w.enterprise.above_size_since = first

    # Specialised-new (provincial, 110) and little giants (national, 15): different
    # enterprises; single champions (6) among the large ones; innovative SMEs 263.
    sme_industrial = [w for w in above if w.enterprise.size_class != "large"]
    sn = sme_industrial[:110]
    for k, w in enumerate(sn):
        if k < 45:
            dates = [D(2021, 6, 25)] + ([D(2024, 6, 20)] if k < 40 else [])
        elif k < 83:
            dates = [D(2022, 6, 28)]
        elif k < 95:
            dates = [D(2023, 6, 20)]
        else:
            dates = [D(2023, 12, 18)]  # the batch of 15
        w.chains.append(_chain("specialised_new_sme", dates))
        w.roles.add("specialised_new_sme")
    lg = sme_industrial[110:125]
    for k, w in enumerate(lg):
        issued = D(2021, 7, 20) if k < 5 else D(2022, 8, 15) if k < 11 else D(2023, 7, 28)
        w.chains.append(_chain("little_giant", [issued]))
        w.roles.add("little_giant")
    champions = large[:3] + sme_industrial[125:128]
    for k, w in enumerate(champions):
        w.chains.append(_chain("single_champion", [D(2021, 12, 10) if k < 3 else D(2023, 11, 20)]))
        w.roles.add("single_champion")
    innovative = [w for w in ts if "innovative_sme" not in w.roles][300:563]
    for k, w in enumerate(innovative):
        w.chains.append(_chain("innovative_sme", [D(2022, 9, 15) if k < 120 else D(2023, 9, 15)]))
        w.roles.add("innovative_sme")


# --------------------------------------------------------------------------------------
# The pool
# --------------------------------------------------------------------------------------

STAGES_2024 = ["entered"] * 3 + ["cultivating"] * 4 + ["applying"] * 2 + ["exited"]


def _assign_pool(rng: random.Random, people: list[Who]) -> None:
    """2023 pool: the year's recognitions and the candidates; 2024 pool: 1,500+."""

    def held_at(w: Who, code: str, day: datetime.date) -> bool:
        return any(
            c.code == code
            and c.issued <= day
            and (c.expires is None or c.expires >= day)
            and (c.ended is None or c.ended > day)
            for chain in w.chains
            for c in chain
        )

    def gained(w: Who, code: str, year: int) -> bool:
        return any(chain[0].code == code and chain[0].issued.year == year for chain in w.chains)

    mid = D(2024, 6, 30)
    order = list(people)
    rng.shuffle(order)
    for w in order:
        for code in ("tech_sme", "high_tech", "eaglet", "gazelle", "specialised_new_sme"):
            if gained(w, code, 2023):
                w.pool[2023] = (code, "recognised")
                break
        for code in ("tech_sme",):
            if gained(w, code, 2024):
                w.pool[2024] = (code, "recognised")
    targets: list[tuple[str, int, Callable[[Who], bool]]] = [
        (
            "high_tech",
            420,
            lambda w: held_at(w, "tech_sme", mid) and not held_at(w, "high_tech", mid),
        ),
        (
            "eaglet",
            130,
            lambda w: held_at(w, "high_tech", mid) and "eaglet_or_gazelle" not in w.roles,
        ),
        (
            "specialised_new_sme",
            120,
            lambda w: "innovative_sme" in w.roles and "specialised_new_sme" not in w.roles,
        ),
        ("little_giant", 25, lambda w: held_at(w, "specialised_new_sme", mid)),
        (
            "innovative_sme",
            80,
            lambda w: held_at(w, "tech_sme", mid) and "innovative_sme" not in w.roles,
        ),
        ("above_size", 90, lambda w: not w.roles and w.enterprise.industry_id is not None),
        ("tech_sme", 520, lambda w: not w.roles),
    ]
    for target, n, fits in targets:
        chosen = [w for w in order if 2024 not in w.pool and fits(w)][:n]
        for k, w in enumerate(chosen):
            stage = STAGES_2024[k % len(STAGES_2024)]
            w.pool[2024] = (target, stage)
            if k % 3 == 0 and target in (
                "high_tech",
                "tech_sme",
                "above_size",
                "specialised_new_sme",
            ):
                w.near = target
            if 2023 not in w.pool and k % 2 == 0:
                w.pool[2023] = (target, "cultivating" if k % 4 else "exited")


# --------------------------------------------------------------------------------------
# Yearly facts
# --------------------------------------------------------------------------------------


def _money(value: float) -> str:
    return f"{max(value, 0):.2f}"


def _profile(rng: random.Random, w: Who) -> dict[int, dict[str, dict[str, Any]]]:
    """{year: {source: {fact: value}}} for 2021–2024, shaped by the enterprise's tiers."""
    roles = w.roles
    large = w.enterprise.size_class == "large"
    if large:
        revenue = rng.uniform(8e8, 6e9)
        employees = rng.randint(800, 6000)
    elif "above_size" in roles or "specialised_new_sme" in roles or "little_giant" in roles:
        revenue = rng.uniform(2.4e7, 1.8e8)
        employees = rng.randint(80, 450)
    elif "high_tech" in roles:
        revenue = rng.uniform(1.2e7, 1.9e8)
        employees = rng.randint(40, 420)
    elif "tech_sme" in roles:
        revenue = rng.uniform(2e6, 6e7)
        employees = rng.randint(12, 260)
    else:
        revenue = rng.uniform(1e6, 4e7)
        employees = rng.randint(8, 200)
    if w.near == "above_size":
        revenue = rng.uniform(1.9e7, 2.08e7)
    growth = rng.uniform(0.04, 0.18) if roles else rng.uniform(-0.05, 0.12)
    techy = bool(roles & {"tech_sme", "high_tech", "eaglet_or_gazelle", "innovative_sme"})
    tech_share = rng.uniform(0.16, 0.4) if techy else rng.uniform(0.03, 0.12)
    rd_ratio = rng.uniform(0.055, 0.09) if techy else rng.uniform(0.005, 0.025)
    main_share = (0.82, 0.97)
    margin = (0.03, 0.12)
    debt = (0.25, 0.6)
    if roles & {"specialised_new_sme", "little_giant"}:
        # strong on the specialised-new indicators (niche years, growth, margins, IP)
        rd_ratio = max(rd_ratio, rng.uniform(0.045, 0.08))
        growth = rng.uniform(0.10, 0.18)
        main_share, margin, debt = (0.86, 0.97), (0.085, 0.12), (0.25, 0.48)
    ht_share = rng.uniform(0.66, 0.9) if "high_tech" in roles else rng.uniform(0.3, 0.62)
    if w.near == "high_tech":
        # one criterion short: high-tech products just under 60 % of total income
        ht_share = rng.uniform(0.52, 0.595)
        rd_ratio = max(rd_ratio, 0.056)
        tech_share = max(tech_share, 0.14)
    if w.near == "tech_sme":
        # about ten points short of the 60 the evaluation wants
        tech_share = rng.uniform(0.15, 0.19)
        rd_ratio = rng.uniform(0.041, 0.048)
    ip1 = rng.randint(1, 6) if techy else rng.choice([0, 0, 0, 1])
    ip2 = rng.randint(3, 25) if techy else rng.randint(0, 4)
    if w.near == "tech_sme":
        ip1, ip2 = 0, 2
    niche = rng.randint(3, 18) if roles else rng.randint(1, 8)
    if roles & {"specialised_new_sme", "little_giant"}:
        ip1, niche = rng.randint(3, 6), rng.randint(10, 18)
    industrial = (w.enterprise.industry_id or "")[:2].isdigit() and 6 <= int(
        (w.enterprise.industry_id or "00")[:2]
    ) <= 46
    out: dict[int, dict[str, dict[str, Any]]] = {}
    base_2023 = revenue
    for year in (2021, 2022, 2023):
        factor = (1 + growth) ** (year - 2023)
        rev = base_2023 * factor * rng.uniform(0.97, 1.03)
        main = rev * rng.uniform(*main_share)
        rd = rev * rd_ratio * rng.uniform(0.95, 1.05)
        assets = rev * rng.uniform(0.8, 1.4)
        if "tech_sme" in roles and not large:
            assets = min(assets, 1.9e8)
        liabilities = assets * rng.uniform(*debt)
        emp = max(5, int(employees * (1 + growth / 2) ** (year - 2023)))
        tech = max(1, int(emp * tech_share))
        tax = {
            "revenue": _money(rev),
            "total_income": _money(rev * rng.uniform(1.0, 1.02)),
            "rd_expense": _money(rd),
            "total_cost_expense": _money(rev * rng.uniform(0.8, 0.93)),
            "total_assets": _money(assets),
            "total_liabilities": _money(liabilities),
            "net_profit": _money(rev * rng.uniform(*margin)),
            "tax_paid": _money(rev * rng.uniform(0.02, 0.06)),
            "fiscal_contribution": _money(rev * rng.uniform(0.008, 0.025)),
        }
        stats: dict[str, Any] = {
            "main_business_revenue": _money(main),
            "employees": emp,
            "tech_staff": tech,
            "rd_staff": max(1, int(tech * rng.uniform(0.5, 0.8))),
            "high_tech_product_revenue": _money(rev * ht_share),
        }
        if industrial:
            stats["output_value"] = _money(main * rng.uniform(1.0, 1.1))
        if rng.random() < 0.25:
            stats["exports"] = _money(rev * rng.uniform(0.05, 0.4))
        # the statistics bureau also reports revenue for some; now and then it differs
        if rng.random() < 0.3:
            stats["revenue"] = _money(rev * (rng.uniform(0.94, 1.06) if rng.random() < 0.3 else 1))
        ip1_year = max(0, ip1 - (2023 - year))
        market = {
            "ip_class1": ip1_year,
            "ip_class2": max(0, ip2 - 2 * (2023 - year)),
            "ip_class1_self_developed": max(0, ip1_year - 1),
            "ip_class1_high_value": 1 if ip1_year >= 3 else 0,
            "ip_class1_main_product_applied": min(ip1_year, 3),
            "quality_system_certified": bool(roles) or rng.random() < 0.5,
            "own_brand": bool(roles) and rng.random() < 0.8,
        }
        own: dict[str, Any] = {
            "years_in_niche": max(0, niche - (2023 - year)),
            "digital_level": 3
            if roles & {"specialised_new_sme", "little_giant"}
            else rng.randint(1, 3),
            "has_rd_institution": techy or rng.random() < 0.2,
            "has_provincial_rd_institution": "high_tech" in roles and rng.random() < 0.2,
            "quality_award_provincial": rng.random() < 0.08,
            "standard_drafting": rng.random() < (0.4 if roles else 0.05),
            "core_process_information_system": bool(roles) or rng.random() < 0.5,
            "management_or_product_certified": bool(roles) or rng.random() < 0.4,
        }
        if rng.random() < 0.15:  # the enterprise's own head count, sometimes different
            own["employees"] = emp if rng.random() < 0.6 else int(emp * rng.uniform(1.05, 1.2))
        if year == 2023:
            rd_3y = rd * (1 + 1 / (1 + growth) + 1 / (1 + growth) ** 2)
            tax["rd_expense_domestic_3y_total"] = _money(rd_3y * rng.uniform(0.8, 1.0))
        out[year] = {
            "tax": tax,
            "statistics": stats,
            "market_regulator": market,
            "self_reported": own,
        }
    if roles or w.pool:
        # the enterprise's own estimate for the year under way (reported in June)
        last = out[2023]
        out[2024] = {
            "self_reported": {
                "revenue": _money(float(last["tax"]["revenue"]) * (1 + growth)),
                "employees": int(last["statistics"]["employees"] * (1 + growth / 2)),
                "rd_expense": _money(float(last["tax"]["rd_expense"]) * (1 + growth)),
            }
        }
    return out


def _basic_profile(rng: random.Random, w: Who) -> dict[int, dict[str, dict[str, Any]]]:
    revenue = rng.uniform(5e5, 1.5e7)
    employees = rng.randint(3, 80)
    out: dict[int, dict[str, dict[str, Any]]] = {}
    for year in (2021, 2022, 2023):
        rev = revenue * rng.uniform(0.85, 1.15) ** (2023 - year)
        out[year] = {
            "tax": {
                "revenue": _money(rev),
                "total_assets": _money(rev * rng.uniform(0.6, 1.5)),
                "tax_paid": _money(rev * rng.uniform(0.01, 0.05)),
            },
            "statistics": {"employees": employees},
        }
    return out


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


def _staff() -> dict[str, Any]:
    """Staff responsible for the pool: the demo's 工信局 and 鲅鱼圈 accounts, and two 科技局
    officers and three more areas' staff (no password: not for signing in)."""
    from zhenxing.core.models import Area, Department, RoleAssignment

    user_model = get_user_model()
    staff: dict[str, Any] = {}
    for username in ("dept", "area"):
        user = user_model.objects.filter(username=username).first()
        if user is not None:
            staff[username] = user
    kjj = Department.objects.filter(code="kjj").first()
    extra: list[tuple[str, str, dict[str, Any]]] = [
        ("kjj_chen", "科技局 陈科员", {"role": "dept_staff", "department": kjj}),
        ("kjj_zhou", "科技局 周科员", {"role": "dept_staff", "department": kjj}),
        ("gz_liu", "盖州市 刘专员", {"role": "area_staff", "area": "210881"}),
        ("dsq_sun", "大石桥市 孙专员", {"role": "area_staff", "area": "210882"}),
        ("zq_wu", "站前区 吴专员", {"role": "area_staff", "area": "210802"}),
    ]
    for username, display, grant in extra:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model(username=username, display_name=display)
            user.set_unusable_password()
            user.save()
        values = dict(grant)
        if "area" in values:
            values["area"] = Area.objects.get(code=values["area"])
        RoleAssignment.objects.get_or_create(user=user, **values)
        staff[username] = user
    return staff


def _responsible(w: Who, target: str, staff: dict[str, Any], rng: random.Random) -> Any:
    host = (
        w.enterprise.area.parent.code
        if w.enterprise.area.kind == "park"
        else w.enterprise.area.code
    )
    area_staff = {"210804": "area", "210881": "gz_liu", "210882": "dsq_sun", "210802": "zq_wu"}
    if host in area_staff and area_staff[host] in staff and rng.random() < 0.4:
        return staff[area_staff[host]]
    if target in ("tech_sme", "high_tech", "eaglet", "gazelle"):
        return staff.get(rng.choice(["kjj_chen", "kjj_zhou"]))
    return staff.get("dept")


@transaction.atomic
def load_enterprise_demo(*, today: datetime.date) -> None:
    """Generate the demo's enterprises, tiers, yearly facts and pool (once)."""
    from zhenxing.core.models import Area, Industry
    from zhenxing.enterprises import services
    from zhenxing.enterprises.models import (
        Enterprise,
        FactDefinition,
        FactSubmission,
        FactValue,
        FollowUp,
        PoolEntry,
        Tier,
        TierEvent,
    )

    if Tier.objects.exists():
        return
    if today < D(2024, 6, 30):
        raise ValueError(f"the demo's tiers run to 2024-06-30; today is {today}")
    rng = random.Random(SEED)
    services.sync_fact_definitions()
    areas = {a.code: a for a in Area.objects.select_related("parent")}
    industries = set(Industry.objects.values_list("code", flat=True))
    existing_enterprises = list(Enterprise.objects.select_related("area__parent").order_by("pk"))
    existing_ids = {e.pk for e in existing_enterprises}
    generated = _generate(rng, areas, industries)
    existing = [Who(e) for e in existing_enterprises]
    people = [Who(e) for e in generated]
    _assign_tiers(rng, people, existing)
    everyone = existing + people
    _assign_pool(rng, everyone)

    # Registry: registered well before any recognition; first above-size dates; clusters.
    for w in everyone:
        first = min((c.issued for chain in w.chains for c in chain), default=None)
        e = w.enterprise
        if first is not None and (
            e.registration_date is None
            or e.registration_date > first - datetime.timedelta(days=400)
        ):
            e.registration_date = first - datetime.timedelta(days=rng.randint(400, 3000))
    Enterprise.objects.bulk_update(
        [w.enterprise for w in everyone], ["registration_date", "above_size_since"], batch_size=1000
    )
    _clusters(rng, everyone)

    # Tiers and their events.
    tiers: list[Tier] = []
    links: list[tuple[int, int]] = []  # (index of a tier, index of the tier it renews)
    for w in everyone:
        for chain in w.chains:
            for position, cert in enumerate(chain):
                tiers.append(
                    Tier(
                        enterprise=w.enterprise,
                        code=cert.code,
                        level=cert.level,
                        certificate_no=_certificate_no(rng, cert),
                        issuer=cert.issuer,
                        batch=cert.batch,
                        issued_on=cert.issued,
                        expires_on=cert.expires,
                        ended_on=cert.ended,
                        end_reason=cert.reason,
                    )
                )
                if position:
                    links.append((len(tiers) - 1, len(tiers) - 2))
    Tier.objects.bulk_create(tiers, batch_size=2000)
    for index, previous in links:
        tiers[index].renewal_of = tiers[previous]
    Tier.objects.bulk_update([tiers[i] for i, _ in links], ["renewal_of"], batch_size=2000)
    renewed = {i for i, _ in links}
    events = []
    for index, tier in enumerate(tiers):
        events.append(
            TierEvent(
                tier=tier,
                enterprise=tier.enterprise,
                code=tier.code,
                level=tier.level,
                kind="renewed" if index in renewed else "granted",
                date=tier.issued_on,
                note=tier.batch,
            )
        )
        if tier.ended_on is not None:
            events.append(
                TierEvent(
                    tier=tier,
                    enterprise=tier.enterprise,
                    code=tier.code,
                    level=tier.level,
                    kind="lost",
                    date=tier.ended_on,
                    note=tier.end_reason,
                )
            )
    TierEvent.objects.bulk_create(events, batch_size=5000)

    # Yearly facts from the sources, then which value the rules read.
    definitions = {d.code: d for d in FactDefinition.objects.all()}
    values: list[tuple[Any, ...]] = []
    submissions: list[tuple[Any, ...]] = []
    date = connection.ops.adapt_datefield_value
    now = clock.now()
    for w in everyone:
        profiled = bool(w.roles or w.pool) or w.enterprise.pk in existing_ids
        facts = _profile(rng, w) if profiled else _basic_profile(rng, w)
        if w.enterprise.name == "营口钢铁有限公司":
            _steelworks(facts)
        for year, by_source in facts.items():
            for source, items in by_source.items():
                if not items:
                    continue
                as_of = date(_as_of(year, source))
                submissions.append(
                    (w.enterprise.pk, year, source, as_of, f"演示数据：{len(items)} 项", now)
                )
                for code, value in items.items():
                    definition = definitions[code]
                    values.append(
                        (
                            w.enterprise.pk,
                            year,
                            definition.pk,
                            source,
                            _canonical(value, definition),
                            as_of,
                            False,
                        )
                    )
    _insert(
        FactSubmission,
        ["enterprise_id", "year", "source", "as_of", "summary", "recorded_at"],
        submissions,
    )
    _insert(
        FactValue,
        ["enterprise_id", "year", "fact_id", "source", "value", "as_of", "effective"],
        values,
    )
    services.resolve_effective()

    # The pool and its follow-ups.
    staff = _staff()
    entries: list[PoolEntry] = []
    for w in everyone:
        for year, (target, stage) in sorted(w.pool.items()):
            entered = D(year, 1, 1) + datetime.timedelta(days=rng.randrange(0, 60))
            since = entered
            if stage != "entered":
                since = min(
                    D(year, 12, 20),
                    today - datetime.timedelta(days=3),
                    entered + datetime.timedelta(days=rng.randrange(30, 150)),
                )
            if stage == "recognised":
                issued = next(
                    (
                        c.issued
                        for ch in w.chains
                        for c in ch
                        if c.code == target and c.issued.year == year
                    ),
                    since,
                )
                since = max(issued, entered)
            furthest = {"entered": 1, "cultivating": 2, "applying": 3, "recognised": 4}.get(
                stage, 3
            )
            entries.append(
                PoolEntry(
                    enterprise=w.enterprise,
                    target=target,
                    year=year,
                    stage=stage,
                    stage_since=since,
                    furthest=furthest,
                    entered_on=entered,
                    responsible=_responsible(w, target, staff, rng),
                    exit_reason="企业暂无申报意向" if stage == "exited" else "",
                )
            )
    PoolEntry.objects.bulk_create(entries, batch_size=2000)
    follow_ups = []
    for entry in entries:
        for k in range(rng.randint(0, 3) if entry.year == 2024 else rng.randint(0, 1)):
            kind, note, next_step = rng.choice(FOLLOW_UP_NOTES)
            day = entry.entered_on + datetime.timedelta(days=10 + 25 * k + rng.randrange(10))
            if day > today:
                break
            follow_ups.append(
                FollowUp(
                    entry=entry,
                    date=day,
                    kind=kind,
                    note=note,
                    next_step=next_step,
                    recorded_by=entry.responsible,
                )
            )
        if entry.stage != "entered":
            follow_ups.append(
                FollowUp(
                    entry=entry,
                    date=entry.stage_since,
                    kind="stage",
                    note=f"进入“{dict(STAGE_NAMES)[entry.stage]}”阶段",
                    stage_to=entry.stage,
                    recorded_by=entry.responsible,
                )
            )
    FollowUp.objects.bulk_create(follow_ups, batch_size=5000)


def _insert(model: Any, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Plain multi-row inserts for the large generated tables (no model instances)."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 20_000):
            cursor.executemany(sql, rows[start : start + 20_000])


STAGE_NAMES = [
    ("entered", "入库"),
    ("cultivating", "培育中"),
    ("applying", "申报中"),
    ("recognised", "已认定"),
    ("exited", "退出"),
]
CLUSTER_OF_INDUSTRY = {
    "31": "steel",
    "32": "aluminium",
    "33": "copper",
    "26": "fine-chemicals",
    "13": "grain-oil-food",
    "14": "grain-oil-food",
    "44": "clean-energy",
    "45": "clean-energy",
    "09": "gold",
    "30": "magnesium",
}


def _clusters(rng: random.Random, everyone: list[Who]) -> None:
    from zhenxing.clusters.models import Cluster
    from zhenxing.enterprises.models import Enterprise

    clusters = {c.code: c for c in Cluster.objects.filter(scheme__code="2023-4-4-N")}
    if not clusters:
        return
    through = Enterprise.clusters.through
    rows = []
    for w in everyone:
        code = CLUSTER_OF_INDUSTRY.get((w.enterprise.industry_id or "")[:2])
        if code in clusters and rng.random() < 0.8:
            rows.append(through(enterprise_id=w.enterprise.pk, cluster_id=clusters[code].pk))
    through.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)


def _certificate_no(rng: random.Random, cert: Cert) -> str:
    year = cert.issued.year
    if cert.code == "high_tech":
        return f"GR{year}210{rng.randint(0, 99999):05d}"
    if cert.code == "tech_sme":
        return f"{year}2108{rng.randint(0, 9):d}{rng.randint(0, 999999):06d}"
    if cert.code == "above_size":
        return ""
    prefix = {
        "eaglet": "LNCY",
        "gazelle": "LNDL",
        "innovative_sme": "YKCX",
        "specialised_new_sme": "LNZJTX",
        "little_giant": "GJXJR",
        "single_champion": "LNDXGJ",
    }[cert.code]
    return f"{prefix}{year}{rng.randint(0, 9999):04d}"


def _as_of(year: int, source: str) -> datetime.date:
    if year == 2024:
        return D(2024, 6, 20)
    return {
        "tax": D(year + 1, 5, 31),  # after the annual corporate income tax settlement
        "statistics": D(year + 1, 3, 31),
        "market_regulator": D(year + 1, 1, 15),
        "self_reported": D(year + 1, 4, 30),
    }[source]


def _canonical(value: Any, definition: Any) -> str:
    from zhenxing.enterprises import domain

    if isinstance(value, str) and definition.value_type in ("money", "decimal", "ratio"):
        return value if definition.scale == 2 else f"{Decimal(value):.{definition.scale}f}"
    return domain.canonical(value, definition.value_type, definition.scale)


def _steelworks(facts: dict[int, dict[str, dict[str, Any]]]) -> None:
    """营口钢铁: a large steelworks, above size, three-year R&D just under the high-tech 3 %."""
    for year, scale in ((2021, 0.9), (2022, 0.95), (2023, 1.0)):
        revenue = 5_200_000_000 * scale
        tax = facts[year]["tax"]
        tax.update(
            revenue=_money(revenue),
            total_income=_money(revenue * 1.01),
            rd_expense=_money(revenue * 0.0285),
            total_assets=_money(revenue * 1.3),
            total_liabilities=_money(revenue * 0.7),
        )
        stats = facts[year]["statistics"]
        stats.update(
            main_business_revenue=_money(revenue * 0.96),
            employees=4200,
            tech_staff=520,
            rd_staff=380,
            high_tech_product_revenue=_money(revenue * 0.64),
        )
        stats.pop("revenue", None)
        facts[year]["market_regulator"].update(ip_class1=12, ip_class2=46)
    facts[2023]["tax"]["rd_expense_domestic_3y_total"] = _money(5_200_000_000 * 2.85 * 0.0285)
    if 2024 in facts:
        facts[2024]["self_reported"].update(
            revenue=_money(5_460_000_000), employees=4300, rd_expense=_money(5_460_000_000 * 0.029)
        )
