"""The shape of the policies API (`/api/v1/policies`)."""

from __future__ import annotations

import json
from typing import Any

from zhenxing.policies import services
from zhenxing.policies.models import LedgerEntry, RunResult


def test_payouts_total_has_exactly_the_documented_shape(
    world: Any, client: Any, computed_run: Any
) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    booked = LedgerEntry.objects.first().booked_on  # type: ignore[union-attr]
    body = client.get(f"/api/v1/policies/payouts/total?until={booked.isoformat()}").json()
    assert body == {"until": booked.isoformat(), "paid_total": "1150000.00", "policies_paid": 1}
    before = client.get("/api/v1/policies/payouts/total?until=2000-01-01").json()
    assert before == {"until": "2000-01-01", "paid_total": "0.00", "policies_paid": 0}
    bad = client.get("/api/v1/policies/payouts/total?until=2024-13-01")
    assert bad.status_code == 422 and bad["Content-Type"] == "application/problem+json"


def test_payouts_total_counts_reversals_and_adjustments(
    world: Any, client: Any, computed_run: Any
) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    entry = LedgerEntry.objects.get(enterprise=world.own_enterprise)
    services.ledger_correct(user=world.users["dept_head"], entry=entry, amount=0, reason="追回")  # type: ignore[arg-type]
    body = client.get("/api/v1/policies/payouts/total?until=2100-01-01").json()
    assert body["paid_total"] == "1000000.00" and body["policies_paid"] == 1


def test_policy_detail_carries_the_guide(world: Any, client: Any, policy: Any) -> None:
    client.force_login(world.users["dept"])
    body = client.get(f"/api/v1/policies/{policy.pk}").json()
    assert body["annual_budget"] == "5000000.00"
    assert (body["city_share_pct"], body["county_share_pct"]) == ("60.00", "40.00")
    assert body["status"] == "published" and body["beneficiary"] == "enterprise"
    guide = body["guide"]
    assert set(guide) == {
        "title",
        "who",
        "conditions",
        "amount",
        "parameters",
        "basis",
        "source",
        "time_limit",
        "contact",
        "department",
        "verified",
    }
    assert guide["conditions"][0]["label"].startswith("有列入首台")
    listing = client.get("/api/v1/policies?status=published").json()
    assert listing["count"] == 1 and listing["items"][0]["code"] == "first-set"


def test_public_catalogue_needs_no_sign_in_and_holds_no_personal_data(
    world: Any, client: Any, computed_run: Any
) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    body = client.get("/api/v1/policies/public").json()
    assert [p["code"] for p in body] == ["first-set"]
    text = json.dumps(body, ensure_ascii=False)
    for secret in (world.own_enterprise.name, world.own_enterprise.uscc, "150000"):
        assert secret not in text
    page = client.get("/policies/public/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "首台（套）重大技术装备奖励" in html and world.own_enterprise.name not in html
    detail = client.get("/policies/public/first-set/").content.decode()
    assert "申兑指南" in detail and "兑付条件" in detail and world.own_enterprise.uscc not in detail
    assert client.get("/api/v1/policies").status_code == 401


def test_run_and_results_shapes(world: Any, client: Any, computed_run: Any) -> None:
    client.force_login(world.users["dept"])
    run = client.get(f"/api/v1/policies/runs/{computed_run.pk}").json()
    assert run["status"] == "computed" and run["prepared_by"] == "dept"
    assert run["eligible_total"] == "1150000.00" and run["payable_total"] == "1150000.00"
    assert run["budget_available"] == "5000000.00" and "全额兑付" in run["allocation_note"]
    results = client.get(f"/api/v1/policies/runs/{computed_run.pk}/results?eligible=true").json()
    assert results["count"] == 2
    item = next(i for i in results["items"] if i["enterprise_id"] == world.own_enterprise.pk)
    assert item["conditions"] == {"has_first_set_contract": True}
    assert (item["amount"], item["payable"], item["status"]) == ("150000.00", "150000.00", 0)
    detail = client.get(f"/api/v1/policies/results/{item['id']}").json()
    assert detail["facts"] == {"first_set_contract_price": "1000000.00"}
    assert "结论：符合条件，金额 150,000.00 元" in detail["explanation"]


def test_approval_and_ledger_shapes(world: Any, client: Any, computed_run: Any) -> None:
    client.force_login(world.users["dept"])
    refused = client.post(f"/api/v1/policies/runs/{computed_run.pk}/approve")
    assert refused.status_code == 403 and refused["Content-Type"] == "application/problem+json"
    client.force_login(world.users["dept_head"])
    ok = client.post(f"/api/v1/policies/runs/{computed_run.pk}/approve")
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    again = client.post(f"/api/v1/policies/runs/{computed_run.pk}/approve")
    assert again.status_code == 400 and again.json()["title"].startswith("该批次已审批")
    ledger = client.get(f"/api/v1/policies/ledger?run={computed_run.pk}").json()
    assert ledger["count"] == 2
    row = next(i for i in ledger["items"] if i["enterprise_id"] == world.own_enterprise.pk)
    assert (row["kind"], row["amount"], row["city_amount"], row["county_amount"]) == (
        "payment",
        "150000.00",
        "90000.00",
        "60000.00",
    )
    assert row["area"] == "210804" and row["period"] == "2023"
    corrected = client.post(
        f"/api/v1/policies/ledger/{row['id']}/correct",
        data=json.dumps({"amount": "120000.00", "reason": "合同调减"}),
        content_type="application/json",
    )
    assert corrected.status_code == 201
    body = corrected.json()
    assert (
        body["reversal"]["amount"] == "-150000.00" and body["reversal"]["reverses_id"] == row["id"]
    )
    assert body["adjustment"]["corrects_id"] == body["reversal"]["id"]


def test_objection_shapes(world: Any, client: Any, computed_run: Any) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    result = RunResult.objects.get(run=computed_run, enterprise=world.own_enterprise)
    client.force_login(world.users["enterprise"])
    short = client.post(
        "/api/v1/policies/objections",
        data=json.dumps({"result_id": result.pk, "reason": "不对"}),
        content_type="application/json",
    )
    assert short.status_code == 400 and short.json()["errors"][0]["field"] == "reason"
    filed = client.post(
        "/api/v1/policies/objections",
        data=json.dumps({"result_id": result.pk, "reason": "合同价格应为120万元，请重新核定"}),
        content_type="application/json",
    ).json()
    assert filed["status"] == "open" and filed["period"] == "2023" and filed["replies"] == []
    client.force_login(world.users["dept"])
    answered = client.post(
        f"/api/v1/policies/objections/{filed['id']}/replies",
        data=json.dumps({"text": "已收到，正在核实", "close": False}),
        content_type="application/json",
    ).json()
    assert answered["status"] == "answered" and answered["replies"] == ["已收到，正在核实"]


def test_dry_run_shape(world: Any, client: Any, policy: Any) -> None:
    client.force_login(world.users["dept"])
    response = client.post(
        f"/api/v1/policies/{policy.pk}/dry-run",
        data=json.dumps({"period": "2023", "parameters": {"cap": "500000"}}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {
        "period",
        "baseline",
        "baseline_total",
        "scenario_total",
        "delta",
        "budget",
        "baseline_count",
        "scenario_count",
        "gainers_count",
        "losers_count",
        "gainers",
        "losers",
    }
