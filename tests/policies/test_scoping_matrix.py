"""Roles × actions for policies, runs, the ledger and objections, through the API and the UI.

The policy is 工信局's; `dept` is 工信局 staff, `dept_head` its head; the run was prepared by
another 工信局 staff member (so the preparer rule does not decide here, scoping does).
"own" is the enterprise in 鲅鱼圈区 (the area user's area, the enterprise user's enterprise);
"other" the one in 盖州市. Refused means 403 or 404, never the data.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from zhenxing.policies import services
from zhenxing.policies.models import LedgerEntry, Objection, RunResult

from .conftest import source

Y, N = True, False
ROLES = ["admin", "dept", "dept_head", "area", "steward", "enterprise", "leader", "nobody"]

#  role: view policy, start run, exclude, approve, correct, reply to objection
MATRIX: dict[str, tuple[bool, bool, bool, bool, bool, bool]] = {
    "admin": (Y, Y, Y, Y, Y, Y),
    "dept": (Y, Y, Y, N, N, Y),
    "dept_head": (Y, Y, Y, Y, Y, Y),
    "area": (N, N, N, N, N, N),
    "steward": (N, N, N, N, N, N),
    "enterprise": (N, N, N, N, N, N),
    "leader": (Y, N, N, N, N, N),
    "nobody": (N, N, N, N, N, N),
}
#  role: ledger rows of own enterprise, of other enterprise; may object for own, for other
LEDGER: dict[str, tuple[bool, bool, bool, bool]] = {
    "admin": (Y, Y, Y, Y),
    "dept": (Y, Y, N, N),
    "dept_head": (Y, Y, N, N),
    "area": (Y, N, N, N),
    "steward": (N, N, N, N),
    "enterprise": (Y, N, Y, N),
    "leader": (Y, Y, N, N),
    "nobody": (N, N, N, N),
}


def _refused(response: Any, secret: str = "") -> bool:
    return response.status_code in (401, 403, 404) and (
        not secret or secret not in response.content.decode()
    )


@pytest.fixture
def preparer(world: Any) -> Any:
    from zhenxing.core.models import Department
    from zhenxing.core.roles import Role

    from ..conftest import make_user

    return make_user(
        "preparer", {"role": Role.DEPT_STAFF, "department": Department.objects.get(code="gxj")}
    )


@pytest.fixture
def run(world: Any, policy: Any, facts_two: Any, preparer: Any) -> Any:
    return services.run_start(user=preparer, policy=policy, period="2023", source=source(facts_two))


@pytest.fixture
def approved(world: Any, run: Any) -> Any:
    return services.run_approve(user=world.users["dept_head"], run=run)


def post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("role", ROLES)
def test_view_policy(world: Any, client: Any, policy: Any, role: str) -> None:
    client.force_login(world.users[role])
    api = client.get(f"/api/v1/policies/{policy.pk}")
    page = client.get(f"/policies/{policy.pk}/")
    if MATRIX[role][0]:
        assert api.status_code == 200 and api.json()["code"] == "first-set"
        assert page.status_code == 200 and policy.name in page.content.decode()
    else:
        assert _refused(api) and _refused(page, "工信局装备工业科")


@pytest.mark.parametrize("role", ROLES)
def test_start_run(world: Any, client: Any, policy: Any, role: str) -> None:
    client.force_login(world.users[role])
    response = post(client, f"/api/v1/policies/{policy.pk}/runs", {"period": "2023"})
    if MATRIX[role][1]:
        assert response.status_code == 201, response.content
        assert response.json()["status"] in ("computed", "failed", "queued", "running")
    else:
        assert _refused(response)


@pytest.mark.parametrize("role", ROLES)
def test_exclude_a_case(world: Any, client: Any, run: Any, role: str) -> None:
    result = RunResult.objects.get(run=run, enterprise=world.own_enterprise)
    client.force_login(world.users[role])
    response = post(client, f"/api/v1/policies/results/{result.pk}/exclude", {"reason": "待核实"})
    result.refresh_from_db()
    if MATRIX[role][2]:
        assert response.status_code == 200, response.content
        assert result.excluded
    else:
        assert _refused(response) and not result.excluded


@pytest.mark.parametrize("role", ROLES)
def test_approve_a_batch(world: Any, client: Any, run: Any, role: str) -> None:
    client.force_login(world.users[role])
    response = post(client, f"/api/v1/policies/runs/{run.pk}/approve", {})
    run.refresh_from_db()
    if MATRIX[role][3]:
        assert response.status_code == 200, response.content
        assert run.status == "approved" and LedgerEntry.objects.count() == 2
    else:
        assert _refused(response)
        assert run.status == "computed" and not LedgerEntry.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_approve_in_the_ui(world: Any, client: Any, run: Any, role: str) -> None:
    client.force_login(world.users[role])
    response = client.post(f"/policies/runs/{run.pk}/approve/")
    run.refresh_from_db()
    assert (run.status == "approved") is MATRIX[role][3]
    if not MATRIX[role][3]:
        assert response.status_code in (302, 403, 404)


@pytest.mark.parametrize("role", ROLES)
def test_ledger_rows_by_scope(world: Any, client: Any, approved: Any, role: str) -> None:
    client.force_login(world.users[role])
    response = client.get("/api/v1/policies/ledger?limit=100")
    ids = (
        {item["beneficiary_id"] for item in response.json()["items"]}
        if response.status_code == 200
        else set()
    )
    own, other, _o, _p = LEDGER[role]
    assert (world.own_enterprise.pk in ids) is own
    assert (world.other_enterprise.pk in ids) is other


@pytest.mark.parametrize("role", ROLES)
def test_correct_a_ledger_entry(world: Any, client: Any, approved: Any, role: str) -> None:
    entry = LedgerEntry.objects.get(enterprise=world.own_enterprise)
    client.force_login(world.users[role])
    response = post(
        client,
        f"/api/v1/policies/ledger/{entry.pk}/correct",
        {"amount": "100000", "reason": "调减"},
    )
    if MATRIX[role][4]:
        assert response.status_code == 201, response.content
        assert LedgerEntry.objects.filter(kind="adjustment").count() == 1
    else:
        assert _refused(response)
        assert LedgerEntry.objects.count() == 2


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "other"])
def test_object_to_a_result(world: Any, client: Any, approved: Any, role: str, which: str) -> None:
    enterprise = world.own_enterprise if which == "own" else world.other_enterprise
    result = RunResult.objects.get(run=approved, enterprise=enterprise)
    client.force_login(world.users[role])
    response = post(
        client,
        "/api/v1/policies/objections",
        {"result_id": result.pk, "reason": "合同金额有误，请核实"},
    )
    allowed = LEDGER[role][2 if which == "own" else 3]
    if allowed:
        assert response.status_code == 201, response.content
        assert Objection.objects.filter(enterprise=enterprise).count() == 1
    else:
        assert _refused(response)
        assert not Objection.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_reply_to_an_objection(world: Any, client: Any, approved: Any, role: str) -> None:
    result = RunResult.objects.get(run=approved, enterprise=world.own_enterprise)
    objection = services.objection_file(
        user=world.users["enterprise"],
        enterprise=world.own_enterprise,
        policy=approved.policy,
        result=result,
        reason="合同金额有误，请核实",
    )
    client.force_login(world.users[role])
    response = post(
        client,
        f"/api/v1/policies/objections/{objection.pk}/replies",
        {"text": "已核实", "close": True},
    )
    objection.refresh_from_db()
    if MATRIX[role][5]:
        assert response.status_code == 201, response.content
        assert objection.status == "closed"
    else:
        assert _refused(response)
        assert objection.status == "open"


@pytest.mark.parametrize("role", ROLES)
def test_objection_visibility(world: Any, client: Any, approved: Any, role: str) -> None:
    result = RunResult.objects.get(run=approved, enterprise=world.own_enterprise)
    services.objection_file(
        user=world.users["enterprise"],
        enterprise=world.own_enterprise,
        policy=approved.policy,
        result=result,
        reason="合同金额有误，请核实",
    )
    client.force_login(world.users[role])
    response = client.get("/api/v1/policies/objections")
    count = len(response.json()["items"]) if response.status_code == 200 else 0
    sees = role in ("admin", "dept", "dept_head", "leader", "enterprise")
    assert (count == 1) is sees


@pytest.mark.parametrize("role", ROLES)
def test_entitlements_are_the_own_enterprises_only(
    world: Any, client: Any, approved: Any, role: str
) -> None:
    client.force_login(world.users[role])
    response = client.get("/api/v1/policies/entitlements")
    items = response.json() if response.status_code == 200 else []
    if role == "enterprise":
        assert [i["amount"] for i in items] == ["150000.00"]
        assert "符合条件" in items[0]["explanation"]
        page = client.get("/policies/entitlements/").content.decode()
        assert "150,000.00" in page and world.other_enterprise.name not in page
    else:
        assert items == []


def test_enterprise_cannot_open_anothers_result(world: Any, client: Any, approved: Any) -> None:
    other = RunResult.objects.get(run=approved, enterprise=world.other_enterprise)
    client.force_login(world.users["enterprise"])
    assert client.get(f"/policies/results/{other.pk}/").status_code == 404
    assert client.get(f"/api/v1/policies/results/{other.pk}").status_code == 404
    assert client.get(f"/policies/results/{other.pk}/object/").status_code == 404


def test_enterprise_sees_no_unapproved_result(world: Any, client: Any, run: Any) -> None:
    own = RunResult.objects.get(run=run, enterprise=world.own_enterprise)
    client.force_login(world.users["enterprise"])
    assert client.get(f"/api/v1/policies/results/{own.pk}").status_code == 404
    assert client.get("/api/v1/policies/entitlements").json() == []
    assert Decimal(own.amount) > 0
