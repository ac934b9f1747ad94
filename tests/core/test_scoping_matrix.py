"""The full matrix of roles × actions × own/other area, through the UI and the API.

"own" is the enterprise in 鲅鱼圈区 (the area user's area, the enterprise user's
enterprise); "other" is one in 盖州市. Refused means 403 or 404 and never the data.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

Y, N = True, False

#            view own, view other, change own, change other, create own, create other
MATRIX: dict[str, tuple[bool, bool, bool, bool, bool, bool]] = {
    "admin": (Y, Y, Y, Y, Y, Y),
    "dept": (Y, Y, Y, Y, Y, Y),
    "dept_head": (Y, Y, Y, Y, Y, Y),
    "area": (Y, N, Y, N, Y, N),
    "steward": (N, N, N, N, N, N),
    "enterprise": (Y, N, N, N, N, N),
    "leader": (Y, Y, N, N, N, N),
    "nobody": (N, N, N, N, N, N),
}
ROLES = list(MATRIX)


def _refused(response: Any, secret: str) -> bool:
    return response.status_code in (403, 404) and secret not in response.content.decode()


def _target(world: Any, which: str) -> Any:
    return world.own_enterprise if which == "own" else world.other_enterprise


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "other"])
def test_view_record_in_ui_and_api(world: Any, client: Any, role: str, which: str) -> None:
    allowed = MATRIX[role][0 if which == "own" else 1]
    enterprise = _target(world, which)
    client.force_login(world.users[role])
    page = client.get(f"/enterprises/{enterprise.pk}/")
    api = client.get(f"/api/v1/enterprises/{enterprise.pk}")
    history = client.get(f"/api/v1/enterprises/{enterprise.pk}/history")
    if allowed:
        assert page.status_code == 200 and enterprise.uscc in page.content.decode()
        assert api.status_code == 200 and api.json()["uscc"] == enterprise.uscc
        assert history.status_code == 200
    else:
        assert _refused(page, enterprise.uscc)
        assert _refused(api, enterprise.uscc)
        assert api["Content-Type"] == "application/problem+json"
        assert _refused(history, enterprise.uscc)


@pytest.mark.parametrize("role", ROLES)
def test_lists_and_exports_show_only_what_the_role_may_see(
    world: Any, client: Any, role: str
) -> None:
    client.force_login(world.users[role])
    sees_own, sees_other = MATRIX[role][0], MATRIX[role][1]
    api = client.get("/api/v1/enterprises?limit=100").json()
    usccs = {item["uscc"] for item in api["items"]}
    assert (world.own_enterprise.uscc in usccs) is sees_own
    assert (world.other_enterprise.uscc in usccs) is sees_other
    page = client.get("/enterprises/").content.decode()
    assert (world.own_enterprise.name in page) is sees_own
    assert (world.other_enterprise.name in page) is sees_other
    export = client.get("/enterprises/?format=xlsx")
    assert export.status_code == 200
    from zhenxing.core.excel import read_rows

    cells = {str(c) for row in read_rows(export.content) for c in row}
    assert (world.own_enterprise.uscc in cells) is sees_own
    assert (world.other_enterprise.uscc in cells) is sees_other


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "other"])
def test_change_record_in_api(world: Any, client: Any, role: str, which: str) -> None:
    allowed = MATRIX[role][2 if which == "own" else 3]
    enterprise = _target(world, which)
    client.force_login(world.users[role])
    response = client.patch(
        f"/api/v1/enterprises/{enterprise.pk}",
        data=json.dumps({"address": "新地址 1 号"}),
        content_type="application/json",
    )
    enterprise.refresh_from_db()
    if allowed:
        assert response.status_code == 200, response.content
        assert enterprise.address == "新地址 1 号"
    else:
        assert response.status_code in (403, 404)
        assert enterprise.address != "新地址 1 号"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "other"])
def test_change_record_in_ui(world: Any, client: Any, role: str, which: str) -> None:
    allowed = MATRIX[role][2 if which == "own" else 3]
    enterprise = _target(world, which)
    client.force_login(world.users[role])
    form = client.get(f"/enterprises/{enterprise.pk}/edit/")
    posted = client.post(
        f"/enterprises/{enterprise.pk}/edit/",
        {
            "uscc": enterprise.uscc,
            "name": enterprise.name,
            "area": enterprise.area_id,
            "ownership": "private",
            "size_class": "small",
            "address": "界面修改 9 号",
        },
    )
    enterprise.refresh_from_db()
    if allowed:
        assert form.status_code == 200
        assert posted.status_code == 302
        assert enterprise.address == "界面修改 9 号"
    else:
        assert form.status_code in (403, 404)
        assert posted.status_code in (403, 404)
        assert enterprise.address != "界面修改 9 号"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "other"])
def test_create_record_in_api(world: Any, client: Any, role: str, which: str) -> None:
    from zhenxing.enterprises.models import Enterprise

    allowed = MATRIX[role][4 if which == "own" else 5]
    area = world.own_area if which == "own" else world.other_area
    client.force_login(world.users[role])
    uscc = "91350100M000100Y43"
    response = client.post(
        "/api/v1/enterprises",
        data=json.dumps(
            {
                "uscc": uscc,
                "name": "新设测试企业有限公司",
                "area_code": area.code,
            }
        ),
        content_type="application/json",
    )
    created = Enterprise.objects.filter(uscc=uscc).exists()
    if allowed:
        assert response.status_code == 201, response.content
        assert created
    else:
        assert response.status_code in (401, 403, 404)
        assert not created


@pytest.mark.parametrize("role", ROLES)
def test_audit_log_is_scoped_like_its_records(world: Any, client: Any, role: str) -> None:
    from zhenxing.enterprises import services

    admin = world.users["admin"]
    services.enterprise_update(user=admin, enterprise=world.own_enterprise, address="审计甲")
    services.enterprise_update(user=admin, enterprise=world.other_enterprise, address="审计乙")
    client.force_login(world.users[role])
    items = client.get("/api/v1/audit?limit=500").json()["items"]
    reprs = {(i["object_repr"], i["action"]) for i in items}
    sees_own, sees_other = MATRIX[role][0], MATRIX[role][1]
    assert ((world.own_enterprise.name, "update") in reprs) is sees_own
    assert ((world.other_enterprise.name, "update") in reprs) is sees_other
    page = client.get("/system/audit/").content.decode()
    if role != "nobody":
        # the list shows values before → after, of the records the user may see only
        assert ("审计甲" in page) is sees_own
        assert ("审计乙" in page) is sees_other
        assert (world.other_enterprise.name in page) is sees_other


@pytest.mark.parametrize("role", ROLES)
def test_reference_data_is_read_by_every_signed_in_user_and_written_by_none(
    world: Any, client: Any, role: str
) -> None:
    from zhenxing.core import scoping
    from zhenxing.core.models import Area
    from zhenxing.core.roles import Action

    client.force_login(world.users[role])
    response = client.get("/api/v1/areas")
    signed_in_with_role = role != "nobody"
    if signed_in_with_role:
        assert response.status_code == 200
        assert {a["code"] for a in response.json()} >= {"210800", "210804", "P01"}
    else:
        assert response.json() == []
    area = Area.objects.get(code="210804")
    assert scoping.can(world.users[role], Action.CHANGE, area) is (role == "admin")


def test_anonymous_gets_401_from_the_api_and_the_login_page_from_the_ui(
    world: Any, client: Any
) -> None:
    response = client.get("/api/v1/enterprises")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    page = client.get(f"/enterprises/{world.own_enterprise.pk}/")
    assert page.status_code == 302 and "/login/" in page["Location"]


def test_a_leader_who_stewards_holds_both_roles(world: Any) -> None:
    from zhenxing.core import scoping
    from zhenxing.core.models import RoleAssignment
    from zhenxing.core.roles import Action, Role
    from zhenxing.enterprises.models import Enterprise

    steward = world.users["steward"]
    RoleAssignment.objects.create(user=steward, role=Role.LEADER)
    scoping.forget_grants(steward)
    assert scoping.visible(steward, Enterprise.objects.all()).count() == 2
    assert not scoping.can(steward, Action.CHANGE, world.own_enterprise)


def test_approval_is_for_the_head_of_the_department(world: Any) -> None:
    from zhenxing.core import scoping
    from zhenxing.core.models import AuditEntry, Department
    from zhenxing.core.roles import Action

    entry = AuditEntry.objects.filter(department__isnull=True).first()
    gxj = Department.objects.get(code="gxj")
    fgw = Department.objects.get(code="fgw")
    grants = scoping.grants_for(world.users["dept_head"])
    assert grants.head_department_ids == frozenset({gxj.pk})
    q_head = scoping.filter_for(grants, AuditEntry, Action.APPROVE)
    assert (
        AuditEntry.objects.filter(q_head).count()
        == AuditEntry.objects.filter(department=gxj).count()
    )
    assert fgw.pk not in grants.head_department_ids
    staff = scoping.grants_for(world.users["dept"])
    assert scoping.filter_for(staff, AuditEntry, Action.APPROVE) == scoping._NOTHING
    assert entry is None or not scoping.can(world.users["dept"], Action.APPROVE, entry)


# --- navigation, imports and the {% can %} tag per role ------------------------------------

NAV: dict[str, set[str]] = {
    "admin": {"/", "/projects/", "/enterprises/", "/policies/", "/system/"},
    "dept": {"/", "/projects/", "/enterprises/", "/policies/", "/system/"},
    "dept_head": {"/", "/projects/", "/enterprises/", "/policies/", "/system/"},
    "area": {"/", "/projects/", "/enterprises/", "/policies/", "/system/"},
    "steward": {"/", "/projects/", "/policies/", "/system/"},
    "enterprise": {"/", "/enterprises/", "/policies/"},
    "leader": {"/", "/projects/", "/enterprises/", "/policies/", "/system/"},
    "nobody": {"/", "/policies/"},
}
#  role: may use the registry import, the monthly reports import
IMPORTS: dict[str, tuple[bool, bool]] = {
    "admin": (Y, Y),
    "dept": (Y, Y),
    "dept_head": (Y, Y),
    "area": (Y, Y),
    "steward": (N, N),
    "enterprise": (N, N),
    "leader": (N, N),
    "nobody": (N, N),
}


def _navigation(html: str) -> set[str]:
    import re

    nav = re.search(r'<nav class="sidenav"[^>]*>(.*?)</nav>', html, re.S)
    return set(re.findall(r'href="([^"]+)"', nav.group(1))) if nav else set()


@pytest.mark.parametrize("role", ROLES)
def test_navigation_offers_only_the_parts_that_apply(world: Any, client: Any, role: str) -> None:
    """No entry leads to a page that is empty or refused for the role: an enterprise user
    has no projects and no system pages, a steward no enterprises."""
    client.force_login(world.users[role])
    entries = _navigation(client.get("/").content.decode())
    assert entries == NAV[role]
    for url in entries:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url

    if "/enterprises/" in entries:
        page = client.get("/enterprises/").content.decode()
        assert world.own_enterprise.name in page or world.other_enterprise.name in page


@pytest.mark.parametrize("role", ROLES)
def test_import_pages_are_for_those_who_may_write_their_rows(
    world: Any, client: Any, role: str
) -> None:
    """A leader used to get every upload page and see each row refused; now the page, its
    template and its error report answer 403, and no page links to them."""
    from zhenxing.core import excel

    user = world.users[role]
    client.force_login(user)
    for kind, allowed in zip(("enterprises", "project-reports"), IMPORTS[role], strict=True):
        for url in (f"/imports/{kind}/", f"/imports/{kind}/template/"):
            status = client.get(url).status_code
            assert status == (200 if allowed else 403), (url, status)
        assert excel.may_import(user, excel.REGISTRY[kind]) is allowed
    listed = client.get("/enterprises/").content.decode()
    assert ("/imports/enterprises/" in listed) is IMPORTS[role][0]
    assert client.get("/imports/nosuch/").status_code == 404


def test_every_registered_import_says_what_it_writes() -> None:
    from zhenxing.core import excel

    assert excel.REGISTRY
    for spec in excel.REGISTRY.values():
        assert spec.writes is not None, spec.kind
    with pytest.raises(TypeError, match="writes"):
        excel.register(
            excel.ImportSpec(kind="nothing", title="无", columns=[], write_row=lambda r, u: None)
        )


@pytest.mark.parametrize("role", ROLES)
def test_the_can_tag_answers_as_scoping_does(world: Any, rf: Any, role: str) -> None:
    from django.template import Context, Template

    from zhenxing.core import scoping
    from zhenxing.core.roles import Action
    from zhenxing.enterprises.models import Enterprise, Tier

    user = world.users[role]
    request = rf.get("/")
    request.user = user
    template = Template(
        "{% load access %}{% can 'change' e as a %}{% can 'create' 'enterprises.Tier' "
        "enterprise=e enterprise__area=e.area as b %}{% can 'create' model as c %}"
        "{{ a }}{{ b }}{{ c }}"
    )
    e = world.own_enterprise
    rendered = template.render(Context({"request": request, "e": e, "model": Enterprise}))
    expected = (
        scoping.can(user, Action.CHANGE, e),
        scoping.can(
            user, Action.CREATE, model=Tier, values={"enterprise": e, "enterprise__area": e.area}
        ),
        scoping.can(user, Action.CREATE, model=Enterprise),
    )
    assert rendered == "".join(str(x) for x in expected)


@pytest.mark.parametrize("role", ROLES)
def test_restricted_values_narrow_a_models_writers(world: Any, role: str) -> None:
    """`ScopeSpec.restricted`: asked with only the restricted value, `can` answers "may
    the user write such a record anywhere"; with the scope too, "here"."""
    from zhenxing.core import scoping
    from zhenxing.core.roles import Action
    from zhenxing.projects.models import Visit

    user = world.users[role]
    city = role in ("admin", "dept", "dept_head")
    here = {"project__area": world.own_area.pk}
    leaders = scoping.can(user, Action.CREATE, model=Visit, values={"kind": "site"})
    county = scoping.can(user, Action.CREATE, model=Visit, values={"kind": "county_team"})
    assert leaders is (city or role == "steward")
    assert county is (city or role in ("area", "steward"))
    assert scoping.can(user, Action.CREATE, model=Visit, values={**here, "kind": "site"}) is city
