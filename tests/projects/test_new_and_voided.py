"""What a new project must be (the beginning of its lifecycle, a code that fits it,
investment above zero, no near-duplicate name unconfirmed) and voiding (作废) a project
entered by mistake: kept, audited, out of every figure and list unless asked for."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

import pytest

from zhenxing.core.periods import Period
from zhenxing.core.services import DomainError

D = datetime.date


def _create(user: Any, area: Any, **values: Any) -> Any:
    from zhenxing.projects import services

    values.setdefault("name", "鲅鱼圈港区新材料项目")
    values.setdefault("total_investment", Decimal("120000000"))
    return services.project_create(user=user, area=area, **values)


def _send(client: Any, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def _errors(response: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


# --- a new project ---------------------------------------------------------------------


@pytest.mark.parametrize("status", ["completed", "in_production", "terminated"])
def test_a_new_project_cannot_start_at_the_end_of_its_lifecycle(
    world: Any, today: D, status: str
) -> None:
    with pytest.raises(DomainError) as refused:
        _create(world.users["area"], world.own_area, status=status)
    assert "新项目不能以" in refused.value.errors["status"]


def test_a_project_under_construction_may_be_entered(world: Any, today: D) -> None:
    project = _create(world.users["area"], world.own_area, status="continuing")
    assert project.status == "continuing"


def test_the_api_answers_400_naming_status(client: Any, world: Any, today: D) -> None:
    from zhenxing.projects.models import Project

    client.force_login(world.users["area"])
    response = _send(
        client,
        "post",
        "/api/v1/projects",
        {
            "name": "投产登记项目",
            "area_code": "210804",
            "total_investment": "1000000.00",
            "status": "in_production",
        },
    )
    assert response.status_code == 400
    assert "status" in _errors(response)
    assert not Project.objects.filter(name="投产登记项目").exists()


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("2024-210881-04-01-000001", "第 2 段（地区代码）210881 与项目所在区域“鲅鱼圈区”"),
        ("2024-210804-00-01-000001", "第 3 段（行业代码）00 不是 GB/T 4754-2017 的行业大类"),
        ("2024-210804-98-01-000001", "第 3 段"),
        ("2025-210804-04-01-000001", "第 1 段（赋码年份）2025 晚于今年（2024）"),
    ],
)
def test_the_code_must_fit_the_project(world: Any, today: D, code: str, words: str) -> None:
    with pytest.raises(DomainError) as refused:
        _create(world.users["area"], world.own_area, code=code)
    assert words in refused.value.errors["code"]


def test_a_park_projects_code_carries_its_host_county(world: Any, today: D) -> None:
    from zhenxing.core.models import Area

    park = Area.objects.get(code="P03")  # 营口沿海产业基地, hosted by 鲅鱼圈区 (210804)
    admin = world.users["admin"]
    assert _create(admin, park, code="2024-210804-04-01-000001").area == park
    with pytest.raises(DomainError) as refused:
        _create(admin, park, name="另一个项目", code="2024-210881-04-01-000002")
    assert "（210804）不符" in refused.value.errors["code"]


def test_a_moved_project_must_keep_a_fitting_code(world: Any, today: D) -> None:
    from zhenxing.projects import services

    admin = world.users["admin"]
    project = _create(admin, world.own_area, code="2024-210804-04-01-000001")
    with pytest.raises(DomainError) as refused:
        services.project_update(user=admin, project=project, area=world.other_area)
    assert "第 2 段" in refused.value.errors["code"]


@pytest.mark.parametrize("amount", ["0", "0.00"])
def test_total_investment_must_be_above_zero(world: Any, today: D, amount: str) -> None:
    with pytest.raises(DomainError) as refused:
        _create(world.users["area"], world.own_area, total_investment=Decimal(amount))
    assert "应大于 0" in refused.value.errors["total_investment"]


def test_a_near_duplicate_name_in_the_area_needs_confirming(world: Any, today: D) -> None:
    from zhenxing.projects.models import Project

    user = world.users["area"]
    _create(user, world.own_area, name="鲅鱼圈年产10万吨镁质耐火材料项目")
    for near in ("鲅鱼圈 年产10万吨镁质耐火材料建设项目", "鲅鱼圈年产10万吨镁质耐火材科项目"):
        with pytest.raises(DomainError) as refused:
            _create(user, world.own_area, name=near)
        assert "已有名称相近的项目" in refused.value.errors["confirm"]
    _create(user, world.own_area, name="鲅鱼圈年产10万吨镁质耐火材科项目", confirm=True)
    # other numbers, another phase or another area: no question asked
    _create(user, world.own_area, name="鲅鱼圈年产20万吨镁质耐火材料项目")
    _create(user, world.own_area, name="鲅鱼圈年产10万吨镁质耐火材料项目二期")
    _create(world.users["admin"], world.other_area, name="鲅鱼圈年产10万吨镁质耐火材料项目")
    assert Project.objects.count() == 5


def test_the_api_takes_confirm_for_a_near_duplicate(client: Any, world: Any, today: D) -> None:
    client.force_login(world.users["area"])
    body = {"name": "营口港区仓储物流中心项目", "area_code": "210804", "total_investment": "1.00"}
    assert _send(client, "post", "/api/v1/projects", body).status_code == 201
    body["name"] = "营口港区仓储物流中心"
    again = _send(client, "post", "/api/v1/projects", body)
    assert again.status_code == 400 and "confirm" in _errors(again)
    assert _send(client, "post", "/api/v1/projects", {**body, "confirm": True}).status_code == 201


def test_the_page_asks_to_confirm_a_near_duplicate(client: Any, world: Any, today: D) -> None:
    from zhenxing.projects.models import Project

    _create(world.users["area"], world.own_area, name="营口港区仓储物流中心项目")
    client.force_login(world.users["area"])
    form = {
        "name": "营口港区仓储物流中心",
        "area": world.own_area.pk,
        "policy_category": "other",
        "total_investment": "100",
        "status": "planned",
        "status_since": "2024-06-01",
    }
    page = client.post("/projects/new/", form)
    assert page.status_code == 200
    html = page.content.decode()
    assert "已有名称相近的项目" in html and 'type="checkbox" name="confirm"' in html
    assert Project.objects.count() == 1
    done = client.post("/projects/new/", {**form, "confirm": "on"})
    assert done.status_code == 302 and Project.objects.count() == 2


# --- voiding -------------------------------------------------------------------------


def _report(user: Any, project: Any, amount: str = "1000000") -> Any:
    from zhenxing.projects import services

    return services.report_submit(
        user=user,
        project=project,
        period=Period(2024, 5),
        investment=Decimal(amount),
        reason="补报",
    )


def test_a_voided_project_is_kept_and_audited(make: Any, world: Any) -> None:
    from zhenxing.core import audit
    from zhenxing.projects import services

    project = make.project(world.own_area)
    services.project_void(user=world.users["area"], project=project, reason="重复登记")
    project.refresh_from_db()
    assert project.voided_at is not None and project.voided_by == world.users["area"]
    assert project.void_reason == "重复登记"
    entry = audit.entries_for(project).first()
    assert entry is not None and "重复登记" in entry.reason
    with pytest.raises(DomainError) as again:
        services.project_void(user=world.users["area"], project=project, reason="再次")
    assert "已于" in again.value.errors["project"]


def test_voiding_needs_a_reason_and_the_right_to_change(make: Any, world: Any) -> None:
    from zhenxing.core.scoping import PermissionDenied
    from zhenxing.projects import services

    project = make.project(world.own_area)
    with pytest.raises(DomainError) as refused:
        services.project_void(user=world.users["area"], project=project, reason="  ")
    assert "reason" in refused.value.errors
    for role in ("leader", "steward", "enterprise"):
        with pytest.raises(PermissionDenied):
            services.project_void(user=world.users[role], project=project, reason="误登记")
    other = make.project(world.other_area)
    with pytest.raises(PermissionDenied):
        services.project_void(user=world.users["area"], project=other, reason="误登记")


def test_a_voided_project_is_neither_edited_nor_reported_on(make: Any, world: Any) -> None:
    from zhenxing.projects import services

    admin = world.users["admin"]
    project = make.project(world.own_area)
    services.project_void(user=admin, project=project, reason="误登记")
    attempts = [
        lambda: services.project_update(user=admin, project=project, description="x"),
        lambda: services.project_change_status(
            user=admin, project=project, status="completed", date=D(2024, 6, 1)
        ),
        lambda: services.project_leave_library(
            user=admin, project=project, library="construction", date=D(2024, 6, 1)
        ),
        lambda: _report(admin, project),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError) as refused:
            attempt()
        assert "作废" in refused.value.errors["project"]
    with pytest.raises(services.BatchError) as batch:
        services.reports_submit_many(
            user=admin,
            items=[services.ReportItem(project, Period(2024, 5), Decimal(1))],
        )
    assert "作废" in batch.value.item_errors[0]["project"]


def test_a_voided_project_leaves_the_figures(make: Any, world: Any) -> None:
    from zhenxing.projects import queries, services
    from zhenxing.projects.models import Project

    admin = world.users["admin"]
    kept, wrong = make.project(world.own_area), make.project(world.own_area)
    _report(admin, kept, "1000000")
    _report(admin, wrong, "3000000")
    before = queries.figures(period=Period(2024, 5), projects=Project.objects.all())
    services.project_void(user=admin, project=wrong, reason="重复登记")
    after = queries.figures(period=Period(2024, 5), projects=Project.objects.all())
    assert before.investment_ytd == Decimal("4000000") and after.investment_ytd == Decimal(
        "1000000"
    )
    assert before.libraries["construction"].count == 2
    assert after.libraries["construction"].count == 1
    rows = queries.project_rows(period=Period(2024, 5), projects=Project.objects.all())
    assert [r["id"] for r in rows] == [kept.pk]
    due = queries.report_due(period=Period(2024, 6), projects=Project.objects.all())
    assert list(due) == [kept]


def test_a_voided_projects_code_may_be_used_again(make: Any, world: Any) -> None:
    from zhenxing.projects import services

    admin = world.users["admin"]
    wrong = make.project(world.own_area, code="2023-210804-04-01-000777")
    services.project_void(user=admin, project=wrong, reason="区域登记错误")
    again = make.project(world.own_area, name="重新登记", code="2023-210804-04-01-000777")
    assert again.code == wrong.code


def test_the_list_shows_voided_projects_only_when_asked(client: Any, make: Any, world: Any) -> None:
    from zhenxing.projects import services

    kept = make.project(world.own_area, name="保留的项目")
    wrong = make.project(world.own_area, name="误登记的项目")
    services.project_void(user=world.users["admin"], project=wrong, reason="误登记")
    client.force_login(world.users["area"])
    plain = client.get("/projects/").content.decode()
    assert kept.name in plain and wrong.name not in plain
    assert wrong.name in client.get("/projects/?voided=include").content.decode()
    only = client.get("/projects/?voided=only").content.decode()
    assert wrong.name in only and kept.name not in only and "已作废" in only


def test_the_page_voids_with_a_reason(client: Any, make: Any, world: Any) -> None:
    project = make.project(world.own_area)
    client.force_login(world.users["area"])
    detail = client.get(f"/projects/{project.pk}/").content.decode()
    assert f"/projects/{project.pk}/void/" in detail
    empty = client.post(f"/projects/{project.pk}/void/", {"reason": ""})
    assert empty.status_code == 200
    done = client.post(f"/projects/{project.pk}/void/", {"reason": "重复登记"})
    assert done.status_code == 302
    detail = client.get(f"/projects/{project.pk}/").content.decode()
    assert "作废原因：重复登记" in detail
    assert f"/projects/{project.pk}/edit/" not in detail  # nothing more to record


def test_the_api_voids_and_lists_voided_projects_on_request(
    client: Any, make: Any, world: Any
) -> None:
    kept, wrong = make.project(world.own_area), make.project(world.own_area)
    client.force_login(world.users["area"])
    missing = _send(client, "post", f"/api/v1/projects/{wrong.pk}/void", {"reason": "  "})
    assert missing.status_code == 400
    voided = _send(client, "post", f"/api/v1/projects/{wrong.pk}/void", {"reason": "重复登记"})
    assert voided.status_code == 200
    assert voided.json()["void_reason"] == "重复登记" and voided.json()["voided_at"]
    ids = [p["id"] for p in client.get("/api/v1/projects").json()["items"]]
    assert ids == [kept.pk]
    every = client.get("/api/v1/projects?include_voided=true").json()["items"]
    assert {p["id"] for p in every} == {kept.pk, wrong.pk}
    assert client.get(f"/api/v1/projects/{wrong.pk}").status_code == 200  # kept
    client.force_login(world.users["leader"])
    refused = _send(client, "post", f"/api/v1/projects/{kept.pk}/void", {"reason": "x"})
    assert refused.status_code in (403, 404)


def test_a_voided_project_leaves_the_steward_lists(client: Any, make: Any, world: Any) -> None:
    from zhenxing.projects import services
    from zhenxing.projects.stewards import services as steward_services

    kept = make.project(world.own_area, name="留下的包保项目")
    voided = make.project(world.own_area, name="作废的包保项目")
    admin = world.users["admin"]
    for project in (kept, voided):
        steward_services.stewardship_assign(
            user=admin, project=project, leader=world.users["steward"], since="2024-01-02"
        )
    services.project_void(user=admin, project=voided, reason="重复登记")
    for user, urls in ((admin, ["/stewards/"]), (world.users["steward"], ["/stewards/mine/"])):
        client.force_login(user)
        for url in urls:
            page = client.get(url).content.decode()
            assert kept.name in page and voided.name not in page, (user, url)
        listed = {p["id"] for p in client.get("/api/v1/stewards").json()["items"]}
        assert kept.pk in listed and voided.pk not in listed
