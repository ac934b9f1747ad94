"""The Yingkou demo's investment projects: generated, and calibrated to the published figures.

Every figure below comes from 营口日报 (`shared/docs/domain.md` §2–3). The generator
builds item-level records (projects, dated status changes, library memberships, key-list
entries, annual plans, monthly reports, stewards, visits, problems) so that the platform's
own queries (`projects.queries`) reproduce each figure at its published precision:

    as at 2024-06-30   建设项目库 833 projects, 320.5 bn yuan; 储备项目库 1,321, 725.1 bn;
                       省重大工程 21, 116.17 bn; 央地合作 15, about 140 bn;
                       港产城 172, 155.5 bn (港口 7 / 21.4; 港口产业 109 / 91.6; 城市 36 / 42.5)
    Jan–May 2024       591 projects started or resumed (开复工), 20.31 bn invested,
                       +7.5 % on Jan–May 2023
    stewards           33 projects, 205.5 bn, 31 leaders; 49 site visits, 44 phone checks,
                       37 city-team and 152 county-team visits; 38 problems closed

How: the projects are drawn in disjoint groups ("cells") whose counts and totals are set
exactly; each published total is the sum of a few cells. Amounts inside a cell are random
(log-normal) and bounded, then rounded to whole 万元 with the rounding remainder spread
over many records, so each total is exact to the yuan. The January–May monthly reports
are allocated the same way. No generated record carries more than 5 % of a published
figure it enters (the named projects of the newspaper are exempt); the one figure where
that is arithmetically impossible is 港口 (7 projects, 21.4 bn: even with the 11.6 bn LNG
terminal, six generated projects share 9.8 bn, 1.6 bn each against a 5 % cap of 1.07 bn),
so there a generated project may carry at most 1.5 × the fair share (1.5 / 7 of 21.4 bn).

Assumed, not published (kept plausible, asserted nowhere): which area, cluster, owner and
library each project has; the statuses' dates; Jan–May 2023 = 188.93 亿元 (chosen so that
growth rounds to 7.50 %); the open problems; the monthly reports outside Jan–May.

Loading is idempotent: if any project exists, nothing is done. Records are bulk-created
(no audit entries: they are generated demo data, not anybody's change).
"""

from __future__ import annotations

import calendar
import datetime
import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from zhenxing.core.codes import project_code

D = datetime.date
AS_AT = D(2024, 6, 30)  # the demo's today; the published library figures are as at this day
SEED = 2024_0630_3
BN = 1_000_000_000
WAN = 10_000  # project totals and plans are whole 万元
REPORT_UNIT = 100  # monthly reports are whole 百元 (0.01 万元)
TZ = datetime.timezone(datetime.timedelta(hours=8))

# --- the published figures (yuan) ------------------------------------------------------
CONSTRUCTION = (833, 320_500 * 10**6)
RESERVE = (1_321, 725_100 * 10**6)
PROVINCE_MAJOR = (21, 116_170 * 10**6)
CENTRAL_LOCAL = (15, 140_000 * 10**6)
PORT_CITY = (172, 155_500 * 10**6)
STEWARDS = (33, 205_500 * 10**6, 31)
STARTED_OR_RESUMED_JAN_MAY = 591
INVESTMENT_JAN_MAY_2024 = 20_310 * 10**6
# Not published: chosen so that (20.31 - 18.893) / 18.893 = 7.50 % (published: +7.5 %).
INVESTMENT_JAN_MAY_2023 = 18_893 * 10**6
VISITS = {"site": 49, "phone": 44, "city_team": 37, "county_team": 152}
PROBLEMS_CLOSED = 38
PROBLEMS_OPEN, PROBLEMS_OVERDUE = 9, 3  # not published: a few open, some overdue

# The 港产城 sub-lists as published: 港口 7 / 21.4 bn, 港口产业 109 / 91.6 bn, 城市 36 / 42.5 bn.
# Their counts add up to 152, not the 172 of the whole list (their money does add up to
# 155.5 bn). We keep both as printed: the three sub-lists hold exactly the published
# counts, and 20 further projects sit directly on the parent list "港产城", with 0.12 bn
# between them. The sub-list totals are set in the lower half of their rounding ranges
# (21.36, 91.56, 42.46 bn) to leave that room, so that the parent, counting 172 distinct
# projects, still totals 155.50 bn.
PORT = (7, 21_360 * 10**6)
PORT_INDUSTRY = (109, 91_560 * 10**6)
CITY = (36, 42_460 * 10**6)
PORT_CITY_DIRECT = (20, 120 * 10**6)

# Key lists: (code, name, parent code, sort order)
KEY_LISTS = [
    ("province-major", "省重大工程", None, 10),
    ("central-local", "央地合作", None, 20),
    ("port-city", "港产城", None, 30),
    ("port-city-port", "港口", "port-city", 31),
    ("port-city-industry", "港口产业", "port-city", 32),
    ("port-city-city", "城市", "port-city", 33),
]
LIST_ENTRY = {
    "province-major": D(2024, 1, 20),
    "central-local": D(2023, 12, 1),
    "port-city": D(2024, 1, 10),
    "port-city-port": D(2024, 1, 10),
    "port-city-industry": D(2024, 1, 10),
    "port-city-city": D(2024, 1, 10),
}

COUNTIES = ["210802", "210803", "210804", "210811", "210881", "210882"]
PARKS = ["P01", "P02", "P03"]
INDUSTRIAL_AREAS = {
    "210804": 22, "210882": 17, "210881": 15, "210811": 10, "210802": 5, "210803": 6,
    "P01": 8, "P02": 7, "P03": 10,
}  # fmt: skip
PORT_AREAS = {"210804": 4, "P03": 3, "P02": 2, "210803": 1}
CITY_AREAS = {"210802": 5, "210803": 4, "210804": 4, "210811": 2, "210881": 2, "210882": 2}

