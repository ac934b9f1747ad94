"""Project writes: creation, the lifecycle, libraries, key lists and annual plans."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from zhenxing.core.services import DomainError

D = datetime.date


def _entries(obj: Any) -> list[Any]:
    from zhenxing.core import audit

    return list(audit.entries_for(obj))


def test_a_project_is_created_with_its_first_status_step_and_audited(world: Any, today: D) -> None:
    from zhenxing.projects import services

    project = services.project_create(
        user=world.users["area"],
        name="鲅鱼圈港区新材料项目",
        code="2024-210804-04-01-00001A",
        area=world.own_area,
        total_investment=Decimal("120000000.50"),
        status="preparing",
        status_since=D(2024, 3, 1),
    )
    assert project.status == "preparing" and project.status_since == D(2024, 3, 1)
    assert [(c.status, c.date) for c in project.status_changes.all()] == [
        ("preparing", D(2024, 3, 1))
    ]
    [entry] = _entries(project)
    assert entry.actor == world.users["area"] and entry.action == "create"


def test_area_staff_cannot_create_a_project_in_another_area(world: Any, today: D) -> None:
    from zhenxing.core.scoping import PermissionDenied
    from zhenxing.projects import services
    from zhenxing.projects.models import Project

    with pytest.raises(PermissionDenied):
        services.project_create(
            user=world.users["area"],
            name="越界项目",
            area=world.other_area,
            total_investment=Decimal(1),
        )
    assert not Project.objects.filter(name="越界项目").exists()


def test_a_malformed_project_code_is_refused_naming_the_segment(world: Any, today: D) -> None:
    from zhenxing.projects import services

    with pytest.raises(DomainError) as caught:
        services.project_create(
            user=world.users["admin"],
            name="代码错误项目",
            code="2024-210804-4-01-123456",
            area=world.own_area,
            total_investment=Decimal(1),
        )
    assert "第 3 段" in caught.value.errors["code"]


def test_a_project_code_used_twice_is_refused(make: Any, world: Any) -> None:
    from zhenxing.projects import services

    first = make.project(world.own_area)
    with pytest.raises(DomainError) as caught:
        services.project_create(
            user=world.users["admin"],
            name="重复代码项目",
            code=first.code,
            area=world.own_area,
            total_investment=Decimal(1),
        )
    assert "已被使用" in caught.value.errors["code"]


def test_planned_finish_before_planned_start_is_refused(own_project: Any, world: Any) -> None:
    from zhenxing.projects import services

    with pytest.raises(DomainError) as caught:
        services.project_update(
            user=world.users["area"],
            project=own_project,
            planned_start=D(2024, 5, 1),
            planned_finish=D(2024, 4, 1),
        )
    assert "planned_finish" in caught.value.errors


def test_the_status_is_not_edited_directly(own_project: Any, world: Any) -> None:
    from zhenxing.projects import services

    with pytest.raises(DomainError) as caught:
        services.project_update(user=world.users["admin"], project=own_project, status="completed")
    assert "status" in caught.value.errors


def test_moving_a_project_needs_rights_in_the_target_area(own_project: Any, world: Any) -> None:
    from zhenxing.core.scoping import PermissionDenied
    from zhenxing.projects import services

    with pytest.raises(PermissionDenied):
        services.project_update(
            user=world.users["area"], project=own_project, area=world.other_area
        )
    own_project.refresh_from_db()
    assert own_project.area == world.own_area


def test_completed_before_started_is_refused(make: Any, world: Any) -> None:
    from zhenxing.projects import services

    project = make.project(world.own_area, status="signed", since=D(2024, 1, 5), library=None)
    with pytest.raises(DomainError) as caught:
        services.project_change_status(
            user=world.users["area"], project=project, status="completed", date=D(2024, 6, 1)
        )
    assert "不能从“签约”变为“竣工”" in caught.value.errors["status"]
    project.refresh_from_db()
    assert project.status == "signed" and project.status_changes.count() == 1


def test_a_status_change_dated_before_the_last_one_is_refused(make: Any, world: Any) -> None:
    from zhenxing.projects import services

    project = make.project(world.own_area, status="preparing", since=D(2024, 3, 1))
    with pytest.raises(DomainError) as caught:
        services.project_change_status(
            user=world.users["area"], project=project, status="new_start", date=D(2024, 2, 1)
        )
    assert "早于上一次变更" in caught.value.errors["date"]


def test_a_status_change_dated_after_today_is_refused(make: Any, world: Any) -> None:
    from zhenxing.projects import services

    project = make.project(world.own_area, status="preparing", since=D(2024, 3, 1))
    with pytest.raises(DomainError) as caught:
        services.project_change_status(
            user=world.users["area"], project=project, status="new_start", date=D(2024, 7, 1)
        )
    assert "不能晚于今天" in caught.value.errors["date"]


def test_a_status_change_moves_the_project_and_keeps_its_note_in_the_history(
    make: Any, world: Any
) -> None:
    from zhenxing.projects import services

    project = make.project(world.own_area, status="preparing", since=D(2024, 1, 10))
    services.project_change_status(
        user=world.users["area"],
        project=project,
        status="new_start",
        date=D(2024, 3, 18),
        note="全市重大项目集中开工",
    )
    services.project_change_status(
        user=world.users["area"], project=project, status="completed", date=D(2024, 6, 20)
    )
    project.refresh_from_db()
    assert (project.status, project.status_since) == ("completed", D(2024, 6, 20))
    steps = list(project.status_changes.values_list("status", "date", "note"))
    assert steps[1:] == [
        ("new_start", D(2024, 3, 18), "全市重大项目集中开工"),
        ("completed", D(2024, 6, 20), ""),
    ]
    changed = [e for e in _entries(project) if e.action == "update"]
    assert any(e.reason == "全市重大项目集中开工" for e in changed)
    assert all(e.actor == world.users["area"] for e in changed)


def test_a_finished_project_cannot_move_again(make: Any, world: Any) -> None:
    from zhenxing.projects import services

    project = make.project(world.own_area, status="new_start", since=D(2023, 6, 1))
    for status, day in (("completed", D(2023, 12, 1)), ("in_production", D(2024, 1, 1))):
        services.project_change_status(
            user=world.users["admin"], project=project, status=status, date=day
        )
    with pytest.raises(DomainError) as caught:
        services.project_change_status(
            user=world.users["admin"], project=project, status="terminated", date=D(2024, 2, 1)
        )
    assert "已结束" in caught.value.errors["status"]


def test_a_project_in_a_library_cannot_enter_it_again(own_project: Any, world: Any) -> None:
    from zhenxing.projects import services

    with pytest.raises(DomainError) as caught:
        services.project_enter_library(
            user=world.users["area"],
            project=own_project,
            library="construction",
            date=D(2024, 5, 1),
        )
    assert "已在建设项目库中" in caught.value.errors["library"]


def test_leaving_a_library_closes_the_stay_and_reentry_starts_a_new_one(
    own_project: Any, world: Any
) -> None:
    from zhenxing.projects import services

    user = world.users["area"]
    services.project_leave_library(
        user=user, project=own_project, library="construction", date=D(2024, 2, 1)
    )
    with pytest.raises(DomainError) as caught:
        services.project_enter_library(
            user=user, project=own_project, library="construction", date=D(2024, 1, 15)
        )
    assert "entered_on" in caught.value.errors
    services.project_enter_library(
        user=user, project=own_project, library="construction", date=D(2024, 4, 1)
    )
    stays = list(own_project.libraries.order_by("entered_on").values_list("entered_on", "left_on"))
    assert stays == [(D(2023, 3, 1), D(2024, 2, 1)), (D(2024, 4, 1), None)]


def test_leaving_a_library_the_project_is_not_in_is_refused(own_project: Any, world: Any) -> None:
    from zhenxing.projects import services

    with pytest.raises(DomainError) as caught:
        services.project_leave_library(
            user=world.users["area"], project=own_project, library="key", date=D(2024, 2, 1)
        )
    assert "不在重点项目库中" in caught.value.errors["library"]


def test_a_project_may_be_on_several_key_lists(own_project: Any, world: Any) -> None:
    from zhenxing.projects import services
    from zhenxing.projects.models import KeyList

    major = KeyList.objects.create(code="prov-major", name="省重大工程")
    port = KeyList.objects.create(code="port-city", name="港产城")
    user = world.users["area"]
    services.project_add_to_key_list(
        user=user, project=own_project, key_list=major, date=D(2024, 1, 1)
    )
    services.project_add_to_key_list(
        user=user, project=own_project, key_list=port, date=D(2024, 1, 1)
    )
    with pytest.raises(DomainError):
        services.project_add_to_key_list(
            user=user, project=own_project, key_list=port, date=D(2024, 2, 1)
        )
    services.project_remove_from_key_list(
        user=user, project=own_project, key_list=port, date=D(2024, 5, 1)
    )
    open_codes = set(
        own_project.key_lists.filter(left_on__isnull=True).values_list("key_list__code", flat=True)
    )
    assert open_codes == {"prov-major"}


def test_setting_an_annual_plan_twice_changes_it_and_keeps_the_old_value(
    own_project: Any, world: Any
) -> None:
    from zhenxing.projects import services

    user = world.users["area"]
    plan = services.project_set_annual_plan(
        user=user, project=own_project, year=2024, planned_investment=Decimal("30000000")
    )
    services.project_set_annual_plan(
        user=user, project=own_project, year=2024, planned_investment=Decimal("36000000.00")
    )
    plan.refresh_from_db()
    assert plan.planned_investment == Decimal("36000000.00")
    assert own_project.annual_plans.count() == 1
    [update] = [e for e in _entries(plan) if e.action == "update"]
    assert update.changes[0]["old"] == "30000000.00"


def test_a_negative_annual_plan_is_refused(own_project: Any, world: Any) -> None:
    from zhenxing.projects import services

    with pytest.raises(DomainError) as caught:
        services.project_set_annual_plan(
            user=world.users["area"], project=own_project, year=2024, planned_investment="-1"
        )
    assert "不能为负数" in caught.value.errors["planned_investment"]


@pytest.mark.parametrize("role", ["area", "steward", "enterprise", "leader"])
def test_nobody_outside_the_area_changes_its_project(
    other_project: Any, world: Any, role: str
) -> None:
    from zhenxing.core.scoping import PermissionDenied
    from zhenxing.projects import services

    with pytest.raises(PermissionDenied):
        services.project_change_status(
            user=world.users[role], project=other_project, status="completed", date=D(2024, 6, 1)
        )
