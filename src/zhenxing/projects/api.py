import datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Router, Schema, UploadedFile
from ninja import Status as Answer
from ninja.errors import ValidationError
from ninja.pagination import paginate

from zhenxing.clusters.models import Cluster, ClusterScheme
from zhenxing.core import clock, excel, ratelimits, scoping, sheets
from zhenxing.core.api import AuditOut
from zhenxing.core.codes import uscc as uscc_codes
from zhenxing.core.codes.errors import CodeError
from zhenxing.core.errors import problem
from zhenxing.core.models import Area, Department, Industry
from zhenxing.core.money import Money, NonNegativeMoney, Percent
from zhenxing.core.pagination import BoundedLimitOffsetPagination, filter_given
from zhenxing.core.periods import Period, PeriodError
from zhenxing.core.services import DomainError
from zhenxing.core.validation import SaneDate
from zhenxing.enterprises.models import Enterprise
from zhenxing.projects import queries, reporting, services
from zhenxing.projects.domain import STATUS_LABELS, Status
from zhenxing.projects.imports import REPORT_IMPORT
from zhenxing.projects.models import (
    AnnualPlan,
    KeyList,
    KeyListEntry,
    Library,
    LibraryMembership,
    MonthlyReport,
    PolicyCategory,
    Project,
    StatusChange,
)

router = Router(tags=["projects"])


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError([{"loc": ("query", field), "msg": message, "type": "value_error"}])


def _parse_period(value: str, field: str = "period") -> Period:
    try:
        return Period.parse(value)
    except PeriodError as exc:
        raise _invalid(field, f"{field}：{exc}") from exc


# --- schemas -----------------------------------------------------------------------


class StayOut(Schema):
    library: str
    library_label: str
    entered_on: datetime.date
    left_on: datetime.date | None

    @staticmethod
    def resolve_library_label(obj: LibraryMembership) -> str:
        return str(obj.get_library_display())


class KeyListEntryOut(Schema):
    key_list: str = Field(description="清单代码")
    key_list_name: str
    entered_on: datetime.date
    left_on: datetime.date | None

    @staticmethod
    def resolve_key_list(obj: KeyListEntry) -> str:
        return obj.key_list.code

    @staticmethod
    def resolve_key_list_name(obj: KeyListEntry) -> str:
        return obj.key_list.name


class ProjectOut(Schema):
    id: int
    code: str = Field(description="项目代码（全国投资项目在线审批监管平台）")
    name: str
    area_code: str
    area_name: str
    owner_uscc: str | None
    owner_name: str
    cluster_scheme: str | None
    cluster_code: str | None
    industry_code: str | None
    policy_category: str
    location: str
    total_investment: Money = Field(description="总投资（元，两位小数）")
    planned_start: datetime.date | None
    planned_finish: datetime.date | None
    status: str
    status_label: str
    status_since: datetime.date
    department_code: str | None
    description: str
    libraries: list[str] = Field(description="当前所在的项目库")
    key_lists: list[str] = Field(description="当前所在的重点项目清单（代码）")
    voided_at: datetime.datetime | None = Field(description="作废时间；未作废为 null")
    void_reason: str = Field(description="作废原因")

    @staticmethod
    def resolve_area_code(obj: Project) -> str:
        return obj.area.code

    @staticmethod
    def resolve_area_name(obj: Project) -> str:
        return obj.area.name

    @staticmethod
    def resolve_owner_uscc(obj: Project) -> str | None:
        return obj.owner_enterprise.uscc if obj.owner_enterprise else None

    @staticmethod
    def resolve_cluster_scheme(obj: Project) -> str | None:
        return obj.cluster.scheme.code if obj.cluster else None

    @staticmethod
    def resolve_cluster_code(obj: Project) -> str | None:
        return obj.cluster.code if obj.cluster else None

    @staticmethod
    def resolve_industry_code(obj: Project) -> str | None:
        return obj.industry_id

    @staticmethod
    def resolve_total_investment(obj: Project) -> Decimal:
        return obj.total_investment

    @staticmethod
    def resolve_status_label(obj: Project) -> str:
        return STATUS_LABELS[Status(obj.status)]

    @staticmethod
    def resolve_department_code(obj: Project) -> str | None:
        return obj.department.code if obj.department else None

    @staticmethod
    def resolve_libraries(obj: Project) -> list[str]:
        stays = getattr(obj, "open_libraries", None)
        if stays is None:
            stays = obj.libraries.filter(left_on__isnull=True)
        return sorted({s.library for s in stays})

    @staticmethod
    def resolve_key_lists(obj: Project) -> list[str]:
        entries = getattr(obj, "open_key_lists", None)
        if entries is None:
            entries = obj.key_lists.filter(left_on__isnull=True).select_related("key_list")
        return sorted({e.key_list.code for e in entries})


