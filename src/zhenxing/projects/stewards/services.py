"""项目管家 (project stewards): every write (the reads are in `stewards.queries`).

"一个项目、一位领导、一个团队、一张图表、一抓到底": a key project gets one leader
(`Stewardship`), a support team (`TeamMember`), a log of visits with photos (`Visit`,
`VisitPhoto`) and a list of problems closed one by one with a resolution (`Problem`).

Every write takes the acting user, checks scope through `core.scoping`, runs in one
transaction and is saved with `core.services.save_audited`. Refusals raise
`DomainError` with Chinese messages naming the field.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction

from zhenxing.core import clock, scoping
from zhenxing.core.models import Department, RoleAssignment
from zhenxing.core.roles import Action, Role
from zhenxing.core.services import DomainError, delete_audited, save_audited
from zhenxing.projects.models import (
    Problem,
    ProblemStatus,
    Project,
    Stewardship,
    TeamMember,
    Visit,
    VisitKind,
    VisitPhoto,
)
from zhenxing.projects.stewards.queries import VISIT_KINDS

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS_PER_VISIT = 20

# content type -> file extension, for the formats a visit photo may have
PHOTO_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


# ------------------------------------------------------------------ helpers


def _project_values(project: Project) -> dict[str, Any]:
    """The scope fields of a new record that hangs off `project` (for CREATE checks)."""
    return {"project__area": project.area_id, "project": project.pk}


def _save(
    obj: models.Model,
    *,
    user: Any,
    reason: str = "",
    what: str,
    authorised_by: models.Model | None = None,
) -> None:
    """save_audited, with model validation errors turned into a DomainError."""
    try:
        save_audited(obj, user=user, reason=reason, authorised_by=authorised_by)
    except ValidationError as exc:
        errors = {k: "；".join(str(m) for m in v) for k, v in exc.message_dict.items()}
        raise DomainError(f"{what}信息有误", errors) from exc


def _required_text(value: Any, field: str, label: str, max_length: int | None = None) -> str:
    text = str(value or "").strip()
    if not text:
        raise DomainError(f"请填写{label}", {field: f"请填写{label}"})
    if max_length is not None and len(text) > max_length:
        message = f"{label}不能超过 {max_length} 个字"
        raise DomainError(message, {field: message})
    return text


def _date(value: Any, field: str, label: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    message = f"请填写{label}（如 2024-05-31）"
    raise DomainError(message, {field: message})


# ------------------------------------------------------------------ stewardship and team


def _grant_steward_role(*, user: Any, leader: Any, stewardship: Stewardship) -> None:
    """The leader of a project must hold the steward role; add it, audited, when missing.

    This is part of the assignment the acting user is allowed to make (checked on
    `Stewardship`), not a general right to manage roles.
    """
    if RoleAssignment.objects.filter(user=leader, role=Role.STEWARD).exists():
        return
    assignment = RoleAssignment(user=leader, role=Role.STEWARD)
    _save(
        assignment,
        user=user,
        reason="指定为项目管家（包保领导）",
        what="角色",
        authorised_by=stewardship,
    )
    scoping.forget_grants(leader)


def _check_leader(leader: Any) -> None:
    if leader is None:
        raise DomainError("请选择包保领导", {"leader": "请选择包保领导"})
    if not leader.is_active:
        message = f"用户“{leader}”已停用，不能担任包保领导"
        raise DomainError(message, {"leader": message})
    if scoping.is_enterprise_user(leader):
        message = f"“{leader}”是企业用户，不能担任包保领导"
        raise DomainError(message, {"leader": message})


@transaction.atomic
def stewardship_assign(
    *, user: Any, project: Project, leader: Any, since: datetime.date | str
) -> Stewardship:
    """Make `leader` the project's steward (包保领导) from `since`: one leader per project.

    Only city administrators and department staff may assign. A project that has a
    leader already gets the new one (the change is audited); the same leader twice is
    refused. The leader is given the steward role if it does not hold it.
    """
    since = _date(since, "since", "开始日期")
    _check_leader(leader)
    current = Stewardship.objects.select_for_update().filter(project=project).first()
    if current is None:
        scoping.require(user, Action.CREATE, model=Stewardship, values=_project_values(project))
        stewardship = Stewardship(project=project, leader=leader, since=since)
        reason = "指定包保领导"
    else:
        scoping.require(user, Action.CHANGE, current)
        if current.leader_id == leader.pk:
            message = f"“{leader}”已是该项目的包保领导"
            raise DomainError(message, {"leader": message})
        if since < current.since:
            message = f"更换日期不能早于原包保领导的开始日期（{current.since:%Y-%m-%d}）"
            raise DomainError(message, {"since": message})
        previous = current.leader
        current.leader = leader
        current.since = since
        stewardship = current
        reason = f"更换包保领导（原为 {previous}）"
    _grant_steward_role(user=user, leader=leader, stewardship=stewardship)
    _save(stewardship, user=user, reason=reason, what="包保领导")
    scoping.forget_grants(leader)
    return stewardship


@transaction.atomic
def team_member_add(
    *,
    user: Any,
    project: Project,
    member_user: Any | None = None,
    name: str = "",
    duty: str = "",
    department: Department | None = None,
) -> TeamMember:
    """Add a person to the project's support team (帮办团队): a user, or a named person."""
    scoping.require(user, Action.CREATE, model=TeamMember, values=_project_values(project))
    if member_user is not None:
        if not member_user.is_active:
            message = f"用户“{member_user}”已停用"
            raise DomainError(message, {"member_user": message})
        if TeamMember.objects.filter(project=project, user=member_user).exists():
            message = f"“{member_user}”已在帮办团队中"
            raise DomainError(message, {"member_user": message})
        name = (name or "").strip() or str(member_user)
    name = _required_text(name, "name", "姓名", 64)
    member = TeamMember(
        project=project,
        user=member_user,
        name=name,
        duty=(duty or "").strip(),
        department=department,
    )
    _save(member, user=user, reason="加入帮办团队", what="团队成员")
    if member_user is not None:
        scoping.forget_grants(member_user)
    return member


