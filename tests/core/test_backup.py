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
    path = tmp_path / "zhenxing.backup"
    backup.backup_to(path)
    Enterprise.objects.all().update(address="被改掉")
    get_user_model().objects.filter(username="leader").delete()
    restored = backup.restore_from(path)
    after = json.loads(backup.dump())
    assert restored.records == len(before)

    def key(o: dict[str, Any]) -> tuple[str, str]:
        return (o["model"], str(o["pk"]))

    def _as_backed_up(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Without what the restore itself wrote since: its audit entry, the chain's head."""
        return sorted(
            (
                o
                for o in objects
                if o["model"] != "core.auditchainhead"
                and not (o["model"] == "core.auditentry" and o["fields"]["action"] == "restored")
            ),
            key=key,
        )

    assert _as_backed_up(after) == _as_backed_up(before)
    from zhenxing.core import audit_chain

    assert audit_chain.verify().ok  # the chain came back whole, and goes on from there


def test_restore_of_a_missing_file_fails_clearly(db: Any, capsys: Any) -> None:
    from zhenxing.cli import main

    assert main(["restore", "/nonexistent/backup.json"]) == 2
    assert "文件不存在" in capsys.readouterr().err


# --- the archive: permissions, encryption, files, schema, confirmation --------------------


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "data" / "media"
    (root / "visits" / "2024").mkdir(parents=True)
    (root / "visits" / "2024" / "photo.jpg").write_bytes(b"\xff\xd8 a visit photo")
    settings.MEDIA_ROOT = root
    return root


def test_a_backup_is_written_0600_with_the_uploaded_files_and_restored_with_them(
    world: Any, media: Path, tmp_path: Path
) -> None:
    from zhenxing.core import backup
    from zhenxing.core.models import AuditEntry

    path = tmp_path / "b.backup"
    made = backup.backup_to(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert made.files == 1 and not made.encrypted
    assert not list(tmp_path.glob(".zhenxing-backup-*"))  # the work files are gone
    (event,) = AuditEntry.objects.filter(action="backed_up")
    assert event.admin_only and "1 个文件" in event.reason

    (media / "visits" / "2024" / "photo.jpg").write_bytes(b"overwritten")
    (media / "later.jpg").write_bytes(b"uploaded after the backup")
    restored = backup.restore_from(path)
    assert restored.files == 1
    assert (media / "visits" / "2024" / "photo.jpg").read_bytes() == b"\xff\xd8 a visit photo"
    assert not (media / "later.jpg").exists()
    assert AuditEntry.objects.filter(action="restored").count() == 1


def test_an_encrypted_backup_needs_its_key(world: Any, media: Path, tmp_path: Path) -> None:
    from zhenxing.core import backup, backup_crypto
    from zhenxing.enterprises.models import Enterprise

    key = backup_crypto.parse_key(backup_crypto.new_key())
    path = tmp_path / "b.backup"
    assert backup.backup_to(path, key=key).encrypted
    raw = path.read_bytes()
    assert raw.startswith(backup_crypto.MAGIC)
    assert "营口测试钢铁".encode() not in raw and b"manifest" not in raw
    with pytest.raises(backup.BackupError, match="ZHENXING_BACKUP_KEY"):
        backup.restore_from(path)
    other = backup_crypto.parse_key(backup_crypto.new_key())
    with pytest.raises(backup.BackupError, match="密钥不对"):
        backup.restore_from(path, key=other)
    cut = tmp_path / "cut.backup"
    cut.write_bytes(raw[:-20])
    with pytest.raises(backup.BackupError):
        backup.restore_from(cut, key=key)
    Enterprise.objects.update(name="改掉")
    assert backup.read_manifest(path, key=key)["records"] > 0  # type: ignore[index]
    backup.restore_from(path, key=key)
    assert Enterprise.objects.filter(name="营口测试钢铁有限公司").exists()


def test_encryption_streams_in_chunks_and_refuses_reordered_ones(tmp_path: Path) -> None:
    import io
    import struct

    from zhenxing.core import backup_crypto

    key = backup_crypto.parse_key(backup_crypto.new_key())
    plain = bytes(range(256)) * (backup_crypto.CHUNK // 256 * 2 + 7)  # two full chunks and more
    out = io.BytesIO()
    writer = backup_crypto.EncryptingWriter(out, key)
    for start in range(0, len(plain), 100_000):
        writer.write(plain[start : start + 100_000])
    writer.close()
    sealed = out.getvalue()
    reader = backup_crypto.DecryptingReader(io.BytesIO(sealed), key)
    assert io.BufferedReader(reader).read() == plain

    header = len(backup_crypto.MAGIC) + 7
    (size,) = struct.unpack(">I", sealed[header : header + 4])
    first = sealed[header : header + 4 + size]
    second = sealed[header + 4 + size : header + 8 + 2 * size]
    swapped = sealed[:header] + second + first + sealed[header + 8 + 2 * size :]
    with pytest.raises(backup_crypto.BackupCryptoError):
        io.BufferedReader(backup_crypto.DecryptingReader(io.BytesIO(swapped), key)).read()


def test_a_backup_from_a_newer_schema_is_refused_and_nothing_changes(
    world: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from zhenxing.core import backup
    from zhenxing.enterprises.models import Enterprise

    state = backup.migration_state()
    state["core"].append("0099_from_the_future")
    monkeypatch.setattr(backup, "migration_state", lambda: state)
    path = tmp_path / "future.backup"
    backup.backup_to(path)
    Enterprise.objects.update(name="现在的名字")
    with pytest.raises(backup.BackupError, match=r"更新的版本.*core\.0099_from_the_future"):
        backup.restore_from(path)
    assert set(Enterprise.objects.values_list("name", flat=True)) == {"现在的名字"}


def test_restore_asks_first_and_goes_on_with_yes(
    world: Any, tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    from zhenxing.cli import main
    from zhenxing.enterprises.models import Enterprise

    path = tmp_path / "b.backup"
    assert main(["backup", str(path)]) == 0
    Enterprise.objects.update(name="现在的名字")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["restore", str(path)]) == 2
    assert "--yes" in capsys.readouterr().err
    assert set(Enterprise.objects.values_list("name", flat=True)) == {"现在的名字"}

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda _question: "no")
    assert main(["restore", str(path)]) == 2
    monkeypatch.setattr("builtins.input", lambda _question: "yes")
    assert main(["restore", str(path)]) == 0
    assert Enterprise.objects.filter(name="营口测试钢铁有限公司").exists()
    assert main(["restore", str(path), "--yes"]) == 0
    assert "条记录" in capsys.readouterr().out


def test_the_cli_encrypts_with_the_key_from_the_environment(
    world: Any, tmp_path: Path, settings: Any, capsys: Any
) -> None:
    from zhenxing.cli import main
    from zhenxing.core import backup_crypto

    assert main(["backup", "--new-key"]) == 0
    settings.BACKUP_KEY = capsys.readouterr().out.strip()
    path = tmp_path / "b.backup"
    assert main(["backup", str(path)]) == 0
    assert "已加密" in capsys.readouterr().out
    assert path.read_bytes().startswith(backup_crypto.MAGIC)
    assert main(["restore", str(path), "--yes"]) == 0
    settings.BACKUP_KEY = "not-a-key"
    assert main(["backup", str(path)]) == 2
    assert "密钥格式不对" in capsys.readouterr().err


def test_a_backup_in_the_old_format_still_restores(world: Any, tmp_path: Path) -> None:
    import gzip

    from zhenxing.core import backup
    from zhenxing.enterprises.models import Enterprise

    old = tmp_path / "old.json.gz"
    old.write_bytes(gzip.compress(backup.dump().encode()))
    Enterprise.objects.update(name="现在的名字")
    assert backup.read_manifest(old) is None
    backup.restore_from(old)
    assert Enterprise.objects.filter(name="营口测试钢铁有限公司").exists()
