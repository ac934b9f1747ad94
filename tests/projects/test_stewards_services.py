"""项目管家 services: leaders, teams, visits with photos, problems closed one by one."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhenxing.core import scoping
from zhenxing.core.services import DomainError
from zhenxing.projects.stewards import queries as steward_queries

D = datetime.date
TODAY = "2024-06-30"

# The smallest files that start like the real formats (the services read the first bytes).
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64


def make_project(area: Any, name: str, **values: Any) -> Any:
    from zhenxing.projects.models import Project

    return Project.objects.create(
        name=name,
        area=area,
        total_investment=values.pop("total_investment", Decimal("1500000000")),
        status=values.pop("status", "continuing"),
        status_since=values.pop("status_since", D(2024, 1, 1)),
        **values,
    )


def make_user(username: str, *roles: dict[str, Any]) -> Any:
    from django.contrib.auth import get_user_model

    from zhenxing.core.models import RoleAssignment

    user = get_user_model().objects.create_user(
        username=username, password="Test-Passw0rd-2024", display_name=username
    )
    for grant in roles:
        RoleAssignment.objects.create(user=user, **grant)
    return user


@pytest.fixture
def sw(world: Any, settings: Any, tmp_path: Any) -> SimpleNamespace:
    """The world's steward leads a project in 鲅鱼圈区; another steward one in 盖州市."""
    from zhenxing.core.models import Department
    from zhenxing.core.roles import Role
    from zhenxing.projects.stewards import services

    settings.TODAY_OVERRIDE = TODAY
    settings.MEDIA_ROOT = tmp_path
    admin = world.users["admin"]
    own = make_project(world.own_area, "鲅鱼圈测试LNG项目")
    other = make_project(world.other_area, "盖州测试镁材项目")
    other_steward = make_user("steward2", {"role": Role.STEWARD})
    services.stewardship_assign(
        user=admin, project=own, leader=world.users["steward"], since=D(2024, 1, 2)
    )
    services.stewardship_assign(
        user=admin, project=other, leader=other_steward, since=D(2024, 1, 2)
    )
    return SimpleNamespace(
        world=world,
        admin=admin,
        steward=world.users["steward"],
        other_steward=other_steward,
        own=own,
        other=other,
        gxj=Department.objects.get(code="gxj"),
    )


def raise_problem(sw: SimpleNamespace, **values: Any) -> Any:
    from zhenxing.projects.stewards import services

    return services.problem_raise(
        user=values.pop("user", sw.steward),
        project=values.pop("project", sw.own),
        title=values.pop("title", "用地指标尚未落实"),
        description=values.pop("description", "二期用地 120 亩指标待省里批复"),
        owner_department=values.pop("owner_department", sw.gxj),
        due_date=values.pop("due_date", D(2024, 7, 15)),
    )


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# ------------------------------------------------------------------ leader and team


def test_assigning_a_leader_gives_the_steward_role_and_is_audited(sw: SimpleNamespace) -> None:
    from zhenxing.core import audit
    from zhenxing.core.models import RoleAssignment
    from zhenxing.core.roles import Role
    from zhenxing.projects.stewards import services

    project = make_project(sw.world.own_area, "鲅鱼圈测试新材料项目")
    vice_mayor = make_user("vice_mayor", {"role": Role.LEADER})
    stewardship = services.stewardship_assign(
        user=sw.world.users["dept"], project=project, leader=vice_mayor, since="2024-03-01"
    )
    assert stewardship.leader == vice_mayor and stewardship.since == D(2024, 3, 1)
    granted = RoleAssignment.objects.get(user=vice_mayor, role=Role.STEWARD)
    assert audit.entries_for(granted).filter(action="create").exists()
    assert audit.entries_for(stewardship).get().reason == "指定包保领导"
    assert project.pk in scoping._steward_project_ids(scoping.grants_for(vice_mayor))


def test_only_city_staff_assign_leaders(sw: SimpleNamespace) -> None:
    from zhenxing.projects.stewards import services

    project = make_project(sw.world.own_area, "鲅鱼圈测试装备项目")
    for role in ("area", "steward", "leader", "enterprise"):
        with pytest.raises(scoping.PermissionDenied):
            services.stewardship_assign(
                user=sw.world.users[role], project=project, leader=sw.steward, since=D(2024, 3, 1)
            )


