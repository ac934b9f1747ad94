"""Reference data every installation needs: Yingkou's areas, departments, cluster schemes
and the GB/T 4754-2017 industry classification. Loading is idempotent.

Sources: `shared/docs/domain.md` (营口日报 2019–2026) and the official-criteria report
(GB/T 2260 codes VERIFIED-DATA; park host counties UNVERIFIED, flagged in `note`).
"""

from __future__ import annotations

import csv
import datetime
from importlib import resources
from typing import Any, TypeVar

from django.db import models, transaction

from zhenxing.clusters.models import Cluster, ClusterScheme, ClusterTier
from zhenxing.core.models import Area, AreaKind, Department, Industry
from zhenxing.core.money import YI

M = TypeVar("M", bound=models.Model)

CITY_CODE = "210800"

# (code, name, English name, kind, parent code, note)
AREAS: list[tuple[str, str, str, str, str | None, str]] = [
    (CITY_CODE, "营口市", "Yingkou", AreaKind.CITY, None, ""),
    ("210802", "站前区", "Zhanqian District", AreaKind.DISTRICT, CITY_CODE, ""),
    ("210803", "西市区", "Xishi District", AreaKind.DISTRICT, CITY_CODE, ""),
    ("210804", "鲅鱼圈区", "Bayuquan District", AreaKind.DISTRICT, CITY_CODE, ""),
    ("210811", "老边区", "Laobian District", AreaKind.DISTRICT, CITY_CODE, ""),
    ("210881", "盖州市", "Gaizhou", AreaKind.COUNTY_CITY, CITY_CODE, ""),
    ("210882", "大石桥市", "Dashiqiao", AreaKind.COUNTY_CITY, CITY_CODE, ""),
    # Parks have no GB/T 2260 code: P-codes, each with its host county.
    (
        "P01",
        "营口高新技术产业开发区",
        "Yingkou High-tech Zone",
        AreaKind.PARK,
        "210803",
        "所在县区待核实（资料未经官方确认）",
    ),
    (
        "P02",
        "仙人岛能源化工区",
        "Xianrendao Energy & Chemical Zone",
        AreaKind.PARK,
        "210881",
        "所在县区待核实（资料未经官方确认）",
    ),
    (
        "P03",
        "营口沿海产业基地",
        "Yingkou Coastal Industrial Base",
        AreaKind.PARK,
        "210804",
        "所在县区待核实（资料中未找到）",
    ),
]

# (code, full name, short name, English)
DEPARTMENTS: list[tuple[str, str, str, str]] = [
    ("gxj", "营口市工业和信息化局", "工信局", "Bureau of Industry and Information Technology"),
    ("fgw", "营口市发展和改革委员会", "发改委", "Development and Reform Commission"),
    ("kjj", "营口市科学技术局", "科技局", "Science and Technology Bureau"),
    ("ysj", "营口市营商环境建设局", "营商局", "Business Environment Bureau"),
    ("swj", "营口市商务局", "商务局", "Commerce Bureau"),
    ("tjj", "营口市统计局", "统计局", "Statistics Bureau"),
    ("czj", "营口市财政局", "财政局", "Finance Bureau"),
    ("scjgj", "营口市市场监督管理局", "市场监管局", "Market Regulation Bureau"),
]


# scheme code -> ((name, English), (short, English), valid_from, valid_to, source, tiers,
# clusters); tiers: (code, name, English, target scale in yuan or None);
# clusters: (code, tier, name, English)
SCHEMES: list[tuple[Any, ...]] = [
    (
        "2019-4-3-2",
        ("“4+3+2”工业产业体系", '"4+3+2" industrial system'),
        ("4+3+2", "4+3+2"),
        datetime.date(2019, 1, 1),
        datetime.date(2022, 12, 31),
        "营口日报 2019（shared/seeds/002）",
        [
            ("leading", "主导产业", "Leading industries", None),
            ("distinctive", "特色产业", "Distinctive industries", None),
            ("emerging", "战略性新兴产业", "Strategic emerging industries", None),
        ],
        [
            ("advanced-equipment", "leading", "先进装备制造", "Advanced equipment manufacturing"),
            ("consumer-goods", "leading", "快速消费品", "Fast-moving consumer goods"),
            ("fine-chemicals", "leading", "精细化工", "Fine chemicals"),
            ("steel", "leading", "钢铁及深加工", "Steel and deep processing"),
            ("magnesium-materials", "distinctive", "镁质材料", "Magnesium materials"),
            ("auto-maintenance", "distinctive", "汽保", "Automotive maintenance equipment"),
            ("musical-instruments", "distinctive", "乐器", "Musical instruments"),
            ("new-materials", "emerging", "新材料", "New materials"),
            ("new-energy", "emerging", "新能源", "New energy"),
        ],
    ),
    (
        "2023-4-4-N",
        (
            "“4+4+N”产业集群（4个千亿级、4个三百亿级）",
            '"4+4+N" industrial clusters (4 of 100 bn yuan, 4 of 30 bn yuan)',
        ),
        ("4+4(三百亿)+N", "4+4(30 bn)+N"),
        datetime.date(2023, 1, 1),
        datetime.date(2024, 12, 31),
        "营口日报 2023–2024（shared/seeds/001、003）",
        [
            ("1000bn", "千亿级", "100-billion-yuan class", 1000 * YI),
            ("30bn", "三百亿级", "30-billion-yuan class", 300 * YI),
            ("emerging", "新兴及未来产业", "Emerging and future industries", None),
        ],
        [
            ("steel", "1000bn", "高品质钢铁", "High-quality steel"),
            ("clean-energy", "1000bn", "清洁能源", "Clean energy"),
            ("gold", "1000bn", "黄金", "Gold"),
            ("copper", "1000bn", "铜", "Copper"),
            ("fine-chemicals", "30bn", "精细化工", "Fine chemicals"),
            ("aluminium", "30bn", "铝", "Aluminium"),
            ("magnesium", "30bn", "镁", "Magnesium"),
            ("grain-oil-food", "30bn", "粮油食品", "Grain, oil and food"),
        ],
    ),
    (
        "2025-4-4-N",
        (
            "“4+4+N”产业集群（4个千亿级、4个五百亿级）",
            '"4+4+N" industrial clusters (4 of 100 bn yuan, 4 of 50 bn yuan)',
        ),
        ("4+4(五百亿)+N", "4+4(50 bn)+N"),
        datetime.date(2025, 1, 1),
        None,
        "营口日报 2025（shared/seeds/000）",
        [
            ("1000bn", "千亿级", "100-billion-yuan class", 1000 * YI),
            ("50bn", "五百亿级", "50-billion-yuan class", 500 * YI),
            ("emerging", "新兴及未来产业", "Emerging and future industries", None),
        ],
        [
            ("steel", "1000bn", "高品质钢铁", "High-quality steel"),
            ("copper", "1000bn", "铜及深加工", "Copper and deep processing"),
            ("gold", "1000bn", "黄金开采及加工", "Gold mining and processing"),
            ("clean-energy", "1000bn", "清洁能源", "Clean energy"),
            ("fine-chemicals", "50bn", "精细化工", "Fine chemicals"),
            ("aluminium", "50bn", "铝", "Aluminium"),
            ("magnesium", "50bn", "镁", "Magnesium"),
            ("grain-oil-food", "50bn", "粮油食品", "Grain, oil and food"),
            ("high-end-equipment", "emerging", "高端装备制造", "High-end equipment manufacturing"),
            ("energy-saving", "emerging", "节能环保", "Energy saving and environmental protection"),
        ],
    ),
]


