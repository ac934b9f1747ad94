"""Department lists (名单): entered from Excel on their page and through the API, replaced
with a preview of what changes, all or nothing, audited, and read by policy runs."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhenxing.core import excel
from zhenxing.core.codes import uscc
from zhenxing.core.models import AuditEntry
from zhenxing.policies import domain, services
from zhenxing.policies.models import FactList, FactListEntry, RunResult

HEADERS = ("统一社会信用代码", "名称", "值")
PRICE = "first_set_contract_price"  # 首台（套）重大技术装备订货合同价格, yuan


def make_uscc(n: int) -> str:
    org = f"{n:08d}"
    return uscc.with_check_character("91210804" + org + uscc.organisation_check_character(org))


def sheet(rows: list[list[Any]], headers: tuple[str, ...] = HEADERS) -> bytes:
    return excel.build_xlsx(list(headers), rows)


def upload(client: Any, data: bytes, follow: bool = False, **fields: Any) -> Any:
    form = {
        "fact_id": PRICE,
        "beneficiary": "enterprise",
        "period": "2023",
        "department": fields.pop("department", None) or _dept("gxj").pk,
        "as_of": "2024-03-31",
        "source_note": "工信局首台套认定文件",
        "name": "",
        "file": SimpleUploadedFile("名单.xlsx", data, content_type=excel.XLSX_TYPE),
    }
    form.update(fields)
    return client.post("/policies/lists/upload/", form, follow=follow)


def _dept(code: str) -> Any:
    from zhenxing.core.models import Department

    return Department.objects.get(code=code)


def entries(fact_list: FactList) -> dict[int, str]:
    return dict(
        FactListEntry.objects.filter(fact_list=fact_list).values_list("beneficiary_id", "value")
    )


def post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def staff(world: Any, client: Any) -> Any:
    client.force_login(world.users["dept"])
    return client


# ---------------------------------------------------------------------------
# Values typed by the fact's declaration
# ---------------------------------------------------------------------------


def _fact(fact_id: str) -> Any:
    fact = services.list_fact(fact_id)
    assert fact is not None, fact_id
    return fact


@pytest.mark.parametrize(
    ("fact_id", "raw", "stored"),
    [
        (PRICE, "1,250,000.5", "1250000.50"),
        (PRICE, 3200000, "3200000.00"),
        (PRICE, 1234.56, "1234.56"),
        ("recognized_high_tech_in_period", "是", "true"),
        ("recognized_high_tech_in_period", "否", "false"),
        ("recognized_high_tech_in_period", True, "true"),
        ("high_level_talents_hired", "3", "3"),
        ("first_above_quota_date", "2023/5/6", "2023-05-06"),
        ("first_above_quota_date", "2023年5月6日", "2023-05-06"),
        ("first_above_quota_date", datetime.date(2023, 5, 6), "2023-05-06"),
        ("new_rd_institution_level", "省级", "provincial"),
        ("new_rd_institution_level", "national", "national"),
        ("years_in_niche", "12.5", "12.5"),
    ],
)
def test_values_are_stored_in_the_facts_type(
    ref: None, fact_id: str, raw: Any, stored: str
) -> None:
    assert domain.list_value(_fact(fact_id), raw) == stored


@pytest.mark.parametrize(
    ("fact_id", "raw", "reason"),
    [
        (PRICE, "1.234", "金额最多保留两位小数（单位：元）"),
        (PRICE, "一百万", "“一百万”不是数字"),
        (PRICE, "", "值为空"),
        ("recognized_high_tech_in_period", "可能", "“可能”应为“是”或“否”"),
        ("high_level_talents_hired", "2.5", "“2.5”不是整数"),
        ("high_level_talents_hired", "-1", "不能为负数"),
        (PRICE, "-100", "不能为负数"),
        ("first_above_quota_date", "2023-13-01", "不是日期，应为 2024-05-31 这样的格式"),
        (
            "new_rd_institution_level",
            "区级",
            "“区级”不是可选值，可选：无（none）、市级（municipal）",
        ),
        ("years_in_niche", "1.25", "最多保留 1 位小数"),
    ],
)
def test_bad_values_are_refused_saying_why(ref: None, fact_id: str, raw: Any, reason: str) -> None:
    fact = _fact(fact_id)
    with pytest.raises(domain.BadValue) as refused:
        domain.list_value(fact, raw, services.list_value_domain(fact, "enterprise"))
    assert reason in str(refused.value)


def test_the_facts_a_list_may_supply_follow_the_beneficiary_kind(ref: None) -> None:
    enterprise = dict(services.list_fact_choices("enterprise"))
    project = dict(services.list_fact_choices("project"))
    assert enterprise[PRICE] == "首台（套）重大技术装备订货合同价格"
    assert "enterprise_fiscal_contribution" in project and PRICE not in project
    assert "enterprise_fiscal_contribution" not in enterprise


# ---------------------------------------------------------------------------
# Uploading a list
# ---------------------------------------------------------------------------


def test_a_new_list_is_saved_from_excel_and_read_by_the_policy_run(
    world: Any, staff: Any, policy: Any
) -> None:
    own, other = world.own_enterprise, world.other_enterprise
    data = sheet([[own.uscc, own.name, "2000000"], [other.uscc, "", 500000]])
    response = upload(staff, data)
    fact_list = FactList.objects.get(fact_id=PRICE, period="2023")
    assert (
        response.status_code == 302 and response["Location"] == f"/policies/lists/{fact_list.pk}/"
    )
    assert entries(fact_list) == {own.pk: "2000000.00", other.pk: "500000.00"}
    assert fact_list.department.code == "gxj" and fact_list.as_of == datetime.date(2024, 3, 31)
    assert (
        fact_list.source_note == "工信局首台套认定文件"
        and fact_list.created_by == world.users["dept"]
    )
    page = staff.get(response["Location"]).content.decode()
    assert "名单新建：共 2 条" in page
    run = services.run_start(user=world.users["dept"], policy=policy, period="2023")
    assert run.status == "computed", run.error
    mine = RunResult.objects.get(run=run, enterprise=own)
    theirs = RunResult.objects.get(run=run, enterprise=other)
    assert mine.amount == Decimal("300000.00")  # 15 % of 2,000,000
    assert theirs.amount == Decimal("75000.00")


def test_a_project_list_is_keyed_by_project_code(world: Any, staff: Any) -> None:
    from zhenxing.projects.models import Project

    project = Project.objects.create(
        code="2023-210804-04-01-123456",
        name="营口智能制造示范项目",
        area=world.own_area,
        owner_enterprise=world.own_enterprise,
        total_investment=Decimal("100000000"),
        status="continuing",
        status_since=datetime.date(2023, 1, 1),
    )
    # the code as typed without hyphens
    data = sheet(
        [["20232108040401123456", "营口智能制造示范项目", "400000"]], ("项目代码", "名称", "值")
    )
    response = upload(staff, data, fact_id="enterprise_fiscal_contribution", beneficiary="project")
    assert response.status_code == 302, response.content.decode()[-3000:]
    fact_list = FactList.objects.get(
        fact_id="enterprise_fiscal_contribution", beneficiary="project"
    )
    assert entries(fact_list) == {project.pk: "400000.00"}


def _errors(response: Any) -> str:
    assert response.status_code == 200
    text = response.content.decode()
    assert "本次没有导入任何数据" in text
    return text


def test_every_row_is_checked_and_each_error_names_row_column_value_and_reason(
    world: Any, staff: Any
) -> None:
    from zhenxing.enterprises.models import FormerName

    own, other = world.own_enterprise, world.other_enterprise
    FormerName.objects.create(enterprise=own, name="营口测试钢厂", until=datetime.date(2020, 1, 1))
    unknown = make_uscc(4711)
    data = sheet(
        [
            [own.uscc, "别的公司", "1000"],  # row 2: name neither current nor former
            ["91210804123456788G", "", "1000"],  # row 3: wrong check character
            [unknown, "", "1000"],  # row 4: valid code, not in the registry
            [other.uscc, "", "一千元"],  # row 5: not a number
            [other.uscc, "", ""],  # row 6: empty value
            [own.uscc, "", "1000.005"],  # row 7: a fraction of a fen
            [own.uscc, "", "5"],  # row 8: the enterprise of row 2 again
        ]
    )
    text = _errors(upload(staff, data))
    assert not FactList.objects.exists()
    assert (
        "名称与登记的不符：该统一社会信用代码登记的名称是“营口测试钢铁有限公司”（曾用名：营口测试钢厂）"
        in text
    )
    assert "校验位应为 F，实际为 G" in text
    assert "企业名录中没有该统一社会信用代码，或该企业不在您的查看范围内" in text
    assert "“一千元”不是数字" in text
    assert "必填项为空" in text
    assert "与第 2 行重复" in text
    assert "金额最多保留两位小数（单位：元）" in text
    report = excel.read_rows(staff.get("/policies/lists/upload/errors/").content)
    assert report[0] == ["行号", "列", "值", "错误原因"]
    found = {(row[0], row[1]) for row in report[1:]}
    assert {
        (2, "名称"),
        (3, "统一社会信用代码"),
        (4, "统一社会信用代码"),
        (5, "值（元）"),  # a money fact's column names its unit
        (6, "值（元）"),
    } <= found
    assert (7, "值（元）") in found and (8, "统一社会信用代码") in found
    check = next(r for r in report[1:] if r[0] == 3)
    assert check[2] == "91210804123456788G"


def test_a_missing_column_an_empty_sheet_and_a_file_that_is_not_excel(
    world: Any, staff: Any
) -> None:
    text = _errors(upload(staff, sheet([["x", "1"]], headers=("名称", "值"))))
    assert "缺少必需的列“统一社会信用代码”" in text
    text = _errors(upload(staff, b"not a spreadsheet"))
    assert "请上传 Excel 文件" in text
    text = upload(staff, sheet([])).content.decode()
    assert "名单中没有任何条目" in text and "field-error" in text
    assert not FactList.objects.exists()


def test_a_former_name_is_accepted_and_said(world: Any, staff: Any) -> None:
    from zhenxing.enterprises.models import FormerName

    own = world.own_enterprise
    FormerName.objects.create(enterprise=own, name="营口测试钢厂", until=datetime.date(2020, 1, 1))
    response = upload(staff, sheet([[own.uscc, "营口测试钢厂", "1000"]]), follow=True)
    assert "其中 1 行填写的是企业曾用名" in response.content.decode()
    assert FactListEntry.objects.get().beneficiary_id == own.pk


def test_the_header_is_checked_before_the_file(world: Any, staff: Any) -> None:
    data = sheet([[world.own_enterprise.uscc, "", "1000"]])
    text = upload(staff, data, department=_dept("kjj").pk).content.decode()
    assert "field-error" in text  # 科技局 is not among the user's departments
    text = upload(staff, data, fact_id="enterprise_fiscal_contribution").content.decode()
    assert "是项目的事实，不能用于企业名单" in text
    future = datetime.date.today().year + 1
    text = upload(staff, data, period=str(future)).content.decode()
    assert f"{future} 年尚未开始" in text
    assert not FactList.objects.exists()


def test_a_beneficiary_the_user_cannot_see_is_not_found(world: Any) -> None:
    """Lookups go through scoping: area staff (who cannot enter lists anyway) would not
    find an enterprise of another area."""
    from zhenxing.policies.queries import BeneficiaryLookup

    lookup = BeneficiaryLookup(world.users["area"], "enterprise")
    assert lookup.find(world.own_enterprise.uscc).pk == world.own_enterprise.pk
    refused = lookup.find(world.other_enterprise.uscc)
    assert refused.pk is None and "不在您的查看范围内" in refused.reason


# ---------------------------------------------------------------------------
# Replacing a list
# ---------------------------------------------------------------------------


@pytest.fixture
def three(world: Any) -> list[Any]:
    from zhenxing.enterprises.models import Enterprise

    return [
        Enterprise.objects.create(
            uscc=make_uscc(100 + i), name=f"营口第{i}装备公司", area=world.own_area
        )
        for i in range(3)
    ]


@pytest.fixture
def saved(world: Any, three: list[Any]) -> FactList:
    """工信局's 2023 list: A 1,000,000, B 2,000,000, C 3,000,000."""
    return services.fact_list_save(
        user=world.users["dept"],
        department=_dept("gxj"),
        fact_id=PRICE,
        period="2023",
        values={three[0].pk: 1_000_000, three[1].pk: 2_000_000, three[2].pk: 3_000_000},
        as_of=datetime.date(2024, 3, 31),
    ).fact_list


