"""An area's monthly report sheet from Excel (kind "project-reports"): all rows or none.

One row per project and month. The project is found by its 项目代码, or by its exact
name when it has no code; it must be in the importing user's scope. Investment is typed
in 万元 (as area staff count it) and stored exactly in yuan. A locked month (past its
deadline) is imported only for rows with a 修改原因, which the audit trail keeps. A row
for a month that already has a report replaces it (the earlier values stay in the
record's history). A row that names a project and a month but gives no figure at all is
skipped (the area's month sheet lists every project; the unreported ones stay empty).
"""

from __future__ import annotations

import datetime
import re
import threading
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from zhenxing.core import clock, excel, scoping
from zhenxing.core.codes import project_code
from zhenxing.core.codes.errors import CodeError
from zhenxing.core.periods import Period, PeriodError
from zhenxing.core.roles import Action
from zhenxing.core.services import DomainError
from zhenxing.projects import reporting, services
from zhenxing.projects.models import MonthlyReport, Project

WAN = Decimal(10_000)
KEY = "项目及月份"  # the in-file uniqueness key (project + month), named as the report shows it
_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*月?$")


def _period(value: Any) -> Period | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        return Period.of(value.date())
    if isinstance(value, datetime.date):
        return Period.of(value)
    if isinstance(value, float) and not value.is_integer():
        raise excel.CellError("月份请填成文本，如 2024-05（数字格式会把 2024.10 读成 2024.1）")
    raw = excel.text(value)
    match = _MONTH.match(raw)
    try:
        if match:
            return Period(int(match.group(1)), int(match.group(2)))
        if re.fullmatch(r"\d{6}", raw):
            return Period(int(raw[:4]), int(raw[4:]))
        return Period.parse(raw)
    except PeriodError as exc:
        raise excel.CellError(f"“{raw}”不是月份，应为 2024-05 这样的格式") from exc


