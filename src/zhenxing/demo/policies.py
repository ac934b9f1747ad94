"""The Yingkou demo's policies paid without application (免申即享), run and paid for real.

27 policies: the eight 2019 rules of the city's rule catalogue, named and referenced as
their rule files say (no document numbers: the source gives none), and 19 example
policies of the example catalogue (`policies/rule_examples`), each named “…（示例）”
with no document number.

Every payment in the ledger comes out of a real run: the demo's enterprises and projects,
their facts (the registry's yearly facts and tier records where they exist, the projects'
monthly reports), and department lists (名单) for the facts only a department knows (booth
fees, first-set contracts, the example awards' recognitions). Where the registry has no
value yet for a fact a policy needs in a year (no tier records, no fiscal contributions),
the responsible department's list supplies it.

Published totals (`shared/docs/domain.md` §6): 32,000,000 yuan paid by 2023-12-31 and
over 49,000,000 (49,880,000.00) by 2024-05-31, computed from the ledger. The
exhibition-booth subsidy pays 100 % of the booth fees with no ceiling, so the commerce
bureau's booth-fee list of each year is drawn last, to the amount that brings the ledger
to the published total (whole yuan, split over many enterprises). Everything else is
decided by the rules, the budgets and the allocation rules.

Loading is idempotent: if the ledger has any entry, nothing is done.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

D = datetime.date
SEED = 2024_0630_5
TARGET_2023 = Decimal("32000000.00")
TARGET_2024_05 = Decimal("49880000.00")
FIRST_WINDOW_END = D(2023, 12, 31)
SECOND_WINDOW_END = D(2024, 5, 31)
PUBLISHED_ON = D(2023, 1, 5)

# department code -> (staff username, display name; head username, display name)
PEOPLE = {
    "gxj": ("dept", "工信局 张科员", "dept_head", "工信局 李局长"),
    "kjj": ("kjj_staff", "科技局 周科员", "kjj_head", "科技局 吴局长"),
    "swj": ("swj_staff", "商务局 郑科员", "swj_head", "商务局 冯局长"),
    "fgw": ("fgw_staff", "发改委 陈科员", "fgw_head", "发改委 褚主任"),
    "scjgj": ("scjgj_staff", "市场监管局 卫科员", "scjgj_head", "市场监管局 蒋局长"),
    "tjj": ("tjj_staff", "统计局 沈科员", "tjj_head", "统计局 韩局长"),
    "czj": ("czj_staff", "财政局 杨科员", "czj_head", "财政局 朱局长"),
}


@dataclass(frozen=True)
class Spec:
    code: str
    catalogue: str
    rule_id: str
    department: str
    budget: int
    city_pct: int
    status: str = "published"  # published | draft | retired
    name: str = ""  # default: the rule's title
    stacking: str = "both"
    group: str = ""
    allocation: str = "pro_rata"
    time_limit: str = "每年第二季度对上年度测算，经部门负责人审批后30日内拨付"


POLICIES: list[Spec] = [
    # --- the 2019 rules of the city's catalogue
    Spec(
        "emerging-industry-project",
        "yingkou",
        "emerging_industry_project",
        "fgw",
        2_000_000,
        50,
        stacking="higher",
        group="industrial-project",
    ),
    Spec(
        "green-manufacturing-project",
        "yingkou",
        "green_manufacturing_project",
        "gxj",
        1_000_000,
        50,
        stacking="higher",
        group="industrial-project",
    ),
    Spec(
        "smart-manufacturing-project",
        "yingkou",
        "smart_manufacturing_project",
        "gxj",
        1_500_000,
        50,
        stacking="higher",
        group="industrial-project",
    ),
    Spec("first-set-equipment", "yingkou", "first_set_equipment", "gxj", 5_000_000, 60),
    Spec("specialized-new-sme-award", "yingkou", "specialized_new_sme_award", "gxj", 2_000_000, 60),
    Spec("newly-above-size", "yingkou", "newly_above_size", "gxj", 1_500_000, 50),
    Spec(
        "exhibition-booth",
        "yingkou",
        "exhibition_booth",
        "swj",
        12_000_000,
        70,
        time_limit="展会结束后按年度汇总测算，经部门负责人审批后兑付",
    ),
    Spec(
        "high-tech-recognition-award",
        "yingkou",
        "high_tech_recognition_award",
        "kjj",
        5_000_000,
        100,
    ),
    # --- examples (示例)
    Spec("little-giant-award", "examples", "little_giant_award_example", "gxj", 3_000_000, 60),
    Spec(
        "single-champion-award", "examples", "single_champion_award_example", "gxj", 2_000_000, 60
    ),
    Spec("tech-sme-award", "examples", "tech_sme_award_example", "kjj", 1_500_000, 100),
    Spec("rd-institution-award", "examples", "rd_institution_award_example", "kjj", 2_500_000, 100),
    Spec(
        "tech-upgrade",
        "examples",
        "tech_upgrade_example",
        "gxj",
        6_000_000,
        50,
        stacking="higher",
        group="equipment-investment",
    ),
    Spec("listing-award", "examples", "listing_award_example", "fgw", 3_000_000, 50),
    Spec(
        "digital-transformation",
        "examples",
        "digital_transformation_example",
        "gxj",
        2_000_000,
        50,
        stacking="higher",
        group="equipment-investment",
        allocation="small_first",
    ),
    Spec("gazelle-award", "examples", "gazelle_award_example", "kjj", 1_000_000, 100),
    Spec("green-factory-award", "examples", "green_factory_award_example", "gxj", 1_000_000, 60),
    Spec("above-quota-entry", "examples", "above_quota_entry_example", "swj", 500_000, 50),
    Spec(
        "well-known-trademark-award",
        "examples",
        "well_known_trademark_award_example",
        "scjgj",
        600_000,
        60,
    ),
    Spec("export-growth", "examples", "export_growth_example", "swj", 2_000_000, 50),
    Spec("above-size-growth", "examples", "above_size_growth_example", "gxj", 3_000_000, 50),
    Spec("design-center-award", "examples", "design_center_award_example", "gxj", 800_000, 60),
    Spec(
        "project-loan-interest", "examples", "project_loan_interest_example", "fgw", 3_000_000, 50
    ),
    Spec("rd-growth", "examples", "rd_growth_example", "kjj", 5_000_000, 100, status="draft"),
    Spec(
        "incubator-award",
        "examples",
        "incubator_award_example",
        "kjj",
        900_000,
        100,
        status="draft",
    ),
    Spec(
        "high-level-talent",
        "examples",
        "high_level_talent_example",
        "kjj",
        1_000_000,
        100,
        status="retired",
    ),
    Spec(
        "service-platform-award",
        "examples",
        "service_platform_award_example",
        "gxj",
        500_000,
        60,
        status="retired",
    ),
]

CONTACTS = {
    "gxj": "营口市工业和信息化局（政策兑付咨询：工作日 8:30—17:00，到局政务服务窗口）",
    "kjj": "营口市科学技术局（政策兑付咨询：工作日 8:30—17:00，到局政务服务窗口）",
    "swj": "营口市商务局（政策兑付咨询：工作日 8:30—17:00，到局政务服务窗口）",
    "fgw": "营口市发展和改革委员会（政策兑付咨询：工作日 8:30—17:00，到委政务服务窗口）",
    "scjgj": "营口市市场监督管理局（政策兑付咨询：工作日 8:30—17:00，到局政务服务窗口）",
}

# (policy code, period, booked on) — in this order; booth fees come last in each window
RUNS_2022 = [
    ("high-tech-recognition-award", "2022", D(2023, 4, 18)),
    ("specialized-new-sme-award", "2022", D(2023, 4, 25)),
    ("newly-above-size", "2022", D(2023, 5, 9)),
    ("first-set-equipment", "2022", D(2023, 5, 16)),
    ("little-giant-award", "2022", D(2023, 5, 23)),
    ("single-champion-award", "2022", D(2023, 5, 23)),
    ("tech-sme-award", "2022", D(2023, 6, 6)),
    ("rd-institution-award", "2022", D(2023, 6, 13)),
    ("tech-upgrade", "2022", D(2023, 6, 27)),
    ("digital-transformation", "2022", D(2023, 7, 11)),
    ("listing-award", "2022", D(2023, 8, 8)),
]
RUNS_2023 = [
    ("emerging-industry-project", "2023", D(2024, 3, 19)),
    ("green-manufacturing-project", "2023", D(2024, 3, 19)),
    ("smart-manufacturing-project", "2023", D(2024, 3, 26)),
    ("high-tech-recognition-award", "2023", D(2024, 4, 9)),
    ("specialized-new-sme-award", "2023", D(2024, 4, 16)),
    ("newly-above-size", "2023", D(2024, 4, 23)),
    ("little-giant-award", "2023", D(2024, 4, 23)),
    ("tech-sme-award", "2023", D(2024, 4, 30)),
    ("gazelle-award", "2023", D(2024, 5, 7)),
    ("green-factory-award", "2023", D(2024, 5, 7)),
    ("above-quota-entry", "2023", D(2024, 5, 14)),
    ("well-known-trademark-award", "2023", D(2024, 5, 14)),
]


def _users() -> dict[str, tuple[Any, Any]]:
    """(preparer, approver) per department: the demo's accounts for 工信局, generated
    staff (no password: they cannot sign in) for the other departments."""
    from zhenxing.core.models import Department, RoleAssignment
    from zhenxing.core.roles import Role

    user_model = get_user_model()
    out = {}
    for code, (staff, staff_name, head, head_name) in PEOPLE.items():
        department = Department.objects.get(code=code)
        pair = []
        for username, display, roles in (
            (staff, staff_name, [Role.DEPT_STAFF]),
            (head, head_name, [Role.DEPT_STAFF, Role.DEPT_HEAD]),
        ):
            user = user_model.objects.filter(username=username).first()
            if user is None:
                user = user_model(username=username, display_name=display)
                user.set_unusable_password()
                user.save()
            for role in roles:
                RoleAssignment.objects.get_or_create(
                    user=user, role=role, department=department, area=None, enterprise=None
                )
            pair.append(user)
        out[code] = (pair[0], pair[1])
    return out


def _policies(users: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    from zhenxing.core.models import Department
    from zhenxing.policies import catalogues, services
    from zhenxing.policies.models import Policy

    out = {}
    for spec in POLICIES:
        policy = Policy.objects.filter(code=spec.code).first()
        staff, head = users[spec.department]
        if policy is None:
            resolved = catalogues.resolve(
                spec.catalogue, catalogues.rule_file_of(spec.catalogue, spec.rule_id), spec.rule_id
            )
            policy = services.policy_create(
                user=staff,
                code=spec.code,
                name=spec.name or resolved.version.title,
                catalogue=spec.catalogue,
                rule_file=resolved.relative_file,
                rule_id=spec.rule_id,
                department=Department.objects.get(code=spec.department),
                beneficiary=resolved.entity,
                annual_budget=Decimal(spec.budget),
                city_share_pct=Decimal(spec.city_pct),
                stacking=spec.stacking,
                stacking_group=spec.group,
                allocation=spec.allocation,
                time_limit=spec.time_limit,
                contact=CONTACTS.get(spec.department, ""),
            )
            if spec.status in ("published", "retired"):
                services.policy_publish(user=head, policy=policy, on=PUBLISHED_ON)
            if spec.status == "retired":
                services.policy_retire(user=head, policy=policy, on=D(2023, 12, 31))
        out[spec.code] = policy
    return out


class _Lists:
    """Department lists drawn from the demo's registry with a fixed seed."""

    def __init__(self, users: dict[str, tuple[Any, Any]]) -> None:
        from zhenxing.enterprises.models import Enterprise

        self.users = users
        self.rng = random.Random(SEED)
        self.enterprises = list(Enterprise.objects.order_by("pk").values_list("pk", flat=True))
        named = Enterprise.objects.filter(name="营口钢铁有限公司").first()
        self.showcase = named.pk if named is not None else None

    def pick(self, n: int, *, showcase: bool = False) -> list[int]:
        pool = [e for e in self.enterprises if e != self.showcase]
        chosen = self.rng.sample(pool, min(n, len(pool)))
        if showcase and self.showcase is not None:
            chosen = [self.showcase, *chosen[:-1]] if chosen else [self.showcase]
        return chosen

    def save(
        self,
        fact_id: str,
        period: str,
        department: str,
        values: dict[int, Any],
        name: str,
        beneficiary: str = "enterprise",
        as_of: D | None = None,
    ) -> None:
        from zhenxing.core.models import Department
        from zhenxing.policies import services

        staff, _head = self.users[department]
        services.fact_list_save(
            user=staff,
            department=Department.objects.get(code=department),
            fact_id=fact_id,
            period=period,
            values=values,
            name=name,
            beneficiary=beneficiary,
            as_of=as_of or D(int(period) + 1, 3, 31),
            source_note="演示数据：按部门名单格式生成",
        )

    def flags(
        self, fact_id: str, period: str, department: str, n: int, name: str, showcase: bool = False
    ) -> None:
        self.save(
            fact_id, period, department, dict.fromkeys(self.pick(n, showcase=showcase), True), name
        )

    def amounts(
        self,
        fact_id: str,
        period: str,
        department: str,
        amounts: list[int],
        name: str,
        showcase: bool = False,
    ) -> None:
        ids = self.pick(len(amounts), showcase=showcase)
        self.save(fact_id, period, department, dict(zip(ids, amounts, strict=True)), name)

    def dates(self, fact_id: str, period: str, department: str, n: int, name: str) -> None:
        year = int(period)
        values = {
            e: D(year, 1, 1) + datetime.timedelta(days=self.rng.randrange(364))
            for e in self.pick(n)
        }
        self.save(fact_id, period, department, values, name)


