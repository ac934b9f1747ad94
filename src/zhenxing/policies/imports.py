"""A department's list (名单) from Excel: all rows or none.

The sheet holds one row per beneficiary: 统一社会信用代码 (enterprise lists) or 项目代码
(project lists), optionally 名称, and 值. What the list is — the fact, the kind of
beneficiary, the year, the department, the as-of date — comes from the upload page's
form, so the spec is built for each upload (`ListImport`): the 值 column is parsed by
the fact's declaration, codes are looked up among the beneficiaries the user can see
(all codes of the sheet at once), and the whole list is written by one call of
`services.fact_list_save` (`ImportSpec.write_rows`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from zhenxing.core import excel
from zhenxing.core.codes.errors import CodeError
from zhenxing.core.models import Department
from zhenxing.policies import domain, services
from zhenxing.policies.queries import BeneficiaryLookup
from zhenxing.rules.schema import FactDef

KIND = "fact-list"


@dataclass(frozen=True)
class ListHeader:
    """What a list is and who gives it (the upload form's fields)."""

    fact: FactDef
    beneficiary: str
    period: str
    department: Department | None = None
    as_of: datetime.date | None = None
    source_note: str = ""
    name: str = ""

    @property
    def fact_id(self) -> str:
        return self.fact.id


class ListImport:
    """One upload of a list: its spec, and what the check of the sheet found.

    After a successful dry run `values` holds the list (beneficiary id → stored value)
    and `notes` the rows whose name is a former name; `expected_digest` (set before a
    confirmed replacement) makes the write refuse a list that changed since the preview.
    """

    def __init__(self, user: Any, header: ListHeader) -> None:
        self.user = user
        self.header = header
        self.lookup = BeneficiaryLookup(user, header.beneficiary)
        self.codes: list[str] = []
        self.codes_loaded = False
        self.values: dict[int, str] = {}
        self.notes: list[tuple[str, str]] = []  # (code, note)
        self.expected_digest: str | None = None
        self.spec = _spec(
            header.fact,
            header.beneficiary,
            code=self._code,
            check=self._check,
            write=self._write,
        )

    def _code(self, value: Any) -> str:
        raw = excel.text(value)
        if not raw:
            return ""
        try:
            code = self.lookup.normalize(raw)
        except CodeError as exc:
            raise excel.CellError(str(exc)) from exc
        self.codes.append(code)
        return code

    def _check(self, row: dict[str, Any], user: Any) -> list[tuple[str, str]]:
        if not self.codes_loaded:  # every code of the sheet in one go, the first time
            self.lookup.load(self.codes)
            self.codes_loaded = True
        found = self.lookup.find(row["code"], row.get("name") or "")
        if found.pk is None:
            return [(found.column, found.reason)]
        row["beneficiary_id"] = found.pk
        self.values[found.pk] = row["value"]
        if found.note:
            self.notes.append((row["code"], found.note))
        return []

    def _write(self, rows: list[tuple[int, dict[str, Any]]], user: Any) -> services.ListSaved:
        row_of = {row["beneficiary_id"]: index for index, row in rows}
        header = self.header
        assert header.department is not None
        try:
            return services.fact_list_save(
                user=user,
                department=header.department,
                fact_id=header.fact_id,
                period=header.period,
                values={row["beneficiary_id"]: row["value"] for _index, row in rows},
                name=header.name,
                beneficiary=header.beneficiary,
                as_of=header.as_of,
                source_note=header.source_note,
                expected_digest=self.expected_digest,
            )
        except services.ListEntriesError as exc:
            raise excel.RowsRefused(
                [
                    (row_of.get(key, 0), "value" if field == "value" else "code", reason)
                    for key, (field, reason) in exc.entry_errors.items()
                ]
            ) from exc


def template_spec(fact: FactDef, beneficiary: str) -> excel.ImportSpec:
    """The columns of a list of `fact`, for its template (an upload is a `ListImport`)."""

    def refuse(rows: list[tuple[int, dict[str, Any]]], user: Any) -> None:
        raise TypeError("a list is imported through ListImport")

    return _spec(fact, beneficiary, code=excel.text, check=None, write=refuse)


def _spec(
    fact: FactDef,
    beneficiary: str,
    *,
    code: Callable[[Any], str],
    check: Callable[[dict[str, Any], Any], list[tuple[str, str]]] | None,
    write: Callable[[list[tuple[int, dict[str, Any]]], Any], Any],
) -> excel.ImportSpec:
    project = beneficiary == "project"
    what = domain.ENTITY_WORDS.get(beneficiary, beneficiary)
    value_domain = services.list_value_domain(fact, beneficiary)

    def value(raw: Any) -> str:
        try:
            return domain.list_value(fact, raw, value_domain)
        except domain.BadValue as exc:
            raise excel.CellError(str(exc)) from exc

    return excel.ImportSpec(
        kind=KIND,
        title=f"{fact.label}（{what}名单）"[:80],
        columns=[
            excel.ImportColumn(
                "项目代码" if project else "统一社会信用代码",
                "code",
                code,
                required=True,
                example="2024-210804-04-01-123456" if project else "91210804123456788F",
                help=(
                    "全国投资项目在线审批监管平台赋予的代码，须已在项目库中登记"
                    if project
                    else "18 位，须已在企业名录中登记（校验位错误会指出）"
                ),
            ),
            excel.ImportColumn(
                "名称",
                "name",
                excel.text,
                example="营口示例项目" if project else "营口示例钢铁有限公司",
                help=(
                    "可不填；填写时须与项目库中的项目名称一致"
                    if project
                    else "可不填；填写时须与企业名录中的名称或曾用名一致"
                ),
            ),
            excel.ImportColumn(
                "值（元）" if fact.unit == "yuan" else "值",
                "value",
                value,
                required=True,
                example=domain.list_value_example(fact),
                help=f"{fact.label}：{domain.list_value_hint(fact, value_domain)}",
                aliases=("值",) if fact.unit == "yuan" else (),
            ),
        ],
        check_row=check,
        write_rows=write,
        unique=("code",),
    )


def template_bytes(fact: FactDef, beneficiary: str) -> bytes:
    return excel.template_bytes(template_spec(fact, beneficiary))