# Winter stops building in Liaoning: investment by month (relative).
SEASON = [0.25, 0.35, 0.9, 1.3, 1.5, 1.6, 1.6, 1.6, 1.5, 1.3, 0.8, 0.4]

CLUSTER_INDUSTRIES = {
    "steel": ["3120", "3130", "3110"],
    "clean-energy": ["4415", "4419", "4430"],
    "gold": ["0921"],
    "copper": ["3211"],
    "fine-chemicals": ["2614", "2661", "2619"],
    "aluminium": ["3216"],
    "magnesium": ["3217", "3089", "0917"],
    "grain-oil-food": ["1331", "1431", "1361"],
    None: ["3411", "3415", "3824", "3511", "3399"],
}
CLUSTER_WEIGHTS = {
    "steel": 12, "clean-energy": 14, "gold": 3, "copper": 5, "fine-chemicals": 16,
    "aluminium": 6, "magnesium": 12, "grain-oil-food": 10, None: 22,
}  # fmt: skip
PRODUCTS = {
    "steel": ["高品质特钢", "钢材深加工", "冷轧板带", "精品线材", "钢铁超低排放改造"],
    "clean-energy": ["光伏发电", "风电场", "储能电站", "氢能综合利用", "生物质热电联产"],
    "gold": ["黄金选冶", "金矿深部开采", "尾矿综合利用"],
    "copper": ["铜精深加工", "电解铜箔", "铜杆线材", "再生铜"],
    "fine-chemicals": ["精细化工新材料", "高端专用化学品", "医药中间体", "电子化学品"],
    "aluminium": ["铝合金型材", "铝板带箔", "再生铝", "铝精深加工"],
    "magnesium": ["镁质耐火材料", "高纯镁砂", "镁基新材料", "菱镁矿综合利用"],
    "grain-oil-food": ["粮油精深加工", "食品产业园", "冷链物流", "海产品精深加工"],
    None: ["智能装备制造", "汽保设备", "乐器产业园", "高端装备", "新材料"],
}
PROJECT_KINDS = ["项目", "建设项目", "扩建项目", "技术改造项目", "产业化项目"]
PORT_NAMES = [
    "鲅鱼圈港区通用泊位工程", "集装箱码头智能化改造工程", "疏港铁路扩能工程",
    "港区散货堆场改造工程", "仙人岛港区原油码头工程", "港口集疏运道路工程",
    "港区危化品泊位工程", "港口粮食物流中心工程",
]  # fmt: skip
CITY_NAMES = [
    "老旧小区改造工程", "城市供排水管网改造工程", "城市道路提质改造工程",
    "污水处理厂提标改造工程", "城市更新片区开发项目", "公共停车场建设项目",
    "燃气管网改造工程", "保障性住房建设项目", "海绵城市建设工程", "城市生态公园建设项目",
]  # fmt: skip
PORT_CITY_NAMES = [
    "港城融合智慧物流信息平台", "临港产业服务中心", "港口岸电设施建设", "港区绿化提升工程",
    "港城公共服务配套项目",
]  # fmt: skip
OWNER_WORDS = ["实业", "科技", "投资", "产业发展", "集团"]
OWNER_TRADES = {
    "steel": "钢铁", "clean-energy": "新能源", "gold": "黄金", "copper": "铜业",
    "fine-chemicals": "化工", "aluminium": "铝业", "magnesium": "镁业",
    "grain-oil-food": "粮油食品", None: "装备",
}  # fmt: skip
SHORT_NAMES = {"P01": "高新区", "P02": "仙人岛", "P03": "沿海基地"}

# The named projects (domain.md §2). Money in yuan; area = the owner's area where known.
# (key, name, total, area, owner, cluster, industry, policy, library, lists, kind)
#   kind: A = under way, resumed in 2024; B = new start in 2024; S = signed, in reserve
NAMED: list[tuple[str, str, int, str, str, str | None, str, str, str, list[str], str]] = [
    ("lng", "中交营口LNG接收站项目", 11_600 * 10**6, "210804", "中交营口液化天然气有限公司",
     "clean-energy", "4511", "other", "construction",
     ["province-major", "central-local", "port-city-port"], "A"),
    ("onshore-wind", "营口陆上风电项目", 11_200 * 10**6, "210881", "营口陆上风电开发有限公司",
     "clean-energy", "4415", "emerging", "construction",
     ["province-major", "central-local"], "B"),
    ("heating", "冬季清洁取暖项目", 10_800 * 10**6, "210802", "营口城市清洁供暖有限公司",
     "clean-energy", "4430", "green", "construction",
     ["province-major", "port-city-city"], "A"),
    ("shenghai", "建发盛海多金属回收项目", 15_200 * 10**6, "210804",
     "营口建发盛海有色金属有限公司", "copper", "3211", "green", "construction",
     ["province-major", "port-city-industry"], "A"),
    ("offshore-wind", "营口海上风电项目", 55_000 * 10**6, "210881", "营口海上风电开发有限公司",
     "clean-energy", "4415", "emerging", "reserve", ["central-local"], "S"),
    ("equipment-park", "新能源装备产业园项目", 20_000 * 10**6, "210804",
     "营口新能源装备产业园开发有限公司", "clean-energy", "3415", "emerging", "reserve",
     [], "S"),
    ("gold-mine", "大东沟金矿项目", 10_200 * 10**6, "210881", "营口大东沟矿业有限公司",
     "gold", "0921", "other", "reserve", [], "S"),
    ("xiangyu", "象屿铝业升级改造项目", 790 * 10**6, "210882", "营口象屿铝业有限公司",
     "aluminium", "3216", "smart", "construction", [], "B"),
    ("restart", "营口钢铁、嘉晨燃化复产项目", 3_000 * 10**6, "210804", "营口钢铁有限公司",
     "steel", "3120", "other", "construction", ["port-city-industry"], "A"),
]  # fmt: skip
# Owners the enterprise loader does not create: (name, area, industry)
NEW_OWNERS = {
    "营口陆上风电开发有限公司": ("210881", "4415"),
    "营口城市清洁供暖有限公司": ("210802", "4430"),
    "营口海上风电开发有限公司": ("210881", "4415"),
    "营口新能源装备产业园开发有限公司": ("210804", "3415"),
    "营口大东沟矿业有限公司": ("210881", "0921"),
    # Also in demo.loader.NAMED_ENTERPRISES; created here too if this runs first.
    "中交营口液化天然气有限公司": ("210804", "4511"),
    "营口建发盛海有色金属有限公司": ("210804", "3219"),
    "营口象屿铝业有限公司": ("210882", "3216"),
    "营口钢铁有限公司": ("210804", "3120"),
}
NAMED_CO_OWNERS = {"restart": "营口钢铁有限公司、辽宁嘉晨燃化有限公司"}
NAMED_STARTS = {  # (start, resumed in 2024) for the named projects under construction
    "lng": (D(2023, 5, 18), D(2024, 3, 20)),
    "onshore-wind": (D(2024, 4, 16), None),
    "heating": (D(2023, 6, 8), D(2024, 4, 2)),
    "shenghai": (D(2023, 3, 28), D(2024, 3, 15)),
    "xiangyu": (D(2024, 3, 18), None),
    "restart": (D(2023, 8, 1), D(2024, 3, 5)),
}
NAMED_SIGNED = {
    "offshore-wind": D(2023, 9, 26),
    "equipment-park": D(2023, 6, 16),
    "gold-mine": D(2023, 11, 8),
}
NAMED_NAMES = frozenset(row[1] for row in NAMED)

