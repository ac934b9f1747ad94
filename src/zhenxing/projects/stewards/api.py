"""项目管家 API, mounted at /api/v1/stewards: steward projects, visits, photos, problems.

Every route loads records through `core.scoping` and writes through `stewards.services`;
refusals come back as problem+json (400 with `errors` per field, 403, 404).
"""

import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, File, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate
from ninja.params import functions as param_functions

from zhenxing.core import clock, scoping
from zhenxing.core.models import Department
from zhenxing.core.money import Money, to_cent
from zhenxing.core.pagination import BoundedLimitOffsetPagination, filter_given
from zhenxing.core.periods import Period
from zhenxing.core.roles import Action
from zhenxing.core.services import DomainError
from zhenxing.core.validation import SaneDate
from zhenxing.projects import queries
from zhenxing.projects.models import (
    Problem,
    ProblemStatus,
    Project,
    TeamMember,
    Visit,
    VisitKind,
    VisitPhoto,
)
from zhenxing.projects.stewards import queries as steward_queries
from zhenxing.projects.stewards import services
from zhenxing.projects.stewards.views import photo_file

router = Router(tags=["stewards"])

# Record ids in paths and filters: positive and within a 64-bit integer, so that an
# absurd number is a 422 rather than a database overflow.
MAX_ID = 2**63 - 1
RecordId = Annotated[int, param_functions.Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, param_functions.Query(None, ge=1, le=MAX_ID)]


Pages = BoundedLimitOffsetPagination


# ------------------------------------------------------------------ schemas out


class PersonOut(Schema):
    id: int
    username: str
    name: str
    title: str


def _person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": str(user), "title": user.title}


class TeamMemberOut(Schema):
    id: int
    name: str
    duty: str
    department_code: str | None
    username: str | None

    @staticmethod
    def resolve_department_code(obj: TeamMember) -> str | None:
        return obj.department.code if obj.department else None

    @staticmethod
    def resolve_username(obj: TeamMember) -> str | None:
        return obj.user.username if obj.user else None


class PhotoOut(Schema):
    id: int
    caption: str
    url: str = Field(..., description="下载地址（API）")
    page_url: str = Field(..., description="网页中的地址")

    @staticmethod
    def resolve_url(obj: VisitPhoto) -> str:
        return f"/api/v1/stewards/photos/{obj.pk}"

    @staticmethod
    def resolve_page_url(obj: VisitPhoto) -> str:
        return reverse("stewards:photo", args=[obj.pk])


class VisitOut(Schema):
    id: int
    project_id: int
    kind: str = Field(..., description="site | phone | city_team | county_team")
    kind_label: str
    date: datetime.date
    visitors: str
    notes: str
    photos: list[PhotoOut]

    @staticmethod
    def resolve_kind_label(obj: Visit) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_photos(obj: Visit) -> list[VisitPhoto]:
        return list(obj.photos.all())


class ProblemOut(Schema):
    id: int
    project_id: int
    project_name: str
    title: str
    description: str
    owner_department_code: str
    owner_department_name: str
    raised_on: datetime.date
    due_date: datetime.date
    status: str = Field(..., description="open（未销号）| closed（已销号）")
    overdue: bool = Field(..., description="未销号且办结时限早于今天")
    days_overdue: int
    closed_on: datetime.date | None
    resolution: str

    @staticmethod
    def resolve_project_name(obj: Problem) -> str:
        return obj.project.name

    @staticmethod
    def resolve_owner_department_code(obj: Problem) -> str:
        return obj.owner_department.code

    @staticmethod
    def resolve_owner_department_name(obj: Problem) -> str:
        return obj.owner_department.name

    @staticmethod
    def resolve_overdue(obj: Problem) -> bool:
        return steward_queries.is_overdue(obj)

    @staticmethod
    def resolve_days_overdue(obj: Problem) -> int:
        return steward_queries.days_overdue(obj)


