"""The finance bureau's payout list (兑付清单) of one batch, as .xlsx with Chinese headers:
one row per payment with the city and county shares, the allocation rule as printed on
the batch page, totals, and a sheet of subtotals by area (the county that pays its share).

Before approval the same file lists what the batch *would* pay (拟兑付), marked as such.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.http import HttpResponse

from zhenxing.core import excel, scoping
from zhenxing.core.roles import Action
from zhenxing.policies import domain, queries
from zhenxing.policies.models import Beneficiary, LedgerEntry, PolicyRun, RunResult

HEADERS_ENTERPRISE = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所在区域",
    "兑付金额（元）",
    "市级承担（元）",
    "县区承担（元）",
    "说明",
]
HEADERS_PROJECT = [
    "序号",
    "项目名称",
    "项目代码",
    "项目单位",
    "统一社会信用代码",
    "所在区域",
    "兑付金额（元）",
    "市级承担（元）",
    "县区承担（元）",
    "说明",
]


def _rows(run: PolicyRun, user: Any) -> list[tuple[Any, ...]]:
    """(enterprise, uscc, project, code, area, amount, city, county, note) per line."""
    project = run.policy.beneficiary == Beneficiary.PROJECT
    rows: list[tuple[Any, ...]] = []
    if run.is_approved:
        visible = scoping.visible(user, LedgerEntry.objects.all(), Action.EXPORT)
        for line in queries.payout_lines(run, visible):
            e = line.entry
            rows.append(
                (
                    line.enterprise_name,
                    line.uscc,
                    line.project_name,
                    line.project_code,
                    line.area_name,
                    e.amount,
                    e.city_amount,
                    e.county_amount,
                    e.get_kind_display() if e.kind != "payment" else "",
                )
            )
    else:
        results = scoping.visible(
            user,
            RunResult.objects.filter(run=run, payable__gt=0)
            .select_related("enterprise", "project", "area")
            .order_by("area__sort_order", "pk"),
        )
        for r in results:
            city, county = domain.split(r.payable, run.policy.city_share_pct)
            rows.append(
                (
                    r.enterprise.name if r.enterprise else "",
                    r.enterprise.uscc if r.enterprise else "",
                    r.project.name if r.project else "",
                    r.project.code if r.project else "",
                    r.area.name if r.area else "",
                    r.payable,
                    city,
                    county,
                    r.note,
                )
            )
    if not project:
        rows = [(a, b, e, f, g, h, i) for a, b, _c, _d, e, f, g, h, i in rows]
    return rows


def payout_list_bytes(run: PolicyRun, user: Any) -> bytes:
    policy = run.policy
    project = policy.beneficiary == Beneficiary.PROJECT
    headers = HEADERS_PROJECT if project else HEADERS_ENTERPRISE
    rows = _rows(run, user)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("兑付清单")
    title = book.add_format({"bold": True, "font_size": 14})
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#DCE6F4", "border": 1, "text_wrap": True})
    money = book.add_format({"num_format": excel.MONEY_FORMAT, "border": 1})
    money_bold = book.add_format({"num_format": excel.MONEY_FORMAT, "border": 1, "bold": True})
    count = book.add_format({"num_format": excel.COUNT_FORMAT, "border": 1})
    cell = book.add_format({"border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    state = "兑付清单" if run.is_approved else "拟兑付清单（未审批）"
    sheet.merge_range(0, 0, 0, len(headers) - 1, f"{policy.name} · {run.period}年 {state}", title)
    info = [
        ("发文部门", policy.department.name),
        ("批次编号", str(run.pk)),
        ("规则", f"{policy.rule_id}（{policy.rule_file}，版本 {run.rule_version}）"),
        (
            "资金承担",
            f"市级 {policy.city_share_pct:g}%，县区 {policy.county_share_pct:g}%"
            "（县区为兑付对象所在县区）",
        ),
        ("年度预算", domain.yuan(policy.annual_budget)),
        ("分配说明", run.allocation_note or "-"),
        ("测算人", str(run.prepared_by or "-")),
        (
            "审批人",
            f"{run.approved_by}（{run.booked_on:%Y-%m-%d}）" if run.is_approved else "未审批",
        ),
    ]
    row = 1
    for label, value in info:
        sheet.write_string(row, 0, label, bold)
        sheet.merge_range(row, 1, row, len(headers) - 1, value, wrap)
        if label == "分配说明":
            sheet.set_row(row, 15 * max(1, value.count("\n") + 1 + len(value) // 60))
        row += 1
    row += 1
    for col, header in enumerate(headers):
        sheet.write_string(row, col, header, head)
    first = row + 1
    money_cols = {len(headers) - 4, len(headers) - 3, len(headers) - 2}
    totals = [Decimal(0), Decimal(0), Decimal(0)]
    for index, values in enumerate(rows, start=1):
        row += 1
        sheet.write_number(row, 0, index, cell)
        for col, value in enumerate(values, start=1):
            if col in money_cols:
                sheet.write_number(row, col, float(value), money)
                totals[sorted(money_cols).index(col)] += value
            else:
                sheet.write_string(row, col, str(value or ""), cell)
    row += 1
    sheet.write_string(row, 1, f"合计（{len(rows):,} 户）", bold)
    for i, col in enumerate(sorted(money_cols)):
        sheet.write_number(row, col, float(totals[i]), money_bold)
    widths = (
        [6, 36, 22, 12, 16, 16, 16, 30] if not project else [6, 36, 26, 30, 22, 12, 16, 16, 16, 30]
    )
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(first, 0)
    # subtotals by area
    areas = book.add_worksheet("分区域汇总")
    for col, header in enumerate(
        ["区域", "户数", "兑付金额（元）", "市级承担（元）", "县区承担（元）"]
    ):
        areas.write_string(0, col, header, head)
    area_col = 4 if project else 2
    grouped: dict[str, list[Any]] = {}
    for values in rows:
        slot = grouped.setdefault(values[area_col] or "-", [0, Decimal(0), Decimal(0), Decimal(0)])
        slot[0] += 1
        slot[1] += values[area_col + 1]
        slot[2] += values[area_col + 2]
        slot[3] += values[area_col + 3]
    for r, (name, (n, amount, city, county)) in enumerate(grouped.items(), start=1):
        areas.write_string(r, 0, name, cell)
        areas.write_number(r, 1, n, count)
        areas.write_number(r, 2, float(amount), money)
        areas.write_number(r, 3, float(city), money)
        areas.write_number(r, 4, float(county), money)
    areas.set_column(0, 0, 16)
    areas.set_column(1, 4, 18)
    book.close()
    return buffer.getvalue()


def payout_list_response(run: PolicyRun, user: Any) -> HttpResponse:
    name = f"{run.policy.name}-{run.period}年-{'兑付清单' if run.is_approved else '拟兑付清单'}"
    return excel.xlsx_response(payout_list_bytes(run, user), name)