class ProjectIn(Schema):
    code: str = Field("", max_length=32, description="项目代码；可空")
    name: str = Field(..., min_length=1, max_length=200)
    area_code: str = Field(..., max_length=12)
    owner_uscc: str | None = Field(None, max_length=32)
    owner_name: str = Field("", max_length=128)
    cluster_scheme: str | None = Field(None, max_length=32, description="缺省为今天适用的方案")
    cluster_code: str | None = Field(None, max_length=48)
    industry_code: str | None = Field(None, max_length=8)
    policy_category: PolicyCategory = PolicyCategory.OTHER
    location: str = Field("", max_length=255)
    total_investment: NonNegativeMoney = Field(..., description="总投资（元）")
    planned_start: SaneDate | None = None
    planned_finish: SaneDate | None = None
    department_code: str | None = Field(None, max_length=32)
    description: str = Field("", max_length=5000)
    status: Status = Field(
        Status.PLANNED,
        description="登记时的状态：谋划、签约、储备、前期，或在建（新开工、续建、复工）；"
        "竣工、投产、终止须登记后变更",
    )
    status_since: SaneDate | None = Field(None, description="缺省为今天")
    confirm: bool = Field(
        False, description="同一区域已有名称相近的项目时须为 true（否则 400，errors 指向 confirm）"
    )


class ProjectPatch(Schema):
    """Only the fields sent change. A field the record must have may be left out but not
    sent as null (422 naming it)."""

    code: str = Field(None, max_length=32)  # type: ignore[assignment]
    name: str = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]
    area_code: str = Field(None, max_length=12)  # type: ignore[assignment]
    owner_uscc: str | None = Field(None, max_length=32)
    owner_name: str = Field(None, max_length=128)  # type: ignore[assignment]
    cluster_scheme: str | None = Field(None, max_length=32)
    cluster_code: str | None = Field(None, max_length=48)
    industry_code: str | None = Field(None, max_length=8)
    policy_category: PolicyCategory = None  # type: ignore[assignment]
    location: str = Field(None, max_length=255)  # type: ignore[assignment]
    total_investment: NonNegativeMoney = Field(None, description="总投资（元）")  # type: ignore[assignment]
    planned_start: SaneDate | None = None
    planned_finish: SaneDate | None = None
    department_code: str | None = Field(None, max_length=32)
    description: str = Field(None, max_length=5000)  # type: ignore[assignment]
    confirm: bool = Field(False, description="改名或改区域后与同一区域的项目名称相近时须为 true")


class VoidIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500, description="作废原因（记入变更记录）")


class StatusChangeOut(Schema):
    id: int
    status: str
    status_label: str
    date: datetime.date
    note: str

    @staticmethod
    def resolve_status_label(obj: StatusChange) -> str:
        return STATUS_LABELS[Status(obj.status)]


class StatusChangeIn(Schema):
    status: Status
    date: SaneDate
    note: str = Field("", max_length=255)


class LibraryIn(Schema):
    library: Library
    action: Literal["enter", "leave"] = "enter"
    date: SaneDate


class KeyListIn(Schema):
    key_list: str = Field(..., max_length=32, description="清单代码，见 GET /projects/key-lists")
    action: Literal["enter", "leave"] = "enter"
    date: SaneDate


