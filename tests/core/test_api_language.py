"""API validation messages follow Accept-Language: Chinese by default, English on
request, and never pydantic's own English inside a Chinese answer."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

HAN = re.compile(r"[\u4e00-\u9fff]")
BAD_BODY = {
    "name": "",
    "area_code": "210804",
    "registration_date": "31/05/2024",
    "uscc": 12,
    "surprise": [1, 2],
}


def _post(client: Any, **headers: str) -> Any:
    return client.post(
        "/api/v1/enterprises",
        data=json.dumps(BAD_BODY),
        content_type="application/json",
        **headers,
    )


def test_validation_messages_are_chinese_by_default_and_name_the_field(
    world: Any, client: Any
) -> None:
    client.force_login(world.users["admin"])
    body = _post(client).json()
    assert body["title"] == "请求参数有误"
    by_field = {e["field"]: e["message"] for e in body["errors"]}
    assert by_field["registration_date"] == "registration_date：应为日期（如 2024-05-31）"
    assert by_field["name"].startswith("name：太短")
    for message in by_field.values():
        assert HAN.search(message), message
        assert "Input should" not in message and "String should" not in message, message


def test_validation_messages_are_english_for_an_english_reader(world: Any, client: Any) -> None:
    client.force_login(world.users["admin"])
    body = _post(client, HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["title"] == "Invalid request"
    by_field = {e["field"]: e["message"] for e in body["errors"]}
    assert by_field["registration_date"] == (
        "registration_date: should be a date (e.g. 2024-05-31)"
    )
    for message in by_field.values():
        assert not HAN.search(message), message


@pytest.mark.parametrize(
    ("error", "zh"),
    [
        (
            {
                "type": "string_too_long",
                "loc": ("body", "payload", "name"),
                "ctx": {"max_length": 200},
            },
            "name：太长，最多 200 个字符",
        ),
        (
            {"type": "greater_than", "loc": ("body", "payload", "total"), "ctx": {"gt": 0}},
            "total：应大于 0",
        ),
        ({"type": "never_heard_of", "loc": ("query", "x"), "msg": "Some English"}, "x：无效"),
    ],
)
def test_each_pydantic_error_type_gets_a_chinese_message(error: dict, zh: str) -> None:
    from django.utils import translation

    from zhenxing.core.validation_messages import describe

    with translation.override("zh-hans"):
        assert describe(error) == zh