def test_a_project_has_one_leader_and_a_change_is_recorded(sw: SimpleNamespace) -> None:
    from zhenxing.core import audit
    from zhenxing.projects.models import Stewardship
    from zhenxing.projects.stewards import services

    with pytest.raises(DomainError) as same:
        services.stewardship_assign(
            user=sw.admin, project=sw.own, leader=sw.steward, since=D(2024, 5, 1)
        )
    assert "leader" in same.value.errors
    with pytest.raises(DomainError) as earlier:
        services.stewardship_assign(
            user=sw.admin, project=sw.own, leader=sw.other_steward, since=D(2023, 12, 1)
        )
    assert "since" in earlier.value.errors
    services.stewardship_assign(
        user=sw.admin, project=sw.own, leader=sw.other_steward, since=D(2024, 5, 1)
    )
    stewardship = Stewardship.objects.get(project=sw.own)
    assert stewardship.leader == sw.other_steward
    assert Stewardship.objects.filter(project=sw.own).count() == 1
    assert audit.entries_for(stewardship).filter(reason__startswith="更换包保领导").exists()


def test_a_team_member_who_is_a_user_sees_the_project(sw: SimpleNamespace) -> None:
    from zhenxing.core.roles import Role
    from zhenxing.projects.models import Project
    from zhenxing.projects.stewards import services

    helper = make_user("helper", {"role": Role.STEWARD})
    assert not scoping.visible(helper, Project.objects.filter(pk=sw.own.pk)).exists()
    member = services.team_member_add(
        user=sw.steward, project=sw.own, member_user=helper, duty="要素保障"
    )
    assert member.name == "helper"
    assert scoping.visible(helper, Project.objects.filter(pk=sw.own.pk)).exists()
    with pytest.raises(DomainError) as twice:
        services.team_member_add(user=sw.steward, project=sw.own, member_user=helper)
    assert "member_user" in twice.value.errors
    with pytest.raises(DomainError) as nameless:
        services.team_member_add(user=sw.steward, project=sw.own, name="  ")
    assert "name" in nameless.value.errors
    with pytest.raises(scoping.PermissionDenied):
        services.team_member_add(user=sw.steward, project=sw.other, name="张三")
    services.team_member_remove(user=sw.steward, member=member)
    scoping.forget_grants(helper)
    assert not scoping.visible(helper, Project.objects.filter(pk=sw.own.pk)).exists()


# ------------------------------------------------------------------ visits


def test_a_steward_records_visits_only_for_its_own_projects(sw: SimpleNamespace) -> None:
    from zhenxing.projects.models import Visit
    from zhenxing.projects.stewards import services

    visit = services.visit_record(
        user=sw.steward,
        project=sw.own,
        kind="site",
        date=D(2024, 6, 20),
        visitors="赵副市长、市发改委",
        notes="现场协调二期用地",
    )
    assert visit.recorded_by == sw.steward and visit.project == sw.own
    with pytest.raises(scoping.PermissionDenied):
        services.visit_record(
            user=sw.steward, project=sw.other, kind="phone", date=D(2024, 6, 20), visitors="赵"
        )
    assert Visit.objects.filter(project=sw.other).count() == 0


def test_a_visit_dated_in_the_future_is_refused(sw: SimpleNamespace) -> None:
    from zhenxing.projects.models import Visit
    from zhenxing.projects.stewards import services

    with pytest.raises(DomainError) as refused:
        services.visit_record(
            user=sw.steward, project=sw.own, kind="site", date=D(2024, 7, 1), visitors="赵副市长"
        )
    assert "date" in refused.value.errors
    assert "晚于今天" in refused.value.errors["date"]
    # today itself is fine
    services.visit_record(
        user=sw.steward, project=sw.own, kind="site", date=D(2024, 6, 30), visitors="赵副市长"
    )
    assert Visit.objects.count() == 1


def test_a_visit_needs_a_kind_and_visitors(sw: SimpleNamespace) -> None:
    from zhenxing.projects.stewards import services

    with pytest.raises(DomainError) as kind:
        services.visit_record(
            user=sw.steward, project=sw.own, kind="email", date=D(2024, 6, 1), visitors="赵"
        )
    assert "kind" in kind.value.errors
    with pytest.raises(DomainError) as visitors:
        services.visit_record(
            user=sw.steward, project=sw.own, kind="phone", date=D(2024, 6, 1), visitors=" "
        )
    assert "visitors" in visitors.value.errors