class StewardProjectOut(Schema):
    id: int
    code: str
    name: str
    area_code: str
    area_name: str
    status: str
    total_investment: Money = Field(..., description="总投资（元）")
    leader: PersonOut | None
    leader_since: datetime.date | None
    open_problems: int
    overdue_problems: int
    closed_problems: int
    last_visit: datetime.date | None
    visits_this_year: int
    visits: dict[str, int] = Field(
        ..., description="各类走访次数：site, phone, city_team, county_team"
    )

    @staticmethod
    def resolve_area_code(obj: Project) -> str:
        return obj.area.code

    @staticmethod
    def resolve_area_name(obj: Project) -> str:
        return obj.area.name

    @staticmethod
    def resolve_total_investment(obj: Project) -> Decimal:
        return to_cent(obj.total_investment)

    @staticmethod
    def resolve_leader(obj: Project) -> dict[str, Any] | None:
        stewardship = getattr(obj, "stewardship", None)
        return _person(stewardship.leader) if stewardship else None

    @staticmethod
    def resolve_leader_since(obj: Project) -> datetime.date | None:
        stewardship = getattr(obj, "stewardship", None)
        return stewardship.since if stewardship else None

    @staticmethod
    def resolve_visits(obj: Any) -> dict[str, int]:
        return {kind: getattr(obj, f"visits_{kind}") for kind in VisitKind.values}


class SeriesPointOut(Schema):
    period: str = Field(..., description="YYYY-MM")
    investment: Money
    cumulative: Money
    planned_cumulative: Money


class MilestoneOut(Schema):
    date: datetime.date
    status: str
    note: str


class StewardSheetOut(Schema):
    project: StewardProjectOut
    team: list[TeamMemberOut]
    milestones: list[MilestoneOut]
    series: list[SeriesPointOut] = Field(..., description="计划与实际累计投资，按月（元）")
    problems: list[ProblemOut]
    visits: list[VisitOut]


class TotalsOut(Schema):
    until: datetime.date
    projects: int
    leaders: int
    total_investment: Money
    visits: dict[str, int]
    visits_total: int
    problems_total: int
    problems_closed: int
    problems_open: int
    problems_overdue: int


# ------------------------------------------------------------------ schemas in


class LeaderIn(Schema):
    username: str = Field(..., min_length=1, max_length=150, description="包保领导的用户名")
    since: SaneDate


class TeamMemberIn(Schema):
    username: str | None = Field(None, max_length=150, description="平台用户（可不填）")
    name: str = Field("", max_length=64)
    duty: str = Field("", max_length=128)
    department_code: str | None = Field(None, max_length=32)


class VisitIn(Schema):
    kind: VisitKind
    date: SaneDate
    visitors: str = Field(..., max_length=255, description="参加人员")
    notes: str = Field("", max_length=5000)


class ProblemIn(Schema):
    title: str = Field(..., max_length=200)
    description: str = Field("", max_length=5000)
    owner_department_code: str = Field(..., max_length=32, description="责任部门代码")
    due_date: SaneDate


class CloseIn(Schema):
    resolution: str = Field(..., max_length=5000, description="解决情况（必填）")
    closed_on: SaneDate | None = Field(None, description="销号日期，默认今天")


class ReopenIn(Schema):
    reason: str = Field(..., max_length=200)


# ------------------------------------------------------------------ helpers


def _department(code: str | None, field: str) -> Department | None:
    if not code:
        return None
    department = Department.objects.filter(code=code).first()
    if department is None:
        raise DomainError("部门代码不存在", {field: f"部门代码“{code}”不存在"})
    return department


def _user(username: str | None, field: str) -> Any:
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise DomainError("用户不存在", {field: f"用户“{username}”不存在"})
    return user


def _projects(request: HttpRequest) -> Any:
    return steward_queries.annotate_workload(
        Project.objects.select_related("area", "stewardship__leader")
    )


def _project(request: HttpRequest, project_id: int) -> Project:
    project: Project = scoping.get_for_user(request.user, _projects(request), pk=project_id)
    return project


def _problems(request: HttpRequest) -> Any:
    return scoping.visible(
        request.user, Problem.objects.select_related("project", "owner_department")
    )