def test_replacing_shows_what_changes_then_saves_it_when_confirmed(
    world: Any, staff: Any, three: list[Any], saved: FactList
) -> None:
    a, b, c = three
    d = world.own_enterprise
    # B changes, C goes, D comes
    data = sheet([[a.uscc, "", "1000000"], [b.uscc, "", "2500000"], [d.uscc, "", "800000"]])
    preview = upload(staff, data)
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "确认替换名单" in text and b.name in text and c.name in text and d.name in text
    assert "2,000,000.00 元" in text and "2,500,000.00 元" in text
    assert entries(saved) == {a.pk: "1000000.00", b.pk: "2000000.00", c.pk: "3000000.00"}
    token = preview.context["token"]
    done = staff.post("/policies/lists/upload/confirm/", {"token": token}, follow=True)
    assert "名单替换：新增 1，删除 1，变更 1" in done.content.decode()
    assert entries(saved) == {a.pk: "1000000.00", b.pk: "2500000.00", d.pk: "800000.00"}
    audit = AuditEntry.objects.filter(object_id=str(saved.pk), reason__startswith="名单替换")
    assert audit.count() == 1
    lines = {c["label"]: (c["old"], c["new"]) for c in audit.get().changes}
    assert lines["名单条目"] == ("3 条", "3 条")
    assert lines[f"{b.name}（{b.uscc}）"] == ("2,000,000.00 元", "2,500,000.00 元")
    assert lines[f"{c.name}（{c.uscc}）"] == ("3,000,000.00 元", None)
    assert lines[f"{d.name}（{d.uscc}）"] == (None, "800,000.00 元")
    history = staff.get(f"/policies/lists/{saved.pk}/?tab=history").content.decode()
    assert "名单替换：新增 1，删除 1，变更 1" in history and "2,500,000.00 元" in history
    again = staff.post("/policies/lists/upload/confirm/", {"token": token})
    assert again.status_code == 302 and FactList.objects.count() == 1  # the preview is spent