def test_photos_are_kept_by_their_content_and_stored_under_media(
    sw: SimpleNamespace, tmp_path: Any
) -> None:
    from zhenxing.projects.stewards import services

    visit = services.visit_record(
        user=sw.steward,
        project=sw.own,
        kind="city_team",
        date=D(2024, 6, 28),
        visitors="市帮办团队",
        photos=[
            upload("现场.jpg", JPEG),
            upload("named-wrong.gif", PNG, "image/gif"),
            upload("c.webp", WEBP, "image/webp"),
        ],
    )
    names = sorted(p.file.name.rsplit(".", 1)[1] for p in visit.photos.all())
    assert names == ["jpg", "png", "webp"]
    for photo in visit.photos.all():
        assert (tmp_path / photo.file.name).exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", b"<html><script>alert(1)</script></html>"),
        ("photo.png", b"%PDF-1.7 not an image"),
        ("photo.gif", b"GIF89a\x01\x00\x01\x00"),
        ("empty.jpg", b""),
    ],
)
def test_a_photo_that_is_not_jpeg_png_or_webp_is_refused(
    sw: SimpleNamespace, name: str, content: bytes
) -> None:
    from zhenxing.projects.models import Visit, VisitPhoto
    from zhenxing.projects.stewards import services

    with pytest.raises(DomainError) as refused:
        services.visit_record(
            user=sw.steward,
            project=sw.own,
            kind="site",
            date=D(2024, 6, 20),
            visitors="赵副市长",
            photos=[upload("ok.jpg", JPEG), upload(name, content)],
        )
    assert "photos" in refused.value.errors
    assert Visit.objects.count() == 0 and VisitPhoto.objects.count() == 0


def test_a_photo_over_10_mb_is_refused(sw: SimpleNamespace) -> None:
    from zhenxing.projects.models import Visit
    from zhenxing.projects.stewards import services

    big = upload("big.jpg", JPEG + b"\x00" * (10 * 1024 * 1024 + 1 - len(JPEG)))
    with pytest.raises(DomainError) as refused:
        services.visit_record(
            user=sw.steward,
            project=sw.own,
            kind="site",
            date=D(2024, 6, 20),
            visitors="赵副市长",
            photos=[big],
        )
    assert "10 MB" in refused.value.errors["photos"]
    assert Visit.objects.count() == 0
    exactly = upload("max.jpg", JPEG + b"\x00" * (10 * 1024 * 1024 - len(JPEG)))
    visit = services.visit_record(
        user=sw.steward,
        project=sw.own,
        kind="site",
        date=D(2024, 6, 20),
        visitors="赵副市长",
        photos=[exactly],
    )
    assert visit.photos.count() == 1


def test_photo_type_reads_the_bytes_not_the_name() -> None:
    from zhenxing.projects.stewards.services import photo_type

    assert photo_type(io.BytesIO(JPEG)) == "image/jpeg"
    assert photo_type(io.BytesIO(PNG)) == "image/png"
    assert photo_type(io.BytesIO(WEBP)) == "image/webp"
    assert photo_type(io.BytesIO(b"RIFF\x00\x00\x00\x00WAVEfmt ")) is None


# ------------------------------------------------------------------ problems


def test_closing_a_problem_needs_a_resolution(sw: SimpleNamespace) -> None:
    from zhenxing.projects.stewards import services

    problem = raise_problem(sw)
    with pytest.raises(DomainError) as refused:
        services.problem_close(user=sw.steward, problem=problem, resolution="   ")
    assert "resolution" in refused.value.errors
    problem.refresh_from_db()
    assert problem.status == "open" and problem.closed_on is None
    services.problem_close(
        user=sw.steward, problem=problem, resolution="省厅已批复用地指标", closed_on=D(2024, 6, 30)
    )
    problem.refresh_from_db()
    assert (problem.status, problem.closed_on) == ("closed", D(2024, 6, 30))
    assert problem.resolution == "省厅已批复用地指标"


def test_closing_a_closed_problem_again_is_refused(sw: SimpleNamespace) -> None:
    from zhenxing.core import audit
    from zhenxing.projects.stewards import services

    problem = raise_problem(sw)
    stale = type(problem).objects.get(pk=problem.pk)  # a second person's copy
    services.problem_close(user=sw.steward, problem=problem, resolution="已解决")
    with pytest.raises(DomainError) as twice:
        services.problem_close(user=sw.admin, problem=stale, resolution="再次销号")
    assert "不能重复销号" in twice.value.message
    problem.refresh_from_db()
    assert problem.resolution == "已解决"
    assert audit.entries_for(problem).filter(reason="销号").count() == 1


def test_a_closing_date_is_neither_in_the_future_nor_before_the_problem(
    sw: SimpleNamespace,
) -> None:
    from zhenxing.projects.stewards import services

    problem = raise_problem(sw)
    for day in (D(2024, 7, 1), D(2024, 6, 29)):
        with pytest.raises(DomainError) as refused:
            services.problem_close(user=sw.steward, problem=problem, resolution="x", closed_on=day)
        assert "closed_on" in refused.value.errors


