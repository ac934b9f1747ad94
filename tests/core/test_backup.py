"""`zhenxing backup` / `restore`: all data, exact round trip, on the demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip_the_demo_exactly(tmp_path: Path) -> None:
    from zhenxing.core import backup
    from zhenxing.demo.loader import load_demo
    from zhenxing.enterprises import services
    from zhenxing.enterprises.models import Enterprise

    load_demo(password="Demo-Passw0rd-1")
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.get(username="admin")
    services.enterprise_update(
        user=admin, enterprise=Enterprise.objects.first(), address="备份前的地址"
    )
    before = json.loads(backup.dump())
    path = tmp_path / "zhenxing.json.gz"
    backup.backup_to(path)
    Enterprise.objects.all().update(address="被改掉")
    get_user_model().objects.filter(username="leader").delete()
    restored = backup.restore_from(path)
    after = json.loads(backup.dump())
    assert restored == len(before)
    key = lambda o: (o["model"], str(o["pk"]))  # noqa: E731
    assert sorted(after, key=key) == sorted(before, key=key)


def test_restore_of_a_missing_file_fails_clearly(db: Any, capsys: Any) -> None:
    from zhenxing.cli import main

    assert main(["restore", "/nonexistent/backup.json"]) == 2
    assert "文件不存在" in capsys.readouterr().err