def test_a_bad_replacement_changes_nothing(
    world: Any, staff: Any, three: list[Any], saved: FactList
) -> None:
    before = (entries(saved), AuditEntry.objects.count())
    data = sheet([[three[0].uscc, "", "9"], [three[1].uscc, "", "很多"]])
    text = _errors(upload(staff, data))
    assert "“很多”不是数字" in text
    assert (entries(saved), AuditEntry.objects.count()) == before


def test_a_list_changed_after_the_preview_is_not_overwritten(
    world: Any, staff: Any, three: list[Any], saved: FactList
) -> None:
    preview = upload(staff, sheet([[three[0].uscc, "", "5"]]))
    services.fact_list_save(
        user=world.users["dept_head"],
        department=_dept("gxj"),
        fact_id=PRICE,
        period="2023",
        values={three[2].pk: 7},
    )
    response = staff.post(
        "/policies/lists/upload/confirm/", {"token": preview.context["token"]}, follow=True
    )
    assert "名单在您预览之后已有变动，请重新上传" in response.content.decode()
    assert entries(saved) == {three[2].pk: "7.00"}


def test_another_departments_list_is_not_replaced(world: Any, staff: Any, three: list[Any]) -> None:
    kjj_list = services.fact_list_save(
        user=world.users["admin"],
        department=_dept("kjj"),
        fact_id=PRICE,
        period="2023",
        values={three[0].pk: 1},
    ).fact_list
    text = upload(staff, sheet([[three[1].uscc, "", "2"]])).content.decode()
    assert "名单由营口市科学技术局登记，只有该部门人员或管理员可以替换" in text
    assert entries(kjj_list) == {three[0].pk: "1.00"}


