"""Import enterprises into the registry from Excel (all rows or none)."""

from __future__ import annotations

from typing import Any

from zhenxing.core import excel, scoping
from zhenxing.core.codes import gb4754
from zhenxing.core.codes import uscc as uscc_codes
from zhenxing.core.codes.errors import CodeError
from zhenxing.core.models import Area, Industry
from zhenxing.core.roles import Action
from zhenxing.core.services import DomainError
from zhenxing.enterprises import services
from zhenxing.enterprises.models import Enterprise, Ownership, SizeClass


def _uscc(value: Any) -> str:
    raw = excel.text(value)
    try:
        return uscc_codes.validate(raw)
    except CodeError as exc:
        raise excel.CellError(str(exc)) from exc


def _area(value: Any) -> Area:
    raw = excel.text(value)
    area = Area.objects.filter(code=raw).first() or Area.objects.filter(name=raw).first()
    if area is None:
        raise excel.CellError(f"没有名称或代码为“{raw}”的区域")
    return area


def _industry(value: Any) -> Industry | None:
    raw = excel.text(value)
    if not raw:
        return None
    try:
        code = gb4754.validate(raw)
    except CodeError as exc:
        raise excel.CellError(str(exc)) from exc
    industry = Industry.objects.filter(code=code).first()
    if industry is None:
        raise excel.CellError(f"GB/T 4754-2017 中没有代码“{raw}”")
    return industry


def _check(row: dict[str, Any], user: Any) -> list[tuple[str, str]]:
    problems = []
    if not scoping.can(user, Action.CREATE, model=Enterprise, values={"area": row["area"]}):
        problems.append(("area", f"您无权在“{row['area'].name}”登记企业"))
    if Enterprise.objects.filter(uscc=row["uscc"]).exists():
        problems.append(("uscc", "该统一社会信用代码已登记"))
    return problems


def _write(row: dict[str, Any], user: Any) -> Enterprise:
    values = {k: v for k, v in row.items() if v not in ("", None)}  # blanks take the defaults
    try:
        return services.enterprise_create(user=user, **values)
    except DomainError as exc:
        field, message = next(iter(exc.errors.items()), ("name", exc.message))
        raise excel.CellError(f"{field}:{message}") from exc


ENTERPRISE_IMPORT = excel.ImportSpec(
    kind="enterprises",
    title="企业名录",
    columns=[
        excel.ImportColumn(
            "统一社会信用代码",
            "uscc",
            _uscc,
            required=True,
            example="91210804123456788F",
            help="18 位，含校验位",
        ),
        excel.ImportColumn(
            "企业名称", "name", excel.text, required=True, example="营口示例精工有限公司"
        ),
        excel.ImportColumn(
            "所在区域",
            "area",
            _area,
            required=True,
            example="鲅鱼圈区",
            help="区域名称或代码（如 210804、P01）",
        ),
        excel.ImportColumn(
            "行业代码", "industry", _industry, example="3311", help="GB/T 4754-2017 代码"
        ),
        excel.ImportColumn("地址", "address", excel.text, example="鲅鱼圈区新港大街 1 号"),
        excel.ImportColumn(
            "所有制",
            "ownership",
            excel.choice({str(label): code for code, label in Ownership.choices}),
            example="民营",
        ),
        excel.ImportColumn(
            "企业规模",
            "size_class",
            excel.choice({str(label): code for code, label in SizeClass.choices}),
            example="小型",
        ),
        excel.ImportColumn("成立日期", "registration_date", excel.date, example="2015-03-01"),
    ],
    write_row=_write,
    check_row=_check,
    unique=("uscc",),
)