class KeyListOut(Schema):
    code: str
    name: str
    parent_code: str | None

    @staticmethod
    def resolve_parent_code(obj: KeyList) -> str | None:
        return obj.parent.code if obj.parent else None


class AnnualPlanOut(Schema):
    year: int
    planned_investment: Money

    @staticmethod
    def resolve_planned_investment(obj: AnnualPlan) -> Decimal:
        return obj.planned_investment


class AnnualPlanIn(Schema):
    planned_investment: NonNegativeMoney = Field(..., description="年度计划投资（元）")


class ReportOut(Schema):
    id: int
    project_id: int
    project_code: str
    project_name: str
    area_code: str
    period: str = Field(description="YYYY-MM")
    investment: Money = Field(description="当月完成投资（元）")
    progress_pct: Percent | None
    progress_text: str
    problems: str
    version: int = Field(description="修改时原样带回；已被他人修改时返回 409")
    submitted_by: str | None
    submitted_at: datetime.datetime | None
    locked: bool = Field(description="该月已过截止日期；修改须填 reason")
    unusual_note: str = Field(
        description="超常标记：当月完成投资超过项目剩余投资或远高于以往月份时的说明；空为正常"
    )
    unusual_confirmed_by: str | None = Field(description="确认超常数值的人")

    @staticmethod
    def resolve_unusual_confirmed_by(obj: MonthlyReport) -> str | None:
        return str(obj.unusual_confirmed_by) if obj.unusual_confirmed_by_id else None

    @staticmethod
    def resolve_project_code(obj: MonthlyReport) -> str:
        return obj.project.code

    @staticmethod
    def resolve_project_name(obj: MonthlyReport) -> str:
        return obj.project.name

    @staticmethod
    def resolve_area_code(obj: MonthlyReport) -> str:
        return obj.project.area.code

    @staticmethod
    def resolve_period(obj: MonthlyReport) -> str:
        return str(Period(obj.year, obj.month))

    @staticmethod
    def resolve_investment(obj: MonthlyReport) -> Decimal:
        return obj.investment

    @staticmethod
    def resolve_submitted_by(obj: MonthlyReport) -> str | None:
        return str(obj.submitted_by) if obj.submitted_by else None

    @staticmethod
    def resolve_locked(obj: MonthlyReport) -> bool:
        return reporting.window(Period(obj.year, obj.month)).locked


class ReportIn(Schema):
    investment: NonNegativeMoney = Field(..., description="当月完成投资（元）")
    progress_pct: Decimal | None = Field(None, ge=0, le=100, max_digits=5, decimal_places=2)
    progress_text: str = Field("", max_length=500)
    problems: str = Field("", max_length=5000)
    version: int | None = Field(
        None, ge=0, description="读取时的版本；新填报不填或填 0。版本不符返回 409"
    )
    reason: str = Field("", max_length=255, description="修改原因；已锁定月份必填")
    confirm: bool = Field(
        False,
        description="确认超常数值：当月完成投资超过项目剩余投资，或超过以往月份中位数的"
        "设定倍数（ZHENXING_REPORT_UNUSUAL_FACTOR，默认 5）时须为 true，"
        "否则返回 400，errors 指明字段 confirm",
    )


