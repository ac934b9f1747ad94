"""core.forms.submit and form_page: the one path from a posted page form to a service."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from zhenxing.core import scoping
from zhenxing.core.forms import submit
from zhenxing.core.services import DomainError


class _AreaForm(forms.Form):
    name = forms.CharField()
    area = forms.CharField()


def _post(data: dict[str, str]) -> Any:
    request = RequestFactory().post("/x/", data)
    request.session = {}  # type: ignore[attr-defined]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def test_success_says_so_and_goes_where_the_action_result_says() -> None:
    request = _post({"name": "甲", "area": "210804"})
    form = _AreaForm(request.POST)
    response = submit(
        request,
        form,
        lambda data: data["name"] + "-1",
        success=lambda saved: f"已保存 {saved}",
        then=lambda saved: f"/done/{saved}/",
    )
    assert response is not None and response.status_code == 302
    assert response["Location"] == "/done/%E7%94%B2-1/"
    assert [str(m) for m in request._messages] == ["已保存 甲-1"]


def test_a_refusal_is_shown_on_the_named_field_and_nothing_redirects() -> None:
    request = _post({"name": "甲", "area": "210804"})
    form = _AreaForm(request.POST)

    def refuse(data: dict[str, Any]) -> None:
        raise DomainError("不行", {"name": "名称重复", "code": "代码不对"})

    assert submit(request, form, refuse, success="", then="/", error_field="area") is None
    assert form.errors["name"] == ["名称重复"]
    assert form.errors["area"] == ["代码不对"]  # a key the form doesn't have
    assert form.data["name"] == "甲"  # what was typed stays


def test_a_message_without_fields_goes_to_the_whole_form() -> None:
    request = _post({"name": "甲", "area": "210804"})
    form = _AreaForm(request.POST)

    def refuse(data: dict[str, Any]) -> None:
        raise DomainError("本月已锁定")

    assert submit(request, form, refuse, success="", then="/") is None
    assert form.non_field_errors() == ["本月已锁定"]


def test_a_scope_refusal_lands_on_the_field_that_chose_or_propagates() -> None:
    def deny(data: dict[str, Any]) -> None:
        raise scoping.PermissionDenied("不能为其他区域登记")

    request = _post({"name": "甲", "area": "210881"})
    form = _AreaForm(request.POST)
    assert submit(request, form, deny, success="", then="/", refused_field="area") is None
    assert form.errors["area"] == ["不能为其他区域登记"]

    form = _AreaForm(request.POST)
    with pytest.raises(scoping.PermissionDenied):
        submit(request, form, deny, success="", then="/")


def test_a_get_or_an_invalid_form_runs_nothing() -> None:
    calls: list[Any] = []
    get = RequestFactory().get("/x/")
    assert submit(get, _AreaForm(None), calls.append, success="", then="/") is None
    request = _post({"name": ""})
    assert submit(request, _AreaForm(request.POST), calls.append, success="", then="/") is None
    assert calls == []


def test_form_page_shows_the_form_with_its_context_until_the_service_takes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """core.forms.form_page: the page every part's one-form views share."""
    from django.http import HttpResponse

    from zhenxing.core import forms as core_forms

    rendered: list[tuple[str, dict[str, Any]]] = []

    def fake_render(request: Any, template: str, context: dict[str, Any]) -> HttpResponse:
        rendered.append((template, context))
        return HttpResponse("page")

    monkeypatch.setattr(core_forms, "render", fake_render)

    def refuse(data: dict[str, Any]) -> None:
        raise DomainError("不行", {"name": "名称重复"})

    request = _post({"name": "甲", "area": "210804"})
    form = _AreaForm(request.POST)
    page = core_forms.form_page(
        request,
        form,
        refuse,
        template="x/form.html",
        context={"title": "新建"},
        success="",
        then="/",
    )
    assert page.status_code == 200
    assert rendered == [("x/form.html", {"form": form, "title": "新建"})]
    assert form.errors["name"] == ["名称重复"]

    request = _post({"name": "乙", "area": "210804"})
    done = core_forms.form_page(
        request,
        _AreaForm(request.POST),
        lambda data: 7,
        template="x/form.html",
        context={},
        success="已保存",
        then=lambda saved: f"/records/{saved}/",
    )
    assert done.status_code == 302 and done["Location"] == "/records/7/"
    assert len(rendered) == 1  # no page after success