def test_an_unchanged_replacement_is_audited_too(
    world: Any, three: list[Any], saved: FactList
) -> None:
    result = services.fact_list_save(
        user=world.users["dept"],
        department=_dept("gxj"),
        fact_id=PRICE,
        period="2023",
        values=entries(saved),
        as_of=datetime.date(2024, 3, 31),
    )
    assert result.change.summary == "名单替换：新增 0，删除 0，变更 0"
    assert AuditEntry.objects.filter(object_id=str(saved.pk), reason=result.change.summary).exists()


def test_the_export_of_a_list_uploads_again_unchanged(
    world: Any, staff: Any, three: list[Any], saved: FactList
) -> None:
    exported = staff.get(f"/policies/lists/{saved.pk}/?format=xlsx").content
    # the export names the unit (值（元）); the upload reads it as the template's column
    assert excel.read_rows(exported)[0][:3] == ["统一社会信用代码", "名称", "值（元）"]
    preview = upload(staff, exported)
    assert preview.status_code == 200
    change = preview.context["change"]
    assert (len(change.added), len(change.removed), len(change.changed)) == (0, 0, 0)


# ---------------------------------------------------------------------------
# Templates, the list page and the detail page
# ---------------------------------------------------------------------------


def test_a_template_per_fact(world: Any, staff: Any) -> None:
    response = staff.get(f"/policies/lists/template/?fact_id={PRICE}")
    rows = excel.read_rows(response.content)
    assert rows[0] == ["统一社会信用代码*", "名称", "值（元）*"]
    assert rows[1][2] == "1250000.00"
    enum = staff.get("/policies/lists/template/?fact_id=new_rd_institution_level")
    assert enum.status_code == 200  # its label holds “/”, which Excel refuses in sheet names
    project = staff.get("/policies/lists/template/?fact_id=enterprise_fiscal_contribution")
    assert excel.read_rows(project.content)[0][0] == "项目代码*"
    assert staff.get("/policies/lists/template/?fact_id=nonsense").status_code == 404
    mismatch = (
        "/policies/lists/template/?fact_id=enterprise_fiscal_contribution&beneficiary=enterprise"
    )
    assert staff.get(mismatch).status_code == 404


