"""The API: problem+json errors naming fields, tokens, the committed OpenAPI snapshot."""

from __future__ import annotations

import json
from typing import Any

from django.core.management import call_command


def test_openapi_snapshot_matches_the_code() -> None:
    from zhenxing.core.management.commands.export_openapi import SNAPSHOT, schema_text

    assert SNAPSHOT.exists(), "run ./zx manage export_openapi and commit docs/openapi.json"
    assert SNAPSHOT.read_text(encoding="utf-8") == schema_text(), (
        "the API changed: run ./zx manage export_openapi and commit docs/openapi.json"
    )


def test_a_bad_uscc_is_refused_with_the_field_and_the_expected_check_character(
    world: Any, client: Any
) -> None:
    client.force_login(world.users["admin"])
    response = client.post(
        "/api/v1/enterprises",
        data=json.dumps(
            {
                "uscc": "91210804123456788G",
                "name": "某企业",
                "area_code": "210804",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert body["errors"][0]["field"] == "uscc"
    assert "校验位应为 F" in body["errors"][0]["message"]


def test_a_malformed_body_names_every_bad_field(world: Any, client: Any) -> None:
    client.force_login(world.users["admin"])
    response = client.post(
        "/api/v1/enterprises",
        data=json.dumps(
            {
                "name": "",
                "area_code": "210804",
                "registration_date": "31/05/2024",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"uscc", "name", "registration_date"} <= fields


def test_an_unknown_area_code_is_named(world: Any, client: Any) -> None:
    client.force_login(world.users["admin"])
    response = client.post(
        "/api/v1/enterprises",
        data=json.dumps(
            {
                "uscc": "91350100M000100Y43",
                "name": "某企业",
                "area_code": "999999",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "area_code"


def test_areas_list_the_city_its_six_areas_and_the_parks_with_their_hosts(
    world: Any, client: Any
) -> None:
    client.force_login(world.users["leader"])
    areas = {a["code"]: a for a in client.get("/api/v1/areas").json()}
    assert areas["210800"]["name"] == "营口市"
    assert {c for c, a in areas.items() if a["parent_code"] == "210800"} == {
        "210802",
        "210803",
        "210804",
        "210811",
        "210881",
        "210882",
    }
    parks = {c: a for c, a in areas.items() if a["kind"] == "park"}
    assert set(parks) == {"P01", "P02", "P03"}
    assert all(p["gb2260_code"] is None and p["parent_code"] for p in parks.values())


def test_cluster_scheme_in_force_is_chosen_by_date(world: Any, client: Any) -> None:
    client.force_login(world.users["dept"])
    on = lambda day: client.get(f"/api/v1/clusters/schemes?date={day}").json()  # noqa: E731
    assert [s["short_name"] for s in on("2020-06-01")] == ["4+3+2"]
    assert [s["short_name"] for s in on("2024-06-30")] == ["4+4(三百亿)+N"]
    scheme_2025 = on("2026-01-01")[0]
    assert scheme_2025["short_name"] == "4+4(五百亿)+N"
    tiers = {c["name"]: c["tier"] for c in scheme_2025["clusters"]}
    assert tiers["铜及深加工"] == "千亿级" and tiers["镁"] == "五百亿级"
    assert len(client.get("/api/v1/clusters/schemes").json()) == 3


def test_code_validation_endpoint_explains_what_is_wrong(world: Any, client: Any) -> None:
    client.force_login(world.users["enterprise"])
    ok = client.get("/api/v1/codes/validate?kind=uscc&value=91210804123456788f").json()
    assert ok["valid"] and ok["normalized"] == "91210804123456788F"
    bad = client.get("/api/v1/codes/validate?kind=uscc&value=91210804123456788G").json()
    assert not bad["valid"] and "校验位应为 F" in bad["message"]
    project = client.get(
        "/api/v1/codes/validate?kind=project_code&value=2024-210804-44-01-123456"
    ).json()
    assert project["valid"]
    industry = client.get("/api/v1/codes/validate?kind=gb4754&value=3874").json()
    assert industry["valid"]


def test_bearer_token_from_the_command_line_works_and_revoking_it_stops_it(
    world: Any, client: Any, capsys: Any
) -> None:
    from zhenxing.cli import main

    assert main(["token", "create", "area"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert me.status_code == 200 and me.json()["area_codes"] == ["210804"]
    assert main(["token", "list", "area"]) == 0
    listing = capsys.readouterr().out
    token_id = listing.split("\t")[0]
    assert main(["token", "revoke", token_id]) == 0
    again = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert again.status_code == 401


def test_token_create_for_an_unknown_user_fails_clearly(db: Any, capsys: Any) -> None:
    from zhenxing.cli import main

    assert main(["token", "create", "nobody-here"]) == 2
    assert "没有用户" in capsys.readouterr().err


def test_tokens_can_be_created_and_revoked_over_the_api(world: Any, client: Any) -> None:
    client.force_login(world.users["dept"])
    created = client.post(
        "/api/v1/tokens", data=json.dumps({"name": "报表脚本"}), content_type="application/json"
    )
    assert created.status_code == 201
    key = created.json()["token"]
    assert client.get("/api/v1/tokens").json()[0]["name"] == "报表脚本"
    token_id = created.json()["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}").status_code == 204
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code in (200, 401)
    fresh = type(client)()
    assert fresh.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_makemigrations_has_nothing_to_do(db: Any) -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
