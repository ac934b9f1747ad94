"""Writes to the project pipeline. Each takes the acting user, checks scope, is audited.

- Projects: `project_create`, `project_update`.
- Lifecycle: `project_change_status` (checked by `domain.check_transition` against the
  project's dated history; writes a `StatusChange` and moves `Project.status`).
- Libraries and key lists: `project_enter_library`, `project_leave_library`,
  `project_add_to_key_list`, `project_remove_from_key_list` (dated stays).
- Annual plans: `project_set_annual_plan`.
- Monthly reports: `report_submit` (one) and `reports_submit_many` (a sheet, all or
  none), with the reporting window of `projects.reporting` (a locked month needs a
  reason), optimistic concurrency on `MonthlyReport.version`, unchanged values written
  not at all, and unusual figures (above the remaining investment, or far above the
  project's usual month) filed only when confirmed, the mark kept on the report.

Refusals raise `DomainError` with Chinese messages keyed by the field they concern.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F

from zhenxing.core import audit, clock, money, scoping
from zhenxing.core.codes import project_code
from zhenxing.core.codes.errors import CodeError
from zhenxing.core.models import AuditAction
from zhenxing.core.money import CENT
from zhenxing.core.periods import Period
from zhenxing.core.roles import Action
from zhenxing.core.services import DomainError, save_audited
from zhenxing.projects import domain, reporting
from zhenxing.projects.domain import STATUS_LABELS, Status
from zhenxing.projects.models import (
    AnnualPlan,
    KeyList,
    KeyListEntry,
    Library,
    LibraryMembership,
    MonthlyReport,
    Project,
    StatusChange,
)

EDITABLE_FIELDS = (
    "code",
    "name",
    "owner_enterprise",
    "owner_name",
    "area",
    "cluster",
    "industry",
    "policy_category",
    "location",
    "total_investment",
    "planned_start",
    "planned_finish",
    "department",
    "description",
)
M = TypeVar("M", bound=models.Model)
MAX_MONEY = money.MAX_YUAN - money.CENT


class StaleVersion(DomainError):
    """Somebody else saved the record since the user loaded it (the API answers 409)."""

    def __init__(self, current_version: int) -> None:
        message = f"该月报已被他人修改（版本 {current_version}），请刷新后再改"
        super().__init__(message, {"version": message})
        self.current_version = current_version


# --- helpers ----------------------------------------------------------------------


def _validation_errors(exc: ValidationError, what: str) -> DomainError:
    if hasattr(exc, "error_dict"):
        errors = {k: "；".join(str(m) for m in v) for k, v in exc.message_dict.items()}
    else:
        errors = {"__all__": "；".join(exc.messages)}
    return DomainError(what, errors)


def _save(
    obj: M,
    *,
    user: Any,
    reason: str = "",
    what: str = "信息有误",
    before: dict[str, Any] | None = None,
) -> M:
    try:
        save_audited(obj, user=user, reason=reason, before=before)
    except ValidationError as exc:
        raise _validation_errors(exc, what) from exc
    return obj


def _money(value: Any, field: str, label: str, *, required: bool = True) -> Decimal | None:
    try:
        amount = money.parse_number(value)  # 1,234.5 and 1234.5 alike, on every path
    except money.NumberError as exc:
        raise DomainError(f"{label}不是数字", {field: f"{label}应为数字"}) from exc
    if amount is None:
        if required:
            raise DomainError(f"{label}必填", {field: f"请填写{label}"})
        return None
    if amount < 0:
        raise DomainError(f"{label}不能为负数", {field: f"{label}不能为负数"})
    if amount != amount.quantize(CENT):
        raise DomainError(f"{label}最多保留到分", {field: f"{label}最多保留两位小数（单位：元）"})
    if amount > MAX_MONEY:
        raise DomainError(f"{label}过大", {field: f"{label}超出允许范围"})
    return amount.quantize(CENT)


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    if "code" in values:
        raw = (values["code"] or "").strip()
        if raw:
            try:
                raw = project_code.validate(raw, today=clock.today())
            except CodeError as exc:
                raise DomainError(str(exc), {"code": str(exc)}) from exc
        values["code"] = raw
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
        if not values["name"]:
            raise DomainError("项目名称必填", {"name": "请填写项目名称"})
    if "total_investment" in values:
        values["total_investment"] = _money(
            values["total_investment"], "total_investment", "总投资"
        )
    for key in ("owner_name", "location", "description", "policy_category"):
        if key in values and values[key] is None:
            values[key] = ""
    return values


def _check_dates_and_code(project: Project) -> None:
    if (
        project.planned_start
        and project.planned_finish
        and project.planned_finish < project.planned_start
    ):
        raise DomainError(
            "计划竣工早于计划开工", {"planned_finish": "计划竣工日期不能早于计划开工日期"}
        )
    if project.code:
        clash = (
            Project.objects.filter(code=project.code, voided_at__isnull=True)
            .exclude(pk=project.pk)
            .first()
        )
        if clash is not None:
            message = f"项目代码 {project.code} 已被使用"
            raise DomainError(message, {"code": message})


def _check_new_facts(project: Project, *, changed: set[str], confirm: bool) -> None:
    """What a project must be beyond its fields' formats, checked when it is created and
    when the fields concerned change: investment above zero, a national code that fits
    the project (its year, area and industry segment), and — unless the user confirms —
    no project of nearly the same name in the same area."""
    if "total_investment" in changed and not project.total_investment:
        message = "总投资应大于 0"
        raise DomainError(message, {"total_investment": message})
    if project.code and changed & {"code", "area"}:
        area = project.area
        host = area.parent if area.is_park and area.parent else area
        parsed = project_code.parse(project.code, today=clock.today())
        problems = domain.code_problems(
            parsed, host_area=host.code, host_name=host.name, today=clock.today()
        )
        if problems:
            message = "；".join(problems[k] for k in sorted(problems))
            raise DomainError(message, {"code": message})
    if not confirm and changed & {"name", "area"}:
        others = (
            Project.objects.filter(area=project.area, voided_at__isnull=True)
            .exclude(pk=project.pk)
            .values_list("pk", "name")
        )
        near = domain.near_names(project.name, others)
        if near:
            names = "、".join(f"“{name}”" for _pk, name in near[:5])
            message = (
                f"{project.area.name}已有名称相近的项目：{names}。如确为不同项目，请确认后再保存"
            )
            raise DomainError(message, {"confirm": message})


def _not_voided(project: Project) -> None:
    """A voided project is kept as it was: nothing is recorded on it any more."""
    if project.voided_at is not None:
        when = clock.local(project.voided_at)
        message = f"该项目已于 {when:%Y-%m-%d %H:%M} 作废，不能再修改或填报"
        raise DomainError(message, {"project": message})


def _no_future(day: datetime.date, field: str, label: str) -> None:
    if day > clock.today():
        message = f"{label}不能晚于今天（{clock.today():%Y-%m-%d}）"
        raise DomainError(message, {field: message})


# --- projects ---------------------------------------------------------------------


@transaction.atomic
def project_create(
    *,
    user: Any,
    status: str = Status.PLANNED,
    status_since: datetime.date | None = None,
    confirm: bool = False,
    **values: Any,
) -> Project:
    """A new project with its first lifecycle step (`status` on `status_since`): the
    beginning of the lifecycle (`domain.INITIAL`). A name close to another project's in
    the same area is refused on `confirm` until the user confirms."""
    values = _normalise(values)
    if values.get("area") is None:
        raise DomainError("所在区域必填", {"area": "请选择项目所在区域"})
    scoping.require(user, Action.CREATE, model=Project, values={"area": values["area"]})
    if "total_investment" not in values or values["total_investment"] is None:
        raise DomainError("总投资必填", {"total_investment": "请填写总投资"})
    try:
        new_status = Status(status)
    except ValueError as exc:
        raise DomainError("状态无效", {"status": f"“{status}”不是项目状态"}) from exc
    since = status_since or clock.today()
    _no_future(since, "status_since", "状态日期")
    try:
        domain.check_transition([], new_status, since)
    except domain.TransitionError as exc:
        raise DomainError(exc.message, {"status": exc.message}) from exc
    project = Project(**values, status=new_status.value, status_since=since)
    _check_dates_and_code(project)
    _check_new_facts(project, changed={"total_investment", "code", "area", "name"}, confirm=confirm)
    _save(project, user=user, what="项目信息有误")
    change = StatusChange(
        project=project, status=new_status.value, date=since, note="登记", recorded_by=user
    )
    _save(change, user=user)
    return project


@transaction.atomic
def project_update(*, user: Any, project: Project, confirm: bool = False, **values: Any) -> Project:
    """Change a project's facts. The status moves only through `project_change_status`."""
    scoping.require(user, Action.CHANGE, project)
    _not_voided(project)
    if "status" in values or "status_since" in values:
        raise DomainError(
            "状态请通过“变更状态”修改", {"status": "状态请通过“变更状态”修改，以保留变更记录"}
        )
    values = _normalise(values)
    if "area" in values and values["area"] is None:
        raise DomainError("所在区域必填", {"area": "请选择项目所在区域"})
    if "area" in values and values["area"].pk != project.area_id:
        # moving a project to another area must be allowed on the target area too
        scoping.require(user, Action.CREATE, model=Project, values={"area": values["area"]})
    if "total_investment" in values and values["total_investment"] is None:
        raise DomainError("总投资必填", {"total_investment": "请填写总投资"})
    changed = {key for key, value in values.items() if getattr(project, key) != value}
    for key, value in values.items():
        setattr(project, key, value)
    _check_dates_and_code(project)
    _check_new_facts(project, changed=changed, confirm=confirm)
    return _save(project, user=user, what="项目信息有误")