def test_the_list_page_links_to_each_list_and_offers_the_upload(
    world: Any, staff: Any, saved: FactList
) -> None:
    page = staff.get("/policies/lists/").content.decode()
    assert f'href="/policies/lists/{saved.pk}/"' in page
    assert 'href="/policies/lists/upload/"' in page and "上传名单" in page
    assert "首台（套）重大技术装备订货合同价格" in page
    staff.force_login(world.users["leader"])
    page = staff.get("/policies/lists/").content.decode()
    assert f'href="/policies/lists/{saved.pk}/"' in page and "上传名单" not in page


def test_the_detail_page(
    world: Any, staff: Any, three: list[Any], saved: FactList, policy: Any
) -> None:
    url = f"/policies/lists/{saved.pk}/"
    page = staff.get(url).content.decode()
    for text in (
        "2023年首台（套）重大技术装备订货合同价格名单",
        "营口市工业和信息化局",
        "2024-03-31",
        policy.name,
    ):
        assert text in page, text
    assert three[0].uscc in page and three[0].name in page and "3,000,000.00" in page
    assert f'href="/enterprises/{three[0].pk}/"' in page
    by_value = staff.get(url + "?sort=-value").context["rows"]
    assert [r["obj"].beneficiary_id for r in by_value] == [three[2].pk, three[1].pk, three[0].pk]
    found = staff.get(url + "?q=第1装备").context["rows"]
    assert [r["obj"].beneficiary_id for r in found] == [three[1].pk]
    assert "替换名单" in page
    staff.force_login(world.users["leader"])
    assert "替换名单" not in staff.get(url).content.decode()


def test_the_detail_page_pages_fifty_entries_at_a_time(world: Any, client: Any) -> None:
    from zhenxing.enterprises.models import Enterprise

    many = Enterprise.objects.bulk_create(
        Enterprise(uscc=make_uscc(1000 + i), name=f"营口名单企业{i:03d}", area=world.own_area)
        for i in range(60)
    )
    fact_list = services.fact_list_save(
        user=world.users["admin"],
        department=_dept("kjj"),
        fact_id="recognized_high_tech_in_period",
        period="2023",
        values=dict.fromkeys((e.pk for e in many), True),
    ).fact_list
    client.force_login(world.users["leader"])
    first = client.get(f"/policies/lists/{fact_list.pk}/")
    assert len(first.context["rows"]) == 50 and first.context["count"] == 60
    assert len(client.get(f"/policies/lists/{fact_list.pk}/?page=2").context["rows"]) == 10
    assert client.get(f"/policies/lists/{fact_list.pk}/?value=false").context["count"] == 0