def _lists_2022(lists: _Lists) -> None:
    lists.amounts(
        "first_set_contract_price",
        "2022",
        "gxj",
        [3_200_000, 5_000_000, 8_000_000, 2_400_000, 12_000_000, 1_600_000],
        "2022年首台（套）重大技术装备订货合同名单",
        showcase=True,
    )
    lists.flags(
        "recognized_little_giant_in_period",
        "2022",
        "gxj",
        4,
        "2022年新认定国家级专精特新“小巨人”企业名单",
    )
    lists.flags(
        "recognized_single_champion_in_period",
        "2022",
        "gxj",
        1,
        "2022年新认定制造业单项冠军企业名单",
    )
    lists.flags(
        "recognized_tech_sme_in_period", "2022", "kjj", 60, "2022年首次入库科技型中小企业名单"
    )
    lists.save(
        "new_rd_institution_level",
        "2022",
        "kjj",
        dict(
            zip(
                lists.pick(5),
                ["national", "provincial", "provincial", "provincial", "municipal"],
                strict=True,
            )
        ),
        "2022年新建研发机构名单",
    )
    upgrade = lists.pick(8)
    lists.save(
        "tech_upgrade_equipment_investment",
        "2022",
        "gxj",
        dict(
            zip(
                upgrade,
                [
                    36_000_000,
                    18_500_000,
                    9_200_000,
                    27_000_000,
                    12_800_000,
                    6_400_000,
                    30_500_000,
                    7_700_000,
                ],
                strict=True,
            )
        ),
        "2022年技术改造项目设备投资核定名单",
    )
    # Three of the upgrading enterprises also invested in digital transformation:
    # “pay the higher once” within the equipment-investment group applies to them.
    digital = upgrade[5:8] + lists.pick(9)
    lists.save(
        "digital_investment",
        "2022",
        "gxj",
        dict(
            zip(
                digital,
                [
                    4_000_000,
                    1_800_000,
                    2_600_000,
                    1_200_000,
                    3_100_000,
                    5_500_000,
                    1_450_000,
                    2_050_000,
                    980_000,
                    6_300_000,
                    1_600_000,
                    2_250_000,
                ],
                strict=True,
            )
        ),
        "2022年智能化改造和数字化转型投资核定名单",
    )
    lists.flags("listed_in_period", "2022", "fgw", 2, "2022年境内外首发上市企业名单")


