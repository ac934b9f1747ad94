"""The behaviours of runs, approval, the ledger and its guarantees (SQLite and PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from django.db import IntegrityError, connection, transaction

from zhenxing.core import scoping
from zhenxing.core.services import DomainError
from zhenxing.policies import services
from zhenxing.policies.models import (
    LedgerEntry,
    LedgerIsAppendOnly,
    Policy,
    PolicyRun,
    RunResult,
)

from .conftest import frame, source


def _payments(run: Any) -> dict[int, Decimal]:
    return {e.beneficiary_id: e.amount for e in LedgerEntry.objects.filter(run=run, kind="payment")}


def test_a_run_stores_one_result_per_beneficiary_with_amount_and_condition_record(
    world: Any, computed_run: Any
) -> None:
    run = computed_run
    assert run.status == "computed", run.error
    assert run.population == 2 and run.eligible_count == 2
    assert run.eligible_total == Decimal("1150000.00")
    assert run.condition_names == ["has_first_set_contract"]
    own = RunResult.objects.get(run=run, enterprise=world.own_enterprise)
    assert own.eligible and own.amount == Decimal("150000.00") and own.payable == own.amount
    assert own.conditions == 1 and own.status == 0
    assert own.area_id == world.own_area.pk
    assert own.facts_dict() == {"first_set_contract_price": "1000000.00"}
    assert own.condition_marks() == [("有列入首台（套）重大技术装备产品名单的订货合同", True)]
    assert run.rule_version.startswith("2019-01-01") and len(run.rule_digest) == 16


def test_who_prepared_a_run_cannot_approve_it(world: Any, policy: Any, facts_two: Any) -> None:
    head = world.users["dept_head"]
    run = services.run_start(user=head, policy=policy, period="2023", source=source(facts_two))
    with pytest.raises(DomainError, match="测算人不能审批"):
        services.run_approve(user=head, run=run)
    # ... even when someone else re-ran it afterwards: a preparer stays a preparer
    services.run_start(
        user=world.users["dept"], policy=policy, period="2023", source=source(facts_two)
    )
    with pytest.raises(DomainError, match="测算人不能审批"):
        services.run_approve(user=head, run=run)
    # staff of the department (not its head) cannot approve: scoping's APPROVE
    with pytest.raises(scoping.PermissionDenied):
        services.run_approve(user=world.users["dept"], run=run)
    assert not LedgerEntry.objects.exists()
    approved = services.run_approve(user=world.users["admin"], run=run)
    assert approved.status == "approved" and approved.approved_by == world.users["admin"]


def test_approval_creates_one_payment_per_paid_beneficiary_with_the_split(
    world: Any, computed_run: Any
) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run, on=None)
    entries = list(LedgerEntry.objects.filter(run=computed_run).order_by("amount"))
    assert [(e.kind, e.amount, e.city_amount, e.county_amount) for e in entries] == [
        ("payment", Decimal("150000.00"), Decimal("90000.00"), Decimal("60000.00")),
        ("payment", Decimal("1000000.00"), Decimal("600000.00"), Decimal("400000.00")),
    ]
    assert {e.area_id for e in entries} == {world.own_area.pk, world.other_area.pk}
    with pytest.raises(DomainError, match="已审批"):
        services.run_approve(user=world.users["admin"], run=computed_run)
    assert LedgerEntry.objects.count() == 2


def test_a_second_payment_for_the_same_beneficiary_and_period_is_refused_by_the_database(
    world: Any, computed_run: Any
) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    first = LedgerEntry.objects.filter(run=computed_run).first()
    assert first is not None
    twin = LedgerEntry(
        kind="payment",
        policy=first.policy,
        run=first.run,
        result=first.result,
        beneficiary_kind=first.beneficiary_kind,
        beneficiary_id=first.beneficiary_id,
        enterprise=first.enterprise,
        area=first.area,
        period=first.period,
        amount=Decimal("1.00"),
        city_amount=Decimal("0.60"),
        county_amount=Decimal("0.40"),
        city_share_pct=first.city_share_pct,
        booked_on=first.booked_on,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()  # no service involved: the partial unique index refuses it
    # another period, or a reversal, is not a second payment
    twin.period = "2022"
    with transaction.atomic():
        twin.save()
    assert LedgerEntry.objects.filter(kind="payment").count() == 3


def test_a_supplementary_run_pays_only_those_not_yet_paid(
    world: Any, policy: Any, computed_run: Any
) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    again = services.run_start(
        user=world.users["dept"],
        policy=policy,
        period="2023",
        source=source(frame({world.own_enterprise: 2_000_000, world.other_enterprise: 8_000_000})),
    )
    assert again.pk != computed_run.pk and again.payable_total == Decimal("0.00")
    assert "本期已兑付" in again.allocation_note
    services.run_approve(user=world.users["dept_head"], run=again)
    assert LedgerEntry.objects.filter(kind="payment").count() == 2


def test_the_ledger_is_append_only(world: Any, computed_run: Any) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    entry = LedgerEntry.objects.first()
    assert entry is not None
    entry.amount = Decimal("1.00")
    with pytest.raises(LedgerIsAppendOnly):
        entry.save()
    with pytest.raises(LedgerIsAppendOnly):
        entry.delete()
    with pytest.raises(LedgerIsAppendOnly):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1.00"))
    with pytest.raises(LedgerIsAppendOnly):
        LedgerEntry.objects.all().delete()
    # below the ORM: the database's trigger refuses the UPDATE
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE policies_ledgerentry SET reason = 'x' WHERE id = %s", [entry.pk])
    if connection.vendor == "postgresql":
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM policies_ledgerentry WHERE id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.amount == Decimal("150000.00") or entry.amount == Decimal("1000000.00")


def test_correction_is_a_reversal_plus_one_adjustment(world: Any, computed_run: Any) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    payment = LedgerEntry.objects.get(run=computed_run, enterprise=world.own_enterprise)
    with pytest.raises(scoping.PermissionDenied):  # staff cannot correct: the head decides
        services.ledger_correct(
            user=world.users["dept"], entry=payment, amount=Decimal("120000"), reason="合同调减"
        )
    reversal, adjustment = services.ledger_correct(
        user=world.users["dept_head"], entry=payment, amount=Decimal("120000"), reason="合同调减"
    )
    assert (reversal.kind, reversal.amount, reversal.reverses_id) == (
        "reversal",
        Decimal("-150000.00"),
        payment.pk,
    )
    assert (reversal.city_amount, reversal.county_amount) == (
        Decimal("-90000.00"),
        Decimal("-60000.00"),
    )
    assert (adjustment.kind, adjustment.amount, adjustment.corrects_id) == (
        "adjustment",
        Decimal("120000.00"),
        reversal.pk,
    )
    assert (adjustment.city_amount, adjustment.county_amount) == (
        Decimal("72000.00"),
        Decimal("48000.00"),
    )
    payment.refresh_from_db()
    assert payment.amount == Decimal("150000.00")  # the original is untouched
    net = sum(
        e.amount
        for e in LedgerEntry.objects.filter(
            beneficiary_id=world.own_enterprise.pk, policy=payment.policy, period="2023"
        )
    )
    assert net == Decimal("120000.00")
    with pytest.raises(DomainError, match="号冲正记录冲正"):
        services.ledger_correct(
            user=world.users["dept_head"], entry=payment, amount=Decimal("1"), reason="再次更正"
        )
    with pytest.raises(DomainError, match="冲正记录不能更正"):
        services.ledger_correct(
            user=world.users["dept_head"], entry=reversal, amount=Decimal("1"), reason="x"
        )
    # a correction of the correction: the adjustment is reversed and adjusted in turn
    r2, a2 = services.ledger_correct(
        user=world.users["dept_head"], entry=adjustment, amount=Decimal("130000"), reason="复核"
    )
    assert r2.reverses_id == adjustment.pk and a2.corrects_id == r2.pk
    assert LedgerEntry.objects.filter(kind="payment").count() == 2


def test_rerunning_a_run_is_idempotent(world: Any, policy: Any, facts_two: Any) -> None:
    dept = world.users["dept"]
    first = services.run_start(user=dept, policy=policy, period="2023", source=source(facts_two))
    own = RunResult.objects.get(run=first, enterprise=world.own_enterprise)
    services.result_exclude(user=world.users["dept_head"], result=own, reason="合同存疑，待核实")

    def snapshot() -> list[tuple[Any, ...]]:
        return sorted(
            RunResult.objects.filter(run=first).values_list(
                "enterprise_id",
                "eligible",
                "status",
                "conditions",
                "amount",
                "payable",
                "facts",
                "excluded",
                "exclusion_reason",
            )
        )

    before = snapshot()
    totals = PolicyRun.objects.filter(pk=first.pk).values(
        "population", "eligible_count", "eligible_total", "payable_total", "excluded_count"
    )[0]
    second = services.run_start(user=dept, policy=policy, period="2023", source=source(facts_two))
    assert second.pk == first.pk
    assert PolicyRun.objects.count() == 1
    assert RunResult.objects.filter(run=first).count() == 2
    assert snapshot() == before
    assert (
        PolicyRun.objects.filter(pk=first.pk).values(
            "population", "eligible_count", "eligible_total", "payable_total", "excluded_count"
        )[0]
        == totals
    )
    assert totals["payable_total"] == Decimal("1000000.00") and totals["excluded_count"] == 1


def test_a_reviewer_excludes_a_case_with_a_reason(world: Any, computed_run: Any) -> None:
    own = RunResult.objects.get(run=computed_run, enterprise=world.own_enterprise)
    with pytest.raises(DomainError, match="排除原因"):
        services.result_exclude(user=world.users["dept"], result=own, reason=" ")
    with pytest.raises(scoping.PermissionDenied):
        services.result_exclude(user=world.users["area"], result=own, reason="区里认为不对")
    services.result_exclude(user=world.users["dept"], result=own, reason="企业已注销")
    own.refresh_from_db()
    assert own.excluded and own.payable == 0 and own.excluded_by == world.users["dept"]
    computed_run.refresh_from_db()
    assert computed_run.payable_total == Decimal("1000000.00")
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    assert set(_payments(computed_run)) == {world.other_enterprise.pk}
    with pytest.raises(DomainError, match="待审批"):
        services.result_exclude(user=world.users["dept"], result=own, reason="x", exclude=False)


def test_provisional_rule_cannot_be_published(world: Any, gxj: Any) -> None:
    head = world.users["dept_head"]
    draft = services.policy_create(
        user=world.users["dept"],
        code="incubator",
        name="科技企业孵化器认定奖励（示例）",
        catalogue="examples",
        rule_file="awards/incubator_award.yaml",
        rule_id="incubator_award_example",
        department=gxj,
        beneficiary="enterprise",
        annual_budget=Decimal("900000"),
    )
    with pytest.raises(DomainError, match="暂定"):
        services.policy_publish(user=head, policy=draft)
    draft.refresh_from_db()
    assert draft.status == "draft"
    with pytest.raises(DomainError, match="已发布"):
        services.run_start(user=world.users["dept"], policy=draft, period="2023")
    # even if the status were forced, a run refuses the provisional rule
    Policy.objects.filter(pk=draft.pk).update(status="published")
    draft.refresh_from_db()
    with pytest.raises(DomainError, match="暂定"):
        services.run_start(user=world.users["dept"], policy=draft, period="2023")


def test_publishing_needs_the_department_head(world: Any, gxj: Any) -> None:
    draft = services.policy_create(
        user=world.users["dept"],
        code="little-giant",
        name="国家级专精特新“小巨人”企业奖励（示例）",
        catalogue="examples",
        rule_file="awards/little_giant_award.yaml",
        rule_id="little_giant_award_example",
        department=gxj,
        beneficiary="enterprise",
        annual_budget=Decimal("3000000"),
    )
    with pytest.raises(scoping.PermissionDenied):
        services.policy_publish(user=world.users["dept"], policy=draft)
    assert (
        services.policy_publish(user=world.users["dept_head"], policy=draft).status == "published"
    )


def test_a_policy_names_an_existing_rule_of_its_beneficiary_kind(world: Any, gxj: Any) -> None:
    values = {
        "code": "x",
        "name": "x",
        "catalogue": "yingkou",
        "rule_file": "subsidies-2019/first_set_equipment.yaml",
        "rule_id": "first_set_equipment",
        "department": gxj,
        "beneficiary": "project",
        "annual_budget": Decimal("1"),
    }
    with pytest.raises(DomainError, match="主体"):
        services.policy_create(user=world.users["dept"], **values)
    with pytest.raises(DomainError, match="不在文件"):
        services.policy_create(
            user=world.users["dept"],
            **{**values, "beneficiary": "enterprise", "rule_file": "x.yaml"},
        )


def test_budget_short_pro_rata_adds_up_to_the_budget(world: Any, policy: Any, ref: Any) -> None:
    from zhenxing.enterprises.models import Enterprise

    extra = [
        Enterprise.objects.create(
            uscc=f"9121080412345{i:04d}X"[:18], name=f"测试企业{i}", area=world.own_area
        )
        for i in range(3)
    ]
    policy.annual_budget = Decimal("1000000.00")
    policy.save()
    # claims: 150,000 + 150,000 + 150,000 + 150,000 + 1,000,000 = 1,600,000 > 1,000,000
    data = frame(
        {world.own_enterprise: 1_000_000, world.other_enterprise: 8_000_000}
        | dict.fromkeys(extra, 1000000)
    )
    run = services.run_start(
        user=world.users["dept"], policy=policy, period="2023", source=source(data)
    )
    assert run.eligible_total == Decimal("1600000.00")
    assert run.payable_total == Decimal("1000000.00")
    assert "按应兑付金额同比例分配" in run.allocation_note and "超出可用预算" in run.allocation_note
    payable = dict(RunResult.objects.filter(run=run).values_list("enterprise_id", "payable"))
    assert sum(payable.values()) == Decimal("1000000.00")
    assert payable[world.other_enterprise.pk] == Decimal("625000.00")
    # 150,000 × 1,000,000 / 1,600,000 = 93,750.00 each
    assert {payable[e.pk] for e in extra} == {Decimal("93750.00")}
    services.run_approve(user=world.users["dept_head"], run=run)
    assert sum(_payments(run).values()) == Decimal("1000000.00")


def test_pro_rata_remainder_fen_go_deterministically(ref: Any) -> None:
    from zhenxing.policies import domain

    claims = pl.DataFrame({"key": [3, 1, 2], "fen": [100, 100, 100]})
    result = domain.allocate(claims, 100, "pro_rata")
    paid = dict(zip(result.frame["key"].to_list(), result.frame["paid"].to_list(), strict=True))
    assert paid == {1: 34, 2: 33, 3: 33}  # 33.33… each; the fen left goes to the smallest key
    assert result.applied and "同比例" in result.note
    small = domain.allocate(
        pl.DataFrame({"key": [1, 2, 3], "fen": [500, 100, 300]}), 600, "small_first"
    )
    assert dict(zip(small.frame["key"], small.frame["paid"], strict=True)) == {
        1: 200,
        2: 100,
        3: 300,
    }
    large = domain.allocate(
        pl.DataFrame({"key": [1, 2, 3], "fen": [500, 100, 300]}), 600, "large_first"
    )
    assert dict(zip(large.frame["key"], large.frame["paid"], strict=True)) == {1: 500, 2: 0, 3: 100}
    assert domain.split(Decimal("0.05"), Decimal("33.33")) == (Decimal("0.02"), Decimal("0.03"))


def test_stacking_pays_the_higher_once(world: Any, gxj: Any) -> None:
    admin = world.users["admin"]
    common = {
        "catalogue": "examples",
        "department": gxj,
        "beneficiary": "enterprise",
        "annual_budget": Decimal("10000000"),
        "stacking": "higher",
        "stacking_group": "equipment",
    }
    upgrade = services.policy_publish(
        user=admin,
        policy=services.policy_create(
            user=admin,
            code="up",
            name="技术改造（示例）",
            rule_file="investment/tech_upgrade.yaml",
            rule_id="tech_upgrade_example",
            **common,
        ),
    )
    digital = services.policy_publish(
        user=admin,
        policy=services.policy_create(
            user=admin,
            code="dg",
            name="数字化转型（示例）",
            rule_file="investment/digital_transformation.yaml",
            rule_id="digital_transformation_example",
            **common,
        ),
    )
    own, other = world.own_enterprise, world.other_enterprise
    up = services.run_start(
        user=world.users["dept"],
        policy=upgrade,
        period="2022",
        source=source(
            frame({own: 6_000_000, other: 5_000_000}, "tech_upgrade_equipment_investment", "2022")
        ),
    )
    services.run_approve(user=world.users["dept_head"], run=up)  # 600,000 and 500,000
    dg = services.run_start(
        user=world.users["dept"],
        policy=digital,
        period="2022",
        source=source(frame({own: 2_000_000, other: 3_000_000}, "digital_investment", "2022")),
    )
    payable = dict(RunResult.objects.filter(run=dg).values_list("enterprise_id", "payable"))
    # own: digital 400,000 < 600,000 already paid → nothing; other: 500,000 = 500,000 → nothing
    assert payable == {own.pk: Decimal("0.00"), other.pk: Decimal("0.00")}
    assert "从高享受" in dg.allocation_note
    note = RunResult.objects.get(run=dg, enterprise=own).note
    assert "已按更高标准享受" in note
    digital.stacking = "both"
    digital.save()
    services.run_start(
        user=world.users["dept"],
        policy=digital,
        period="2022",
        source=source(frame({own: 2_000_000, other: 3_000_000}, "digital_investment", "2022")),
    )
    payable = dict(RunResult.objects.filter(run=dg).values_list("enterprise_id", "payable"))
    assert payable == {own.pk: Decimal("400000.00"), other.pk: Decimal("500000.00")}


def test_payouts_come_only_from_approved_runs(world: Any, computed_run: Any) -> None:
    assert not LedgerEntry.objects.exists()  # a computed run pays nothing
    from zhenxing.policies import api

    routes = {
        (method, path)
        for path, view in api.router.path_operations.items()
        for op in view.operations
        for method in op.methods
    }
    ledger_writes = [(m, p) for m, p in routes if p.startswith("/ledger") and m != "GET"]
    assert ledger_writes == [("POST", "/ledger/{entry_id}/correct")]


def test_the_guide_is_written_from_the_rule(world: Any, policy: Any) -> None:
    from zhenxing.policies import queries

    guide = queries.guide_for(policy)
    assert guide.guide is not None
    g = guide.guide
    assert "免申即享" in g.who and "企业" in g.who
    assert [c.label for c in g.conditions] == ["有列入首台（套）重大技术装备产品名单的订货合同"]
    assert g.conditions[0].reference == "对列入首台（套）重大技术装备产品名单的制造企业"
    assert "15%" in g.amount and "100万元" in g.amount and "较小者" in g.amount
    assert {p.reference for p in g.parameters} >= {"给予最高100万元奖励"}
    assert guide.time_limit == "每年第二季度测算兑付" and guide.contact == "工信局装备工业科"


def test_dry_run_says_what_it_costs_and_who_gains_and_loses(world: Any, policy: Any) -> None:
    from zhenxing.policies import queries

    data = frame({world.own_enterprise: 1_000_000, world.other_enterprise: 8_000_000})
    report = queries.dry_run(policy, "2023", {"cap": Decimal("500000")}, source=source(data))
    assert report.baseline_total == Decimal("1150000.00")
    assert report.scenario_total == Decimal("650000.00")
    assert report.losers_count == 1 and report.losers[0]["name"] == world.other_enterprise.name
    assert report.gainers_count == 0
    assert not LedgerEntry.objects.exists() and not RunResult.objects.exists()


def test_project_facts_come_from_the_projects_and_the_lists(world: Any, ref: Any) -> None:
    import datetime

    from zhenxing.policies import facts
    from zhenxing.projects.models import MonthlyReport, Project

    project = Project.objects.create(
        name="测试智能制造项目",
        area=world.own_area,
        owner_enterprise=world.own_enterprise,
        policy_category="smart",
        total_investment=Decimal("100000000"),
        status="continuing",
        status_since=datetime.date(2023, 1, 1),
    )
    for month, amount in ((3, "1000000.50"), (4, "2000000.25")):
        MonthlyReport.objects.create(
            project=project, year=2023, month=month, investment=Decimal(amount)
        )
    req = facts.FactsRequest("project", 2023, facts.PROJECT_FACTS, 0)
    got = facts.project_facts(req).filter(pl.col("entity_id") == project.pk).to_dicts()[0]
    assert got["project_category"] == "smart"
    assert got["fixed_asset_investment_completed"] == Decimal("3000000.75")
    assert got["enterprise_fiscal_contribution"] is None
    services.fact_list_save(
        user=world.users["dept"],
        department=_gxj(),
        fact_id="enterprise_fiscal_contribution",
        period="2023",
        values={project.pk: "400000"},
        beneficiary="project",
    )
    from zhenxing.policies import catalogues

    rs = catalogues.ruleset("yingkou", "smart_manufacturing_project", "2023")
    decls, _b, _l = facts.columns_of(rs)
    merged = facts.default_source(decls)(req)
    row = merged.filter(pl.col("entity_id") == project.pk).to_dicts()[0]
    assert row["enterprise_fiscal_contribution"] == Decimal("400000.00")
    assert row["fixed_asset_investment_completed"] == Decimal("3000000.75")


def _gxj() -> Any:
    from zhenxing.core.models import Department

    return Department.objects.get(code="gxj")


def test_a_run_without_a_source_runs_as_a_task_on_the_platforms_facts(
    world: Any, policy: Any, gxj: Any
) -> None:
    """The background task reads the registry and the department's list (here: 工信局's
    list of first-set contracts), as in production (tests use the immediate backend)."""
    services.fact_list_save(
        user=world.users["dept"],
        department=gxj,
        fact_id="first_set_contract_price",
        period="2023",
        values={world.own_enterprise.pk: "2000000"},
    )
    run = services.run_start(user=world.users["dept"], policy=policy, period="2023")
    assert run.status == "computed", run.error
    assert run.population >= 2 and run.eligible_count == 1
    assert run.eligible_total == Decimal("300000.00")
    other = RunResult.objects.get(run=run, enterprise=world.other_enterprise)
    assert not other.eligible and other.amount == 0  # not on the list: no contract


def test_a_failing_run_says_why(world: Any, policy: Any) -> None:
    broken = pl.DataFrame({"entity_id": [1], "period": ["2023"], "first_set_contract_price": ["x"]})
    run = services.run_start(
        user=world.users["dept"], policy=policy, period="2023", source=source(broken)
    )
    assert run.status == "failed" and run.error
    assert not RunResult.objects.filter(run=run).exists()


def test_the_guide_words_floor_and_ceil(tmp_path: Any) -> None:
    from zhenxing.policies.guide import guide
    from zhenxing.rules import load_catalogue

    (tmp_path / "facts.yaml").write_text(
        "facts:\n  price: {type: money, label: 合同金额}\n", encoding="utf-8"
    )
    (tmp_path / "r.yaml").write_text(
        "id: r\ntitle: 取整示例\nentity: enterprise\nconditions:\n  c: price > 0\n"
        "amount: floor(price * 0.15, 2) + ceil(price / 3)\n",
        encoding="utf-8",
    )
    rs = load_catalogue(tmp_path).select(period="2024")
    text = guide(rs, "r").amount
    assert "（向下取整到2位小数）" in text and "（向上取整到0位小数）" in text