def _series(project: Project) -> list[dict[str, Any]]:
    return [
        {
            "period": str(row["period"]),
            "investment": to_cent(row["investment"]),
            "cumulative": to_cent(row["cumulative"]),
            "planned_cumulative": to_cent(row["planned_cumulative"]),
        }
        for row in queries.monthly_series(project=project, until=Period.of(clock.today()))
    ]


# ------------------------------------------------------------------ projects


@router.get("", response=list[StewardProjectOut])
@paginate(Pages)
def list_steward_projects(
    request: HttpRequest,
    area: str | None = None,
    leader: str | None = None,
    mine: bool = False,
) -> Any:
    """Projects with a leader (包保领导) the user may see; `mine` = led by or teamed with me."""
    qs = scoping.visible(
        request.user, _projects(request).filter(queries.not_voided(), stewardship__isnull=False)
    )
    qs = filter_given(qs, area__code=area, stewardship__leader__username=leader)
    if mine:
        qs = qs.filter(pk__in=steward_queries.own_steward_project_ids(request.user))
    return qs.order_by("id")


@router.get("/totals", response=TotalsOut)
def steward_totals(request: HttpRequest, until: datetime.date | None = None) -> Any:
    """走访 by kind and problems solved/open/overdue over the steward projects in scope."""
    day = until or clock.today()
    projects = scoping.visible(request.user, Project.objects.filter(stewardship__isnull=False))
    totals = steward_queries.steward_totals(projects=projects, until=day)
    return {**totals, "until": day, "total_investment": to_cent(totals["total_investment"])}


@router.get("/projects/{project_id}", response=StewardSheetOut)
def steward_sheet(request: HttpRequest, project_id: RecordId) -> Any:
    """The project's 一张图表: leader, team, milestones, planned vs actual, problems, visits."""
    project = _project(request, project_id)
    team = scoping.visible(
        request.user,
        TeamMember.objects.filter(project=project).select_related("department", "user"),
    )
    visits = scoping.visible(
        request.user, Visit.objects.filter(project=project).prefetch_related("photos")
    ).order_by("-date", "-pk")
    problems = _problems(request).filter(project=project).order_by("status", "due_date", "pk")
    return {
        "project": project,
        "team": list(team),
        "milestones": [
            {"date": m.date, "status": m.status, "note": m.note}
            for m in project.status_changes.order_by("date", "pk")
        ],
        "series": _series(project),
        "problems": list(problems),
        "visits": list(visits),
    }


@router.put("/projects/{project_id}/leader", response=StewardProjectOut)
def assign_leader(request: HttpRequest, project_id: RecordId, payload: LeaderIn) -> Any:
    """指定或更换包保领导 (city administrators and department staff)."""
    project = _project(request, project_id)
    leader = _user(payload.username, "username")
    services.stewardship_assign(
        user=request.user, project=project, leader=leader, since=payload.since
    )
    return _project(request, project_id)


@router.post("/projects/{project_id}/team", response={201: TeamMemberOut})
def add_team_member(
    request: HttpRequest, project_id: RecordId, payload: TeamMemberIn
) -> Status[Any]:
    project = _project(request, project_id)
    member = services.team_member_add(
        user=request.user,
        project=project,
        member_user=_user(payload.username, "username"),
        name=payload.name,
        duty=payload.duty,
        department=_department(payload.department_code, "department_code"),
    )
    return Status(201, member)


@router.delete("/team/{member_id}", response={204: None})
def remove_team_member(request: HttpRequest, member_id: RecordId) -> Status[None]:
    member = scoping.get_for_user(request.user, TeamMember, Action.DELETE, pk=member_id)
    services.team_member_remove(user=request.user, member=member)
    return Status(204, None)


# ------------------------------------------------------------------ visits and photos