# 31 city leaders at vice-mayor level or above (surname, title, short title).
LEADER_TITLES = (
    [("市委副书记", "副书记"), ("常务副市长", "常务副市长")]
    + [("副市长", "副市长")] * 7
    + [("市委常委", "常委")] * 8
    + [("市人大常委会副主任", "副主任")] * 7
    + [("市政协副主席", "副主席")] * 7
)
LEADER_SURNAMES = [
    "张", "王", "李", "刘", "陈", "杨", "黄", "周", "吴", "徐", "马", "胡", "郭", "何", "高",
    "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖",
    "田",
]  # fmt: skip
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "军", "杰", "涛", "明", "超", "霞", "平"]
TEAM_DUTIES = ["牵头部门联络员", "县区包保负责人", "项目单位联系人", "要素保障专员"]
VISIT_NOTES = {
    "site": ["现场查看施工进度，协调解决施工用电问题", "实地调研项目建设，推动手续办理",
             "现场办公，研究解决项目用地问题"],
    "phone": ["电话了解项目手续办理进展", "电话调度月度投资完成情况", "电话督办问题销号进展"],
    "city_team": ["市帮办团队现场对接要素保障", "市帮办团队协调环评、能评手续"],
    "county_team": ["县区团队现场跟踪施工进度", "县区团队协调周边群众诉求",
                    "县区团队核实月度投资数据"],
}  # fmt: skip
PROBLEM_TITLES = [
    "用地指标落实", "环评批复办理", "施工用电接入", "融资对接", "林地审批手续",
    "海域使用审批", "供水管线迁改", "征收补偿协调", "能评手续办理", "施工许可办理",
]  # fmt: skip
PROGRESS_TEXT = [(20, "基础施工"), (50, "主体结构施工"), (80, "设备安装"), (101, "调试及附属工程")]


# --- the plan of one project -------------------------------------------------------------


@dataclass
class Spec:
    name: str
    total: int
    area: str
    library: str | None  # its library at AS_AT (besides "key"): construction, reserve, None
    kind: str  # A B C D (construction), E F (completed), R S (reserve), T (terminated), P
    lists: list[str] = field(default_factory=list)
    steward: bool = False
    named: str = ""
    owner: str = ""
    cluster: str | None = None
    industry: str | None = None
    policy: str = "other"
    history: list[tuple[str, datetime.date]] = field(default_factory=list)
    memberships: list[tuple[str, datetime.date, datetime.date | None]] = field(default_factory=list)
    start: datetime.date | None = None
    completion: datetime.date | None = None
    resume: dict[int, datetime.date] = field(default_factory=dict)
    reports: dict[tuple[int, int], int] = field(default_factory=dict)
    code: str = ""


# --- exact splitting of a total ----------------------------------------------------------


def split(
    rng: random.Random, total: int, n: int, *, lo: int, hi: int, unit: int, sigma: float = 0.6
) -> list[int]:
    """`n` random amounts between `lo` and `hi`, in whole `unit`s, summing to `total` exactly."""
    if total % unit or lo % unit or hi % unit:
        raise ValueError("amounts must be whole units")
    if not n * lo <= total <= n * hi:
        raise ValueError(f"{n} amounts in [{lo}, {hi}] cannot sum to {total}")
    weights = [rng.lognormvariate(0, sigma) for _ in range(n)]

    def clamped(scale: float) -> list[float]:
        return [min(hi, max(lo, scale * w)) for w in weights]

    low, high = 0.0, hi / min(weights) + 1
    for _ in range(200):  # bisection on the scale: the clamped sum grows with it
        middle = (low + high) / 2
        if sum(clamped(middle)) < total:
            low = middle
        else:
            high = middle
    return allocate(total, clamped(high), unit, cap=hi)


def allocate(
    total: int, weights: Sequence[float], unit: int, *, cap: int | None = None
) -> list[int]:
    """`total` shared in proportion to `weights`, in whole units, summing exactly."""
    units = total // unit
    if units * unit != total:
        raise ValueError("total must be whole units")
    weight_sum = sum(weights)
    shares = [units * w / weight_sum for w in weights]
    result = [math.floor(s) for s in shares]
    order = sorted(range(len(shares)), key=lambda i: result[i] - shares[i])
    left = units - sum(result)
    for i in order:
        if left == 0:
            break
        if cap is not None and (result[i] + 1) * unit > cap:
            continue
        result[i] += 1
        left -= 1
    if left:
        raise ValueError("cannot place the remainder under the cap")
    return [r * unit for r in result]