def _lists_2023(lists: _Lists) -> None:
    lists.flags(
        "recognized_little_giant_in_period",
        "2023",
        "gxj",
        2,
        "2023年新认定国家级专精特新“小巨人”企业名单",
    )
    lists.flags(
        "recognized_tech_sme_in_period",
        "2023",
        "kjj",
        40,
        "2023年首次入库科技型中小企业名单",
        showcase=True,
    )
    lists.flags("recognized_gazelle_in_period", "2023", "kjj", 6, "2023年新认定瞪羚企业名单")
    lists.flags(
        "recognized_green_factory_in_period", "2023", "gxj", 3, "2023年新认定省级以上绿色工厂名单"
    )
    lists.dates("first_above_quota_date", "2023", "swj", 10, "2023年首次纳入限额以上商贸企业名单")
    lists.flags(
        "recognized_well_known_trademark_in_period", "2023", "scjgj", 1, "2023年新认定驰名商标名单"
    )


# Facts the registry derives (tiers, registry dates): used when the registry has them for
# the year; otherwise the department's list. (fact, department, list size, list name)
REGISTRY_FIRST = {
    "high-tech-recognition-award": (
        "recognized_high_tech_in_period",
        "kjj",
        {"2022": 28, "2023": 22},
        "新认定高新技术企业名单",
    ),
    "specialized-new-sme-award": (
        "recognized_specialized_new_provincial_in_period",
        "gxj",
        {"2022": 15, "2023": 12},
        "新认定省级以上专精特新中小企业名单",
    ),
    "newly-above-size": (
        "first_above_size_date",
        "tjj",
        {"2022": 25, "2023": 22},
        "首次上规入库企业明细（市统计局）",
    ),
}
FALLBACK_BELOW = 5  # fewer eligible from the registry than this: the department's list


