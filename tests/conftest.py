"""Shared fixtures: reference data, one user per role, two enterprises in two areas.

Tests run with `ZHENXING_TESTING=1` (set by `zhenxing test`; set here too for a
plain `pytest`), background tasks run immediately, and time is frozen where a test
depends on "today".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("ZHENXING_TESTING", "1")
# The command line speaks the locale's language (zhenxing/commands/language.py); the tests
# that call it in-process expect its default, Chinese, whatever the developer's shell says.
os.environ["LANGUAGE"] = "zh_CN"

import pytest

PASSWORD = "Test-Passw0rd-2024"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.AXES_ENABLED = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Rate-limit counters per test: the data directory's file cache would be shared by the
    # xdist processes, whose databases reuse the same user ids.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """Load the reference data once into the test database; each test rolls back to it."""
    from zhenxing.core.reference import load_reference

    with django_db_blocker.unblock():
        load_reference()


@pytest.fixture
def ref(db: Any) -> None:
    """Yingkou's areas, departments, cluster schemes and industries (reloaded after a
    transactional test has flushed the database)."""
    from zhenxing.core.models import Area
    from zhenxing.core.reference import load_reference

    if not Area.objects.exists():
        load_reference()


@dataclass
class World:
    users: dict[str, Any]
    own_enterprise: Any
    other_enterprise: Any
    own_area: Any
    other_area: Any


def make_user(username: str, *grants: dict[str, Any]) -> Any:
    from django.contrib.auth import get_user_model

    from zhenxing.core.models import RoleAssignment

    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, display_name=username
    )
    for grant in grants:
        RoleAssignment.objects.create(user=user, **grant)
    return user


@pytest.fixture
def world(ref: None) -> World:
    """Users of every role; 鲅鱼圈区 is "own" area, 盖州市 the "other"."""
    from zhenxing.core.models import Area, Department
    from zhenxing.core.roles import Role
    from zhenxing.enterprises.models import Enterprise

    own_area = Area.objects.get(code="210804")
    other_area = Area.objects.get(code="210881")
    gxj = Department.objects.get(code="gxj")
    own = Enterprise.objects.create(
        uscc="91210804123456788F", name="营口测试钢铁有限公司", area=own_area
    )
    other = Enterprise.objects.create(
        uscc="91110000600037341L", name="盖州测试镁业有限公司", area=other_area
    )
    users = {
        "admin": make_user("admin", {"role": Role.ADMIN}),
        "dept": make_user("dept", {"role": Role.DEPT_STAFF, "department": gxj}),
        "dept_head": make_user(
            "dept_head",
            {"role": Role.DEPT_STAFF, "department": gxj},
            {"role": Role.DEPT_HEAD, "department": gxj},
        ),
        "area": make_user("area", {"role": Role.AREA_STAFF, "area": own_area}),
        "steward": make_user("steward", {"role": Role.STEWARD}),
        "enterprise": make_user("enterprise", {"role": Role.ENTERPRISE, "enterprise": own}),
        "leader": make_user("leader", {"role": Role.LEADER}),
        "nobody": make_user("nobody"),
    }
    return World(
        users=users,
        own_enterprise=own,
        other_enterprise=other,
        own_area=own_area,
        other_area=other_area,
    )


@pytest.fixture
def login(client: Any) -> Any:
    def _login(user: Any) -> Any:
        client.force_login(user)
        return client

    return _login
