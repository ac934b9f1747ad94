"""Reference data, identifier validation, the audit log, tokens, the current user."""

import datetime
from typing import Any, Literal, cast

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from zhenxing.clusters.models import ClusterScheme
from zhenxing.core import clock, scoping, tokens
from zhenxing.core.audit_display import readable_changes
from zhenxing.core.codes import registry as code_registry
from zhenxing.core.codes.errors import CodeError
from zhenxing.core.models import ApiToken, Area, AuditEntry, Department, Industry
from zhenxing.core.money import Money
from zhenxing.core.pagination import BoundedLimitOffsetPagination, filter_given

router = Router(tags=["reference"])


class AreaOut(Schema):
    code: str
    name: str
    name_en: str
    kind: str
    parent_code: str | None = Field(None, description="上级（县区）或园区所在县区的代码")
    gb2260_code: str | None = Field(None, description="GB/T 2260 代码；园区没有")

    @staticmethod
    def resolve_parent_code(obj: Area) -> str | None:
        return obj.parent.code if obj.parent else None

    @staticmethod
    def resolve_gb2260_code(obj: Area) -> str | None:
        return obj.gb2260_code


class DepartmentOut(Schema):
    code: str
    name: str
    short_name: str
    name_en: str


class ClusterOut(Schema):
    code: str
    name: str
    name_en: str
    tier: str
    tier_en: str
    target_scale: Money | None = Field(..., description="目标规模（元）")
    target_year: int | None

    @staticmethod
    def resolve_tier(obj: Any) -> str:
        return str(obj.tier.name)

    @staticmethod
    def resolve_tier_en(obj: Any) -> str:
        return str(obj.tier.name_en)


class SchemeOut(Schema):
    code: str
    name: str
    short_name: str
    name_en: str
    short_name_en: str
    valid_from: datetime.date
    valid_to: datetime.date | None
    source: str
    clusters: list[ClusterOut]

    @staticmethod
    def resolve_clusters(obj: ClusterScheme) -> list[Any]:
        return list(obj.clusters.select_related("tier").order_by("tier__sort_order", "sort_order"))


class IndustryOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None

    @staticmethod
    def resolve_parent_code(obj: Industry) -> str | None:
        return obj.parent.code if obj.parent else None


class CodeCheckOut(Schema):
    kind: str
    value: str
    valid: bool
    normalized: str | None = None
    message: str | None = None
    message_en: str | None = None


class AuditChangeOut(Schema):
    """One field before → after, formatted as the pages show it (a choice by its label,
    an amount with its unit, a moment in Asia/Shanghai); None: nothing was there."""

    field: str
    label: str
    old: str | None
    new: str | None


class AuditOut(Schema):
    id: int
    timestamp: datetime.datetime
    actor: str
    action: str
    record_type: str | None = Field(description="记录的类型；与某条记录无关的事件（如备份）为空")
    object_id: str
    object_repr: str
    area_code: str | None
    changes: list[AuditChangeOut]
    reason: str
    address: str | None = Field(None, description="来源地址（客户端 IP）")

    @staticmethod
    def resolve_timestamp(obj: AuditEntry) -> datetime.datetime:
        return clock.local(obj.timestamp)  # Asia/Shanghai, with its offset

    @staticmethod
    def resolve_actor(obj: AuditEntry) -> str:
        return obj.actor_name

    @staticmethod
    def resolve_changes(obj: AuditEntry) -> list[dict[str, str | None]]:
        """As the pages show them: labels and values in the reader's language."""
        return readable_changes(obj)

    @staticmethod
    def resolve_record_type(obj: AuditEntry) -> str | None:
        if obj.content_type is None:
            return None
        return f"{obj.content_type.app_label}.{obj.content_type.model}"

    @staticmethod
    def resolve_area_code(obj: AuditEntry) -> str | None:
        return obj.area.code if obj.area else None

    @staticmethod
    def resolve_address(obj: AuditEntry, context: Any) -> str | None:
        """For administrators only (`scoping.sees_client_addresses`)."""
        return obj.address if scoping.sees_client_addresses(context["request"].user) else None


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[str]
    area_codes: list[str]
    department_codes: list[str]


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime.datetime
    expires_at: datetime.datetime | None = Field(description="到期时间；到期后令牌失效")
    last_used_at: datetime.datetime | None = Field(description="最近使用（每分钟至多记一次）")
    revoked_at: datetime.datetime | None


class TokenIn(Schema):
    name: str = Field("", max_length=64)
    days: int | None = Field(None, ge=1, le=3650, description="有效天数，默认 90")


class TokenCreatedOut(TokenOut):
    token: str = Field(description="只显示这一次")