def _run(policy: Any, period: str, booked_on: D, users: dict[str, tuple[Any, Any]]) -> Any:
    from zhenxing.policies import services

    staff, _head = users[policy.department.code]
    run = services.run_start(user=staff, policy=policy, period=period, source=_source())
    if run.status != "computed":
        raise RuntimeError(f"demo run {policy.code} {period} failed: {run.error}")
    return run


def _source() -> Any:
    from zhenxing.policies import facts

    return facts.default_source


def _approve(run: Any, booked_on: D, users: dict[str, tuple[Any, Any]]) -> Any:
    from zhenxing.policies import services

    _staff, head = users[run.policy.department.code]
    return services.run_approve(user=head, run=run, on=booked_on)


def _run_and_approve(
    policies: dict[str, Any],
    code: str,
    period: str,
    booked_on: D,
    users: dict[str, tuple[Any, Any]],
    lists: _Lists,
) -> Any:
    policy = policies[code]
    run = _run(policy, period, booked_on, users)
    fallback = REGISTRY_FIRST.get(code)
    if fallback is not None and run.eligible_count < FALLBACK_BELOW:
        fact_id, department, sizes, name = fallback
        if fact_id == "first_above_size_date":
            lists.dates(fact_id, period, department, sizes[period], f"{period}年{name}")
        else:
            lists.flags(fact_id, period, department, sizes[period], f"{period}年{name}")
        run = _run(policy, period, booked_on, users)
    return _approve(run, booked_on, users)