@router.get("/visits", response=list[VisitOut])
@paginate(Pages)
def list_visits(
    request: HttpRequest,
    project: QueryId = None,
    kind: VisitKind | None = None,
    area: str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> Any:
    qs = scoping.visible(request.user, Visit.objects.prefetch_related("photos"))
    qs = filter_given(
        qs,
        project_id=project,
        kind=kind,
        project__area__code=area,
        date__gte=date_from,
        date__lte=date_to,
    )
    return qs.order_by("-date", "-id")


@router.post("/projects/{project_id}/visits", response={201: VisitOut})
def record_visit(request: HttpRequest, project_id: RecordId, payload: VisitIn) -> Status[Any]:
    """登记走访; add photos afterwards with POST /visits/{id}/photos (multipart)."""
    project = _project(request, project_id)
    visit = services.visit_record(
        user=request.user,
        project=project,
        kind=payload.kind.value,
        date=payload.date,
        visitors=payload.visitors,
        notes=payload.notes,
    )
    return Status(201, visit)


@router.post("/visits/{visit_id}/photos", response={201: list[PhotoOut]})
def add_visit_photos(
    request: HttpRequest, visit_id: RecordId, photos: File[list[UploadedFile]]
) -> Status[Any]:
    """Photos of a visit (multipart, field `photos`): JPEG, PNG or WebP, up to 10 MB each."""
    visit = scoping.get_for_user(request.user, Visit.objects.select_related("project"), pk=visit_id)
    return Status(201, services.visit_add_photos(user=request.user, visit=visit, photos=photos))


@router.get(
    "/photos/{photo_id}",
    response={200: None},
    openapi_extra={"responses": {200: {"description": "图片", "content": {"image/*": {}}}}},
)
def get_photo(request: HttpRequest, photo_id: RecordId) -> Any:
    return photo_file(scoping.get_for_user(request.user, VisitPhoto, pk=photo_id))


# ------------------------------------------------------------------ problems


@router.get("/problems", response=list[ProblemOut])
@paginate(Pages)
def list_problems(
    request: HttpRequest,
    status: ProblemStatus | None = None,
    overdue: bool | None = None,
    department: str | None = None,
    area: str | None = None,
    project: QueryId = None,
) -> Any:
    """Problems in scope; `overdue=true` = open and past the due date."""
    qs = _problems(request)
    if status:
        qs = qs.filter(status=status)
    if overdue is not None:
        qs = (
            qs.filter(steward_queries.overdue_q())
            if overdue
            else qs.exclude(steward_queries.overdue_q())
        )
    qs = filter_given(
        qs,
        owner_department__code=department,
        project__area__code=area,
        project_id=project,
    )
    return qs.order_by("due_date", "id")


@router.post("/projects/{project_id}/problems", response={201: ProblemOut})
def raise_problem(request: HttpRequest, project_id: RecordId, payload: ProblemIn) -> Status[Any]:
    project = _project(request, project_id)
    department = _department(payload.owner_department_code, "owner_department_code")
    if department is None:
        raise DomainError("请填写责任部门", {"owner_department_code": "请填写责任部门代码"})
    problem = services.problem_raise(
        user=request.user,
        project=project,
        title=payload.title,
        description=payload.description,
        owner_department=department,
        due_date=payload.due_date,
    )
    return Status(201, problem)


def _problem(request: HttpRequest, problem_id: int) -> Problem:
    problem: Problem = scoping.get_for_user(request.user, _problems(request), pk=problem_id)
    return problem


@router.post("/problems/{problem_id}/close", response=ProblemOut)
def close_problem(request: HttpRequest, problem_id: RecordId, payload: CloseIn) -> Any:
    """销号: one problem with its resolution; closing a closed problem is refused (400)."""
    problem = _problem(request, problem_id)
    services.problem_close(
        user=request.user,
        problem=problem,
        resolution=payload.resolution,
        closed_on=payload.closed_on,
    )
    return _problem(request, problem_id)


@router.post("/problems/{problem_id}/reopen", response=ProblemOut)
def reopen_problem(request: HttpRequest, problem_id: RecordId, payload: ReopenIn) -> Any:
    problem = _problem(request, problem_id)
    services.problem_reopen(user=request.user, problem=problem, reason=payload.reason)
    return _problem(request, problem_id)
