"""The policy pages render for the roles that use them; the payout list export."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from zhenxing.core.excel import read_rows
from zhenxing.policies import services
from zhenxing.policies.models import RunResult


def test_department_pages(world: Any, client: Any, computed_run: Any) -> None:
    policy = computed_run.policy
    client.force_login(world.users["dept_head"])
    for url in [
        "/policies/",
        f"/policies/{policy.pk}/",
        f"/policies/{policy.pk}/?tab=runs",
        f"/policies/{policy.pk}/?tab=ledger",
        f"/policies/{policy.pk}/?tab=objections",
        f"/policies/{policy.pk}/?tab=history",
        f"/policies/{policy.pk}/edit/",
        f"/policies/{policy.pk}/dry-run/",
        f"/policies/{policy.pk}/dry-run/?period=2023&param_cap=500000",
        f"/policies/runs/{computed_run.pk}/",
        f"/policies/runs/{computed_run.pk}/?show=all",
        f"/policies/runs/{computed_run.pk}/progress/",
        "/policies/new/",
        "/policies/ledger/",
        "/policies/objections/",
        "/policies/lists/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:500])
    page = client.get(f"/policies/runs/{computed_run.pk}/").content.decode()
    assert "审批兑付" in page and "全额兑付" in page
    guide = client.get(f"/policies/{policy.pk}/").content.decode()
    assert "申兑指南" in guide and "兑付时限" in guide and "给予最高100万元奖励" in guide


def test_the_preparer_is_told_not_to_approve(world: Any, client: Any, computed_run: Any) -> None:
    from zhenxing.core.models import Department, RoleAssignment

    RoleAssignment.objects.create(
        user=world.users["dept"], role="dept_head", department=Department.objects.get(code="gxj")
    )
    client.force_login(world.users["dept"])
    page = client.get(f"/policies/runs/{computed_run.pk}/").content.decode()
    assert "您是测算人，不能审批本批次" in page


def test_exclusion_through_the_result_page(world: Any, client: Any, computed_run: Any) -> None:
    result = RunResult.objects.get(run=computed_run, enterprise=world.own_enterprise)
    client.force_login(world.users["dept"])
    page = client.get(f"/policies/results/{result.pk}/").content.decode()
    assert "从批次中排除" in page and "结论：符合条件" in page
    empty = client.post(f"/policies/results/{result.pk}/", {"reason": ""})
    assert empty.status_code == 200 and "field-error" in empty.content.decode()
    done = client.post(f"/policies/results/{result.pk}/", {"reason": "企业已迁出本市"})
    assert done.status_code == 302
    result.refresh_from_db()
    assert result.excluded and result.exclusion_reason == "企业已迁出本市"


def test_payout_list_export_for_the_finance_bureau(
    world: Any, client: Any, computed_run: Any
) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    client.force_login(world.users["dept"])
    response = client.get(f"/policies/runs/{computed_run.pk}/?format=xlsx")
    assert response.status_code == 200
    rows = read_rows(response.content)
    header = next(r for r in rows if r and r[0] == "序号")
    assert header[:7] == [
        "序号",
        "企业名称",
        "统一社会信用代码",
        "所在区域",
        "兑付金额（元）",
        "市级承担（元）",
        "县区承担（元）",
    ]
    cells = [c for r in rows for c in r]
    assert world.own_enterprise.uscc in cells
    assert 150000 in cells and 90000 in cells and 60000 in cells
    assert any(isinstance(c, str) and "全额兑付" in c for c in cells)
    total = next(r for r in rows if r and isinstance(r[1], str) and r[1].startswith("合计"))
    assert total[4:7] == [1150000, 690000, 460000]


def test_enterprise_pages(world: Any, client: Any, computed_run: Any) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    result = RunResult.objects.get(run=computed_run, enterprise=world.own_enterprise)
    client.force_login(world.users["enterprise"])
    assert client.get("/policies/").status_code == 302  # to the enterprise's entitlements
    page = client.get("/policies/entitlements/").content.decode()
    assert "首台（套）重大技术装备奖励" in page and "提出异议" in page and "申兑指南" in page
    form = client.get(f"/policies/results/{result.pk}/object/")
    assert form.status_code == 200
    filed = client.post(f"/policies/results/{result.pk}/object/", {"reason": "合同金额应为120万元"})
    assert filed.status_code == 302
    detail = client.get(filed["Location"]).content.decode()
    assert "合同金额应为120万元" in detail and "尚未答复" in detail
    client.force_login(world.users["dept"])
    answer = client.post(filed["Location"], {"text": "已核实，按原结果执行", "close": "on"})
    assert answer.status_code == 302
    assert "已办结" in client.get(filed["Location"]).content.decode()


def test_refusals_show_on_the_form_and_successes_go_back_to_the_record(
    world: Any, client: Any, computed_run: Any, gxj: Any
) -> None:
    """The policy form and the correction form hand their data to the services through
    `core.forms.submit`: a refusal is shown next to its field (or above the form), a
    success says so and goes back to the record."""
    from zhenxing.policies.models import LedgerEntry, Policy

    client.force_login(world.users["dept_head"])
    form = {
        "code": "booth-fees",
        "name": "展位费补助",
        "department": gxj.pk,
        "catalogue": "yingkou",
        "rule_file": "subsidies-2019/first_set_equipment.yaml",
        "rule_id": "first_set_equipment",
        "beneficiary": "enterprise",
        "annual_budget_wan": "100",
        "city_share_pct": "50",
        "stacking": "higher",
        "stacking_group": "",
        "allocation": "pro_rata",
    }
    refused = client.post("/policies/new/", form)
    assert refused.status_code == 200
    assert "“从高享受一次”须填写不叠加分组" in refused.content.decode()
    assert not Policy.objects.filter(code="booth-fees").exists()
    created = client.post("/policies/new/", {**form, "stacking": "both"}, follow=True)
    policy = Policy.objects.get(code="booth-fees")
    assert created.redirect_chain[-1][0] == f"/policies/{policy.pk}/"
    assert "政策已创建（草稿）" in created.content.decode()
    edited = client.post(
        f"/policies/{policy.pk}/edit/", {**form, "stacking": "both", "name": "展位费"}
    )
    assert edited.status_code == 302 and Policy.objects.get(pk=policy.pk).name == "展位费"

    services.run_approve(user=world.users["dept_head"], run=computed_run)
    entry = LedgerEntry.objects.get(enterprise=world.own_enterprise)
    done = client.post(
        f"/policies/ledger/{entry.pk}/correct/", {"amount": "100000", "reason": "调减"}
    )
    assert done.status_code == 302 and done["Location"] == f"/policies/runs/{computed_run.pk}/"
    reversal = LedgerEntry.objects.get(kind="reversal")
    again = client.post(
        f"/policies/ledger/{reversal.pk}/correct/", {"amount": "1", "reason": "再改"}
    )
    assert again.status_code == 200 and "冲正记录不能更正" in again.content.decode()


def test_budgets_and_corrections_accept_thousands_separators(
    world: Any, client: Any, computed_run: Any, gxj: Any
) -> None:
    from zhenxing.policies.models import LedgerEntry, Policy

    client.force_login(world.users["dept_head"])
    form = {
        "code": "separators",
        "name": "千分位",
        "department": gxj.pk,
        "catalogue": "yingkou",
        "rule_file": "subsidies-2019/first_set_equipment.yaml",
        "rule_id": "first_set_equipment",
        "beneficiary": "enterprise",
        "annual_budget_wan": "1,200.5",
        "city_share_pct": "50",
        "stacking": "both",
        "stacking_group": "",
        "allocation": "pro_rata",
    }
    assert "年度预算（万元）" in client.get("/policies/new/").content.decode()
    assert client.post("/policies/new/", form).status_code == 302
    assert Policy.objects.get(code="separators").annual_budget == Decimal("12005000.00")
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    entry = LedgerEntry.objects.get(enterprise=world.own_enterprise)
    page = client.get(f"/policies/ledger/{entry.pk}/correct/").content.decode()
    assert "更正后的金额（元）" in page
    finer = client.post(
        f"/policies/ledger/{entry.pk}/correct/", {"amount": "1,000.005", "reason": "调减"}
    )
    assert finer.status_code == 200 and "两位小数" in finer.content.decode()
    done = client.post(
        f"/policies/ledger/{entry.pk}/correct/", {"amount": "100,000.5", "reason": "调减"}
    )
    assert done.status_code == 302
    assert LedgerEntry.objects.get(kind="adjustment").amount == Decimal("100000.50")
    ledger = client.get("/policies/ledger/").content.decode()
    assert "100,000.50" in ledger  # 元 in the ledger, with separators


def test_the_ledger_export_names_whom_it_paid_by_uscc(
    world: Any, client: Any, computed_run: Any
) -> None:
    services.run_approve(user=world.users["dept_head"], run=computed_run)
    client.force_login(world.users["dept_head"])
    rows = read_rows(client.get("/policies/ledger/?format=xlsx").content)
    column = rows[0].index("统一社会信用代码")
    assert rows[0][column - 1] == "兑付对象"
    assert world.own_enterprise.uscc in {r[column] for r in rows[1:]}
    page = client.get("/policies/ledger/").content.decode()
    assert "统一社会信用代码" not in page  # the screen keeps its columns