def _number(value: Any, what: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    raw = repr(value) if isinstance(value, float) else str(value).strip().replace(",", "")
    raw = raw.removesuffix("%").strip()
    try:
        number = Decimal(raw)
    except InvalidOperation as exc:
        raise excel.CellError(f"“{value}”不是{what}数字") from exc
    if not number.is_finite():
        raise excel.CellError(f"“{value}”不是{what}数字")
    return number


def _wan(value: Any) -> Decimal | None:
    """万元 as typed → yuan, exactly: at most six decimals in 万元 (i.e. whole fen)."""
    amount = _number(value, "金额")
    if amount is None:
        return None
    if amount < 0:
        raise excel.CellError("金额不能为负数")
    yuan = amount * WAN
    if yuan != yuan.quantize(Decimal("0.01")):
        raise excel.CellError("金额以万元为单位最多保留六位小数（即到分）")
    if yuan > services.MAX_MONEY:
        raise excel.CellError("金额超出允许范围")
    return yuan.quantize(Decimal("0.01"))


def _pct(value: Any) -> Decimal | None:
    pct = _number(value, "百分比")
    if pct is None:
        return None
    if not Decimal(0) <= pct <= Decimal(100):
        raise excel.CellError("形象进度应在 0–100 之间")
    if pct != pct.quantize(Decimal("0.01")):
        raise excel.CellError("形象进度最多保留两位小数")
    return pct.quantize(Decimal("0.01"))


class _Run:
    """What one import run has looked up and checked, so that each row costs no query.

    `excel.run_import` parses every row, then checks every row, then writes every row,
    all in one thread. The first column's parser starts a new run when the previous run
    has moved past parsing; `check_row` fills the lookups once per run and records each
    checked row; the first `write_row` writes all of them in bulk through
    `services.reports_submit_many`, and the others only report their own errors.
    """

    def __init__(self) -> None:
        self.phase = "parse"
        self.user_id: int | None = None
        self.by_code: dict[str, Project] = {}
        self.by_name: dict[str, list[Project]] = {}
        self.versions: dict[Period, dict[int, int]] = {}
        self.windows: dict[Period, reporting.Window] = {}
        self.rows: list[dict[str, Any]] = []
        self.row_ids: set[int] = set()
        self.flushed = False
        self.errors: dict[int, str] = {}  # id(row) -> "column_key:message"

    def load_projects(self, user: Any) -> None:
        if self.user_id == user.pk:
            return
        self.user_id = user.pk
        visible = scoping.visible(user, Project.objects.only("id", "code", "name", "area_id"))
        for project in visible.order_by("pk"):
            if project.code:
                self.by_code[project.code] = project
            self.by_name.setdefault(project.name, []).append(project)

    def version(self, user: Any, project: Project, period: Period) -> int | None:
        if period not in self.versions:
            reports = scoping.visible(
                user, MonthlyReport.objects.filter(year=period.year, month=period.month)
            )
            self.versions[period] = dict(reports.values_list("project_id", "version"))
        return self.versions[period].get(project.pk)

    def window(self, period: Period) -> reporting.Window:
        if period not in self.windows:
            self.windows[period] = reporting.window(period, today=clock.today())
        return self.windows[period]


_local = threading.local()


def _current_run() -> _Run:
    run = getattr(_local, "run", None)
    if run is None:
        run = _local.run = _Run()
    return run


def _code(value: Any) -> str:
    """The 项目代码 column, the first one parsed in every row: it also starts a run."""
    run = getattr(_local, "run", None)
    if run is None or run.phase != "parse":
        _local.run = _Run()
    raw = excel.text(value)
    if not raw:
        return ""
    try:
        return project_code.normalize(raw)
    except CodeError as exc:
        raise excel.CellError(str(exc)) from exc


NOT_FOUND = "没有找到该项目，或该项目不在您的管辖范围内"


def _find(
    run: _Run, row: dict[str, Any], user: Any
) -> tuple[Project | None, list[tuple[str, str]]]:
    run.load_projects(user)
    code, name = row.get("code") or "", row.get("name") or ""
    if code:
        project = run.by_code.get(code)
        if project is None:
            return None, [("code", NOT_FOUND)]
        if name and name != project.name:
            return None, [("name", f"与项目代码对应的项目名称是“{project.name}”")]
        return project, []
    if not name:
        return None, [("code", "项目代码和项目名称至少填一项")]
    found = run.by_name.get(name, [])
    if not found:
        return None, [("name", NOT_FOUND)]
    if len(found) > 1:
        return None, [("name", "有多个同名项目，请填写项目代码")]
    return found[0], []


def _check(row: dict[str, Any], user: Any) -> list[tuple[str, str]]:
    run = _current_run()
    run.phase = "check"
    project, problems = _find(run, row, user)
    if project is None:
        return problems
    row["project"] = project
    if not scoping.can(
        user,
        Action.CREATE,
        model=MonthlyReport,
        values={"project__area": project.area_id, "project": project.pk},
    ):
        return [("code", "您无权填报该项目的月报")]
    period: Period = row["period"]
    if row.get("investment") is None:
        if any(row.get(k) not in (None, "") for k in ("progress_pct", "progress_text", "problems")):
            return [("investment", "请填写当月完成投资")]
        row["skip"] = True  # a listed project without figures: not reported this month
        return []
    row[KEY] = f"{project.code or project.name} {period}"
    if len(row.get("progress_text") or "") > 500:
        return [("progress_text", "形象进度说明最多 500 字")]
    if period > Period.of(clock.today()):
        return [("period", f"{period.label}尚未到来，不能填报")]
    window = run.window(period)
    if window.not_yet_open:
        return [("period", f"{period.label}的填报将于 {window.opens_on:%Y-%m-%d} 开始")]
    if window.locked and not row.get("reason"):
        return [
            (
                "reason",
                f"{period.label}已于 {window.deadline:%Y-%m-%d} 截止并锁定，更正须填写修改原因",
            )
        ]
    # the version as read now: a report someone changes before the write refuses the sheet
    row["version"] = run.version(user, project, period)
    row["_run"] = run
    run.rows.append(row)
    run.row_ids.add(id(row))
    return []


_FIELD_TO_COLUMN = {
    "investment": "investment",
    "progress_pct": "progress_pct",
    "progress_text": "progress_text",
    "problems": "problems",
    "period": "period",
    "reason": "reason",
    "project": "code",
    "version": "investment",
}


def _write(row: dict[str, Any], user: Any) -> None:
    if row.get("skip"):
        return
    run: _Run | None = row.get("_run")
    if run is None or id(row) not in run.row_ids:
        raise excel.CellError("code:导入状态异常，请重新上传")
    if not run.flushed:
        run.flushed = True
        run.phase = "write"
        items = [
            services.ReportItem(
                project=r["project"],
                period=r["period"],
                investment=r["investment"],
                progress_pct=r.get("progress_pct"),
                progress_text=r.get("progress_text") or "",
                problems=r.get("problems") or "",
                expected_version=r.get("version"),
                reason=r.get("reason") or "",
            )
            for r in run.rows
        ]
        try:
            services.reports_submit_many(user=user, items=items)
        except services.BatchError as exc:
            for index, fields in exc.item_errors.items():
                field, message = next(iter(fields.items()))
                run.errors[id(run.rows[index])] = (
                    f"{_FIELD_TO_COLUMN.get(field, 'period')}:{message}"
                )
        except DomainError as exc:
            field, message = next(iter(exc.errors.items()), ("investment", exc.message))
            run.errors[id(row)] = f"{_FIELD_TO_COLUMN.get(field, 'period')}:{message}"
    error = run.errors.get(id(row))
    if error is not None:
        raise excel.CellError(error)


REPORT_IMPORT = excel.ImportSpec(
    kind="project-reports",
    title=_("项目月度填报"),
    columns=[
        excel.ImportColumn(
            "项目代码",
            "code",
            _code,
            example="2024-210804-04-01-123456",
            help="全国投资项目在线审批监管平台赋予的代码；没有代码的项目填项目名称",
        ),
        excel.ImportColumn(
            "项目名称",
            "name",
            excel.text,
            example="鲅鱼圈区示例项目",
            help="与系统中的项目名称完全一致；填了项目代码时可不填",
        ),
        excel.ImportColumn(
            "月份", "period", _period, required=True, example="2024-05", help="如 2024-05"
        ),
        excel.ImportColumn(
            "当月完成投资（万元）",
            "investment",
            _wan,
            example="1250.5",
            help="单位万元，最多六位小数；系统按元保存。整行没有填写任何数值的项目视为本月未填报，不导入",
        ),
        excel.ImportColumn("形象进度（%）", "progress_pct", _pct, example="45", help="0–100，可空"),
        excel.ImportColumn("形象进度说明", "progress_text", excel.text, example="主体结构完成 45%"),
        excel.ImportColumn("存在问题", "problems", excel.text, example=""),
        excel.ImportColumn(
            "修改原因",
            "reason",
            excel.text,
            example="",
            help="月份已过填报截止日期（锁定）时必填，记入变更记录",
        ),
    ],
    write_row=_write,
    check_row=_check,
    unique=(KEY,),
)