def _day(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    if last < first:
        return first
    return first + datetime.timedelta(days=rng.randint(0, (last - first).days))


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


# --- the projects ------------------------------------------------------------------------


class Generator:
    def __init__(self, *, area_names: dict[str, str], seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.area_names = area_names
        self.specs: list[Spec] = []
        self.names: set[str] = set()

    # names and classification
    def _unique(self, name: str) -> str:
        if name not in self.names:
            self.names.add(name)
            return name
        for phase in "二三四五六七八九":
            candidate = f"{name}（{phase}期）"
            if candidate not in self.names:
                self.names.add(candidate)
                return candidate
        number = 2
        while f"{name}（{number}）" in self.names:
            number += 1
        self.names.add(f"{name}（{number}）")
        return f"{name}（{number}）"

    def _short(self, area: str) -> str:
        name = self.area_names[area]
        if area in SHORT_NAMES:
            return SHORT_NAMES[area]
        return name[:-1] if name.endswith(("区", "市")) and len(name) > 2 else name

    def industrial(self, spec: Spec) -> Spec:
        rng = self.rng
        spec.cluster = _pick(rng, CLUSTER_WEIGHTS)
        spec.industry = rng.choice(CLUSTER_INDUSTRIES[spec.cluster])
        product = rng.choice(PRODUCTS[spec.cluster])
        capacity = f"年产{rng.choice([5, 10, 20, 30, 50])}万吨" if rng.random() < 0.2 else ""
        spec.name = self._unique(
            f"{self._short(spec.area)}{capacity}{product}{rng.choice(PROJECT_KINDS)}"
        )
        spec.policy = rng.choice(["emerging", "green", "smart", "other", "other"])
        spec.owner = (
            f"{rng.choice(['辽宁', '营口', self._short(spec.area)])}"
            f"{OWNER_TRADES[spec.cluster]}{rng.choice(OWNER_WORDS)}有限公司"
        )
        return spec

    def cell(
        self,
        count: int,
        total: int,
        *,
        lo: int,
        hi: int,
        construction: int,
        lists: Sequence[str] = (),
        steward: bool = False,
        style: str = "industrial",
        sigma: float = 0.6,
    ) -> list[Spec]:
        """`count` projects totalling `total`; the first `construction` under construction."""
        rng = self.rng
        sizes = split(rng, total, count, lo=lo, hi=hi, unit=WAN, sigma=sigma)
        specs = []
        for index, size in enumerate(sizes):
            library = "construction" if index < construction else "reserve"
            if style == "port":
                area = _pick(rng, PORT_AREAS)
            elif style == "city":
                area = _pick(rng, CITY_AREAS)
            else:
                area = _pick(rng, INDUSTRIAL_AREAS)
            spec = Spec(
                name="",
                total=size,
                area=area,
                library=library,
                kind="?",
                lists=list(lists),
                steward=steward,
            )
            if style == "port":
                spec.name = self._unique(f"{self._short(area)}{rng.choice(PORT_NAMES)}")
                spec.industry, spec.owner = rng.choice(["5532", "4823"]), "营口港口建设有限公司"
            elif style == "city":
                spec.name = self._unique(f"{self._short(area)}{rng.choice(CITY_NAMES)}")
                spec.industry = rng.choice(["4813", "4620", "4710", "4852"])
                spec.owner = f"{self.area_names[area]}住房和城乡建设局"
            elif style == "port-city":
                spec.name = self._unique(f"{self._short(area)}{rng.choice(PORT_CITY_NAMES)}")
                spec.owner = f"{self.area_names[area]}港城融合发展中心"
            else:
                self.industrial(spec)
            specs.append(spec)
        self.specs.extend(specs)
        return specs

    def build(self) -> list[Spec]:
        """Every project's plan: sizes, libraries, lists, stewards, kinds and histories."""
        named = []
        for key, name, total, area, owner, cluster, industry, policy, lib, lists, kind in NAMED:
            named.append(
                Spec(
                    name=name,
                    total=total,
                    area=area,
                    library=lib,
                    kind=kind,
                    lists=list(lists),
                    steward=True,
                    named=key,
                    owner=owner,
                    cluster=cluster,
                    industry=industry,
                    policy=policy,
                )
            )
            self.names.add(name)
        self.specs.extend(named)

        def named_total(predicate: Callable[[Spec], bool]) -> tuple[int, int]:
            chosen = [s for s in named if predicate(s)]
            return len(chosen), sum(s.total for s in chosen)

        def rest(figure: tuple[int, int], predicate: Callable[[Spec], bool]) -> tuple[int, int]:
            n, total = named_total(predicate)
            return figure[0] - n, figure[1] - total

        # Key cells, disjoint. Bounds keep every generated project under 5 % of each
        # published figure it enters (港口: 1.5 × its fair share, see the module doc).
        n, total = rest(PROVINCE_MAJOR, lambda s: "province-major" in s.lists)
        cap = PROVINCE_MAJOR[1] // 20 // WAN * WAN
        self.cell(n, total, lo=3 * BN, hi=cap, construction=n, lists=["province-major"], sigma=0.2)
        n, total = rest(CENTRAL_LOCAL, lambda s: "central-local" in s.lists)
        cap = CENTRAL_LOCAL[1] // 20 // WAN * WAN
        self.cell(
            n, total, lo=4 * BN, hi=cap, construction=n // 2, lists=["central-local"], sigma=0.2
        )
        n, total = rest(STEWARDS[:2], lambda s: s.steward)
        self.cell(n, total, lo=BN, hi=5 * BN, construction=16, steward=True, sigma=0.4)
        n, total = rest(PORT, lambda s: "port-city-port" in s.lists)
        cap = PORT[1] * 3 // 2 // PORT[0] // WAN * WAN
        self.cell(
            n,
            total,
            lo=BN,
            hi=min(cap, 3 * BN),
            construction=4,
            lists=["port-city-port"],
            style="port",
            sigma=0.3,
        )
        n, total = rest(PORT_INDUSTRY, lambda s: "port-city-industry" in s.lists)
        self.cell(n, total, lo=50 * 10**6, hi=3 * BN, construction=55, lists=["port-city-industry"])
        n, total = rest(CITY, lambda s: "port-city-city" in s.lists)
        self.cell(
            n,
            total,
            lo=50 * 10**6,
            hi=2 * BN,
            construction=20,
            lists=["port-city-city"],
            style="city",
        )
        n, total = PORT_CITY_DIRECT
        self.cell(
            n,
            total,
            lo=2 * 10**6,
            hi=12 * 10**6,
            construction=10,
            lists=["port-city"],
            style="port-city",
            sigma=0.4,
        )

        # The rest of each library.
        for library, figure, lo, hi in (
            ("construction", CONSTRUCTION, 10 * 10**6, 2 * BN),
            ("reserve", RESERVE, 20 * 10**6, 5 * BN),
        ):
            inside = [s for s in self.specs if s.library == library]
            n = figure[0] - len(inside)
            total = figure[1] - sum(s.total for s in inside)
            self.cell(
                n,
                total,
                lo=lo,
                hi=hi,
                construction=n if library == "construction" else 0,
                sigma=1.0,
            )

        # Outside both libraries at AS_AT: completed, terminated, only planned (谋划).
        for kind, count, total in (
            ("E", 30, 6 * BN),
            ("F", 150, 30 * BN),
            ("T", 20, 4 * BN),
            ("P", 40, 12 * BN),
        ):
            for spec in self.cell(
                count, total, lo=10 * 10**6, hi=2 * BN, construction=0, sigma=0.9
            ):
                spec.kind, spec.library = kind, None

        self._assign_kinds()
        for spec in self.specs:
            self._history(spec)
        return self.specs

    def _assign_kinds(self) -> None:
        """Construction: A resumed in Jan–May 2024, B started in Jan–May 2024, C neither,
        D started in June 2024. A + B + E (resumed, then completed) = 591."""
        rng = self.rng
        construction = [s for s in self.specs if s.library == "construction"]
        fixed = Counter(s.kind for s in construction if s.named)
        free = [s for s in construction if not s.named]
        rng.shuffle(free)
        e = sum(1 for s in self.specs if s.kind == "E")
        b = 200
        a = STARTED_OR_RESUMED_JAN_MAY - e - b
        d = 72
        wanted = {"A": a - fixed["A"], "B": b - fixed["B"], "D": d}
        wanted["C"] = len(free) - sum(wanted.values())
        kinds = [k for k in "ABCD" for _ in range(wanted[k])]
        for spec, kind in zip(free, kinds, strict=True):
            spec.kind = kind
        for spec in self.specs:
            if spec.library == "reserve" and not spec.named:
                spec.kind = "S" if rng.random() < 0.1 else "R"

    # status histories and memberships
    def _before_start(self, spec: Spec, start: datetime.date) -> None:
        rng = self.rng
        lead = rng.randint(240, 900)
        planned = start - datetime.timedelta(days=lead)
        reserve = planned + datetime.timedelta(days=rng.randint(20, lead // 3))
        spec.history += [("planned", planned), ("reserve", reserve)]
        if rng.random() < 0.6:
            spec.history.append(
                (
                    "preparing",
                    _day(
                        rng,
                        reserve + datetime.timedelta(days=10),
                        start - datetime.timedelta(days=5),
                    ),
                )
            )
        spec.memberships.append(("reserve", reserve, start))

    def _resume(self, year: int) -> datetime.date | None:
        rng = self.rng
        if rng.random() < 0.15:
            return None  # built through the winter
        return _day(rng, D(year, 3, 1), D(year, 4, 30))

    def _construct(
        self,
        spec: Spec,
        start: datetime.date,
        resume_2024: datetime.date | None,
        completion: datetime.date | None,
    ) -> None:
        rng = self.rng
        spec.start, spec.completion = start, completion
        self._before_start(spec, start)
        spec.history.append(("new_start", start))
        for year in range(start.year + 1, AS_AT.year + 1):
            if completion and completion.year < year:
                break
            if spec.history[-1][0] != "continuing":  # else it stays 续建 into the new year
                spec.history.append(("continuing", D(year, 1, 1)))
            resume = resume_2024 if year == AS_AT.year else self._resume(year)
            if resume:
                spec.resume[year] = resume
                spec.history.append(("resumed", resume))
        if completion:
            spec.history.append(("completed", completion))
            spec.memberships.append(("construction", start, completion))
            producing = completion + datetime.timedelta(days=rng.randint(15, 150))
            if rng.random() < 0.5 and producing <= AS_AT:
                spec.history.append(("in_production", producing))
        else:
            spec.memberships.append(("construction", start, None))

    def _history(self, spec: Spec) -> None:
        rng = self.rng
        kind = spec.kind
        if spec.named and spec.named in NAMED_STARTS:
            start, resume = NAMED_STARTS[spec.named]
            self._construct(spec, start, resume, None)
        elif spec.named:  # signed in 2023, in the reserve library since
            signed = NAMED_SIGNED[spec.named]
            spec.history += [
                ("planned", signed - datetime.timedelta(days=rng.randint(90, 300))),
                ("signed", signed),
            ]
            spec.memberships.append(("reserve", signed, None))
        elif kind == "A":
            start = _day(rng, D(2021, 4, 1), D(2023, 10, 31))
            month = rng.choices([3, 4, 5], weights=[50, 35, 15])[0]
            resume = _day(rng, D(2024, month, 1), D(2024, month, 28 if month < 5 else 31))
            self._construct(spec, start, resume, None)
        elif kind == "B":
            self._construct(spec, _day(rng, D(2024, 2, 26), D(2024, 5, 31)), None, None)
        elif kind == "C":
            start = _day(rng, D(2021, 4, 1), D(2023, 10, 31))
            june = _day(rng, D(2024, 6, 1), D(2024, 6, 28)) if rng.random() < 0.5 else None
            self._construct(spec, start, june, None)
        elif kind == "D":
            self._construct(spec, _day(rng, D(2024, 6, 1), D(2024, 6, 28)), None, None)
        elif kind == "E":
            resume = _day(rng, D(2024, 3, 1), D(2024, 4, 15))
            done = _day(
                rng, max(resume + datetime.timedelta(days=20), D(2024, 5, 1)), D(2024, 6, 25)
            )
            self._construct(spec, _day(rng, D(2022, 4, 1), D(2023, 8, 31)), resume, done)
        elif kind == "F":
            start = _day(rng, D(2021, 4, 1), D(2022, 9, 30))
            self._construct(spec, start, None, _day(rng, D(2023, 7, 1), D(2023, 12, 20)))
            if 2023 in spec.resume and spec.completion and spec.completion <= spec.resume[2023]:
                raise AssertionError("completion before resumption")
        elif kind in ("R", "S", "T"):
            planned = _day(rng, D(2019, 6, 1), D(2024, 5, 31))
            step = planned + datetime.timedelta(days=rng.randint(10, 200))
            step = min(step, AS_AT - datetime.timedelta(days=1))
            spec.history.append(("planned", planned))
            spec.history.append(("signed" if kind == "S" else "reserve", step))
            if kind == "T":
                end = min(step + datetime.timedelta(days=rng.randint(60, 700)), AS_AT)
                spec.history.append(("terminated", end))
                spec.memberships.append(("reserve", step, end))
            else:
                spec.memberships.append(("reserve", step, None))
                if kind == "R" and rng.random() < 0.35 and step < AS_AT - datetime.timedelta(20):
                    spec.history.append(
                        ("preparing", _day(rng, step + datetime.timedelta(days=10), AS_AT))
                    )
        elif kind == "P":
            spec.history.append(("planned", _day(rng, D(2023, 7, 1), D(2024, 6, 20))))
        else:
            raise AssertionError(f"no kind for {spec.name}")
        if spec.lists or spec.steward:
            entered = min([LIST_ENTRY[c] for c in spec.lists] or [D(2024, 1, 5)])
            spec.memberships.append(("key", max(entered, spec.history[0][1]), None))

    # monthly reports
    def _active_months(self, spec: Spec) -> list[tuple[int, int, float]]:
        """(year, month, share of the month worked) for 2023-01 … 2024-06."""
        if spec.start is None:
            return []
        months = []
        for year in (2023, 2024):
            last = 12 if year == 2023 else AS_AT.month
            if spec.completion and spec.completion.year < year:
                continue
            if spec.start > D(year, last, calendar.monthrange(year, last)[1]):
                continue
            began = (
                spec.start if spec.start.year == year else spec.resume.get(year)
            )  # None: built since January
            first = began.month if began else 1
            if spec.completion and spec.completion.year == year:
                last = min(last, spec.completion.month)
            for month in range(first, last + 1):
                days = calendar.monthrange(year, month)[1]
                share = 1.0
                if began and began.month == month:
                    share = max(0.1, (days - began.day + 1) / days)
                months.append((year, month, share))
        return months

    def reports(self) -> dict[str, float]:
        """Monthly reports: Jan–May of 2023 and 2024 sum exactly to the published figures."""
        rng = self.rng
        cells: list[tuple[Spec, int, int, float]] = []
        for spec in self.specs:
            for year, month, share in self._active_months(spec):
                if (year, month) == (2024, 6) and rng.random() > 0.4:
                    continue  # June 2024 is filed until 10 July: some have filed already
                noise = rng.lognormvariate(0, 0.3)
                cells.append((spec, year, month, spec.total * SEASON[month - 1] * share * noise))
        cap = INVESTMENT_JAN_MAY_2024 // 20 // REPORT_UNIT * REPORT_UNIT
        windows = {y: [c for c in cells if c[1] == y and c[2] <= 5] for y in (2023, 2024)}
        areas = sorted({c[0].area for c in windows[2024]})

        def weight(year: int, area: str) -> float:
            return sum(c[3] for c in windows[year] if c[0].area == area)

        # The areas grow at different rates (the horse race needs a field): an area's
        # Jan–May 2023 is its 2024 share divided by (1 + its own growth, -5 % to +22 %),
        # then all areas are scaled together so that the city's totals are exact.
        shares = {
            2024: allocate(INVESTMENT_JAN_MAY_2024, [weight(2024, a) for a in areas], REPORT_UNIT)
        }
        growth = [1 + rng.uniform(-0.05, 0.22) for _ in areas]
        shares[2023] = allocate(
            INVESTMENT_JAN_MAY_2023,
            [s / g for s, g in zip(shares[2024], growth, strict=True)],
            REPORT_UNIT,
        )
        rates: dict[tuple[int, str], float] = {}
        for year in (2023, 2024):
            for area, target in zip(areas, shares[year], strict=True):
                window = [c for c in windows[year] if c[0].area == area]
                amounts = allocate(target, [c[3] for c in window], REPORT_UNIT, cap=cap)
                for (spec, y, m, _w), amount in zip(window, amounts, strict=True):
                    spec.reports[(y, m)] = amount
                rates[(year, area)] = target / weight(year, area)
        for spec, year, month, weight_ in cells:
            if (year, month) not in spec.reports:
                amount = round(weight_ * rates[(year, spec.area)] / REPORT_UNIT) * REPORT_UNIT
                spec.reports[(year, month)] = amount
        return {f"{y} {a}": v for (y, a), v in rates.items()}


# --- writing -------------------------------------------------------------------------------


def _host(area: Any) -> str:
    """The GB/T 2260 code a project code carries: a park's host county's."""
    return str(area.parent.code if area.is_park and area.parent else area.code)


def _code(rng: random.Random, spec: Spec, host: str, used: set[str]) -> str:
    year = spec.history[0][1].year
    while True:
        code = (
            f"{year}-{host}-{rng.choice(['04', '05', '07', '13', '24', '26'])}-"
            f"{rng.choice(['01', '02', '03'])}-{rng.randrange(10**6):06d}"
        )
        if code not in used:
            used.add(code)
            return project_code.validate(code, today=AS_AT)


def _owners(rng: random.Random, areas: dict[str, Any]) -> dict[str, Any]:
    from zhenxing.demo.codes import demo_uscc
    from zhenxing.enterprises.models import Enterprise, Ownership, SizeClass

    owners = {}
    for name, (area_code, industry) in NEW_OWNERS.items():
        uscc = demo_uscc(rng, area_code)
        enterprise = Enterprise.objects.filter(name=name).first()
        if enterprise is None:
            enterprise = Enterprise.objects.create(
                uscc=uscc,
                name=name,
                area=areas[area_code],
                industry_id=industry,
                ownership=Ownership.STATE,
                size_class=SizeClass.LARGE,
                registration_date=D(2022, 1, 1) + datetime.timedelta(days=rng.randrange(500)),
            )
        owners[name] = enterprise
    return owners


def _leaders(rng: random.Random) -> list[Any]:
    """31 city leaders (role leader and steward); the demo's `steward` account is one."""
    from zhenxing.core.models import RoleAssignment
    from zhenxing.core.roles import Role

    user_model = get_user_model()
    leaders = []
    existing = user_model.objects.filter(username="steward").first()
    if existing is not None:
        leaders.append(existing)
    for index, (surname, (title, short)) in enumerate(
        zip(LEADER_SURNAMES, LEADER_TITLES, strict=True), start=1
    ):
        if len(leaders) == STEWARDS[2]:
            break
        username = f"leader{index:02d}"
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model(username=username, display_name=f"{surname}{short}", title=title)
            user.set_unusable_password()
            user.save()
        leaders.append(user)
    for user in leaders:
        for role in (Role.LEADER, Role.STEWARD):
            RoleAssignment.objects.get_or_create(
                user=user, role=role, department=None, area=None, enterprise=None
            )
    return leaders


@transaction.atomic
def load_projects(*, today: datetime.date) -> None:
    """Generate the demo's projects (once; nothing happens if any project exists).

    Call after the reference data and the demo accounts are loaded. The records end on
    2024-06-30, the day the published figures are as at; `today` must not be earlier.
    """
    from zhenxing.clusters.models import Cluster
    from zhenxing.core.models import Area, Department, Industry
    from zhenxing.enterprises.models import Enterprise
    from zhenxing.projects import models as m

    if m.Project.objects.exists():
        return
    if today < AS_AT:
        raise ValueError(f"the demo's projects run to {AS_AT}; today is {today}")
    areas = {a.code: a for a in Area.objects.select_related("parent")}
    departments = list(Department.objects.order_by("sort_order"))
    fgw = next((d for d in departments if d.code == "fgw"), None)
    clusters = {c.code: c for c in Cluster.objects.filter(scheme__code="2023-4-4-N")}
    industries = set(Industry.objects.values_list("code", flat=True))

    generator = Generator(area_names={code: a.name for code, a in areas.items()})
    specs = generator.build()
    generator.reports()
    rng = random.Random(SEED + 1)

    key_lists: dict[str, Any] = {}
    for code, name, parent, order in KEY_LISTS:
        key_lists[code], _ = m.KeyList.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "parent": key_lists.get(parent) if parent else None,
                "sort_order": order,
            },
        )
    owners = _owners(rng, areas)
    by_area: dict[str, list[Any]] = {}
    for enterprise in Enterprise.objects.select_related("area__parent").order_by("pk"):
        host = _host(enterprise.area)
        by_area.setdefault(host, []).append(enterprise)

    used: set[str] = set()
    projects = []
    for spec in specs:
        area = areas[spec.area]
        host = _host(area)
        spec.code = _code(rng, spec, host, used)
        owner = owners.get(spec.owner) if spec.named else None
        owner_name = NAMED_CO_OWNERS.get(spec.named, spec.owner)
        if not spec.named and spec.cluster is not None and rng.random() < 0.35:
            owner = rng.choice(by_area.get(host) or [None])
            owner_name = owner.name if owner else spec.owner
        status, since = spec.history[-1]
        duration = datetime.timedelta(days=rng.randint(450, 1400))
        projects.append(
            m.Project(
                code=spec.code,
                name=spec.name,
                owner_enterprise=owner,
                owner_name=owner_name,
                area=area,
                cluster=clusters.get(spec.cluster) if spec.cluster else None,
                industry_id=spec.industry if spec.industry in industries else None,
                policy_category=spec.policy,
                location=f"{area.name}",
                total_investment=Decimal(spec.total),
                planned_start=spec.start or (since + datetime.timedelta(days=180)),
                planned_finish=spec.completion or ((spec.start or since) + duration),
                status=status,
                status_since=since,
                department=fgw,
                description=f"{spec.name}，总投资{Decimal(spec.total) / 10**8:.2f}亿元。",
            )
        )
    m.Project.objects.bulk_create(projects, batch_size=500)

    changes, memberships, entries, plans, reports = [], [], [], [], []
    for spec, project in zip(specs, projects, strict=True):
        changes += [m.StatusChange(project=project, status=s, date=d) for s, d in spec.history]
        memberships += [
            m.LibraryMembership(project=project, library=lib, entered_on=a, left_on=b)
            for lib, a, b in spec.memberships
        ]
        entries += [
            m.KeyListEntry(project=project, key_list=key_lists[c], entered_on=LIST_ENTRY[c])
            for c in spec.lists
        ]
        cumulative = 0
        for (year, month), amount in sorted(spec.reports.items()):
            cumulative += amount
            end = D(year, month, calendar.monthrange(year, month)[1])
            finish = project.planned_finish or end
            began = spec.start or end
            elapsed = (end - began).days
            pct = min(99, max(1, round(100 * elapsed / max(1, (finish - began).days))))
            if spec.completion and (year, month) == (spec.completion.year, spec.completion.month):
                pct = 100
            filed = (
                D(year, month, 28)
                if (year, month) == (2024, 6)
                else (end + datetime.timedelta(days=rng.randint(1, 9)))
            )
            reports.append(
                m.MonthlyReport(
                    project=project,
                    year=year,
                    month=month,
                    investment=Decimal(amount),
                    progress_pct=Decimal(pct),
                    progress_text=next(t for limit, t in PROGRESS_TEXT if pct < limit),
                    submitted_at=datetime.datetime(
                        filed.year, filed.month, filed.day, 10, tzinfo=TZ
                    ),
                )
            )
        for year in (2023, 2024):
            done = sum(a for (y, _m), a in spec.reports.items() if y == year)
            if not done:
                continue
            if year == 2023:
                planned = done * rng.uniform(0.85, 1.25)
            else:  # the whole year's expected work, reported months scaled up
                planned = (
                    done
                    * sum(SEASON)
                    / sum(SEASON[mm - 1] for (y, mm) in spec.reports if y == year)
                    * rng.uniform(0.7, 1.0)
                )
            planned = min(planned, spec.total - cumulative + done)
            plans.append(
                m.AnnualPlan(
                    project=project,
                    year=year,
                    planned_investment=Decimal(max(WAN, round(planned / WAN) * WAN)),
                )
            )
        if cumulative > spec.total:
            raise AssertionError(f"{spec.name}: reports exceed the total investment")
    m.StatusChange.objects.bulk_create(changes, batch_size=2000)
    m.LibraryMembership.objects.bulk_create(memberships, batch_size=2000)
    m.KeyListEntry.objects.bulk_create(entries, batch_size=2000)
    m.MonthlyReport.objects.bulk_create(reports, batch_size=2000)
    m.AnnualPlan.objects.bulk_create(plans, batch_size=2000)
    _stewards(rng, [(s, p) for s, p in zip(specs, projects, strict=True) if s.steward], departments)


def _stewards(
    rng: random.Random, stewarded: list[tuple[Spec, Any]], departments: list[Any]
) -> None:
    """Leaders, teams, visits and problems of the 33 steward projects."""
    from zhenxing.projects import models as m

    leaders = _leaders(rng)
    order = list(range(len(stewarded)))
    rng.shuffle(order)
    # The first leaders steward two projects each (33 projects, 31 leaders).
    assignment = [leaders[i % len(leaders)] for i in range(len(stewarded))]
    ships, team, visits, problems = [], [], [], []
    since_of = {}
    for slot, index in enumerate(order):
        spec, project = stewarded[index]
        first = spec.history[0][1]
        since = max(first, _day(rng, D(2023, 3, 1), D(2024, 1, 31)))
        since_of[project.pk] = since
        ships.append(m.Stewardship(project=project, leader=assignment[slot], since=since))
        for _ in range(rng.randint(3, 5)):
            team.append(
                m.TeamMember(
                    project=project,
                    name=rng.choice(LEADER_SURNAMES)
                    + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
                    duty=rng.choice(TEAM_DUTIES),
                    department=rng.choice(departments),
                )
            )
    m.Stewardship.objects.bulk_create(ships)
    m.TeamMember.objects.bulk_create(team)
    leader_of = {s.project.pk: s.leader for s in ships}
    projects = [p for _s, p in stewarded]
    for kind, count in VISITS.items():
        for _ in range(count):
            project = rng.choice(projects)
            day = _day(rng, since_of[project.pk], AS_AT)
            leader = leader_of[project.pk]
            who = {
                "site": f"{leader.display_name}、市帮办团队",
                "phone": leader.display_name,
                "city_team": f"市帮办团队（{rng.choice(departments).short_name}）",
                "county_team": f"{project.area.name}帮办团队",
            }[kind]
            visits.append(
                m.Visit(
                    project=project,
                    kind=kind,
                    date=day,
                    visitors=who,
                    notes=rng.choice(VISIT_NOTES[kind]),
                )
            )
    m.Visit.objects.bulk_create(visits)
    for index in range(PROBLEMS_CLOSED + PROBLEMS_OPEN):
        project = rng.choice(projects)
        since = since_of[project.pk]
        title = rng.choice(PROBLEM_TITLES)
        if index < PROBLEMS_CLOSED:
            raised = _day(rng, since, AS_AT - datetime.timedelta(days=30))
            due = raised + datetime.timedelta(days=rng.randint(15, 60))
            closed: datetime.date | None = min(
                AS_AT, raised + datetime.timedelta(days=rng.randint(5, 70))
            )
        elif index < PROBLEMS_CLOSED + PROBLEMS_OVERDUE:
            raised = _day(rng, max(since, D(2024, 3, 1)), D(2024, 5, 15))
            due = raised + datetime.timedelta(days=rng.randint(15, 30))
            closed = None
        else:
            raised = _day(rng, max(since, D(2024, 5, 20)), D(2024, 6, 25))
            due = AS_AT + datetime.timedelta(days=rng.randint(10, 60))
            closed = None
        problems.append(
            m.Problem(
                project=project,
                title=title,
                description=f"{project.name}：{title}待协调解决",
                owner_department=rng.choice(departments),
                raised_on=raised,
                due_date=due,
                status="closed" if closed else "open",
                closed_on=closed,
                resolution="已协调办结，销号" if closed else "",
            )
        )
    m.Problem.objects.bulk_create(problems)
