"""The policies part's 首页 panels: batches to review or approve in the user's department,
objections waiting for an answer, this year's payouts from the ledger; an enterprise user's
entitlements and its own objections.

The fixtures' run (工信局, 2023) pays the own enterprise 150,000 and the other 1,000,000.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from zhenxing.core import scoping
from zhenxing.core.panels import in_yi
from zhenxing.policies import queries, services
from zhenxing.policies.models import LedgerEntry, RunResult

from .conftest import source

D = datetime.date


@pytest.fixture(autouse=True)
def _today(settings: Any) -> None:
    settings.TODAY_OVERRIDE = "2024-06-30"


@pytest.fixture
def kjj_staff(world: Any) -> Any:
    """Staff of another department (科技局)."""
    from django.contrib.auth import get_user_model

    from zhenxing.core.models import Department, RoleAssignment
    from zhenxing.core.roles import Role

    user = get_user_model().objects.create_user(username="kjj", password="Kjj-Passw0rd-2024")
    RoleAssignment.objects.create(
        user=user, role=Role.DEPT_STAFF, department=Department.objects.get(code="kjj")
    )
    return user


def panel_of(client: Any, user: Any, key: str = "policies") -> Any:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return next(p for p in response.context["panels"] if p.key == key)


def lines(panel: Any) -> list[tuple[str, int | None, str]]:
    return [(t.text, t.count, t.severity) for t in panel.todos]


NAME = "首台（套）重大技术装备奖励（2023年）"


def test_a_computed_batch_waits_for_the_head_who_did_not_prepare_it(
    world: Any, computed_run: Any, policy: Any, facts_two: Any, kjj_staff: Any, client: Any
) -> None:
    run_url = f"/policies/runs/{computed_run.pk}/"
    expected = {
        "dept": ("待审批：" + NAME, "info"),  # prepared it: reviews, cannot approve
        "dept_head": ("待您审批：" + NAME, "warn"),
        "admin": ("待您审批：" + NAME, "warn"),
        "leader": ("待审批：" + NAME, "info"),  # reads only
    }
    for role, (text, severity) in expected.items():
        panel = panel_of(client, world.users[role])
        assert lines(panel)[0] == (text, None, severity), role
        assert panel.todos[0].url == run_url
        assert client.get(run_url).status_code == 200
    # another department's staff has nothing waiting
    other = panel_of(client, kjj_staff)
    assert other.scope == "科技局"
    assert lines(other)[0] == ("待审批的测算批次", 0, "info")
    # the head re-runs it: now a preparer, it waits for another head
    services.run_start(
        user=world.users["dept_head"], policy=policy, period="2023", source=source(facts_two)
    )
    assert lines(panel_of(client, world.users["dept_head"]))[0] == ("待审批：" + NAME, None, "info")
    # approved: nothing waits any more
    services.run_approve(user=world.users["admin"], run=computed_run)
    assert lines(panel_of(client, world.users["dept"]))[0] == ("待审批的测算批次", 0, "info")


def test_paid_this_year_comes_from_the_ledger_of_the_department(
    world: Any, computed_run: Any, kjj_staff: Any, client: Any
) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    dept = panel_of(client, world.users["dept"])
    paid = dept.figures[0]
    ledger = scoping.visible(world.users["dept"], LedgerEntry.objects.all())
    total = queries.payouts_total(until=D(2024, 6, 30), entries=ledger).paid_total
    assert total == Decimal("1150000.00")
    assert (paid.label, paid.value, paid.unit) == ("本年已兑付", in_yi(total), "亿元")
    assert paid.caption == "2024年，1 项政策"
    client.force_login(world.users["dept"])
    assert client.get(paid.url).context["count"] == 2
    assert panel_of(client, world.users["leader"]).figures[0].value == in_yi(total)
    kjj = panel_of(client, kjj_staff).figures[0]
    assert (kjj.value, kjj.caption) == (Decimal("0.00"), "2024年，0 项政策")
    client.force_login(kjj_staff)
    assert client.get(kjj.url).context["count"] == 0


def test_a_payment_booked_last_year_is_not_paid_this_year(
    world: Any, computed_run: Any, client: Any
) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run, on=D(2023, 12, 20))
    paid = panel_of(client, world.users["dept"]).figures[0]
    assert (paid.value, paid.caption) == (Decimal("0.00"), "2024年，0 项政策")
    # the enterprise's own total counts every year
    mine = panel_of(client, world.users["enterprise"], "my_policies")
    assert mine.figures[1].value == Decimal("15.00")


def test_objections_wait_in_the_department_of_the_policy_and_with_the_enterprise(
    world: Any, computed_run: Any, kjj_staff: Any, client: Any
) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    result = RunResult.objects.get(run=computed_run, enterprise=world.own_enterprise)
    services.objection_file(
        user=world.users["enterprise"],
        enterprise=world.own_enterprise,
        policy=computed_run.policy,
        result=result,
        reason="合同金额漏计一份补充协议",
    )
    for user, expected in ((world.users["dept"], 1), (kjj_staff, 0), (world.users["leader"], 1)):
        waiting = panel_of(client, user).todos[-1]
        assert (waiting.text, waiting.count) == ("待答复的异议", expected)
        assert client.get(waiting.url).context["count"] == expected
    mine = panel_of(client, world.users["enterprise"], "my_policies")
    assert lines(mine) == [("待答复的异议", 1, "warn")]
    client.force_login(world.users["enterprise"])
    assert client.get(mine.todos[0].url).context["count"] == 1


def test_the_enterprise_sees_its_entitlements_as_the_entitlements_page_adds_them_up(
    world: Any, computed_run: Any, client: Any
) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    mine = panel_of(client, world.users["enterprise"], "my_policies")
    assert [(f.label, f.value, f.unit) for f in mine.figures] == [
        ("享受政策", 1, "项"),
        ("已兑付", Decimal("15.00"), "万元"),  # not the other enterprise's 1,000,000
    ]
    page = queries.entitlements([world.own_enterprise.pk])
    assert len(page) == 1 and page[0].paid == Decimal("150000.00")
    assert client.get(mine.figures[0].url).status_code == 200

    # a correction (reversal + adjustment) changes what was paid, on both
    payment = LedgerEntry.objects.get(run=computed_run, enterprise=world.own_enterprise)
    services.ledger_correct(
        user=world.users["dept_head"],
        entry=payment,
        amount=Decimal("120000.00"),
        reason="合同金额核减",
    )
    totals = queries.entitlement_totals([world.own_enterprise.pk])
    page = queries.entitlements([world.own_enterprise.pk])
    assert (totals.count, totals.paid) == (len(page), sum(e.paid for e in page))
    assert totals.paid == Decimal("120000.00")
    assert panel_of(client, world.users["enterprise"], "my_policies").figures[1].value == Decimal(
        "12.00"
    )
