"""Bad amounts never reach the ledger (each case from issue 9 as it was reported), a
zero correction can itself be corrected, and four eyes: whoever changed a batch counts
as its preparer and cannot approve it alone."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from zhenxing.core.models import Department
from zhenxing.core.roles import Role
from zhenxing.core.services import DomainError
from zhenxing.policies import services
from zhenxing.policies.models import LedgerEntry, RunResult

from ..conftest import make_user
from .conftest import source


@pytest.fixture
def payment(world: Any, computed_run: Any) -> LedgerEntry:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    return LedgerEntry.objects.get(run=computed_run, enterprise=world.own_enterprise)


def _correct(client: Any, entry_id: int, amount: Any) -> Any:
    return client.post(
        f"/api/v1/policies/ledger/{entry_id}/correct",
        data=json.dumps({"amount": amount, "reason": "复核"}),
        content_type="application/json",
    )


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("12345678901234567.89", "money_range"),
        ("9999999999999999.99", "money_range"),  # fits the column on PostgreSQL, not SQLite
        ("1.005", "money_places"),
        ("1e30", "money_parsing"),
        (1e30, "money_range"),
        ("-1.00", "money_negative"),
    ],
)
def test_an_out_of_range_correction_is_a_422_and_the_ledger_stays_readable(
    world: Any, client: Any, payment: LedgerEntry, amount: Any, code: str
) -> None:
    client.force_login(world.users["dept_head"])
    response = _correct(client, payment.pk, amount)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("amount", code)]
    assert LedgerEntry.objects.count() == 2
    # what the bad value used to break
    assert client.get("/policies/ledger/").status_code == 200
    assert client.get("/policies/ledger/?export=xlsx").status_code == 200
    assert client.get("/api/v1/policies/payouts/total?until=2100-01-01").status_code == 200


def test_the_largest_correction_is_stored_and_read_back_exactly(
    world: Any, client: Any, payment: LedgerEntry
) -> None:
    client.force_login(world.users["dept_head"])
    response = _correct(client, payment.pk, "9999999999999.99")
    assert response.status_code == 201, response.content
    adjustment = LedgerEntry.objects.get(pk=response.json()["adjustment"]["id"])
    assert adjustment.amount == Decimal("9999999999999.99")
    assert client.get("/policies/ledger/").status_code == 200
    total = client.get("/api/v1/policies/payouts/total?until=2100-01-01")
    assert total.status_code == 200


def test_the_service_bounds_an_amount_handed_to_it_too(world: Any, payment: LedgerEntry) -> None:
    head = world.users["dept_head"]
    for amount in (Decimal("1E+30"), Decimal("1.005"), Decimal("NaN")):
        with pytest.raises(DomainError) as refused:
            services.ledger_correct(user=head, entry=payment, amount=amount, reason="复核")
        assert "amount" in refused.value.errors
    assert LedgerEntry.objects.count() == 2


def test_a_correction_to_zero_can_itself_be_corrected(
    world: Any, client: Any, payment: LedgerEntry
) -> None:
    client.force_login(world.users["dept_head"])
    first = _correct(client, payment.pk, "0")
    assert first.status_code == 201, first.content
    zero = first.json()["adjustment"]
    assert zero["amount"] == "0.00"
    second = _correct(client, zero["id"], "120000.00")
    assert second.status_code == 201, second.content
    body = second.json()
    assert body["reversal"]["amount"] == "0.00" and body["reversal"]["reverses_id"] == zero["id"]
    assert body["adjustment"]["amount"] == "120000.00"
    net = sum(e.amount for e in LedgerEntry.objects.filter(enterprise=world.own_enterprise))
    assert net == Decimal("120000.00")


def test_the_correction_form_refuses_an_out_of_range_amount(
    world: Any, client: Any, payment: LedgerEntry
) -> None:
    client.force_login(world.users["dept_head"])
    for amount in ("12345678901234567.89", "1.005", "1e30"):
        response = client.post(
            f"/policies/ledger/{payment.pk}/correct/", {"amount": amount, "reason": "复核"}
        )
        assert response.status_code == 200
        assert "amount" in response.context["form"].errors
    assert LedgerEntry.objects.count() == 2


# --- four eyes -------------------------------------------------------------------------------


@pytest.fixture
def second_head(world: Any) -> Any:
    gxj = Department.objects.get(code="gxj")
    return make_user(
        "second_head",
        {"role": Role.DEPT_STAFF, "department": gxj},
        {"role": Role.DEPT_HEAD, "department": gxj},
    )


def _refused_to(user: Any, run: Any) -> None:
    with pytest.raises(DomainError, match="测算人不能审批") as refused:
        services.run_approve(user=user, run=run)
    assert "approver" in refused.value.errors


def test_a_head_who_excluded_a_result_cannot_approve_the_batch(
    world: Any, computed_run: Any, second_head: Any
) -> None:
    head = world.users["dept_head"]
    own = RunResult.objects.get(run=computed_run, enterprise=world.own_enterprise)
    services.result_exclude(user=head, result=own, reason="合同存疑")
    _refused_to(head, computed_run)
    services.run_approve(user=second_head, run=computed_run)  # another head may


def test_a_head_who_took_an_exclusion_back_cannot_approve_the_batch(
    world: Any, computed_run: Any, second_head: Any
) -> None:
    own = RunResult.objects.get(run=computed_run, enterprise=world.own_enterprise)
    services.result_exclude(user=world.users["dept"], result=own, reason="合同存疑")
    head = world.users["dept_head"]
    services.result_exclude(user=head, result=own, reason="", exclude=False)
    _refused_to(head, computed_run)
    services.run_approve(user=second_head, run=computed_run)


def test_a_head_who_changed_what_the_batch_pays_cannot_approve_it(
    world: Any, computed_run: Any, second_head: Any, policy: Any
) -> None:
    head = world.users["dept_head"]
    services.policy_update(user=head, policy=policy, annual_budget=Decimal("500000"))
    _refused_to(head, computed_run)
    services.run_approve(user=second_head, run=computed_run)
    paid = sum(e.amount for e in LedgerEntry.objects.filter(run=computed_run))
    assert paid == Decimal("500000.00")  # the batch paid what the change decided


def test_an_edit_that_does_not_touch_the_amounts_leaves_the_head_free(
    world: Any, computed_run: Any, policy: Any
) -> None:
    head = world.users["dept_head"]
    services.policy_update(user=head, policy=policy, contact="工信局装备工业科（新）")
    services.run_approve(user=head, run=computed_run)


def test_a_head_who_reran_the_batch_cannot_approve_it(
    world: Any, computed_run: Any, second_head: Any, policy: Any, facts_two: Any
) -> None:
    head = world.users["dept_head"]
    services.run_start(user=head, policy=policy, period="2023", source=source(facts_two))
    _refused_to(head, computed_run)
    services.run_approve(user=second_head, run=computed_run)


def test_the_api_refuses_the_changer_too(world: Any, client: Any, computed_run: Any) -> None:
    head = world.users["dept_head"]
    own = RunResult.objects.get(run=computed_run, enterprise=world.own_enterprise)
    services.result_exclude(user=head, result=own, reason="合同存疑")
    client.force_login(head)
    response = client.post(f"/api/v1/policies/runs/{computed_run.pk}/approve")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "approver"