@transaction.atomic
def project_void(*, user: Any, project: Project, reason: str) -> Project:
    """Void (作废) a project entered by mistake: it is kept, with its history and the
    reason in the audit trail, but leaves every figure and list that does not ask for
    voided projects, and nothing more is recorded on it. Who may change the project may
    void it."""
    scoping.require(user, Action.CHANGE, project)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写作废原因", {"reason": "请填写作废原因（记入变更记录）"})
    if len(reason) > 500:
        raise DomainError("作废原因太长", {"reason": "作废原因最多 500 字"})
    locked = Project.objects.select_for_update().get(pk=project.pk)
    _not_voided(locked)
    locked.voided_at = clock.now()
    locked.voided_by = user if getattr(user, "is_authenticated", False) else None
    locked.void_reason = reason
    _save(locked, user=user, reason=f"作废：{reason}", what="项目信息有误")
    project.voided_at, project.voided_by, project.void_reason = (
        locked.voided_at,
        locked.voided_by,
        locked.void_reason,
    )
    return project


@transaction.atomic
def project_change_status(
    *, user: Any, project: Project, status: str, date: datetime.date, note: str = ""
) -> StatusChange:
    """Move a project along its lifecycle on a date (no 竣工 before 开工, no going back)."""
    scoping.require(user, Action.CHANGE, project)
    _not_voided(project)
    locked = Project.objects.select_for_update().get(pk=project.pk)
    try:
        new_status = Status(status)
    except ValueError as exc:
        raise DomainError("状态无效", {"status": f"“{status}”不是项目状态"}) from exc
    if date is None:
        raise DomainError("日期必填", {"date": "请填写状态变更日期"})
    _no_future(date, "date", "状态变更日期")
    history = [
        (Status(s), d)
        for s, d in locked.status_changes.order_by("date", "id").values_list("status", "date")
    ]
    if history and date < history[-1][1]:
        last_status, last_date = history[-1]
        message = (
            f"状态变更日期 {date:%Y-%m-%d} 早于上一次变更（{last_date:%Y-%m-%d}，"
            f"{STATUS_LABELS[last_status]}）"
        )
        raise DomainError(message, {"date": message})
    try:
        domain.check_transition(history, new_status, date)
    except domain.TransitionError as exc:
        raise DomainError(exc.message, {"status": exc.message}) from exc
    change = StatusChange(
        project=locked,
        status=new_status.value,
        date=date,
        note=(note or "").strip()[:255],
        recorded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    _save(change, user=user)
    locked.status = new_status.value
    locked.status_since = date
    _save(locked, user=user, reason=change.note)
    project.status, project.status_since = locked.status, locked.status_since
    return change


# --- libraries and key lists ------------------------------------------------------


def _library(value: str) -> str:
    if value not in Library.values:
        choices = "、".join(str(label) for label in Library.labels)
        raise DomainError("项目库无效", {"library": f"“{value}”不是项目库；可选：{choices}"})
    return value


@transaction.atomic
def project_enter_library(
    *, user: Any, project: Project, library: str, date: datetime.date
) -> LibraryMembership:
    """The project enters a library on `date` (it may be in several libraries at once)."""
    scoping.require(user, Action.CHANGE, project)
    _not_voided(project)
    library = _library(library)
    label = Library(library).label
    if date is None:
        raise DomainError("入库日期必填", {"entered_on": "请填写入库日期"})
    _no_future(date, "entered_on", "入库日期")
    stays = LibraryMembership.objects.select_for_update().filter(project=project, library=library)
    if stays.filter(left_on__isnull=True).exists():
        message = f"项目已在{label}中"
        raise DomainError(message, {"library": message})
    last = stays.exclude(left_on__isnull=True).order_by("-left_on").first()
    if last is not None and last.left_on is not None and date < last.left_on:
        message = f"入库日期不能早于上次出库日期（{last.left_on:%Y-%m-%d}）"
        raise DomainError(message, {"entered_on": message})
    stay = LibraryMembership(project=project, library=library, entered_on=date)
    return _save(stay, user=user)


@transaction.atomic
def project_leave_library(
    *, user: Any, project: Project, library: str, date: datetime.date
) -> LibraryMembership:
    """The project leaves a library on `date` (its stay is closed, not deleted)."""
    scoping.require(user, Action.CHANGE, project)
    _not_voided(project)
    library = _library(library)
    label = Library(library).label
    if date is None:
        raise DomainError("出库日期必填", {"left_on": "请填写出库日期"})
    _no_future(date, "left_on", "出库日期")
    stay = (
        LibraryMembership.objects.select_for_update()
        .filter(project=project, library=library, left_on__isnull=True)
        .first()
    )
    if stay is None:
        message = f"项目不在{label}中"
        raise DomainError(message, {"library": message})
    if date < stay.entered_on:
        message = f"出库日期不能早于入库日期（{stay.entered_on:%Y-%m-%d}）"
        raise DomainError(message, {"left_on": message})
    stay.left_on = date
    return _save(stay, user=user)


@transaction.atomic
def project_add_to_key_list(
    *, user: Any, project: Project, key_list: KeyList, date: datetime.date
) -> KeyListEntry:
    """Put the project on a key list (省重大工程, 央地合作 …) from `date`."""
    scoping.require(user, Action.CHANGE, project)
    _not_voided(project)
    if key_list is None:
        raise DomainError("请选择清单", {"key_list": "请选择重点项目清单"})
    if date is None:
        raise DomainError("列入日期必填", {"entered_on": "请填写列入日期"})
    _no_future(date, "entered_on", "列入日期")
    entries = KeyListEntry.objects.select_for_update().filter(project=project, key_list=key_list)
    if entries.filter(left_on__isnull=True).exists():
        message = f"项目已在“{key_list.name}”清单中"
        raise DomainError(message, {"key_list": message})
    last = entries.exclude(left_on__isnull=True).order_by("-left_on").first()
    if last is not None and last.left_on is not None and date < last.left_on:
        message = f"列入日期不能早于上次移出日期（{last.left_on:%Y-%m-%d}）"
        raise DomainError(message, {"entered_on": message})
    entry = KeyListEntry(project=project, key_list=key_list, entered_on=date)
    return _save(entry, user=user)


@transaction.atomic
def project_remove_from_key_list(
    *, user: Any, project: Project, key_list: KeyList, date: datetime.date
) -> KeyListEntry:
    scoping.require(user, Action.CHANGE, project)
    _not_voided(project)
    if date is None:
        raise DomainError("移出日期必填", {"left_on": "请填写移出日期"})
    _no_future(date, "left_on", "移出日期")
    entry = (
        KeyListEntry.objects.select_for_update()
        .filter(project=project, key_list=key_list, left_on__isnull=True)
        .first()
    )
    if entry is None:
        message = f"项目不在“{key_list.name}”清单中"
        raise DomainError(message, {"key_list": message})
    if date < entry.entered_on:
        message = f"移出日期不能早于列入日期（{entry.entered_on:%Y-%m-%d}）"
        raise DomainError(message, {"left_on": message})
    entry.left_on = date
    return _save(entry, user=user)


# --- annual plans -----------------------------------------------------------------


@transaction.atomic
def project_set_annual_plan(
    *, user: Any, project: Project, year: int, planned_investment: Any
) -> AnnualPlan:
    """Set (or change) the investment planned for the project in one year."""
    scoping.require(user, Action.CHANGE, project)
    _not_voided(project)
    try:
        year = int(year)
    except (TypeError, ValueError) as exc:
        raise DomainError("年度无效", {"year": "年度应为四位数字"}) from exc
    if not 2000 <= year <= clock.today().year + 10:
        message = f"年度 {year} 不在 2000–{clock.today().year + 10} 之间"
        raise DomainError(message, {"year": message})
    amount = _money(planned_investment, "planned_investment", "年度计划投资")
    assert amount is not None  # required: _money refuses a blank
    plan = AnnualPlan.objects.select_for_update().filter(project=project, year=year).first()
    if plan is None:
        plan = AnnualPlan(project=project, year=year, planned_investment=amount)
    else:
        plan.planned_investment = amount
    return _save(plan, user=user)


# --- monthly reports --------------------------------------------------------------


def _report_values(
    investment: Any, progress_pct: Any, progress_text: Any, problems: Any
) -> dict[str, Any]:
    amount = _money(investment, "investment", "当月完成投资")
    pct: Decimal | None = None
    if progress_pct not in (None, ""):
        try:
            pct = Decimal(str(progress_pct))
        except (InvalidOperation, ValueError) as exc:
            raise DomainError(
                "形象进度不是数字", {"progress_pct": "形象进度应为 0–100 的数字"}
            ) from exc
        if not pct.is_finite() or not Decimal(0) <= pct <= Decimal(100):
            raise DomainError("形象进度超出范围", {"progress_pct": "形象进度应在 0–100 之间"})
        if pct != pct.quantize(CENT):
            raise DomainError("形象进度最多两位小数", {"progress_pct": "形象进度最多保留两位小数"})
        pct = pct.quantize(CENT)
    text = (progress_text or "").strip()
    if len(text) > 500:
        raise DomainError("形象进度说明太长", {"progress_text": "形象进度说明最多 500 字"})
    return {
        "investment": amount,
        "progress_pct": pct,
        "progress_text": text,
        "problems": (problems or "").strip(),
    }


def check_report_window(period: Period, *, reason: str = "") -> reporting.Window:
    """Refuse a month that is not open yet, or a locked month without a reason."""
    today = clock.today()
    win = reporting.window(period, today=today)
    problem = _window_problem(period, win, Period.of(today), reason)
    if problem:
        raise DomainError(next(iter(problem.values())), problem)
    return win


def _window_problem(
    period: Period, win: reporting.Window, this_month: Period, reason: str
) -> dict[str, str]:
    """{field: message} when the month cannot take a change now, else {}."""
    if period > this_month:
        return {"period": f"{period.label}尚未到来，不能填报"}
    if win.not_yet_open:
        return {"period": f"{period.label}的填报将于 {win.opens_on:%Y-%m-%d} 开始"}
    if win.locked and not (reason or "").strip():
        return {
            "reason": f"{period.label}已于 {win.deadline:%Y-%m-%d} 截止填报并锁定，"
            "修改须填写修改原因"
        }
    return {}


def _same_values(report: MonthlyReport | None, values: dict[str, Any]) -> bool:
    return report is not None and all(getattr(report, k) == v for k, v in values.items())


def report_unchanged(
    report: MonthlyReport | None,
    *,
    investment: Any,
    progress_pct: Any = None,
    progress_text: str = "",
    problems: str = "",
) -> bool:
    """Would filing these values change nothing on `report`? Then the services write
    nothing (no new version, no audit entry, the reporter kept) and need no reason for a
    locked month. False for values the services would refuse."""
    try:
        values = _report_values(investment, progress_pct, progress_text, problems)
    except DomainError:
        return False
    return _same_values(report, values)


# --- unusual figures: above the remaining investment, or far above the usual month ----


def unusual_factor() -> Decimal:
    """How many times the usual month a figure may be before it needs a confirmation
    (the setting `REPORT_UNUSUAL_FACTOR`, environment `ZHENXING_REPORT_UNUSUAL_FACTOR`)."""
    return Decimal(str(settings.REPORT_UNUSUAL_FACTOR))


def _project_months(
    project_ids: list[int], until: Period
) -> tuple[dict[int, Decimal], dict[int, dict[Period, Decimal]]]:
    """Each project's total investment, and its stored monthly figures up to `until`."""
    totals: dict[int, Decimal] = {}
    months: dict[int, dict[Period, Decimal]] = {pk: {} for pk in project_ids}
    for chunk in _chunks(project_ids):
        totals.update(Project.objects.filter(pk__in=chunk).values_list("pk", "total_investment"))
        reports = MonthlyReport.objects.filter(project_id__in=chunk, year__lte=until.year)
        for project_id, year, month, amount in reports.values_list(
            "project_id", "year", "month", "investment"
        ):
            months[project_id][Period(year, month)] = amount
    return totals, months


def _unusual_marks(
    *,
    amount: Decimal,
    period: Period,
    total: Decimal,
    months: dict[Period, Decimal],
    report: MonthlyReport | None,
    confirm: bool,
    user: Any,
) -> dict[str, Any]:
    """The report's unusual mark for a new figure; refuses an unusual one unconfirmed.

    A figure already confirmed (the same amount on the stored report) keeps its mark, so
    that correcting a report's text does not ask again."""
    earlier = [a for p, a in sorted(months.items()) if p < period]
    note = domain.unusual_report(
        amount,
        total_investment=total,
        done_before=sum(earlier, Decimal(0)),
        earlier=earlier,
        factor=unusual_factor(),
    )
    if not note:
        return {"unusual_note": "", "unusual_confirmed_by": None}
    if report is not None and report.unusual_note and report.investment == amount:
        return {
            "unusual_note": report.unusual_note,
            "unusual_confirmed_by_id": report.unusual_confirmed_by_id,
        }
    if not confirm:
        message = f"{note}。请核实；确属实须确认后再提交"
        raise DomainError(message, {"confirm": message})
    # the user object, not its id: the audit trail names it without a query per report
    who = user if getattr(user, "is_authenticated", False) else None
    return {"unusual_note": note[:255], "unusual_confirmed_by": who}


# --- one monthly report -----------------------------------------------------------


@transaction.atomic
def report_submit(
    *,
    user: Any,
    project: Project,
    period: Period,
    investment: Any,
    progress_pct: Any = None,
    progress_text: str = "",
    problems: str = "",
    expected_version: int | None = None,
    reason: str = "",
    confirm: bool = False,
) -> MonthlyReport:
    """File or change a project's report for one month.

    `expected_version` is the version the user's form was loaded with (None or 0 when
    there was no report yet). If someone saved in between, `StaleVersion` is raised and
    nothing is written. After the month's deadline the month is locked: the change
    needs a `reason`, which the audit trail keeps. The same values as stored write
    nothing. A figure above the remaining investment or far above the usual month is
    refused on the field `confirm` unless `confirm` is true; the report keeps the mark.
    """
    if not isinstance(period, Period):
        try:
            period = Period.parse(str(period))
        except ValueError as exc:
            raise DomainError(str(exc), {"period": str(exc)}) from exc
    _not_voided(project)
    values = _report_values(investment, progress_pct, progress_text, problems)
    reason = (reason or "").strip()[:255]
    report = MonthlyReport.objects.filter(
        project=project, year=period.year, month=period.month
    ).first()
    if report is None:
        scoping.require(
            user,
            Action.CREATE,
            model=MonthlyReport,
            values={"project__area": project.area_id, "project": project.pk},
        )
    else:
        scoping.require(user, Action.CHANGE, report)
        if _same_values(report, values):
            return report
    check_report_window(period, reason=reason)
    expected = expected_version or 0
    if report is not None and report.version != expected:
        raise StaleVersion(report.version)
    totals, months = _project_months([project.pk], period)
    values.update(
        _unusual_marks(
            amount=values["investment"],
            period=period,
            total=totals[project.pk],
            months=months[project.pk],
            report=report,
            confirm=confirm,
            user=user,
        )
    )
    stamp = {
        "submitted_by": user if getattr(user, "is_authenticated", False) else None,
        "submitted_at": clock.now(),
    }
    if report is None:
        if expected:
            # the form was loaded with a report that has since gone: treat as stale
            raise StaleVersion(0)
        report = MonthlyReport(
            project=project, year=period.year, month=period.month, version=1, **values, **stamp
        )
        try:
            with transaction.atomic():
                _save(report, user=user, reason=reason, what="月报有误")
        except IntegrityError as exc:
            # someone filed the same month in the meantime
            current = (
                MonthlyReport.objects.filter(project=project, year=period.year, month=period.month)
                .values_list("version", flat=True)
                .first()
            )
            raise StaleVersion(current or 1) from exc
        return report
    # Claim the row: only a writer holding the current version moves it on. The UPDATE
    # takes the row lock, so a concurrent writer with the same version finds 0 rows.
    # The audit entry diffs against the report as it was before the claim.
    before = audit.snapshot(report)
    claimed = MonthlyReport.objects.filter(pk=report.pk, version=expected).update(
        version=F("version") + 1
    )
    if not claimed:
        now = MonthlyReport.objects.filter(pk=report.pk).values_list("version", flat=True)
        raise StaleVersion(now.first() or report.version)
    report.refresh_from_db()
    for key, value in {**values, **stamp}.items():
        setattr(report, key, value)
    return _save(report, user=user, reason=reason, what="月报有误", before=before)


# --- many monthly reports at once (the area's Excel sheet) ------------------------


@dataclass(frozen=True)
class ReportItem:
    """One project's report for one month, as `reports_submit_many` takes it."""

    project: Project
    period: Period
    investment: Any
    progress_pct: Any = None
    progress_text: str = ""
    problems: str = ""
    expected_version: int | None = None  # the version the caller read; None: no report yet
    reason: str = ""
    confirm: bool = False  # an unusual figure (see `report_submit`) is confirmed


@dataclass(frozen=True)
class ReportsSaved:
    """What `reports_submit_many` did: `reports` has one report per item, in order (the
    stored one, untouched, for an unchanged item)."""

    reports: list[MonthlyReport]
    created: int
    updated: int
    unchanged: int

    @property
    def filed(self) -> int:
        return self.created + self.updated


class BatchError(DomainError):
    """Some items were refused; `item_errors` maps an item's index to {field: message}."""

    def __init__(self, item_errors: dict[int, dict[str, str]]) -> None:
        first = next(iter(item_errors.values()))
        super().__init__(next(iter(first.values())), first)
        self.item_errors = dict(sorted(item_errors.items()))


_REPORT_FIELDS = ("investment", "progress_pct", "progress_text", "problems")
_MARK_FIELDS = ("unusual_note", "unusual_confirmed_by")
_CHUNK = 500


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _stored_reports(items: list[ReportItem]) -> dict[tuple[int, Period], MonthlyReport]:
    """The reports there are now for the items, one query per month (in chunks)."""
    existing: dict[tuple[int, Period], MonthlyReport] = {}
    by_period: dict[Period, list[int]] = {}
    for item in items:
        by_period.setdefault(item.period, []).append(item.project.pk)
    for period, project_ids in by_period.items():
        for chunk in _chunks(project_ids):
            for report in MonthlyReport.objects.filter(
                year=period.year, month=period.month, project_id__in=chunk
            ).select_related("submitted_by", "unusual_confirmed_by"):
                existing[(report.project_id, period)] = report
    return existing


@transaction.atomic
def reports_submit_many(*, user: Any, items: list[ReportItem]) -> ReportsSaved:
    """File or change many monthly reports in one transaction: all of them, or none.

    The same rules as `report_submit`, item by item (scope, the reporting window and its
    lock, values, the version each item was read at, unusual figures confirmed), checked
    for every item before anything is written; refusals raise `BatchError` naming each
    item. An item whose values are those stored is left alone (no new version, no audit
    entry, its reporter kept, no reason needed in a locked month). The writes are done
    in bulk: the reports, their historical records (actor, reason) and their audit
    entries (fields before → after), so that an area's 2,000-row sheet is quick.
    """
    errors: dict[int, dict[str, str]] = {}
    today = clock.today()
    this_month = Period.of(today)
    wins = reporting.windows(sorted({i.period for i in items}), today=today)
    values: dict[int, dict[str, Any]] = {}
    seen: dict[tuple[int, Period], int] = {}
    allowed_areas: dict[tuple[int, int], bool] = {}
    for index, item in enumerate(items):
        key = (item.project.pk, item.period)
        if key in seen:
            errors[index] = {"period": f"与第 {seen[key] + 1} 项重复"}
            continue
        seen[key] = index
        scope_key = (item.project.area_id, item.project.pk)
        if scope_key not in allowed_areas:
            allowed_areas[scope_key] = scoping.can(
                user,
                Action.CREATE,
                model=MonthlyReport,
                values={"project__area": item.project.area_id, "project": item.project.pk},
            )
        if not allowed_areas[scope_key]:
            errors[index] = {"project": "您无权填报该项目的月报"}
            continue
        if item.project.voided_at is not None:
            errors[index] = {"project": "该项目已作废，不能填报"}
            continue
        try:
            values[index] = _report_values(
                item.investment, item.progress_pct, item.progress_text, item.problems
            )
        except DomainError as exc:
            errors[index] = exc.errors or {"investment": exc.message}

    existing = _stored_reports(items)
    unchanged = {
        index
        for index, item in enumerate(items)
        if index in values
        and _same_values(existing.get((item.project.pk, item.period)), values[index])
    }
    changed = [i for i in range(len(items)) if i in values and i not in unchanged]
    for index in changed:
        item = items[index]
        problem = _window_problem(item.period, wins[item.period], this_month, item.reason)
        if problem:
            errors[index] = problem
    if errors:
        raise BatchError(errors)

    writable: set[int] = set()
    to_change = [
        found.pk for i in changed if (found := existing.get((items[i].project.pk, items[i].period)))
    ]
    for chunk in _chunks(to_change):
        writable.update(
            scoping.visible(
                user, MonthlyReport.objects.filter(pk__in=chunk), Action.CHANGE
            ).values_list("pk", flat=True)
        )
    for index in changed:
        item = items[index]
        found = existing.get((item.project.pk, item.period))
        expected = item.expected_version or 0
        if found is None:
            if expected:
                errors[index] = StaleVersion(0).errors
        elif found.pk not in writable:
            errors[index] = {"project": "您无权修改该项目的月报"}
        elif found.version != expected:
            errors[index] = StaleVersion(found.version).errors
    if errors:
        raise BatchError(errors)

    # unusual figures, judged with the batch's own months in (a sheet may file May and June)
    if changed:
        totals, months = _project_months(
            sorted({items[i].project.pk for i in changed}), max(items[i].period for i in changed)
        )
        for index in changed:
            months[items[index].project.pk][items[index].period] = values[index]["investment"]
        for index in changed:
            item = items[index]
            try:
                values[index].update(
                    _unusual_marks(
                        amount=values[index]["investment"],
                        period=item.period,
                        total=totals[item.project.pk],
                        months=months[item.project.pk],
                        report=existing.get((item.project.pk, item.period)),
                        confirm=item.confirm,
                        user=user,
                    )
                )
            except DomainError as exc:
                errors[index] = exc.errors
    if errors:
        raise BatchError(errors)

    stamp_user = user if getattr(user, "is_authenticated", False) else None
    stamp_at = clock.now()
    created: list[MonthlyReport] = []
    updated: list[MonthlyReport] = []
    before: dict[int, dict[str, Any]] = {}
    result: list[MonthlyReport] = []
    for index, item in enumerate(items):
        old = existing.get((item.project.pk, item.period))
        if index in unchanged:
            assert old is not None
            result.append(old)
            continue
        if old is None:
            report = MonthlyReport(
                project=item.project,
                year=item.period.year,
                month=item.period.month,
                version=1,
                submitted_by=stamp_user,
                submitted_at=stamp_at,
                **values[index],
            )
            created.append(report)
        else:
            report = old
            report.project = item.project  # the same project, already loaded
            before[report.pk] = _audit_values(report)
            for name, value in values[index].items():
                setattr(report, name, value)
            report.version += 1
            report.submitted_by = stamp_user
            report.submitted_at = stamp_at
            updated.append(report)
        report._change_reason = (item.reason or "").strip()[:255]  # type: ignore[attr-defined]
        report._history_user = stamp_user  # type: ignore[attr-defined]
        result.append(report)
    if updated:
        _update_claimed(updated, items, existing)
    if created:
        # PostgreSQL and SQLite ≥ 3.35 return the new ids
        MonthlyReport.objects.bulk_create(created, batch_size=_CHUNK)
    history = MonthlyReport.history
    history.bulk_history_create(created, default_user=stamp_user, default_date=stamp_at)
    history.bulk_history_create(
        updated, update=True, default_user=stamp_user, default_date=stamp_at
    )
    _audit_many(created, updated, before, user=stamp_user, at=stamp_at)
    return ReportsSaved(
        reports=result, created=len(created), updated=len(updated), unchanged=len(unchanged)
    )


def _update_claimed(
    updated: list[MonthlyReport],
    items: list[ReportItem],
    existing: dict[tuple[int, Period], MonthlyReport],
) -> None:
    """Write the changed reports, each only if it still has the version read (as the
    UPDATE in `report_submit` does): one statement run for every row."""
    meta = MonthlyReport._meta
    quote = connection.ops.quote_name
    by_name = {f.name: f for f in meta.concrete_fields}
    names = (*_REPORT_FIELDS, *_MARK_FIELDS, "submitted_by", "submitted_at")
    fields = [by_name[name] for name in names]
    version = by_name["version"]
    sets = ", ".join(f"{quote(f.column)} = %s" for f in [*fields, version])
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {sets} "
        f"WHERE {quote(by_name['id'].column)} = %s AND {quote(version.column)} = %s"
    )
    params = [
        (
            *(f.get_db_prep_save(getattr(r, f.attname), connection) for f in fields),
            r.version,
            r.pk,
            r.version - 1,
        )
        for r in updated
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        written = cursor.rowcount
    if written != len(updated):
        now = dict(
            MonthlyReport.objects.filter(pk__in=[r.pk for r in updated]).values_list(
                "pk", "version"
            )
        )
        stale = {
            index: StaleVersion(now.get(report.pk, 0)).errors
            for index, item in enumerate(items)
            if (report := existing.get((item.project.pk, item.period))) is not None
            and now.get(report.pk) != report.version
        }
        raise BatchError(stale or {0: StaleVersion(0).errors})


def _audit_values(report: MonthlyReport) -> dict[str, Any]:
    """The report's fields as stored, to diff against after the bulk write."""
    return audit.snapshot(report)


def _audit_many(
    created: list[MonthlyReport],
    updated: list[MonthlyReport],
    before: dict[int, dict[str, Any]],
    *,
    user: Any,
    at: datetime.datetime,
) -> None:
    """The audit entries of the reports written in bulk, each with its own reason."""

    def reason(report: MonthlyReport) -> str:
        return getattr(report, "_change_reason", "")

    audit.record_many(created, user=user, action=AuditAction.CREATE, reason=reason, at=at)
    audit.record_many(
        updated, user=user, action=AuditAction.UPDATE, before=before, reason=reason, at=at
    )