@router.get("/me", response=MeOut, tags=["account"])
def me(request: HttpRequest) -> dict[str, Any]:
    grants = scoping.grants_for(request.user)
    return {
        "username": request.user.username,
        "display_name": getattr(request.user, "display_name", ""),
        "roles": sorted(grants.roles) or (["admin"] if grants.is_admin else []),
        "area_codes": list(
            Area.objects.filter(pk__in=grants.area_ids).values_list("code", flat=True)
        ),
        "department_codes": list(
            Department.objects.filter(pk__in=grants.department_ids).values_list("code", flat=True)
        ),
    }


@router.get("/areas", response=list[AreaOut])
def list_areas(request: HttpRequest, kind: str | None = None) -> Any:
    qs = scoping.visible(request.user, Area.objects.select_related("parent"))
    if kind:
        qs = qs.filter(kind=kind)
    return qs


@router.get("/areas/{code}", response=AreaOut)
def get_area(request: HttpRequest, code: str) -> Any:
    return scoping.get_for_user(request.user, Area.objects.select_related("parent"), code=code)


@router.get("/departments", response=list[DepartmentOut])
def list_departments(request: HttpRequest) -> Any:
    return scoping.visible(request.user, Department.objects.all())


@router.get("/clusters/schemes", response=list[SchemeOut], tags=["clusters"])
def list_schemes(request: HttpRequest, date: datetime.date | None = None) -> Any:
    """All cluster schemes, or with `date` only the one in force on that day."""
    qs = scoping.visible(request.user, ClusterScheme.objects.all())
    if date is not None:
        qs = qs.filter(valid_from__lte=date).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=date)
        )
    return qs


@router.get("/industries", response=list[IndustryOut])
@paginate(BoundedLimitOffsetPagination)
def list_industries(
    request: HttpRequest,
    level: Literal["section", "division", "group", "class"] | None = None,
    q: str | None = None,
) -> Any:
    qs = scoping.visible(request.user, Industry.objects.select_related("parent"))
    if level:
        qs = qs.filter(level=level)
    if q:
        qs = qs.filter(Q(code__startswith=q) | Q(name__icontains=q))
    return qs


@router.get("/codes/validate", response=CodeCheckOut, tags=["codes"])
def validate_code(
    request: HttpRequest,
    kind: Literal["uscc", "gb2260", "gb4754", "project_code"],
    value: str = Query(..., max_length=64),
) -> dict[str, Any]:
    """Check an identifier; `message` says exactly what is wrong (in Chinese)."""
    try:
        normalized = code_registry.validate(kind, value, today=clock.today())
    except CodeError as exc:
        return {
            "kind": kind,
            "value": value,
            "valid": False,
            "message": exc.message_zh,
            "message_en": exc.message_en,
        }
    return {"kind": kind, "value": value, "valid": True, "normalized": normalized}


@router.get("/audit", response=list[AuditOut], tags=["audit"])
@paginate(BoundedLimitOffsetPagination)
def list_audit(
    request: HttpRequest,
    area: str | None = None,
    action: Literal[
        "create",
        "update",
        "delete",
        "sign_in",
        "sign_in_failed",
        "locked_out",
        "sign_out",
        "session_expired",
        "password_changed",
        "password_reset",
        "token_created",
        "token_revoked",
        "exported",
        "backed_up",
        "restored",
    ]
    | None = None,
    since: datetime.date | None = None,
) -> Any:
    qs = scoping.visible(
        request.user, AuditEntry.objects.select_related("area", "content_type")
    ).order_by("-timestamp", "-id")
    qs = filter_given(qs, area__code=area, action=action, timestamp__date__gte=since)
    return qs


@router.get("/tokens", response=list[TokenOut], tags=["account"])
def list_tokens(request: HttpRequest) -> Any:
    return ApiToken.objects.filter(user_id=cast(int, request.user.pk))


@router.post("/tokens", response={201: TokenCreatedOut}, tags=["account"])
def create_token(request: HttpRequest, payload: TokenIn) -> tuple[int, dict[str, Any]]:
    token, key = tokens.token_create(
        user=request.user, owner=request.user, name=payload.name, days=payload.days
    )
    return 201, {**TokenOut.from_orm(token).dict(), "token": key}


@router.delete("/tokens/{token_id}", response={204: None}, tags=["account"])
def revoke_token(request: HttpRequest, token_id: int) -> tuple[int, None]:
    token = ApiToken.objects.filter(user_id=cast(int, request.user.pk), pk=token_id).first()
    if token is None:
        raise scoping.NotFound()
    tokens.token_revoke(user=request.user, token=token)
    return 204, None
