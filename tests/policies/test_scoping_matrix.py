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


# --- department lists (名单) ------------------------------------------------------------

#  role: see lists (page, detail, API); enter a list (upload page, API);
#        replace 工信局's list; replace 科技局's list
LISTS: dict[str, tuple[bool, bool, bool, bool]] = {
    "admin": (Y, Y, Y, Y),
    "dept": (Y, Y, Y, N),
    "dept_head": (Y, Y, Y, N),
    "area": (N, N, N, N),
    "steward": (N, N, N, N),
    "enterprise": (N, N, N, N),
    "leader": (Y, N, N, N),
    "nobody": (N, N, N, N),
}
PRICE = "first_set_contract_price"


def _department(code: str) -> Any:
    from zhenxing.core.models import Department

    return Department.objects.get(code=code)


@pytest.fixture
def lists(world: Any) -> dict[str, Any]:
    """工信局's and 科技局's 2023 lists, each naming the own enterprise."""
    out = {}
    for code, fact in (("gxj", PRICE), ("kjj", "recognized_high_tech_in_period")):
        out[code] = services.fact_list_save(
            user=world.users["admin"],
            department=_department(code),
            fact_id=fact,
            period="2023",
            values={world.own_enterprise.pk: 1},
            name=f"{code} 的名单",
        ).fact_list
    return out


@pytest.mark.parametrize("role", ROLES)
def test_see_lists(world: Any, client: Any, lists: dict[str, Any], role: str) -> None:
    gxj_list = lists["gxj"]
    client.force_login(world.users[role])
    page = client.get("/policies/lists/").content.decode()
    detail = client.get(f"/policies/lists/{gxj_list.pk}/")
    export = client.get(f"/policies/lists/{gxj_list.pk}/?format=xlsx")
    api_list = client.get("/api/v1/policies/lists")
    api_detail = client.get(f"/api/v1/policies/lists/{gxj_list.pk}")
    if LISTS[role][0]:
        assert "gxj 的名单" in page and "kjj 的名单" in page
        assert detail.status_code == 200 and world.own_enterprise.uscc in detail.content.decode()
        assert export.status_code == 200
        assert api_list.status_code == 200 and api_list.json()["count"] == 2
        assert api_detail.status_code == 200
        assert api_detail.json()["entries"][0]["code"] == world.own_enterprise.uscc
    else:
        assert "gxj 的名单" not in page
        assert _refused(detail, world.own_enterprise.uscc)
        assert _refused(export)
        assert api_list.status_code != 200 or api_list.json()["count"] == 0
        assert _refused(api_detail, world.own_enterprise.uscc)


@pytest.mark.parametrize("role", ROLES)
def test_enter_a_list(world: Any, client: Any, role: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhenxing.core import excel
    from zhenxing.policies.models import FactList

    client.force_login(world.users[role])
    allowed = LISTS[role][1]
    page = client.get("/policies/lists/upload/")
    template = client.get(f"/policies/lists/template/?fact_id={PRICE}")
    assert (page.status_code == 200) is allowed and (template.status_code == 200) is allowed
    data = excel.build_xlsx(["统一社会信用代码", "值"], [[world.own_enterprise.uscc, "100"]])
    client.post(
        "/policies/lists/upload/",
        {
            "fact_id": PRICE,
            "beneficiary": "enterprise",
            "period": "2023",
            "department": _department("gxj").pk,
            "as_of": "2024-03-31",
            "file": SimpleUploadedFile("a.xlsx", data, content_type=excel.XLSX_TYPE),
        },
    )
    assert FactList.objects.filter(fact_id=PRICE).exists() is allowed
    response = post(
        client,
        "/api/v1/policies/lists",
        {
            "fact_id": "exhibition_booth_fees",
            "period": "2023",
            "department": "gxj",
            "entries": [{"uscc": world.own_enterprise.uscc, "value": "8000"}],
        },
    )
    if allowed:
        assert response.status_code == 201, response.content
    else:
        assert _refused(response)
        assert not FactList.objects.exists()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["gxj", "kjj"])
def test_replace_a_list(
    world: Any, client: Any, lists: dict[str, Any], role: str, which: str
) -> None:
    from zhenxing.policies.models import FactListEntry

    fact_list = lists[which]
    client.force_login(world.users[role])
    response = post(
        client,
        "/api/v1/policies/lists",
        {
            "fact_id": fact_list.fact_id,
            "period": "2023",
            "department": which,
            "entries": [{"uscc": world.other_enterprise.uscc, "value": "1"}],
        },
    )
    allowed = LISTS[role][2 if which == "gxj" else 3]
    ids = set(
        FactListEntry.objects.filter(fact_list=fact_list).values_list("beneficiary_id", flat=True)
    )
    if allowed:
        assert response.status_code == 200, response.content
        assert ids == {world.other_enterprise.pk}
    else:
        assert response.status_code in (400, 401, 403, 404)
        assert ids == {world.own_enterprise.pk}


# --- results of a batch not yet approved, write pages and buttons per role -----------------

#  role: sees the own enterprise's result before approval, after approval
RESULTS: dict[str, tuple[bool, bool]] = {
    "admin": (Y, Y),
    "dept": (Y, Y),
    "dept_head": (Y, Y),
    "area": (N, Y),
    "steward": (N, N),
    "enterprise": (N, Y),
    "leader": (Y, Y),
    "nobody": (N, N),
}


