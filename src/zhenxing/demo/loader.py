"""The Yingkou demo: reference data, one account per role, a registry of enterprises.

Loading is idempotent: running it twice changes nothing the second time (records are
found by their natural keys; passwords are set only when an account is created).
Figures shown by the platform are always computed from item-level records.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from zhenxing.core.models import Area, Department, Industry, RoleAssignment
from zhenxing.core.reference import load_reference
from zhenxing.core.roles import Role
from zhenxing.demo.codes import demo_uscc
from zhenxing.demo.enterprises import load_enterprise_demo
from zhenxing.demo.policies import load_policy_demo
from zhenxing.demo.projects import load_projects
from zhenxing.enterprises.models import Enterprise, Ownership, SizeClass

SEED = 20240630
DEMO_TODAY = datetime.date(2024, 6, 30)

# Enterprises the newspaper names (shared/docs/domain.md); the rest are generated.
NAMED_ENTERPRISES = [
    ("营口钢铁有限公司", "210804", "3120", Ownership.STATE, SizeClass.LARGE),
    ("辽宁嘉晨燃化有限公司", "210804", "2511", Ownership.PRIVATE, SizeClass.LARGE),
    ("营口象屿铝业有限公司", "210882", "3216", Ownership.MIXED, SizeClass.LARGE),
    ("营口建发盛海有色金属有限公司", "210804", "3219", Ownership.STATE, SizeClass.LARGE),
    ("中交营口液化天然气有限公司", "210804", "4511", Ownership.STATE, SizeClass.LARGE),
    ("营口忠旺铝业有限公司", "210804", "3252", Ownership.PRIVATE, SizeClass.LARGE),
]

GENERATED_PREFIXES = ["辽宁", "营口", "鲅鱼圈", "盖州", "大石桥", "老边", "北方", "渤海", "辽南"]
GENERATED_WORDS = [
    "精工",
    "镁材",
    "汽保设备",
    "乐器",
    "精细化工",
    "新材料",
    "粮油",
    "食品",
    "装备",
    "新能源",
    "智能科技",
    "环保科技",
    "重工",
    "铜业",
    "金属制品",
]
GENERATED_SUFFIXES = ["有限公司", "股份有限公司", "科技有限公司"]
GENERATED_INDUSTRIES = [
    "3311",
    "3099",
    "3441",
    "4211",
    "2662",
    "3039",
    "1331",
    "1491",
    "3463",
    "3825",
    "3591",
    "7710",
    "3421",
    "3251",
    "3311",
]

# username -> (display name, description printed by `zhenxing demo`, role grants)
ACCOUNTS: list[tuple[str, str, str, list[dict[str, Any]]]] = [
    ("admin", "系统管理员", "市级管理员（全部权限）", [{"role": Role.ADMIN}]),
    (
        "dept",
        "工信局 张科员",
        "市直部门人员（工信局）",
        [{"role": Role.DEPT_STAFF, "department": "gxj"}],
    ),
    (
        "dept_head",
        "工信局 李局长",
        "部门负责人（工信局，可审批本部门事项）",
        [
            {"role": Role.DEPT_STAFF, "department": "gxj"},
            {"role": Role.DEPT_HEAD, "department": "gxj"},
        ],
    ),
    (
        "area",
        "鲅鱼圈区 王专员",
        "县区园区人员（鲅鱼圈区，只看本区）",
        [{"role": Role.AREA_STAFF, "area": "210804"}],
    ),
    (
        "steward",
        "赵副市长",
        "项目管家（兼市领导）",
        [{"role": Role.STEWARD}, {"role": Role.LEADER}],
    ),
    (
        "enterprise",
        "营口钢铁 刘经理",
        "企业用户（营口钢铁有限公司，只看本企业）",
        [{"role": Role.ENTERPRISE, "enterprise": "营口钢铁有限公司"}],
    ),
    ("leader", "孙市长", "市领导（只读，看全部）", [{"role": Role.LEADER}]),
]


def _enterprise_rows(rng: random.Random) -> list[tuple[str, str, str, str, str]]:
    rows = [tuple(row) for row in NAMED_ENTERPRISES]
    counties = ["210802", "210803", "210804", "210811", "210881", "210882"]
    seen = {r[0] for r in rows}
    while len(rows) < 120:
        area = rng.choice(counties)
        name = (
            rng.choice(GENERATED_PREFIXES)
            + rng.choice(GENERATED_WORDS)
            + rng.choice(GENERATED_SUFFIXES)
        )
        if name in seen:
            continue
        seen.add(name)
        rows.append(
            (
                name,
                area,
                rng.choice(GENERATED_INDUSTRIES),
                rng.choice(
                    [Ownership.PRIVATE] * 6 + [Ownership.STATE, Ownership.MIXED, Ownership.FOREIGN]
                ),
                rng.choice([SizeClass.SMALL, SizeClass.SMALL, SizeClass.MICRO, SizeClass.MEDIUM]),
            )
        )
    return rows  # type: ignore[return-value]


def load_enterprises() -> None:
    rng = random.Random(SEED)
    areas = {a.code: a for a in Area.objects.all()}
    industries = set(Industry.objects.values_list("code", flat=True))
    parks = {"210803": areas.get("P01"), "210881": areas.get("P02"), "210804": areas.get("P03")}
    for index, (name, area_code, industry, ownership, size) in enumerate(_enterprise_rows(rng)):
        uscc = demo_uscc(rng, area_code)
        registered = datetime.date(1995, 1, 1) + datetime.timedelta(days=rng.randrange(0, 10500))
        if Enterprise.objects.filter(name=name).exists():
            continue
        # One in five generated enterprises sits in the park its county hosts.
        area: Area = areas[area_code]
        if index >= len(NAMED_ENTERPRISES) and index % 5 == 0 and parks.get(area_code):
            area = parks[area_code] or area
        enterprise = Enterprise(
            uscc=uscc,
            name=name,
            area=area,
            industry_id=industry if industry in industries else None,
            ownership=ownership,
            size_class=size,
            registration_date=registered,
            address=f"{areas[area_code].name}{rng.randint(1, 300)}号",
        )
        enterprise.save()


def load_accounts(password: str) -> list[tuple[str, str]]:
    user_model = get_user_model()
    departments = {d.code: d for d in Department.objects.all()}
    areas = {a.code: a for a in Area.objects.all()}
    printed = []
    for username, display, description, grants in ACCOUNTS:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model(username=username, display_name=display)
            user.set_password(password)
            if username == "admin":
                user.is_staff = user.is_superuser = True
            user.save()
        for grant in grants:
            lookup: dict[str, Any] = {"user": user, "role": grant["role"]}
            if "department" in grant:
                lookup["department"] = departments[grant["department"]]
            if "area" in grant:
                lookup["area"] = areas[grant["area"]]
            if "enterprise" in grant:
                lookup["enterprise"] = Enterprise.objects.get(name=grant["enterprise"])
            if not RoleAssignment.objects.filter(**lookup).exists():
                RoleAssignment.objects.create(**lookup)
        printed.append((username, description))
    return printed


@transaction.atomic
def load_demo(*, password: str, today: datetime.date = DEMO_TODAY) -> list[tuple[str, str]]:
    load_reference()
    load_enterprises()
    accounts = load_accounts(password)
    # After the accounts: the demo's `steward` becomes one of the 31 steward leaders.
    load_projects(today=today)
    load_enterprise_demo(today=today)
    load_policy_demo(today=today)
    return accounts
