"""core.listing's shared pieces for list pages: filter choices, row links, the view."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import translation

from zhenxing.core.listing import Column, ListSpec, area_choices, choices_of
from zhenxing.core.models import Area, AuditAction


def _request(user: Any) -> Any:
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_choices_of_translates_when_the_page_is_drawn(db: Any) -> None:
    choices = choices_of(AuditAction.choices)  # built once, at import time in a view module
    with translation.override("zh-hans"):
        chinese = dict(choices(_request(AnonymousUser())))
    with translation.override("en"):
        english = dict(choices(_request(AnonymousUser())))
    assert chinese.keys() == english.keys() == {str(v) for v in AuditAction.values}
    assert chinese != english
    assert dict(choices_of({"held": "持有"})(_request(AnonymousUser()))) == {"held": "持有"}


def test_area_choices_are_the_areas_the_user_may_pick(world: Any) -> None:
    area_staff = dict(area_choices(_request(world.users["area"])))
    assert area_staff == {str(world.own_area.pk): world.own_area.name}
    admin = dict(area_choices(_request(world.users["admin"])))
    city = Area.objects.get(kind="city")
    assert str(city.pk) in admin
    assert str(city.pk) not in dict(area_choices(_request(world.users["admin"]), city=False))


def test_a_row_links_where_the_spec_says_or_to_its_record(world: Any) -> None:
    spec = ListSpec(title="t", queryset=lambda r: Area.objects.all(), columns=[Column("name", "n")])
    assert spec.row_url(world.own_enterprise) == world.own_enterprise.get_absolute_url()
    assert spec.row_url(world.own_area) is None  # areas have no page of their own
    linked = ListSpec(
        title="t",
        queryset=lambda r: Area.objects.all(),
        columns=[Column("name", "n", link=True)],
        link=lambda area: f"/areas/{area.code}/",
    )
    assert linked.row_url(world.own_area) == "/areas/210804/"


def test_a_list_view_asks_who_you_are_first(client: Any, world: Any) -> None:
    response = client.get("/system/areas/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(world.users["admin"])
    assert client.get("/system/areas/").status_code == 200