def _project_fiscal_list(lists: _Lists) -> None:
    """The finance bureau's certified fiscal contribution (2023) of a first batch of
    project owners, when the registry has none for them; the other projects are “to be
    reported” (需补报) in the runs."""
    import polars as pl

    from zhenxing.policies import facts
    from zhenxing.projects.models import MonthlyReport, Project

    owners = list(
        Project.objects.filter(owner_enterprise__isnull=False)
        .values_list("owner_enterprise_id", flat=True)
        .distinct()
    )
    known = facts.enterprise_yearly_fact("fiscal_contribution", [2023], owners)
    if known.height and known.filter(pl.col("fiscal_contribution").is_not_null()).height:
        return
    rng = random.Random(SEED + 7)
    invested: dict[int, Decimal] = {}
    for pid, amount in MonthlyReport.objects.filter(
        year=2023,
        project__owner_enterprise__isnull=False,
        project__policy_category__in=["emerging", "green", "smart"],
    ).values_list("project_id", "investment"):
        invested[pid] = invested.get(pid, Decimal(0)) + amount
    values: dict[int, int] = {}
    # The bureau's first certified batch: six projects of each category.
    for category in ("emerging", "green", "smart"):
        ids = sorted(
            pid
            for pid in Project.objects.filter(policy_category=category).values_list("pk", flat=True)
            if invested.get(pid)
        )
        for pid in rng.sample(ids, min(6, len(ids))):
            values[pid] = rng.randrange(30, 80) * 10_000
    if values:
        lists.save(
            "enterprise_fiscal_contribution",
            "2023",
            "czj",
            values,
            "2023年项目单位地方财政贡献核定名单（市财政局）",
            beneficiary="project",
        )