class ProblemOut(Schema):
    """RFC 9457 problem details (application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, str]] = []


class LibraryTotalsOut(Schema):
    count: int
    total_investment: Money


class KeyListTotalsOut(Schema):
    code: str
    name: str
    count: int
    total_investment: Money


class FiguresOut(Schema):
    period: str = Field(description="YYYY-MM：统计 1 月至该月")
    area: str | None = Field(description="区域代码；null 为全市（您可见的范围）")
    started_or_resumed: int = Field(description="开复工项目数")
    investment_ytd: Money = Field(description="1–N月累计完成投资（元）")
    investment_ytd_last_year: Money = Field(description="去年同期（元）")
    investment_ytd_yoy_pct: Percent | None = Field(description="同比（%），去年同期为 0 时为 null")
    annual_plan: Money = Field(description="年度计划投资（元）")
    plan_completion_pct: Percent | None = Field(description="年度计划完成率（%）")
    libraries: dict[str, LibraryTotalsOut] = Field(description="期末各项目库：个数、总投资")
    key_lists: list[KeyListTotalsOut]


# --- resolving codes ---------------------------------------------------------------


def _resolve(values: dict[str, Any]) -> dict[str, Any]:
    """Turn codes into records, naming the field when a code is unknown."""
    out = dict(values)
    if "area_code" in out:
        code = out.pop("area_code")
        area = Area.objects.filter(code=code).first() if code else None
        if area is None or area.kind == "city":
            raise DomainError("区域代码不存在", {"area_code": f"区域代码“{code}”不存在"})
        out["area"] = area
    if "owner_uscc" in out:
        raw = out.pop("owner_uscc")
        out["owner_enterprise"] = None
        if raw:
            try:
                code = uscc_codes.validate(raw)
            except CodeError as exc:
                raise DomainError(str(exc), {"owner_uscc": str(exc)}) from exc
            enterprise = Enterprise.objects.filter(uscc=code).first()
            if enterprise is None:
                raise DomainError("企业名录中没有该单位", {"owner_uscc": f"企业名录中没有“{code}”"})
            out["owner_enterprise"] = enterprise
            if not out.get("owner_name"):
                out["owner_name"] = enterprise.name
    scheme_code = out.pop("cluster_scheme", None)
    if "cluster_code" in out:
        code = out.pop("cluster_code")
        out["cluster"] = None
        if code:
            clusters = Cluster.objects.filter(code=code)
            if scheme_code:
                clusters = clusters.filter(scheme__code=scheme_code)
            else:
                today = clock.today()
                scheme = (
                    ClusterScheme.objects.filter(valid_from__lte=today)
                    .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
                    .order_by("-valid_from")
                    .first()
                )
                clusters = clusters.filter(scheme=scheme)
            cluster = clusters.first()
            if cluster is None:
                raise DomainError(
                    "产业集群代码不存在", {"cluster_code": f"没有代码为“{code}”的产业集群"}
                )
            out["cluster"] = cluster
    if "industry_code" in out:
        code = out.pop("industry_code")
        out["industry"] = None
        if code:
            industry = Industry.objects.filter(code=code).first()
            if industry is None:
                raise DomainError(
                    "行业代码不存在", {"industry_code": f"GB/T 4754-2017 中没有代码“{code}”"}
                )
            out["industry"] = industry
    if "department_code" in out:
        code = out.pop("department_code")
        out["department"] = None
        if code:
            department = Department.objects.filter(code=code).first()
            if department is None:
                raise DomainError("部门代码不存在", {"department_code": f"部门代码“{code}”不存在"})
            out["department"] = department
    return out


def _projects() -> QuerySet[Project]:
    return Project.objects.select_related(
        "area", "owner_enterprise", "cluster", "cluster__scheme", "department"
    ).prefetch_related(
        Prefetch(
            "libraries",
            queryset=LibraryMembership.objects.filter(left_on__isnull=True),
            to_attr="open_libraries",
        ),
        Prefetch(
            "key_lists",
            queryset=KeyListEntry.objects.filter(left_on__isnull=True).select_related("key_list"),
            to_attr="open_key_lists",
        ),
    )


def _project(request: HttpRequest, project_id: int) -> Project:
    return scoping.get_for_user(request.user, _projects(), pk=project_id)


# --- projects: collection routes (before /{project_id}) ----------------------------


@router.get("", response=list[ProjectOut])
@paginate(BoundedLimitOffsetPagination)
def list_projects(
    request: HttpRequest,
    area: str | None = None,
    status: Status | None = None,
    library: Library | None = None,
    key_list: str | None = None,
    q: str | None = None,
    include_voided: bool = False,
) -> Any:
    """Projects in the caller's scope; `library` and `key_list` as of today. Voided
    projects (作废) only with `include_voided=true`."""
    qs = scoping.visible(request.user, _projects()).order_by("id")
    if not include_voided:
        qs = qs.filter(voided_at__isnull=True)
    qs = filter_given(qs, area__code=area, status=status)
    if library:
        qs = qs.filter(
            pk__in=LibraryMembership.objects.filter(library=library, left_on__isnull=True).values(
                "project_id"
            )
        )
    if key_list:
        qs = qs.filter(
            pk__in=KeyListEntry.objects.filter(
                key_list__code=key_list, left_on__isnull=True
            ).values("project_id")
        )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return qs


@router.post("", response={201: ProjectOut})
def create_project(request: HttpRequest, payload: ProjectIn) -> Answer[Any]:
    values = _resolve(payload.dict())
    project = services.project_create(user=request.user, **values)
    return Answer(201, _project(request, project.pk))


@router.get("/figures", response=FiguresOut)
def project_figures(request: HttpRequest, period: str, area: str | None = None) -> Any:
    """开复工, investment 1–N月累计 and 同比, plan completion, library and key-list totals.

    `period=YYYY-MM` counts months 1..N of that year; `area` is a code from `/areas`.
    Over the projects the caller may see (the same scope as the pages).
    """

    month = _parse_period(period)
    area_obj = None
    if area:
        area_obj = Area.objects.filter(code=area).first()
        if area_obj is None:
            raise _invalid("area", f"area：区域代码“{area}”不存在")
    projects = scoping.visible(request.user, Project.objects.all())
    result = queries.figures(period=month, projects=projects, area=area_obj)
    return {
        "period": str(month),
        "area": area_obj.code if area_obj else None,
        "started_or_resumed": result.started_or_resumed,
        "investment_ytd": result.investment_ytd,
        "investment_ytd_last_year": result.investment_ytd_last_year,
        "investment_ytd_yoy_pct": result.investment_ytd_yoy_pct,
        "annual_plan": result.annual_plan,
        "plan_completion_pct": result.plan_completion_pct,
        "libraries": {
            key: {"count": t.count, "total_investment": t.total_investment}
            for key, t in result.libraries.items()
        },
        "key_lists": [
            {
                "code": k.code,
                "name": k.name,
                "count": k.count,
                "total_investment": k.total_investment,
            }
            for k in result.key_lists
        ],
    }


@router.get("/key-lists", response=list[KeyListOut])
def list_key_lists(request: HttpRequest) -> Any:
    return scoping.visible(request.user, KeyList.objects.select_related("parent"))


def _reports() -> Any:
    return MonthlyReport.objects.select_related(
        "project", "project__area", "submitted_by", "unusual_confirmed_by"
    )


@router.get("/reports", response=list[ReportOut])
@paginate(BoundedLimitOffsetPagination)
def list_reports(
    request: HttpRequest,
    period: str | None = None,
    area: str | None = None,
    project: int | None = None,
    include_voided: bool = False,
) -> Any:
    """Monthly reports in the caller's scope, by period (YYYY-MM), area code or project id;
    the reports of voided projects (作废) only with `include_voided=true`."""
    qs = scoping.visible(request.user, _reports()).order_by("-year", "-month", "project_id")
    if not include_voided:
        qs = qs.filter(project__voided_at__isnull=True)
    if period:
        month = _parse_period(period)
        qs = qs.filter(year=month.year, month=month.month)
    qs = filter_given(qs, project__area__code=area, project_id=project)
    return qs


class ReportImportOut(Schema):
    filed: int = Field(description="填报（新增或修改）的行数")
    unchanged: int = Field(description="与已存数值相同、未写入的行数")
    skipped: int = Field(description="只列项目、没有填写数值而跳过的行数")
    message: str


@router.post(
    "/reports/import",
    response={200: ReportImportOut, 400: ProblemOut, 403: ProblemOut, 429: ProblemOut},
)
def import_reports(request: HttpRequest, file: File[UploadedFile]) -> Any:
    """An area's monthly report sheet (.xlsx, multipart field `file`; the template is at
    `/imports/project-reports/template/`): every row or none. On refusal the answer is
    400 with one `errors` item per bad cell (`field` = "第 N 行 列名"). Roles that may not
    import the sheet get 403 before the file is read; more uploads per hour than
    `ZHENXING_RATE_LIMIT_IMPORTS` get 429 with `Retry-After`."""
    if not excel.may_import(request.user, REPORT_IMPORT):
        raise scoping.PermissionDenied("您无权导入月度填报")
    ratelimits.check(request, ratelimits.IMPORTS)
    try:
        sheets.check_size(file.size)
    except sheets.SheetError as exc:
        raise DomainError(str(exc), {"file": str(exc)}) from exc
    result = excel.run_import(REPORT_IMPORT, file.read(), user=request.user)
    if not result.ok:
        title = f"导入失败，没有写入任何数据：共 {len(result.errors)} 处错误"
        cells: dict[str, str] = {}
        for error in result.errors[:1000]:
            cell = f"第 {error.row} 行 {error.column}"
            cells[cell] = f"{cells[cell]}；{error.reason}" if cell in cells else error.reason
        raise DomainError(title, cells)
    outcome = result.outcome
    return {
        "filed": outcome.filed,
        "unchanged": outcome.unchanged,
        "skipped": outcome.skipped,
        "message": result.summary(),
    }


# --- one project -------------------------------------------------------------------


@router.get("/{project_id}", response=ProjectOut)
def get_project(request: HttpRequest, project_id: int) -> Any:
    return _project(request, project_id)


@router.patch("/{project_id}", response=ProjectOut)
def update_project(request: HttpRequest, project_id: int, payload: ProjectPatch) -> Any:
    project = scoping.get_for_user(request.user, Project, pk=project_id)
    values = _resolve(payload.dict(exclude_unset=True))
    services.project_update(user=request.user, project=project, **values)
    return _project(request, project_id)


@router.post("/{project_id}/void", response=ProjectOut)
def void_project(request: HttpRequest, project_id: int, payload: VoidIn) -> Any:
    """Void (作废) a project entered by mistake: it is kept, with the reason in its
    history, and left out of every figure and list (`include_voided=true` lists it);
    nothing more can be recorded on it. For those who may change the project."""
    project = scoping.get_for_user(request.user, Project, pk=project_id)
    services.project_void(user=request.user, project=project, reason=payload.reason)
    return _project(request, project_id)


@router.get("/{project_id}/history", response=list[AuditOut])
def project_history(request: HttpRequest, project_id: int) -> Any:
    project = scoping.get_for_user(request.user, Project, pk=project_id)
    return queries.project_history(project)[:500]


@router.get("/{project_id}/status-changes", response=list[StatusChangeOut])
def list_status_changes(request: HttpRequest, project_id: int) -> Any:
    project = scoping.get_for_user(request.user, Project, pk=project_id)
    return project.status_changes.order_by("date", "id")


@router.post("/{project_id}/status-changes", response={201: StatusChangeOut})
def change_status(request: HttpRequest, project_id: int, payload: StatusChangeIn) -> Answer[Any]:
    """Move the project along its lifecycle (e.g. no 竣工 before 开工); 400 if not allowed."""
    project = scoping.get_for_user(request.user, Project, pk=project_id)
    change = services.project_change_status(
        user=request.user,
        project=project,
        status=payload.status,
        date=payload.date,
        note=payload.note,
    )
    return Answer(201, change)


@router.get("/{project_id}/libraries", response=list[StayOut])
def list_libraries(request: HttpRequest, project_id: int) -> Any:
    project = scoping.get_for_user(request.user, Project, pk=project_id)
    return project.libraries.order_by("entered_on", "id")


@router.post("/{project_id}/libraries", response={200: StayOut, 201: StayOut})
def change_library(request: HttpRequest, project_id: int, payload: LibraryIn) -> Answer[Any]:
    """Enter (201) or leave (200) a library on a date."""
    project = scoping.get_for_user(request.user, Project, pk=project_id)
    if payload.action == "enter":
        stay = services.project_enter_library(
            user=request.user, project=project, library=payload.library, date=payload.date
        )
        return Answer(201, stay)
    stay = services.project_leave_library(
        user=request.user, project=project, library=payload.library, date=payload.date
    )
    return Answer(200, stay)


@router.get("/{project_id}/key-lists", response=list[KeyListEntryOut])
def list_key_list_entries(request: HttpRequest, project_id: int) -> Any:
    project = scoping.get_for_user(request.user, Project, pk=project_id)
    return project.key_lists.select_related("key_list").order_by("entered_on", "id")


@router.post("/{project_id}/key-lists", response={200: KeyListEntryOut, 201: KeyListEntryOut})
def change_key_list(request: HttpRequest, project_id: int, payload: KeyListIn) -> Answer[Any]:
    """Put the project on (201) or take it off (200) a key list on a date."""
    project = scoping.get_for_user(request.user, Project, pk=project_id)
    key_list = KeyList.objects.filter(code=payload.key_list).first()
    if key_list is None:
        raise DomainError(
            "清单代码不存在", {"key_list": f"没有代码为“{payload.key_list}”的重点项目清单"}
        )
    if payload.action == "enter":
        entry = services.project_add_to_key_list(
            user=request.user, project=project, key_list=key_list, date=payload.date
        )
        return Answer(201, entry)
    entry = services.project_remove_from_key_list(
        user=request.user, project=project, key_list=key_list, date=payload.date
    )
    return Answer(200, entry)


@router.get("/{project_id}/annual-plans", response=list[AnnualPlanOut])
def list_annual_plans(request: HttpRequest, project_id: int) -> Any:
    project = scoping.get_for_user(request.user, Project, pk=project_id)
    return project.annual_plans.order_by("year")


@router.put("/{project_id}/annual-plans/{year}", response=AnnualPlanOut)
def set_annual_plan(request: HttpRequest, project_id: int, year: int, payload: AnnualPlanIn) -> Any:
    project = scoping.get_for_user(request.user, Project, pk=project_id)
    return services.project_set_annual_plan(
        user=request.user,
        project=project,
        year=year,
        planned_investment=payload.planned_investment,
    )


@router.get("/{project_id}/reports", response=list[ReportOut])
def list_project_reports(request: HttpRequest, project_id: int, year: int | None = None) -> Any:
    project = scoping.get_for_user(request.user, Project, pk=project_id)
    qs = scoping.visible(request.user, _reports().filter(project=project))
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("year", "month")


@router.get("/{project_id}/reports/{period}", response=ReportOut)
def get_report(request: HttpRequest, project_id: int, period: str) -> Any:
    project = scoping.get_for_user(request.user, Project, pk=project_id)
    month = _parse_period(period)
    return scoping.get_for_user(
        request.user, _reports(), project=project, year=month.year, month=month.month
    )


@router.put(
    "/{project_id}/reports/{period}", response={200: ReportOut, 201: ReportOut, 409: ProblemOut}
)
def put_report(request: HttpRequest, project_id: int, period: str, payload: ReportIn) -> Any:
    """File (201) or change (200) the project's report for a month.

    Send back the `version` you read (none or 0 for a new report). If somebody saved in
    between, the answer is 409 and nothing is written: read the report again. After the
    month's deadline it is locked: a correction needs `reason`. The values already
    stored write nothing (200, the same version). A figure above the project's remaining
    investment, or far above its usual month, needs `"confirm": true` (else 400 naming
    `confirm`); the report then carries `unusual_note` and `unusual_confirmed_by`.
    """
    project = scoping.get_for_user(request.user, Project, pk=project_id)
    month = _parse_period(period)
    existed = MonthlyReport.objects.filter(
        project=project, year=month.year, month=month.month
    ).exists()
    try:
        report = services.report_submit(
            user=request.user,
            project=project,
            period=month,
            investment=payload.investment,
            progress_pct=payload.progress_pct,
            progress_text=payload.progress_text,
            problems=payload.problems,
            expected_version=payload.version or None,
            reason=payload.reason,
            confirm=payload.confirm,
        )
    except services.StaleVersion as exc:
        return _conflict(request, exc)
    report = _reports().get(pk=report.pk)
    return Answer(200 if existed else 201, report)


def _conflict(request: HttpRequest, exc: services.StaleVersion) -> HttpResponse:
    response = problem(
        request,
        409,
        exc.message,
        exc.message,
        [{"field": "version", "message": exc.message, "code": "stale"}],
    )
    return response
