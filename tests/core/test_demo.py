"""The Yingkou demo loads idempotently and has one account per role."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.django_db
def test_demo_loads_twice_without_changing_anything_the_second_time() -> None:
    from django.contrib.auth import get_user_model

    from zhenxing.core.models import AuditEntry, RoleAssignment
    from zhenxing.demo.loader import load_demo
    from zhenxing.enterprises.models import Enterprise

    accounts = load_demo(password="Demo-Passw0rd-1")
    assert [a for a, _ in accounts] == [
        "admin",
        "dept",
        "dept_head",
        "area",
        "steward",
        "enterprise",
        "leader",
    ]
    counts = (
        get_user_model().objects.count(),
        RoleAssignment.objects.count(),
        Enterprise.objects.count(),
        AuditEntry.objects.count(),
    )
    load_demo(password="Demo-Passw0rd-1")
    assert counts == (
        get_user_model().objects.count(),
        RoleAssignment.objects.count(),
        Enterprise.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.django_db
def test_demo_enterprises_have_valid_codes_in_every_area() -> None:
    from zhenxing.core.codes import uscc
    from zhenxing.demo.loader import load_demo
    from zhenxing.enterprises.models import Enterprise

    load_demo(password="Demo-Passw0rd-1")
    enterprises = list(Enterprise.objects.select_related("area"))
    assert len(enterprises) >= 100
    assert all(uscc.is_valid(e.uscc) for e in enterprises)
    assert len({e.area.code for e in enterprises}) >= 7


@pytest.mark.django_db
def test_each_demo_account_signs_in_with_the_printed_password(client: Any) -> None:
    from zhenxing.demo.loader import load_demo

    accounts = load_demo(password="Demo-Passw0rd-1")
    for username, _ in accounts:
        assert client.login(username=username, password="Demo-Passw0rd-1"), username
        assert client.get("/").status_code == 200
        client.logout()