def _paid_until(day: D) -> Decimal:
    from zhenxing.policies import queries

    return queries.payouts_total(until=day).paid_total


def _booth(lists: _Lists, period: str, need: Decimal) -> None:
    """The commerce bureau's booth fees of `period`: whole yuan adding up to `need`."""
    if need <= 0:
        raise RuntimeError(f"demo calibration: booth fees for {period} would be {need}")
    yuan = int(need)
    if Decimal(yuan) != need:
        raise RuntimeError("demo calibration: the remainder is not in whole yuan")
    n = max(8, min(60, yuan // 60_000))
    rng = random.Random(SEED + int(period))
    weights = [rng.lognormvariate(0, 0.6) for _ in range(n)]
    total = sum(weights)
    amounts = [int(yuan * w / total) for w in weights]
    for i in range(yuan - sum(amounts)):
        amounts[i % n] += 1
    lists.amounts(
        "exhibition_booth_fees",
        period,
        "swj",
        amounts,
        f"{period}年参加境内外重点展会展位费核定名单",
        showcase=period == "2023",
    )


def _correction(policies: dict[str, Any], users: dict[str, tuple[Any, Any]]) -> None:
    """One first-set payment corrected: the contract price was revised down (2023-10-16)."""
    from zhenxing.policies import services
    from zhenxing.policies.models import LedgerEntry

    entry = (
        LedgerEntry.objects.filter(policy=policies["first-set-equipment"], kind="payment")
        .order_by("amount", "pk")
        .first()
    )
    if entry is None:
        return
    _staff, head = users["gxj"]
    services.ledger_correct(
        user=head,
        entry=entry,
        amount=(entry.amount * Decimal("0.75")).quantize(Decimal("1")),
        reason="订货合同价格经核查调减，按核定合同价重新计算",
        on=D(2023, 10, 16),
    )


def _objections(policies: dict[str, Any], users: dict[str, tuple[Any, Any]]) -> None:
    from zhenxing.core.models import RoleAssignment
    from zhenxing.policies import services
    from zhenxing.policies.models import RunResult

    grant = (
        RoleAssignment.objects.filter(role="enterprise")
        .select_related("user", "enterprise")
        .first()
    )
    if grant is None:
        return
    results = RunResult.objects.filter(
        enterprise=grant.enterprise, run__status="approved", eligible=True
    ).select_related("run__policy")
    first = results.filter(run__policy__code="first-set-equipment").first()
    if first is not None:
        objection = services.objection_file(
            user=grant.user,
            enterprise=grant.enterprise,
            policy=first.run.policy,
            result=first,
            reason="我公司2022年另有一台（套）装备订货合同已列入首台（套）名单，未计入本次测算，请核实。",
        )
        _staff, head = users["gxj"]
        services.objection_reply(
            user=head,
            objection=objection,
            text="经核查，该合同于2023年1月签订，属于2023年度，将在2023年度测算中一并计算。",
            close=True,
        )
    booth = results.filter(run__policy__code="exhibition-booth").first()
    if booth is not None:
        services.objection_file(
            user=grant.user,
            enterprise=grant.enterprise,
            policy=booth.run.policy,
            result=booth,
            reason="2023年广交会展位费发票金额与核定名单不一致，请按发票金额重新核定。",
        )


def _pending(policies: dict[str, Any], users: dict[str, tuple[Any, Any]], lists: _Lists) -> None:
    """Runs of 2024 prepared and waiting for the head's approval (for the demo's dept_head)."""
    lists.flags(
        "recognized_little_giant_in_period",
        "2024",
        "gxj",
        1,
        "2024年新认定国家级专精特新“小巨人”企业名单（第一批）",
    )
    _run(policies["little-giant-award"], "2024", D(2024, 6, 30), users)
    lists.amounts(
        "first_set_contract_price",
        "2024",
        "gxj",
        [4_200_000, 9_000_000, 2_750_000],
        "2024年首台（套）重大技术装备订货合同名单（上半年）",
        showcase=True,
    )
    _run(policies["first-set-equipment"], "2024", D(2024, 6, 30), users)


@transaction.atomic
def load_policy_demo(*, today: datetime.date) -> None:
    """Load the demo's policies, lists, runs, payouts, a correction and objections (once)."""
    from zhenxing.policies.models import LedgerEntry

    if LedgerEntry.objects.exists():
        return
    if today < SECOND_WINDOW_END:
        raise ValueError(f"the demo's payouts run to {SECOND_WINDOW_END}; today is {today}")
    users = _users()
    policies = _policies(users)
    lists = _Lists(users)
    _lists_2022(lists)
    for code, period, booked_on in RUNS_2022:
        _run_and_approve(policies, code, period, booked_on, users, lists)
    _correction(policies, users)
    _booth(lists, "2022", TARGET_2023 - _paid_until(FIRST_WINDOW_END))
    _run_and_approve(policies, "exhibition-booth", "2022", D(2023, 11, 21), users, lists)
    _lists_2023(lists)
    _project_fiscal_list(lists)
    for code, period, booked_on in RUNS_2023:
        _run_and_approve(policies, code, period, booked_on, users, lists)
    _booth(lists, "2023", TARGET_2024_05 - _paid_until(SECOND_WINDOW_END))
    _run_and_approve(policies, "exhibition-booth", "2023", D(2024, 5, 21), users, lists)
    paid_2023, paid_2024 = _paid_until(FIRST_WINDOW_END), _paid_until(SECOND_WINDOW_END)
    if paid_2023 != TARGET_2023 or paid_2024 != TARGET_2024_05:
        raise AssertionError(f"demo payouts {paid_2023} / {paid_2024} miss the published totals")
    _objections(policies, users)
    _pending(policies, users, lists)