def test_a_problem_needs_a_title_a_department_and_a_due_date_from_today(
    sw: SimpleNamespace,
) -> None:
    for values, field in (
        ({"title": ""}, "title"),
        ({"owner_department": None}, "owner_department"),
        ({"due_date": D(2024, 6, 29)}, "due_date"),
        ({"due_date": "not a date"}, "due_date"),
    ):
        with pytest.raises(DomainError) as refused:
            raise_problem(sw, **values)
        assert field in refused.value.errors, values
    problem = raise_problem(sw, due_date="2024-06-30")
    assert problem.raised_on == D(2024, 6, 30) and problem.raised_by == sw.steward


def test_an_open_problem_past_its_due_date_is_overdue(sw: SimpleNamespace, settings: Any) -> None:
    from zhenxing.projects.models import Problem
    from zhenxing.projects.stewards import services

    due_today = raise_problem(sw, title="环评批复", due_date=D(2024, 6, 30))
    late = raise_problem(sw, title="电力接入", due_date=D(2024, 6, 30))
    closed = raise_problem(sw, title="施工许可", due_date=D(2024, 6, 30))
    services.problem_close(user=sw.steward, problem=closed, resolution="已办理")
    assert not steward_queries.is_overdue(due_today)  # due today: not yet overdue

    settings.TODAY_OVERRIDE = "2024-07-03"
    due_today.refresh_from_db()
    late.refresh_from_db()
    closed.refresh_from_db()
    assert steward_queries.is_overdue(late) and steward_queries.days_overdue(late) == 3
    assert not steward_queries.is_overdue(closed)
    annotated = {p.title: p.overdue for p in steward_queries.with_overdue(Problem.objects.all())}
    assert annotated == {"环评批复": True, "电力接入": True, "施工许可": False}
    assert set(
        Problem.objects.filter(steward_queries.overdue_q()).values_list("title", flat=True)
    ) == {
        "环评批复",
        "电力接入",
    }


def test_a_problem_is_reopened_only_with_a_reason(sw: SimpleNamespace) -> None:
    from zhenxing.core import audit
    from zhenxing.projects.stewards import services

    problem = raise_problem(sw)
    with pytest.raises(DomainError):
        services.problem_reopen(user=sw.steward, problem=problem, reason="还没销号")
    services.problem_close(user=sw.steward, problem=problem, resolution="已协调")
    with pytest.raises(DomainError) as no_reason:
        services.problem_reopen(user=sw.steward, problem=problem, reason="")
    assert "reason" in no_reason.value.errors
    services.problem_reopen(user=sw.steward, problem=problem, reason="复查发现仍未落实")
    problem.refresh_from_db()
    assert (problem.status, problem.closed_on, problem.resolution) == ("open", None, "")
    assert audit.entries_for(problem).filter(reason="重新打开：复查发现仍未落实").exists()
    # the earlier resolution stays in the history
    assert any(
        c["field"] == "resolution" and c["old"] == "已协调"
        for entry in audit.entries_for(problem)
        for c in entry.changes
    )


def test_the_area_staff_write_in_their_area_only(sw: SimpleNamespace) -> None:
    area = sw.world.users["area"]
    raise_problem(sw, user=area)
    with pytest.raises(scoping.PermissionDenied):
        raise_problem(sw, user=area, project=sw.other)
    with pytest.raises(scoping.PermissionDenied):
        raise_problem(sw, user=sw.world.users["leader"])


def test_workload_figures_count_each_project_once(sw: SimpleNamespace) -> None:
    from zhenxing.projects.models import Project
    from zhenxing.projects.stewards import services

    for kind, day in (("site", 5), ("site", 6), ("phone", 7), ("county_team", 8)):
        services.visit_record(
            user=sw.steward, project=sw.own, kind=kind, date=D(2024, 6, day), visitors="赵"
        )
    services.visit_record(
        user=sw.steward, project=sw.own, kind="city_team", date=D(2023, 11, 1), visitors="市团队"
    )
    raise_problem(sw, title="甲")
    services.problem_close(user=sw.steward, problem=raise_problem(sw, title="乙"), resolution="好")
    row = steward_queries.annotate_workload(Project.objects.filter(pk=sw.own.pk)).get()
    assert (row.visits_total, row.visits_this_year) == (5, 4)
    assert (row.visits_site, row.visits_phone, row.visits_city_team, row.visits_county_team) == (
        2,
        1,
        1,
        1,
    )
    assert (row.open_problems, row.closed_problems, row.overdue_problems) == (1, 1, 0)
    assert row.last_visit == D(2024, 6, 8)
    assert steward_queries.own_steward_project_ids(sw.steward) == [sw.own.pk]