@transaction.atomic
def team_member_remove(*, user: Any, member: TeamMember, reason: str = "") -> None:
    """Take a person off the support team (audited)."""
    member_user = member.user
    delete_audited(member, user=user, reason=reason or "移出帮办团队")
    if member_user is not None:
        scoping.forget_grants(member_user)


# ------------------------------------------------------------------ visits and photos


def photo_type(upload: Any) -> str | None:
    """The image type from the file's first bytes (never from its name): jpeg, png, webp."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if isinstance(head, str):  # a text-mode file is never an image
        return None
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_photos(photos: Sequence[Any], *, already: int = 0) -> list[tuple[Any, str]]:
    """Each upload with its detected type; refuse anything but JPEG/PNG/WebP up to 10 MB."""
    if already + len(photos) > MAX_PHOTOS_PER_VISIT:
        message = f"一次走访最多 {MAX_PHOTOS_PER_VISIT} 张照片"
        raise DomainError(message, {"photos": message})
    checked = []
    for upload in photos:
        name = getattr(upload, "name", "") or "照片"
        size = getattr(upload, "size", None)
        if size is None:
            upload.seek(0, 2)
            size = upload.tell()
            upload.seek(0)
        if size == 0:
            message = f"照片“{name}”是空文件"
            raise DomainError(message, {"photos": message})
        if size > MAX_PHOTO_BYTES:
            message = f"照片“{name}”有 {size / 1024 / 1024:.1f} MB，超过 10 MB 的上限"
            raise DomainError(message, {"photos": message})
        kind = photo_type(upload)
        if kind is None:
            message = f"“{name}”不是 JPEG、PNG 或 WebP 格式的图片"
            raise DomainError(message, {"photos": message})
        checked.append((upload, kind))
    return checked


def _store_photos(
    *, user: Any, visit: Visit, checked: Iterable[tuple[Any, str]]
) -> list[VisitPhoto]:
    stored = []
    for upload, kind in checked:
        photo = VisitPhoto(visit=visit)
        # the stored name comes from the detected type, never from the uploaded name
        photo.file.save(f"{uuid.uuid4().hex}{PHOTO_TYPES[kind]}", upload, save=False)
        _save(photo, user=user, reason="上传走访照片", what="照片")
        stored.append(photo)
    return stored


@transaction.atomic
def visit_record(
    *,
    user: Any,
    project: Project,
    kind: str,
    date: datetime.date | str,
    visitors: str,
    notes: str = "",
    photos: Sequence[UploadedFile] = (),
) -> Visit:
    """Log a visit (领导现场调研, 电话调研, 市/县区团队现场调研) with optional photos."""
    scoping.require(user, Action.CREATE, model=Visit, values=_project_values(project))
    if kind not in VISIT_KINDS:
        message = "请选择走访类型：" + "、".join(str(label) for label in VisitKind.labels)
        raise DomainError(message, {"kind": message})
    if not scoping.can(
        user, Action.CREATE, model=Visit, values={**_project_values(project), "kind": kind}
    ):
        raise scoping.PermissionDenied(
            f"您不能登记“{VisitKind(kind).label}”：领导调研由市里或项目管家登记"
        )
    date = _date(date, "date", "走访日期")
    today = clock.today()
    if date > today:
        message = f"走访日期 {date:%Y-%m-%d} 晚于今天（{today:%Y-%m-%d}），不能登记未来的走访"
        raise DomainError(message, {"date": message})
    visitors = _required_text(visitors, "visitors", "参加人员", 255)
    checked = check_photos(list(photos))
    visit = Visit(
        project=project,
        kind=kind,
        date=date,
        visitors=visitors,
        notes=(notes or "").strip(),
        recorded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    _save(visit, user=user, reason="登记走访", what="走访")
    _store_photos(user=user, visit=visit, checked=checked)
    return visit


@transaction.atomic
def visit_add_photos(
    *, user: Any, visit: Visit, photos: Sequence[UploadedFile]
) -> list[VisitPhoto]:
    """Attach more photos to a visit already logged."""
    scoping.require(user, Action.CHANGE, visit)
    scoping.require(
        user,
        Action.CREATE,
        model=VisitPhoto,
        values={"visit__project__area": visit.project.area_id, "visit__project": visit.project_id},
    )
    if not photos:
        raise DomainError("请选择要上传的照片", {"photos": "请选择要上传的照片"})
    checked = check_photos(list(photos), already=visit.photos.count())
    return _store_photos(user=user, visit=visit, checked=checked)


# ------------------------------------------------------------------ problems


@transaction.atomic
def problem_raise(
    *,
    user: Any,
    project: Project,
    title: str,
    description: str = "",
    owner_department: Department | None,
    due_date: datetime.date | str,
) -> Problem:
    """Put a problem on the project's list, owned by a department, with a due date."""
    scoping.require(user, Action.CREATE, model=Problem, values=_project_values(project))
    title = _required_text(title, "title", "问题", 200)
    if owner_department is None:
        raise DomainError("请选择责任部门", {"owner_department": "请选择责任部门"})
    due_date = _date(due_date, "due_date", "办结时限")
    today = clock.today()
    if due_date < today:
        message = f"办结时限 {due_date:%Y-%m-%d} 早于今天（{today:%Y-%m-%d}）"
        raise DomainError(message, {"due_date": message})
    problem = Problem(
        project=project,
        title=title,
        description=(description or "").strip(),
        owner_department=owner_department,
        raised_on=today,
        due_date=due_date,
        status=ProblemStatus.OPEN,
        raised_by=user if getattr(user, "is_authenticated", False) else None,
    )
    _save(problem, user=user, reason="提出问题", what="问题")
    return problem


