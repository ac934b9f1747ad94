import datetime
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from zhenxing.core import audit, scoping
from zhenxing.core.api import AuditOut
from zhenxing.core.models import Area, Industry
from zhenxing.core.pagination import BoundedLimitOffsetPagination
from zhenxing.core.services import DomainError
from zhenxing.enterprises import services
from zhenxing.enterprises.models import Enterprise, Ownership, SizeClass

router = Router(tags=["enterprises"])


class EnterpriseOut(Schema):
    id: int
    uscc: str
    name: str
    area_code: str
    industry_code: str | None
    address: str
    ownership: str
    size_class: str
    registration_date: datetime.date | None
    above_size_since: datetime.date | None

    @staticmethod
    def resolve_area_code(obj: Enterprise) -> str:
        return obj.area.code

    @staticmethod
    def resolve_industry_code(obj: Enterprise) -> str | None:
        return obj.industry_id


class EnterpriseIn(Schema):
    uscc: str = Field(..., max_length=32, description="统一社会信用代码")
    name: str = Field(..., min_length=1, max_length=128)
    area_code: str = Field(..., max_length=12)
    industry_code: str | None = Field(None, max_length=8)
    address: str = Field("", max_length=255)
    ownership: Ownership = Ownership.PRIVATE
    size_class: SizeClass = SizeClass.SMALL
    registration_date: datetime.date | None = None
    above_size_since: datetime.date | None = None


class EnterprisePatch(Schema):
    uscc: str | None = Field(None, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=128)
    area_code: str | None = Field(None, max_length=12)
    industry_code: str | None = Field(None, max_length=8)
    address: str | None = Field(None, max_length=255)
    ownership: Ownership | None = None
    size_class: SizeClass | None = None
    registration_date: datetime.date | None = None
    above_size_since: datetime.date | None = None


def _resolve(values: dict[str, Any]) -> dict[str, Any]:
    """Turn codes into records, naming the field when a code is unknown."""
    out = dict(values)
    if "area_code" in out:
        code = out.pop("area_code")
        area = Area.objects.filter(code=code).first()
        if area is None:
            raise DomainError("区域代码不存在", {"area_code": f"区域代码“{code}”不存在"})
        out["area"] = area
    if "industry_code" in out:
        code = out.pop("industry_code")
        if code:
            industry = Industry.objects.filter(code=code).first()
            if industry is None:
                raise DomainError(
                    "行业代码不存在", {"industry_code": f"GB/T 4754-2017 中没有代码“{code}”"}
                )
            out["industry"] = industry
        else:
            out["industry"] = None
    return out


@router.get("", response=list[EnterpriseOut])
@paginate(BoundedLimitOffsetPagination)
def list_enterprises(request: HttpRequest, area: str | None = None, q: str | None = None) -> Any:
    qs = scoping.visible(request.user, Enterprise.objects.select_related("area")).order_by("id")
    if area:
        qs = qs.filter(area__code=area)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(uscc__icontains=q))
    return qs


@router.get("/{enterprise_id}", response=EnterpriseOut)
def get_enterprise(request: HttpRequest, enterprise_id: int) -> Any:
    return scoping.get_for_user(
        request.user, Enterprise.objects.select_related("area"), pk=enterprise_id
    )


@router.post("", response={201: EnterpriseOut})
def create_enterprise(request: HttpRequest, payload: EnterpriseIn) -> tuple[int, Any]:
    values = _resolve(payload.dict())
    try:
        enterprise = services.enterprise_create(user=request.user, **values)
    except scoping.PermissionDenied:
        raise
    return 201, enterprise


@router.patch("/{enterprise_id}", response=EnterpriseOut)
def update_enterprise(request: HttpRequest, enterprise_id: int, payload: EnterprisePatch) -> Any:
    enterprise = scoping.get_for_user(request.user, Enterprise, pk=enterprise_id)
    values = _resolve(payload.dict(exclude_unset=True))
    return services.enterprise_update(user=request.user, enterprise=enterprise, **values)


@router.get("/{enterprise_id}/history", response=list[AuditOut])
def enterprise_history(request: HttpRequest, enterprise_id: int) -> Any:
    enterprise = scoping.get_for_user(request.user, Enterprise, pk=enterprise_id)
    return audit.entries_for(enterprise).select_related("area", "content_type")[:500]