def upsert(model: type[M], lookup: dict[str, Any], defaults: dict[str, Any]) -> M:
    """Create or update one record, saving only when something differs.

    Saving an unchanged record would still write a historical copy; reloading the
    reference data must leave the audit trail untouched.
    """
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        return model._default_manager.create(**lookup, **defaults)
    changed = False
    for key, value in defaults.items():
        current = getattr(obj, key)
        if current != value:
            setattr(obj, key, value)
            changed = True
    if changed:
        obj.save()
    return obj


def load_areas() -> None:
    by_code: dict[str, Area] = {}
    for order, (code, name, name_en, kind, parent, note) in enumerate(AREAS):
        area = upsert(
            Area,
            {"code": code},
            {
                "name": name,
                "name_en": name_en,
                "kind": kind,
                "parent": by_code.get(parent) if parent else None,
                "sort_order": order,
                "note": note,
            },
        )
        by_code[code] = area


def load_departments() -> None:
    for order, (code, name, short, name_en) in enumerate(DEPARTMENTS):
        upsert(
            Department,
            {"code": code},
            {"name": name, "short_name": short, "name_en": name_en, "sort_order": order},
        )


def load_clusters() -> None:
    for code, names, shorts, valid_from, valid_to, source, tiers, clusters in SCHEMES:
        scheme = upsert(
            ClusterScheme,
            {"code": code},
            {
                "name": names[0],
                "name_en": names[1],
                "short_name": shorts[0],
                "short_name_en": shorts[1],
                "valid_from": valid_from,
                "valid_to": valid_to,
                "source": source,
            },
        )
        tier_objs = {}
        for order, (tier_code, tier_name, tier_name_en, scale) in enumerate(tiers):
            tier_objs[tier_code] = upsert(
                ClusterTier,
                {"scheme": scheme, "code": tier_code},
                {
                    "name": tier_name,
                    "name_en": tier_name_en,
                    "target_scale": scale,
                    "sort_order": order,
                },
            )
        for order, (cluster_code, tier_code, cluster_name, name_en) in enumerate(clusters):
            tier = tier_objs[tier_code]
            upsert(
                Cluster,
                {"scheme": scheme, "code": cluster_code},
                {
                    "tier": tier,
                    "name": cluster_name,
                    "name_en": name_en,
                    "target_scale": tier.target_scale,
                    "sort_order": order,
                },
            )


def industry_rows() -> list[dict[str, str]]:
    data = resources.files("zhenxing.core.codes").joinpath("data/gb4754_2017.csv")
    with data.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_industries() -> None:
    rows = industry_rows()
    existing = set(Industry.objects.values_list("code", flat=True))
    new = [
        Industry(code=r["code"], name=r["name"], level=r["level"])
        for r in rows
        if r["code"] not in existing
    ]
    Industry.objects.bulk_create(new, batch_size=1000)
    ids = dict(Industry.objects.values_list("code", "id"))
    parents = {r["code"]: r["parent"] for r in rows}
    to_update = []
    for industry in Industry.objects.filter(parent__isnull=True):
        parent_code = parents.get(industry.code, "")
        if parent_code and parent_code in ids:
            industry.parent_id = ids[parent_code]
            to_update.append(industry)
    Industry.objects.bulk_update(to_update, ["parent"], batch_size=1000)


@transaction.atomic
def load_reference() -> None:
    load_areas()
    load_departments()
    load_clusters()
    load_industries()


def area_by_code(code: str) -> Area:
    return Area.objects.get(code=code)
