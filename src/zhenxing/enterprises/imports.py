"""Excel imports (all rows or none): the registry, and yearly facts per source.

The registry sheet builds every row's enterprise first (checked, not saved), then
creates them all in one short transaction (`excel.ImportSpec.build_row`).

Yearly facts: one sheet per source, as the tax, statistics and market-regulation bureaus
publish them — 统一社会信用代码, 年度, optionally 数据日期, then one column per fact headed
with its Chinese label (the rule catalogue's `facts.yaml`). Blank cells leave a value
as it was; derived facts (from tiers or the registration record) have no column."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from zhenxing.core import clock, excel, scoping
from zhenxing.core.codes import gb4754
from zhenxing.core.codes import uscc as uscc_codes
from zhenxing.core.codes.errors import CodeError
from zhenxing.core.models import Area, Industry
from zhenxing.core.roles import Action
from zhenxing.core.services import DomainError
from zhenxing.enterprises import criteria, domain, queries, services
from zhenxing.enterprises.models import (
    Enterprise,
    FactSubmission,
    Ownership,
    SizeClass,
)


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


def _build(row: dict[str, Any], user: Any) -> Enterprise:
    values = {k: v for k, v in row.items() if v not in ("", None)}  # blanks take the defaults
    try:
        return services.enterprise_build(user=user, **values)
    except scoping.PermissionDenied as exc:
        raise excel.CellError(f"area:{exc.message}") from exc
    except DomainError as exc:
        field, message = next(iter(exc.errors.items()), ("name", exc.message))
        raise excel.CellError(f"{field}:{message}") from exc


ENTERPRISE_IMPORT = excel.ImportSpec(
    kind="enterprises",
    title=_("企业名录"),
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
    build_row=_build,
    check_row=_check,
    unique=("uscc",),
    writes=Enterprise,
)


# --------------------------------------------------------------------------------------
# Yearly facts, one sheet per source as the bureaus publish them
# --------------------------------------------------------------------------------------

FACT_KEY = "fact."  # no colon: a CellError reads "key:reason"
UNIQUE_KEY = "统一社会信用代码与年度"


def _year(value: Any) -> int:
    year = excel.integer(value)
    if year is None:
        raise excel.CellError("必填项为空")
    if not services.FIRST_YEAR <= year <= clock.today().year:
        raise excel.CellError(f"年度应在 {services.FIRST_YEAR}–{clock.today().year} 之间")
    return year


def _fact_parser(value_type: str, scale: int) -> Any:
    """A fact's cell → its stored text; money is typed in 万元 and stored in yuan."""

    def parse(value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            if value_type == domain.ValueType.MONEY:
                return domain.canonical_wan(value, scale)
            return domain.canonical(value, value_type, scale)
        except domain.Invalid as exc:
            raise excel.CellError(exc.message) from exc

    return parse


def fact_header(label: str, value_type: str) -> str:
    """A fact's column header: money facts name their unit, 万元."""
    return f"{label}（万元）" if value_type == domain.ValueType.MONEY else label


def _importable_facts() -> list[tuple[str, str, str, int]]:
    """(fact id, column header, value type, scale) of every fact a source can report."""
    out = []
    for fact in criteria.enterprise_facts(queries.catalogue_dir()):
        derivation = domain.DERIVATIONS.get(fact.id, domain.Derivation.STORED)
        if derivation not in domain.IMPORTABLE_DERIVATIONS:
            continue
        kind = "money" if fact.unit == "yuan" else fact.type.value
        out.append((fact.id, fact.label, kind, fact.scale))
    for extra in domain.EXTRA_FACTS:
        out.append(
            (
                extra.id,
                extra.label,
                extra.value_type.value,
                domain.DEFAULT_SCALE.get(extra.value_type, 0),
            )
        )
    return out


def _check_facts(row: dict[str, Any], user: Any) -> list[tuple[str, str]]:
    enterprise = Enterprise.objects.select_related("area").filter(uscc=row["uscc"]).first()
    if enterprise is None:
        return [("uscc", "该统一社会信用代码未在企业名录中登记")]
    row["_enterprise"] = enterprise
    row[UNIQUE_KEY] = f"{row['uscc']} {row['year']}"
    problems = []
    if not scoping.can(
        user,
        Action.CREATE,
        model=FactSubmission,
        values={"enterprise__area": enterprise.area, "enterprise": enterprise},
    ):
        problems.append(("uscc", f"您无权报送“{enterprise.name}”的数据"))
    if not any(v is not None for k, v in row.items() if k.startswith(FACT_KEY)):
        problems.append(("year", "这一行没有任何数据"))
    return problems


def _fact_writer(source: str) -> Any:
    """Every checked row of a source's sheet in one call of `services.facts_record_many`:
    checked first, then written in one short bulk transaction."""

    def write(rows: list[tuple[int, dict[str, Any]]], user: Any) -> list[FactSubmission]:
        items = [
            services.FactItem(
                enterprise=row["_enterprise"],
                year=row["year"],
                values={
                    k[len(FACT_KEY) :]: v
                    for k, v in row.items()
                    if k.startswith(FACT_KEY) and v is not None
                },
                as_of=row.get("as_of"),
            )
            for _index, row in rows
        ]
        try:
            return services.facts_record_many(user=user, source=source, items=items)
        except services.FactsRefused as refused:
            problems = []
            for position, fields in refused.item_errors.items():
                for field, message in fields.items():
                    key = {"enterprise": "uscc", "values": "year"}.get(field, field)
                    if field in items[position].values:
                        key = FACT_KEY + field
                    problems.append((rows[position][0], key, message))
            raise excel.RowsRefused(problems) from refused

    return write


def fact_import_kind(source: domain.Source) -> str:
    """The import of one source's sheet, at /imports/<kind>/."""
    return f"enterprise-facts-{source.value.replace('_', '-')}"


def fact_import_spec(source: domain.Source) -> excel.ImportSpec:
    label = domain.SOURCE_LABELS[source]
    columns = [
        excel.ImportColumn(
            "统一社会信用代码",
            "uscc",
            _uscc,
            required=True,
            example="91210804123456788F",
            help="18 位，须已在企业名录中登记",
        ),
        excel.ImportColumn(
            "年度", "year", _year, required=True, example="2023", help="数据所属的会计年度"
        ),
        excel.ImportColumn(
            "数据日期",
            "as_of",
            excel.date,
            example="2024-03-31",
            help=f"{label}出具数据的日期；不填为导入当天",
        ),
    ]
    for code, header, kind, scale in _importable_facts():
        unit_help = {
            "money": "单位：万元（如 1,234.5），最多六位小数（到分）；系统按元保存",
            "ratio": "比例，如 0.35 表示 35%",
            "integer": "整数",
            "boolean": "是 / 否",
            "date": "日期，如 2024-05-31",
        }.get(kind, "数字" if kind == "decimal" else "")
        columns.append(
            excel.ImportColumn(
                fact_header(header, kind),
                FACT_KEY + code,
                _fact_parser(kind, scale),
                help=unit_help,
            )
        )
    return excel.ImportSpec(
        kind=fact_import_kind(source),
        title=f"企业年度数据（{label}）",
        columns=columns,
        write_rows=_fact_writer(source.value),
        check_row=_check_facts,
        unique=(UNIQUE_KEY,),
        writes=FactSubmission,
        writes_values={"source": source.value},
    )


def fact_import_specs() -> list[excel.ImportSpec]:
    return [fact_import_spec(source) for source in domain.Source]