# ---------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------


def test_api_creates_replaces_lists_and_reads_them(
    world: Any, client: Any, three: list[Any]
) -> None:
    client.force_login(world.users["dept"])
    body = {
        "fact_id": PRICE,
        "period": "2023",
        "as_of": "2024-03-31",
        "entries": [
            {"uscc": three[0].uscc, "value": "1000000"},
            {"uscc": three[1].uscc, "name": three[1].name, "value": 2000000},
        ],
    }
    created = post(client, "/api/v1/policies/lists", body)
    assert created.status_code == 201, created.content
    out = created.json()
    assert out["created"] is True and out["summary"] == "名单新建：共 2 条"
    assert out["fact_list"]["department"] == "gxj" and out["fact_list"]["entry_count"] == 2
    list_id = out["fact_list"]["id"]
    body["entries"] = [
        {"uscc": three[1].uscc, "value": "2500000.00"},
        {"uscc": three[2].uscc, "value": 1},
    ]
    replaced = post(client, "/api/v1/policies/lists", body)
    assert replaced.status_code == 200, replaced.content
    assert (replaced.json()["added"], replaced.json()["removed"], replaced.json()["changed"]) == (
        1,
        1,
        1,
    )
    listed = client.get("/api/v1/policies/lists?period=2023").json()
    assert (
        listed["count"] == 1
        and listed["items"][0]["fact_label"] == "首台（套）重大技术装备订货合同价格"
    )
    detail = client.get(f"/api/v1/policies/lists/{list_id}").json()
    assert {(e["code"], e["value"]) for e in detail["entries"]} == {
        (three[1].uscc, "2500000.00"),
        (three[2].uscc, "1.00"),
    }
    assert detail["read_by"] == []


def test_api_errors_name_each_entry_and_save_nothing(
    world: Any, client: Any, three: list[Any]
) -> None:
    client.force_login(world.users["dept"])
    body = {
        "fact_id": PRICE,
        "period": "2023",
        "entries": [
            {"uscc": three[0].uscc, "value": "100"},
            {"uscc": "91210804123456788G", "value": "100"},
            {"uscc": three[0].uscc, "value": "100"},
            {"uscc": three[1].uscc, "value": "很多"},
            {"uscc": three[2].uscc, "name": "别家", "value": "1"},
            {"uscc": make_uscc(9999), "value": "1"},
        ],
    }
    response = post(client, "/api/v1/policies/lists", body)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "校验位应为 F" in errors["entries[1].uscc"]
    assert errors["entries[2].uscc"] == "第 3 项：与第 1 项重复"
    assert "不是数字" in errors["entries[3].value"]
    assert "登记的名称是" in errors["entries[4].name"]
    assert "企业名录中没有" in errors["entries[5].uscc"]
    assert not FactList.objects.exists()
    header = post(client, "/api/v1/policies/lists", {**body, "fact_id": "nonsense", "entries": []})
    assert header.status_code == 400
    assert header.json()["errors"][0]["field"] == "fact_id"


def test_replacing_starts_from_the_list_and_names_the_runs_that_read_it(
    world: Any, staff: Any, three: list[Any], saved: FactList, computed_run: Any
) -> None:
    query = f"?fact_id={PRICE}&beneficiary=enterprise&period=2023&department={_dept('gxj').pk}"
    form = staff.get("/policies/lists/upload/" + query).context["form"]
    assert form["name"].value() == saved.name and form["fact_id"].value() == PRICE
    preview = upload(staff, sheet([[three[0].uscc, "", "5"]])).content.decode()
    assert "以下测算批次读取了该事实" in preview
    assert f'href="/policies/runs/{computed_run.pk}/"' in preview
