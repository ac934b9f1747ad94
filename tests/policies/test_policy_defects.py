"""Issue 8 defects of the policies part: a negative award in the dry run (试算), several
open objections on one result, a run over a list (名单) missing for its year, and the
ledger correction page (linked from the ledger, the policy, the run and the objection;
a second correction says which reversal undid the entry and when)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from zhenxing.core.services import DomainError
from zhenxing.policies import services
from zhenxing.policies.models import LedgerEntry, PolicyRun, RunResult

from .conftest import frame, source


def _send(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


# --- 试算 ------------------------------------------------------------------------------


def test_the_dry_run_refuses_a_negative_award(world: Any, policy: Any) -> None:
    from zhenxing.policies import queries

    data = frame({world.own_enterprise: 1_000_000})
    with pytest.raises(DomainError) as refused:
        queries.dry_run(policy, "2023", {"cap": Decimal("-500000")}, source=source(data))
    assert "不能为负数" in refused.value.errors["parameters.cap"]
    with pytest.raises(DomainError) as unknown:
        queries.dry_run(policy, "2023", {"capp": Decimal("1")}, source=source(data))
    assert "规则没有参数“capp”" in unknown.value.errors["parameters.capp"]


def test_the_dry_run_api_and_page_refuse_a_negative_award(
    world: Any, client: Any, policy: Any
) -> None:
    client.force_login(world.users["dept"])
    response = _send(
        client,
        f"/api/v1/policies/{policy.pk}/dry-run",
        {"period": "2023", "parameters": {"rate": "-0.15"}},
    )
    assert response.status_code == 400
    assert any(e["field"] == "parameters.rate" for e in response.json()["errors"])
    page = client.get(f"/policies/{policy.pk}/dry-run/?period=2023&param_cap=-1")
    assert page.status_code == 200
    assert "不能为负数" in page.content.decode()


# --- objections ------------------------------------------------------------------------


def _object(world: Any, result: Any, reason: str = "合同金额有误，请核实") -> Any:
    return services.objection_file(
        user=world.users["enterprise"],
        enterprise=world.own_enterprise,
        policy=result.run.policy,
        result=result,
        reason=reason,
    )


def test_one_open_objection_per_result(world: Any, computed_run: Any) -> None:
    run = services.run_approve(user=world.users["dept_head"], run=computed_run)
    result = RunResult.objects.get(run=run, enterprise=world.own_enterprise)
    first = _object(world, result)
    with pytest.raises(DomainError) as refused:
        _object(world, result, "再次提出同样的异议")
    assert "尚未办结" in refused.value.errors["result"]
    services.objection_reply(user=world.users["dept"], objection=first, text="已核实", close=True)
    assert _object(world, result, "办结后发现新的问题").status == "open"


def test_the_database_holds_one_open_objection_per_result(world: Any, computed_run: Any) -> None:
    from django.db import IntegrityError, transaction

    from zhenxing.policies.models import Objection

    run = services.run_approve(user=world.users["dept_head"], run=computed_run)
    result = RunResult.objects.get(run=run, enterprise=world.own_enterprise)
    first = _object(world, result)
    with pytest.raises(IntegrityError), transaction.atomic():
        Objection.objects.create(
            enterprise=first.enterprise, policy=first.policy, result=result, reason="绕过服务"
        )


# --- a run over a missing list -----------------------------------------------------------


@pytest.fixture
def list_policy(world: Any, gxj: Any) -> Any:
    """The example award for new little giants: its only fact comes from 工信局's list."""
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
    return services.policy_publish(user=world.users["dept_head"], policy=draft)


def test_a_run_over_a_missing_list_asks_to_confirm(world: Any, list_policy: Any) -> None:
    dept = world.users["dept"]
    with pytest.raises(DomainError) as refused:
        services.run_start(user=dept, policy=list_policy, period="2023")
    message = refused.value.errors["confirm"]
    assert "2023 年“" in message and "找不到符合条件的对象" in message
    assert not PolicyRun.objects.exists()
    run = services.run_start(user=dept, policy=list_policy, period="2023", confirm=True)
    assert run.eligible_count == 0


def test_a_run_with_its_list_is_not_asked(world: Any, list_policy: Any, gxj: Any) -> None:
    services.fact_list_save(
        user=world.users["dept"],
        department=gxj,
        fact_id="recognized_little_giant_in_period",
        period="2023",
        values={world.own_enterprise.pk: "是"},
    )
    run = services.run_start(user=world.users["dept"], policy=list_policy, period="2023")
    assert run.eligible_count == 1


def test_the_api_and_the_page_ask_to_confirm(world: Any, client: Any, list_policy: Any) -> None:
    client.force_login(world.users["dept"])
    url = f"/api/v1/policies/{list_policy.pk}/runs"
    asked = _send(client, url, {"period": "2023"})
    assert asked.status_code == 400
    assert any(e["field"] == "confirm" for e in asked.json()["errors"])
    page = client.post(f"/policies/{list_policy.pk}/run/", {"period": "2023"})
    assert page.status_code == 200 and "仍然测算" in page.content.decode()
    assert not PolicyRun.objects.exists()
    done = client.post(f"/policies/{list_policy.pk}/run/", {"period": "2023", "confirm": "on"})
    assert done.status_code == 302 and PolicyRun.objects.count() == 1
    assert _send(client, url, {"period": "2023", "confirm": True}).status_code == 201


# --- the ledger correction -------------------------------------------------------------


def test_a_second_correction_says_which_reversal_and_when(world: Any, computed_run: Any) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    payment = LedgerEntry.objects.get(run=computed_run, enterprise=world.own_enterprise)
    head = world.users["dept_head"]
    reversal, adjustment = services.ledger_correct(
        user=head, entry=payment, amount=Decimal("120000"), reason="合同调减"
    )
    with pytest.raises(DomainError) as refused:
        services.ledger_correct(user=head, entry=payment, amount=Decimal("1"), reason="再次")
    message = refused.value.errors["entry"]
    when = reversal.created_at.astimezone().strftime("%Y-%m-%d")
    assert f"第 {payment.pk} 号记录已于 {when}" in message
    assert f"由第 {reversal.pk} 号冲正记录冲正" in message
    assert f"第 {adjustment.pk} 号调整记录" in message


def test_the_correction_page_is_linked_where_a_payment_is_shown(
    world: Any, client: Any, computed_run: Any
) -> None:
    run = services.run_approve(user=world.users["dept_head"], run=computed_run)
    result = RunResult.objects.get(run=run, enterprise=world.own_enterprise)
    payment = LedgerEntry.objects.get(result=result)
    objection = _object(world, result)
    link = f"/policies/ledger/{payment.pk}/correct/"
    pages = [
        "/policies/ledger/",
        f"/policies/{run.policy_id}/?tab=ledger",
        f"/policies/runs/{run.pk}/",
        f"/policies/objections/{objection.pk}/",
    ]
    client.force_login(world.users["dept_head"])
    for url in pages:
        assert link in client.get(url).content.decode(), url
    client.force_login(world.users["dept"])  # staff do not decide corrections
    for url in pages:
        assert link not in client.get(url).content.decode(), url
    client.force_login(world.users["dept_head"])
    services.ledger_correct(
        user=world.users["dept_head"], entry=payment, amount=Decimal("1"), reason="调减"
    )
    adjustment = LedgerEntry.objects.get(result=result, kind="adjustment")
    run_page = client.get(f"/policies/runs/{run.pk}/").content.decode()
    assert link not in run_page  # the payment is reversed: the adjustment stands for it
    assert f"/policies/ledger/{adjustment.pk}/correct/" in run_page
