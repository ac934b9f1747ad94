"""An area's monthly report sheet from Excel (kind "project-reports"): all rows or none.

One row per project and month. The project is found by its 项目代码, or by its exact
name when it has no code; it must be in the importing user's scope. Investment is typed
in 万元 (as area staff count it) and stored exactly in yuan. A locked month (past its
deadline) is imported only for rows with a 修改原因, which the audit trail keeps. A row
for a month that already has a report replaces it (the earlier values stay in the
record's history); a row whose values are those stored writes nothing (no new version,
no audit entry, the reporter kept; no reason needed in a locked month). A row that names
a project and a month but gives no figure at all is skipped (the area's month sheet lists
every project; the unreported ones stay empty). The outcome counts the three apart.

An unusual figure (above the project's remaining investment, or far above its usual
month: `services.report_submit`) is imported only with "是" in its row's 超常确认 column.
A column rather than one confirmation for the whole file, so that each such figure is
looked at and confirmed where it stands, and a file confirms nothing it does not show.
"""

from __future__ import annotations

import datetime
import re
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhenxing.core import clock, excel, scoping
from zhenxing.core.codes import project_code
from zhenxing.core.codes.errors import CodeError
from zhenxing.core.periods import Period, PeriodError
from zhenxing.core.roles import Action
from zhenxing.projects import reporting, services
from zhenxing.projects.models import MonthlyReport, Project

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


def _wan(value: Any) -> Decimal | None:
    """万元 as typed (1,250.5 or 1250.5) → yuan, exactly: whole fen, not negative."""
    amount = excel.wan(value)
    if amount is not None and amount < 0:
        raise excel.CellError("金额不能为负数")
    return amount


def _pct(value: Any) -> Decimal | None:
    pct = excel.number(value.strip().removesuffix("%") if isinstance(value, str) else value)
    if pct is None:
        return None
    if not Decimal(0) <= pct <= Decimal(100):
        raise excel.CellError("形象进度应在 0–100 之间")
    if pct != pct.quantize(Decimal("0.01")):
        raise excel.CellError("形象进度最多保留两位小数")
    return pct.quantize(Decimal("0.01"))


class _Run:
    """What one import run has looked up, so that checking a row costs no query.

    `excel.run_import` parses every row, then checks every row, then hands the checked
    rows to `_write_rows`, all in one thread. The first column's parser starts a new run
    when the previous run has moved past parsing; `check_row` fills the lookups once per
    run (the user's projects, each month's window and stored reports).
    """

    def __init__(self) -> None:
        self.phase = "parse"
        self.user_id: int | None = None
        self.by_code: dict[str, Project] = {}
        self.by_name: dict[str, list[Project]] = {}
        self.reports: dict[Period, dict[int, MonthlyReport]] = {}
        self.windows: dict[Period, reporting.Window] = {}

    def load_projects(self, user: Any) -> None:
        if self.user_id == user.pk:
            return
        self.user_id = user.pk
        # voided_at: a voided project is refused per row (reports_submit_many)
        visible = scoping.visible(
            user, Project.objects.only("id", "code", "name", "area_id", "voided_at")
        )
        for project in visible.order_by("pk"):
            if project.code:
                self.by_code[project.code] = project
            self.by_name.setdefault(project.name, []).append(project)

    def report(self, user: Any, project: Project, period: Period) -> MonthlyReport | None:
        """The report stored for the project and month, as this user may see it."""
        if period not in self.reports:
            reports = scoping.visible(
                user, MonthlyReport.objects.filter(year=period.year, month=period.month)
            ).only(
                "id",
                "project_id",
                "version",
                "investment",
                "progress_pct",
                "progress_text",
                "problems",
            )
            self.reports[period] = {r.project_id: r for r in reports}
        return self.reports[period].get(project.pk)

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
    stored = run.report(user, project, period)
    # the version as read now: a report someone changes before the write refuses the sheet
    row["version"] = stored.version if stored is not None else None
    if services.report_unchanged(
        stored,
        investment=row["investment"],
        progress_pct=row.get("progress_pct"),
        progress_text=row.get("progress_text") or "",
        problems=row.get("problems") or "",
    ):
        return []  # nothing to write, so neither the window nor a reason matters
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
    "confirm": "confirm",
}
CONFIRM_HEADER = "超常确认"
_YES = {"是", "y", "yes", "true", "1", "√", "✓"}
_NO = {"", "否", "n", "no", "false", "0"}


def _yes(value: Any) -> bool:
    """The 超常确认 column: "是" confirms the row's unusual figure; empty or "否" does not."""
    if isinstance(value, bool):
        return value
    raw = excel.text(value).lower()
    if raw in _YES:
        return True
    if raw in _NO:
        return False
    raise excel.CellError("请填“是”或留空")


@dataclass(frozen=True)
class ReportsImported:
    """The outcome of an import: rows filed (new or changed), rows whose values were
    already stored (nothing written), and listed projects without figures (skipped)."""

    filed: int
    unchanged: int
    skipped: int

    def summary(self) -> str:
        return gettext(
            "导入成功：填报 %(filed)s 行，未变化 %(unchanged)s 行，跳过空白行 %(skipped)s 行"
        ) % {"filed": self.filed, "unchanged": self.unchanged, "skipped": self.skipped}


def _write_rows(rows: list[tuple[int, dict[str, Any]]], user: Any) -> ReportsImported:
    """Every checked row in one call of `services.reports_submit_many`."""
    filed = [(index, row) for index, row in rows if not row.get("skip")]
    items = [
        services.ReportItem(
            project=row["project"],
            period=row["period"],
            investment=row["investment"],
            progress_pct=row.get("progress_pct"),
            progress_text=row.get("progress_text") or "",
            problems=row.get("problems") or "",
            expected_version=row.get("version"),
            reason=row.get("reason") or "",
            confirm=bool(row.get("confirm")),
        )
        for _index, row in filed
    ]
    try:
        saved = services.reports_submit_many(user=user, items=items)
    except services.BatchError as exc:
        problems = []
        for position, fields in exc.item_errors.items():
            for field, message in fields.items():
                if field == "confirm":
                    message += f"（核实无误请在“{CONFIRM_HEADER}”列填“是”）"
                problems.append(
                    (filed[position][0], _FIELD_TO_COLUMN.get(field, "period"), message)
                )
        raise excel.RowsRefused(problems) from exc
    return ReportsImported(
        filed=saved.filed, unchanged=saved.unchanged, skipped=len(rows) - len(filed)
    )


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
            help="月份已过填报截止日期（锁定）时修改数值必填，记入变更记录",
        ),
        excel.ImportColumn(
            CONFIRM_HEADER,
            "confirm",
            _yes,
            example="",
            help="当月完成投资超过项目剩余投资，或远高于该项目以往月份时，"
            "核实无误填“是”；该月报标记为“超常，已确认”",
        ),
    ],
    write_rows=_write_rows,
    check_row=_check,
    unique=(KEY,),
    writes=MonthlyReport,
)