def _locked(problem: Problem) -> Problem:
    """The problem re-read under a row lock, so two people cannot close it twice."""
    return Problem.objects.select_for_update().select_related("project").get(pk=problem.pk)


@transaction.atomic
def problem_close(
    *, user: Any, problem: Problem, resolution: str, closed_on: datetime.date | str | None = None
) -> Problem:
    """销号: close one problem with its resolution. Closing a closed problem is refused."""
    scoping.require(user, Action.CHANGE, problem)
    current = _locked(problem)
    if current.status == ProblemStatus.CLOSED:
        message = f"该问题已于 {current.closed_on:%Y-%m-%d} 销号，不能重复销号"
        raise DomainError(message, {"status": message})
    resolution = _required_text(resolution, "resolution", "解决情况")
    today = clock.today()
    closed_on = today if closed_on in (None, "") else _date(closed_on, "closed_on", "销号日期")
    if closed_on > today:
        message = f"销号日期 {closed_on:%Y-%m-%d} 晚于今天（{today:%Y-%m-%d}）"
        raise DomainError(message, {"closed_on": message})
    if closed_on < current.raised_on:
        message = f"销号日期不能早于问题提出日期（{current.raised_on:%Y-%m-%d}）"
        raise DomainError(message, {"closed_on": message})
    current.status = ProblemStatus.CLOSED
    current.resolution = resolution
    current.closed_on = closed_on
    _save(current, user=user, reason="销号", what="问题")
    problem.refresh_from_db()
    return current


@transaction.atomic
def problem_reopen(*, user: Any, problem: Problem, reason: str) -> Problem:
    """Reopen a closed problem (the resolution did not hold); needs a reason."""
    scoping.require(user, Action.CHANGE, problem)
    current = _locked(problem)
    if current.status != ProblemStatus.CLOSED:
        message = "该问题尚未销号，无需重新打开"
        raise DomainError(message, {"status": message})
    reason = _required_text(reason, "reason", "重新打开的原因", 200)
    current.status = ProblemStatus.OPEN
    current.closed_on = None
    current.resolution = ""
    _save(current, user=user, reason=f"重新打开：{reason}", what="问题")
    problem.refresh_from_db()
    return current