@pytest.mark.parametrize("role", ROLES)
def test_a_batchs_results_reach_areas_and_enterprises_once_approved(
    world: Any, client: Any, run: Any, role: str
) -> None:
    """Declared once (`RunResult.scope.released_when`), applied by `scoping.visible` to
    every page, API route and query alike."""
    from zhenxing.core import scoping

    own = RunResult.objects.get(run=run, enterprise=world.own_enterprise)
    user = world.users[role]
    client.force_login(user)
    for approved in (False, True):
        if approved:
            services.run_approve(user=world.users["dept_head"], run=run)
        allowed = RESULTS[role][approved]
        page = client.get(f"/policies/results/{own.pk}/")
        api = client.get(f"/api/v1/policies/results/{own.pk}")
        listed = scoping.visible(user, RunResult.objects.filter(run=run))
        assert (page.status_code == 200) is allowed, (approved, page.status_code)
        assert (api.status_code == 200) is allowed, (approved, api.status_code)
        assert (own in listed) is allowed, approved
        if not allowed:
            assert _refused(page) and _refused(api)


@pytest.mark.parametrize("role", ROLES)
def test_write_pages_answer_only_the_roles_that_may_write(
    world: Any, client: Any, approved: Any, role: str
) -> None:
    policy = approved.policy
    entry = LedgerEntry.objects.get(enterprise=world.own_enterprise)
    result = RunResult.objects.get(run=approved, enterprise=world.own_enterprise)
    expected = {
        "/policies/new/": MATRIX[role][1],
        f"/policies/{policy.pk}/edit/": MATRIX[role][1],
        f"/policies/ledger/{entry.pk}/correct/": MATRIX[role][4],
        f"/policies/results/{result.pk}/object/": LEDGER[role][2],
        "/policies/lists/upload/": LISTS[role][1],
        f"/policies/lists/template/?fact_id={PRICE}&beneficiary=enterprise": LISTS[role][1],
    }
    client.force_login(world.users[role])
    for url, allowed in expected.items():
        status = client.get(url).status_code
        assert status in (200, 403, 404), (url, status)
        assert (status == 200) is allowed, (url, status)


@pytest.mark.parametrize("role", ["leader", "area", "steward", "enterprise", "nobody"])
def test_pages_offer_nothing_to_write_to_those_who_may_not(
    world: Any, client: Any, run: Any, role: str
) -> None:
    """A city leader reads every batch, result and list and is offered no button; areas
    and enterprises have nothing of the departments' to write either (an enterprise's
    objection is offered on its own entitlements page, tested above)."""
    from ..affordances import write_affordances

    result = RunResult.objects.get(run=run, enterprise=world.own_enterprise)
    policy = run.policy
    pages = [f"/policies/{policy.pk}/?tab={tab}" for tab in ("guide", "runs", "ledger")]
    pages += [f"/policies/{policy.pk}/dry-run/", f"/policies/runs/{run.pk}/"]
    pages += [f"/policies/results/{result.pk}/", "/policies/", "/policies/ledger/"]
    pages += ["/policies/lists/", "/policies/objections/"]
    client.force_login(world.users[role])
    offered = set()
    for url in pages:
        response = client.get(url)
        if response.status_code == 200:
            offered.update(write_affordances(response.content.decode(), url))
    assert offered == set()
    services.run_approve(user=world.users["dept_head"], run=run)
    response = client.get(f"/policies/results/{result.pk}/")
    if response.status_code == 200:
        assert write_affordances(response.content.decode(), response.request["PATH_INFO"]) == []


@pytest.mark.parametrize("role", ["leader", "enterprise", "steward", "area"])
def test_walking_every_page_a_role_is_shown(
    world: Any, client: Any, approved: Any, role: str
) -> None:
    """From the home page, follow every link the role is shown (a project, a batch, an
    objection and lists in the data): no link leads to a page refused to it (403/404),
    and a city leader is offered no form, upload or write link anywhere."""
    import datetime
    import re
    from html import unescape
    from urllib.parse import urljoin, urlsplit

    from zhenxing.projects import services as project_services
    from zhenxing.projects.stewards import services as steward_services

    from ..affordances import write_affordances

    admin = world.users["admin"]
    project = project_services.project_create(
        user=admin,
        name="鲅鱼圈巡查测试项目",
        code="2023-210804-04-01-000077",
        area=world.own_area,
        total_investment=Decimal("80000000"),
        status="continuing",
        status_since=datetime.date(2023, 3, 1),
    )
    steward_services.stewardship_assign(
        user=admin, project=project, leader=world.users["steward"], since="2024-01-02"
    )
    services.objection_file(
        user=world.users["enterprise"],
        enterprise=world.own_enterprise,
        policy=approved.policy,
        result=RunResult.objects.get(run=approved, enterprise=world.own_enterprise),
        reason="合同金额应含税计算",
    )
    client.force_login(world.users[role])
    skip = ("/api/", "/logout/", "/django-admin/", "/static/", "/media/", "/stewards/photos/")
    # the same page again: an export, another order, page or year
    again = ("format=xlsx", "sort=", "page=", "to=", "year=", "period=")
    seen: set[str] = set()
    queue = [("/", "")]
    offered: dict[str, list[str]] = {}
    refused: list[tuple[str, int, str]] = []
    while queue and len(seen) < 80:
        url, origin = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code in (403, 404):
            refused.append((url, response.status_code, origin))
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        found = write_affordances(html, url)
        if found:
            offered[url] = found
        for href in re.findall(r'<a\b[^>]*\bhref="([^"#]+)"', html):
            parts = urlsplit(urljoin(url, unescape(href)))
            if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(skip):
                continue
            if any(k in parts.query for k in again):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen:
                queue.append((target, url))
    assert len(seen) > 15, sorted(seen)
    assert refused == []
    if role == "leader":
        assert len(seen) > 40, sorted(seen)
        assert offered == {}
