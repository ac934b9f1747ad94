"""The projects API: projects, lifecycle, libraries, plans, monthly reports (409 on a
stale version) and `GET /api/v1/projects/figures`."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

import pytest

from zhenxing.core.periods import Period

D = datetime.date
PROBLEM = "application/problem+json"


@pytest.fixture
def api(client: Any, world: Any) -> Any:
    client.force_login(world.users["area"])
    return client


def send(client: Any, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_figures_answer_with_the_documented_fields(
    client: Any, own_project: Any, other_project: Any, world: Any
) -> None:
    from zhenxing.projects import services

    admin = world.users["admin"]
    for period, amount in ((Period(2023, 5), "1000000"), (Period(2024, 5), "1075000")):
        # last year's May and this year's May, filed while each was open
        from django.conf import settings

        settings.TODAY_OVERRIDE = f"{period.year}-05-31"
        services.report_submit(
            user=admin, project=own_project, period=period, investment=Decimal(amount)
        )
    settings.TODAY_OVERRIDE = "2024-06-30"
    services.project_set_annual_plan(
        user=admin, project=own_project, year=2024, planned_investment=Decimal("4300000")
    )
    client.force_login(world.users["leader"])
    response = client.get("/api/v1/projects/figures?period=2024-05")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == "2024-05" and body["area"] is None
    assert body["investment_ytd"] == "1075000.00"
    assert body["investment_ytd_last_year"] == "1000000.00"
    assert body["investment_ytd_yoy_pct"] == "7.50"
    assert body["annual_plan"] == "4300000.00" and body["plan_completion_pct"] == "25.00"
    assert isinstance(body["started_or_resumed"], int)
    assert body["libraries"]["construction"] == {"count": 2, "total_investment": "100000000.00"}
    assert set(body["libraries"]) == {"reserve", "construction", "key"}
    assert isinstance(body["key_lists"], list)
    area = client.get(f"/api/v1/projects/figures?period=2024-05&area={world.other_area.code}")
    assert area.json()["area"] == world.other_area.code
    assert area.json()["investment_ytd"] == "0.00"
    assert area.json()["investment_ytd_yoy_pct"] is None
    assert area.json()["libraries"]["construction"]["count"] == 1


def test_figures_count_started_or_resumed_projects(client: Any, make: Any, world: Any) -> None:
    make.project(world.own_area, status="new_start", since=D(2024, 3, 18))
    make.project(world.own_area, status="continuing", since=D(2023, 3, 1))
    client.force_login(world.users["admin"])
    assert client.get("/api/v1/projects/figures?period=2024-05").json()["started_or_resumed"] == 1


@pytest.mark.parametrize("period", ["2024-13", "2024-5", "may", ""])
def test_a_bad_period_is_a_problem_naming_period(api: Any, period: str, today: D) -> None:
    response = api.get(f"/api/v1/projects/figures?period={period}")
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == PROBLEM
    assert "period" in {e["field"] for e in response.json()["errors"]}


def test_an_unknown_area_is_a_problem_naming_area(api: Any, today: D) -> None:
    response = api.get("/api/v1/projects/figures?period=2024-05&area=999999")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "area"


def test_area_staff_get_the_figures_of_their_own_projects_only(
    api: Any, own_project: Any, other_project: Any
) -> None:
    body = api.get("/api/v1/projects/figures?period=2024-05").json()
    assert body["libraries"]["construction"]["count"] == 1


def test_create_get_and_patch_a_project(api: Any, world: Any, today: D) -> None:
    created = send(
        api,
        "post",
        "/api/v1/projects",
        {
            "name": "鲅鱼圈氢能装备项目",
            "code": "2024-210804-04-01-00003C",
            "area_code": world.own_area.code,
            "owner_uscc": world.own_enterprise.uscc,
            "total_investment": "250000000.00",
            "status": "signed",
            "status_since": "2024-02-01",
            "policy_category": "emerging",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["total_investment"] == "250000000.00"
    assert body["owner_name"] == world.own_enterprise.name
    assert (body["status"], body["status_label"]) == ("signed", "签约")
    got = api.get(f"/api/v1/projects/{body['id']}").json()
    assert got == body
    patched = send(api, "patch", f"/api/v1/projects/{body['id']}", {"location": "鲅鱼圈区临港"})
    assert patched.status_code == 200 and patched.json()["location"] == "鲅鱼圈区临港"
    listed = api.get("/api/v1/projects?status=signed").json()
    assert [p["id"] for p in listed["items"]] == [body["id"]]


def test_a_refused_create_names_the_field(api: Any, world: Any, today: D) -> None:
    response = send(
        api,
        "post",
        "/api/v1/projects",
        {"name": "x", "code": "bad", "area_code": world.own_area.code, "total_investment": "1"},
    )
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "code"


def test_status_changes_through_the_api_are_checked(api: Any, make: Any, world: Any) -> None:
    project = make.project(world.own_area, status="preparing", since=D(2024, 1, 1), library=None)
    refused = send(
        api,
        "post",
        f"/api/v1/projects/{project.pk}/status-changes",
        {"status": "completed", "date": "2024-05-01"},
    )
    assert refused.status_code == 400 and refused["Content-Type"] == PROBLEM
    assert refused.json()["errors"][0]["field"] == "status"
    ok = send(
        api,
        "post",
        f"/api/v1/projects/{project.pk}/status-changes",
        {"status": "new_start", "date": "2024-03-18", "note": "集中开工"},
    )
    assert ok.status_code == 201 and ok.json()["status_label"] == "新开工"
    steps = api.get(f"/api/v1/projects/{project.pk}/status-changes").json()
    assert [s["status"] for s in steps] == ["preparing", "new_start"]


def test_libraries_key_lists_and_annual_plans(api: Any, own_project: Any) -> None:
    from zhenxing.projects.models import KeyList

    KeyList.objects.create(code="central-local", name="央地合作")
    url = f"/api/v1/projects/{own_project.pk}"
    entered = send(api, "post", f"{url}/libraries", {"library": "key", "date": "2024-05-01"})
    assert entered.status_code == 201
    left = send(
        api,
        "post",
        f"{url}/libraries",
        {"library": "construction", "action": "leave", "date": "2024-06-01"},
    )
    assert left.status_code == 200 and left.json()["left_on"] == "2024-06-01"
    on_list = send(
        api, "post", f"{url}/key-lists", {"key_list": "central-local", "date": "2024-05-01"}
    )
    assert on_list.status_code == 201
    unknown = send(api, "post", f"{url}/key-lists", {"key_list": "nope", "date": "2024-05-01"})
    assert unknown.status_code == 400
    plan = send(api, "put", f"{url}/annual-plans/2024", {"planned_investment": "36000000"})
    assert plan.status_code == 200 and plan.json() == {
        "year": 2024,
        "planned_investment": "36000000.00",
    }
    body = api.get(url).json()
    assert body["libraries"] == ["key"] and body["key_lists"] == ["central-local"]
    assert [k["code"] for k in api.get("/api/v1/projects/key-lists").json()] == ["central-local"]


def test_put_a_report_then_a_stale_version_gets_409(api: Any, own_project: Any) -> None:
    url = f"/api/v1/projects/{own_project.pk}/reports/2024-06"
    created = send(api, "put", url, {"investment": "1250000.50", "progress_pct": "40"})
    assert created.status_code == 201, created.content
    assert created.json()["version"] == 1 and created.json()["investment"] == "1250000.50"
    updated = send(api, "put", url, {"investment": "1300000", "version": 1})
    assert updated.status_code == 200 and updated.json()["version"] == 2
    stale = send(api, "put", url, {"investment": "999", "version": 1})
    assert stale.status_code == 409
    assert stale["Content-Type"] == PROBLEM
    assert stale.json()["detail"] == "该月报已被他人修改（版本 2），请刷新后再改"
    assert stale.json()["errors"][0]["field"] == "version"
    assert api.get(url).json()["investment"] == "1300000.00"
    new_again = send(api, "put", url, {"investment": "5"})
    assert new_again.status_code == 409


def test_a_locked_month_through_the_api_needs_a_reason(api: Any, own_project: Any) -> None:
    url = f"/api/v1/projects/{own_project.pk}/reports/2024-05"
    refused = send(api, "put", url, {"investment": "100"})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "reason"
    done = send(api, "put", url, {"investment": "100", "reason": "补报"})
    assert done.status_code == 201 and done.json()["locked"] is True
    history = api.get(f"/api/v1/projects/{own_project.pk}/history")
    assert history.status_code == 200


def test_reports_are_listed_by_period_area_and_project(
    client: Any, own_project: Any, other_project: Any, world: Any
) -> None:
    from zhenxing.projects import services

    for project in (own_project, other_project):
        services.report_submit(
            user=world.users["admin"], project=project, period=Period(2024, 6), investment=1
        )
    client.force_login(world.users["dept"])
    everything = client.get("/api/v1/projects/reports?period=2024-06").json()
    assert everything["count"] == 2
    one_area = client.get(f"/api/v1/projects/reports?area={world.own_area.code}").json()
    assert [r["project_id"] for r in one_area["items"]] == [own_project.pk]
    by_project = client.get(f"/api/v1/projects/{other_project.pk}/reports").json()
    assert [r["period"] for r in by_project] == ["2024-06"]
    bad = client.get("/api/v1/projects/reports?period=June")
    assert bad.status_code == 422
