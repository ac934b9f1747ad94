"""Roles × actions × own/other area for the enterprise part's new records — tiers, yearly
facts, the portrait, the pool and its follow-up log, contacts — through the UI and the API.

"own" is the enterprise in 鲅鱼圈区 (the area user's area, the enterprise user's own);
"other" is one in 盖州市. Refused means 403 or 404, and never the data.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

Y, N = True, False
ROLES = ["admin", "dept", "dept_head", "area", "steward", "enterprise", "leader", "nobody"]
D = datetime.date

# role: (own, other)
VIEW = {
    "admin": (Y, Y),
    "dept": (Y, Y),
    "dept_head": (Y, Y),
    "area": (Y, N),
    "steward": (N, N),
    "enterprise": (Y, N),
    "leader": (Y, Y),
    "nobody": (N, N),
}
GRANT_TIER = {r: (Y, Y) if r in ("admin", "dept", "dept_head") else (N, N) for r in ROLES}
RECORD_FACTS = {  # source 企业自报
    **dict.fromkeys(ROLES, (N, N)),
    "admin": (Y, Y),
    "dept": (Y, Y),
    "dept_head": (Y, Y),
    "area": (Y, N),
    "enterprise": (Y, N),
}
ENTER_POOL = {
    **dict.fromkeys(ROLES, (N, N)),
    "admin": (Y, Y),
    "dept": (Y, Y),
    "dept_head": (Y, Y),
    "area": (Y, N),
}
FOLLOW_UP_LOG = {**VIEW, "enterprise": (N, N)}  # staff notes
CONTACTS = {**VIEW, "leader": (N, N)}  # personal data: staff who handle the enterprise


@pytest.fixture
def records(world: Any, record: Any) -> dict[str, Any]:
    from zhenxing.enterprises import services

    admin = world.users["admin"]
    out: dict[str, Any] = {}
    for which, e in (("own", world.own_enterprise), ("other", world.other_enterprise)):
        services.enterprise_update(
            user=admin, enterprise=e, contact_name=f"联系人{which}", contact_phone="0417-1234567"
        )
        record.facts(e, 2023, revenue="1234567.89")
        tier = record.tier(e, "high_tech", D(2023, 11, 30))
        entry = services.pool_enter(
            user=admin, enterprise=e, target="gazelle", year=2024, entered_on=D(2024, 2, 1)
        )
        services.pool_follow_up(
            user=admin, entry=entry, kind="visit", note=f"走访记录{which}", date=D(2024, 6, 1)
        )
        out[which] = {"enterprise": e, "tier": tier, "entry": entry}
    return out


def _target(records: dict[str, Any], which: str) -> dict[str, Any]:
    return records[which]  # type: ignore[no-any-return]


def _refused(response: Any, secret: str = "") -> bool:
    return response.status_code in (403, 404) and (
        not secret or secret not in response.content.decode()
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "other"])
def test_view_tiers_facts_portrait_and_pool(
    records: Any, world: Any, client: Any, role: str, which: str
) -> None:
    allowed = VIEW[role][which == "other"]
    target = _target(records, which)
    e = target["enterprise"]
    client.force_login(world.users[role])
    tiers = client.get(f"/api/v1/enterprises/{e.pk}/tiers")
    facts = client.get(f"/api/v1/enterprises/{e.pk}/facts?year_from=2023&year_to=2023")
    portrait = client.get(f"/api/v1/enterprises/{e.pk}/portrait")
    pool = client.get(f"/api/v1/enterprises/{e.pk}/pool")
    pages = [
        client.get(f"/enterprises/{e.pk}/?tab={tab}")
        for tab in ("facts", "tiers", "portrait", "pool")
    ]
    if allowed:
        assert tiers.status_code == 200 and tiers.json()["held_today"] == ["high_tech"]
        assert facts.status_code == 200 and facts.json()[0]["value"] == "1234567.89"
        assert portrait.status_code == 200
        assert pool.status_code == 200 and pool.json()[0]["target"] == "gazelle"
        assert all(p.status_code == 200 for p in pages)
        assert "12,345,678.9" not in pages[0].content.decode()  # money shows in 万元
        assert "123.46" in pages[0].content.decode()
    else:
        for response in (tiers, facts, portrait, pool, *pages):
            assert _refused(response, "1234567.89"), response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_lists_show_only_what_the_role_may_see(
    records: Any, world: Any, client: Any, role: str
) -> None:
    own, other = VIEW[role]
    client.force_login(world.users[role])
    tiers = client.get("/api/v1/enterprises/tiers?limit=100").json()["items"]
    names = {t["enterprise_name"] for t in tiers}
    assert (world.own_enterprise.name in names) is own
    assert (world.other_enterprise.name in names) is other
    pool = client.get("/api/v1/enterprises/pool?limit=100").json()["items"]
    names = {p["enterprise_name"] for p in pool}
    assert (world.own_enterprise.name in names) is own
    assert (world.other_enterprise.name in names) is other
    page = client.get("/enterprises/tiers/").content.decode()
    assert (world.own_enterprise.name in page) is own
    assert (world.other_enterprise.name in page) is other
    from zhenxing.core import scoping

    if not scoping.works_for_the_city(world.users[role]):
        # the pool list and its export are the city's work pages: refused by address
        assert client.get("/enterprises/pool/?year=2024").status_code == 403
        assert client.get("/enterprises/pool/?year=2024&format=xlsx").status_code == 403
        return
    page = client.get("/enterprises/pool/?year=2024").content.decode()
    assert (world.own_enterprise.name in page) is own
    assert (world.other_enterprise.name in page) is other
    export = client.get("/enterprises/pool/?year=2024&format=xlsx")
    from zhenxing.core.excel import read_rows

    cells = {str(c) for row in read_rows(export.content) for c in row}
    assert (world.own_enterprise.name in cells) is own
    assert (world.other_enterprise.name in cells) is other


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "other"])
def test_grant_a_tier(records: Any, world: Any, client: Any, role: str, which: str) -> None:
    from zhenxing.enterprises.models import Tier

    allowed = GRANT_TIER[role][which == "other"]
    e = _target(records, which)["enterprise"]
    client.force_login(world.users[role])
    api = client.post(
        f"/api/v1/enterprises/{e.pk}/tiers",
        data=json.dumps({"code": "eaglet", "issued_on": "2024-05-01"}),
        content_type="application/json",
    )
    page = client.post(
        f"/enterprises/{e.pk}/tiers/new/",
        {"code": "gazelle", "level": "provincial", "issued_on": "2024-05-02"},
    )
    made = set(Tier.objects.filter(enterprise=e).values_list("code", flat=True))
    if allowed:
        assert api.status_code == 201, api.content
        assert page.status_code == 302
        assert {"eaglet", "gazelle"} <= made
    else:
        assert api.status_code in (401, 403, 404)
        assert page.status_code in (403, 404)
        assert not {"eaglet", "gazelle"} & made


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "other"])
def test_record_self_reported_facts(
    records: Any, world: Any, client: Any, role: str, which: str
) -> None:
    from zhenxing.enterprises.models import FactValue

    allowed = RECORD_FACTS[role][which == "other"]
    e = _target(records, which)["enterprise"]
    client.force_login(world.users[role])
    api = client.post(
        f"/api/v1/enterprises/{e.pk}/facts",
        data=json.dumps({"year": 2023, "source": "self_reported", "values": {"employees": 77}}),
        content_type="application/json",
    )
    written = FactValue.objects.filter(enterprise=e, source="self_reported", value="77").exists()
    if allowed:
        assert api.status_code == 201, api.content
        assert written
    else:
        assert api.status_code in (401, 403, 404)
        assert not written


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "other"])
def test_enter_the_pool_and_follow_up(
    records: Any, world: Any, client: Any, role: str, which: str
) -> None:
    from zhenxing.enterprises.models import FollowUp, PoolEntry

    allowed = ENTER_POOL[role][which == "other"]
    target = _target(records, which)
    e, entry = target["enterprise"], target["entry"]
    client.force_login(world.users[role])
    api = client.post(
        f"/api/v1/enterprises/{e.pk}/pool",
        data=json.dumps({"target": "little_giant", "year": 2024}),
        content_type="application/json",
    )
    follow = client.post(
        f"/enterprises/pool/{entry.pk}/follow-up/",
        {"kind": "phone", "note": "电话了解申报进度", "date": "2024-06-28"},
    )
    entered = PoolEntry.objects.filter(enterprise=e, target="little_giant").exists()
    logged = FollowUp.objects.filter(entry=entry, note="电话了解申报进度").exists()
    if allowed:
        assert api.status_code == 201, api.content
        assert follow.status_code == 302
        assert entered and logged
    else:
        assert api.status_code in (401, 403, 404)
        assert follow.status_code in (403, 404)
        assert not entered and not logged


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "other"])
def test_the_follow_up_log_is_staff_only(
    records: Any, world: Any, client: Any, role: str, which: str
) -> None:
    allowed = FOLLOW_UP_LOG[role][which == "other"]
    target = _target(records, which)
    client.force_login(world.users[role])
    api = client.get(f"/api/v1/enterprises/pool/{target['entry'].pk}/follow-ups")
    page = client.get(f"/enterprises/{target['enterprise'].pk}/?tab=pool")
    note = f"走访记录{which}"
    if allowed:
        assert api.status_code == 200 and api.json()[0]["note"] == note
        assert note in page.content.decode()
    else:
        assert _refused(api, note)
        assert note not in page.content.decode()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "other"])
def test_contacts_only_for_staff_who_handle_the_enterprise(
    records: Any, world: Any, client: Any, role: str, which: str
) -> None:
    allowed = CONTACTS[role][which == "other"]
    e = _target(records, which)["enterprise"]
    client.force_login(world.users[role])
    api = client.get(f"/api/v1/enterprises/{e.pk}")
    page = client.get(f"/enterprises/{e.pk}/")
    name = f"联系人{which}"
    if allowed:
        assert api.json()["contacts"] == {"name": name, "phone": "0417-1234567"}
        assert name in page.content.decode()
    else:
        if api.status_code == 200:
            assert api.json()["contacts"] is None
        assert name not in page.content.decode()
        assert name not in api.content.decode()


def test_only_administrators_change_the_source_priority(
    records: Any, world: Any, defs: Any
) -> None:
    from zhenxing.core import scoping
    from zhenxing.enterprises import services

    for role in ROLES:
        if role == "admin":
            continue
        with pytest.raises(scoping.PermissionDenied):
            services.fact_priority_set(
                user=world.users[role], definition=defs["revenue"], priority=["statistics"]
            )
    services.fact_priority_set(
        user=world.users["admin"], definition=defs["revenue"], priority=["statistics"]
    )


# --- what each role is offered: write pages, buttons and uploads ---------------------

# role: may change the enterprise's registry record and its pool (own, other)
CHANGE_REGISTRY = ENTER_POOL
# role: the fact sources it may record for its own enterprise, and the sheets it may upload
FACT_SOURCES = {
    **{role: set() for role in ROLES},
    "admin": {"tax", "statistics", "market_regulator", "self_reported"},
    "dept": {"tax", "statistics", "market_regulator", "self_reported"},
    "dept_head": {"tax", "statistics", "market_regulator", "self_reported"},
    "area": {"tax", "statistics", "market_regulator", "self_reported"},
    "enterprise": {"self_reported"},
}


def _write_pages(target: dict[str, Any]) -> dict[str, str]:
    e, entry, tier = target["enterprise"], target["entry"], target["tier"]
    return {
        "edit": f"/enterprises/{e.pk}/edit/",
        "fact_new": f"/enterprises/{e.pk}/facts/new/",
        "tier_new": f"/enterprises/{e.pk}/tiers/new/",
        "tier_lose": f"/enterprises/tiers/{tier.pk}/lose/",
        "pool_new": f"/enterprises/{e.pk}/pool/new/",
        "pool_stage": f"/enterprises/pool/{entry.pk}/stage/",
        "pool_follow_up": f"/enterprises/pool/{entry.pk}/follow-up/",
        "pool_assign": f"/enterprises/pool/{entry.pk}/assign/",
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["own", "other"])
def test_write_pages_answer_only_the_roles_that_may_write(
    records: Any, world: Any, client: Any, role: str, which: str
) -> None:
    """A role that may not write gets 403/404 from the form page, not a form that fails
    on submit (the facts form was open to a city leader)."""
    other = which == "other"
    expected = {
        "edit": CHANGE_REGISTRY[role][other],
        "fact_new": RECORD_FACTS[role][other],
        "tier_new": GRANT_TIER[role][other],
        "tier_lose": GRANT_TIER[role][other],
        "pool_new": ENTER_POOL[role][other],
        "pool_stage": ENTER_POOL[role][other],
        "pool_follow_up": ENTER_POOL[role][other],
        "pool_assign": ENTER_POOL[role][other],
    }
    client.force_login(world.users[role])
    for name, url in _write_pages(_target(records, which)).items():
        status = client.get(url).status_code
        assert status in (200, 403, 404), (name, status)
        assert (status == 200) is expected[name], (name, status)


@pytest.mark.parametrize("role", ROLES)
def test_pages_offer_only_what_the_role_may_write(
    records: Any, world: Any, client: Any, role: str
) -> None:
    from ..affordances import write_affordances

    e = _target(records, "own")["enterprise"]
    client.force_login(world.users[role])
    offered: set[str] = set()
    for tab in ("basic", "facts", "tiers", "portrait", "pool", "history"):
        page = client.get(f"/enterprises/{e.pk}/?tab={tab}")
        if page.status_code == 200:
            offered.update(write_affordances(page.content.decode(), f"/enterprises/{e.pk}/"))
    for url in ("/enterprises/", "/enterprises/tiers/", "/enterprises/pool/"):
        page = client.get(url)
        if page.status_code == 200:
            offered.update(write_affordances(page.content.decode(), url))
    names = {o.rsplit("(", 1)[-1].rstrip(")") for o in offered if o.startswith("link")}
    assert ("enterprises:edit" in names) is CHANGE_REGISTRY[role][0], offered
    assert ("enterprises:fact_new" in names) is RECORD_FACTS[role][0], offered
    assert ("enterprises:tier_new" in names) is GRANT_TIER[role][0], offered
    assert ("enterprises:pool_new" in names) is ENTER_POOL[role][0], offered
    sheets = {
        o.split("/imports/enterprise-facts-")[1].split("/")[0]
        for o in offered
        if "/imports/enterprise-facts-" in o
    }
    assert sheets == {s.replace("_", "-") for s in FACT_SOURCES[role]}, offered
    if not any(FACT_SOURCES[role]) and not CHANGE_REGISTRY[role][0]:
        assert offered == set(), offered


@pytest.mark.parametrize("role", ROLES)
def test_the_facts_form_offers_the_sources_the_role_may_record(
    records: Any, world: Any, client: Any, role: str
) -> None:
    e = _target(records, "own")["enterprise"]
    client.force_login(world.users[role])
    page = client.get(f"/enterprises/{e.pk}/facts/new/")
    if not FACT_SOURCES[role]:
        assert page.status_code in (403, 404)
        return
    html = page.content.decode()
    offered = {s for s in FACT_SOURCES["admin"] if f'value="{s}"' in html}
    assert offered == FACT_SOURCES[role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("source", ["tax", "self_reported"])
def test_fact_and_registry_imports_per_role(
    world: Any, client: Any, defs: Any, role: str, source: str
) -> None:
    allowed = source in FACT_SOURCES[role]
    client.force_login(world.users[role])
    kind = f"enterprise-facts-{source.replace('_', '-')}"
    for url in (f"/imports/{kind}/", f"/imports/{kind}/template/"):
        status = client.get(url).status_code
        assert (status == 200) is allowed, (url, status)
        assert status in (200, 403), (url, status)
    registry = client.get("/imports/enterprises/").status_code
    assert (registry == 200) is CHANGE_REGISTRY[role][0], registry


def test_the_service_keeps_official_sources_for_staff(records: Any, world: Any) -> None:
    from zhenxing.core import scoping
    from zhenxing.enterprises import services

    e = _target(records, "own")["enterprise"]
    with pytest.raises(scoping.PermissionDenied, match="企业自报"):
        services.facts_record(
            user=world.users["enterprise"],
            enterprise=e,
            year=2023,
            source="tax",
            values={"employees": 80},
        )
    services.facts_record(
        user=world.users["enterprise"],
        enterprise=e,
        year=2023,
        source="self_reported",
        values={"employees": 80},
    )


def test_only_those_who_handle_the_enterprise_may_be_made_responsible(
    records: Any, world: Any
) -> None:
    from zhenxing.enterprises.forms import staff_choices

    chosen = {u.username for u in staff_choices(_target(records, "own")["enterprise"])}
    assert chosen == {"admin", "dept", "dept_head", "area"}
    chosen = {u.username for u in staff_choices(_target(records, "other")["enterprise"])}
    assert chosen == {"admin", "dept", "dept_head"}


@pytest.mark.parametrize("role", ["admin", "dept", "area", "enterprise", "leader"])
def test_the_enterprise_menu_holds_what_applies(world: Any, client: Any, role: str) -> None:
    """The cultivation pool and its funnel are the city's work: not in an enterprise
    user's menu."""
    import re

    client.force_login(world.users[role])
    html = client.get("/enterprises/").content.decode()
    menu = re.search(r'<nav class="tabs subnav"[^>]*>(.*?)</nav>', html, re.S)
    assert menu is not None
    links = set(re.findall(r'href="([^"]+)"', menu.group(1)))
    city = {"/enterprises/pool/", "/enterprises/pool/funnel/"}
    assert {"/enterprises/", "/enterprises/tiers/", "/enterprises/tiers/expiring/"} <= links
    assert (city <= links) is (role != "enterprise")
    assert not (city & links) or role != "enterprise"
