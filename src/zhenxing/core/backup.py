"""`zhenxing backup FILE` / `restore FILE`: every record of every table and the uploaded
files, round trip exact.

A backup is a gzip-compressed tar archive, encrypted when a key is given
(`core.backup_crypto`, env ZHENXING_BACKUP_KEY), written with mode 0600 and put in place
only when complete:

- `manifest.json`: the format, when it was made, how many records and files, and the
  migrations applied to the database (its schema). A restore refuses a backup holding a
  migration this version of the code does not know: it comes from a newer version.
- `data.jsonl`: Django's JSON-lines serialisation of every row (primary keys, content
  types and permissions, audit history and its hash chain included; sessions left out).
- `media/…`: the uploaded files of the data directory's media folder (visit photos).

Both ways stream: the rows go to a temporary file beside the backup (mode 0600, removed
afterwards), then into the archive; a restore reads the archive member by member. Neither
holds the whole backup in memory. Files written before this format (one JSON list,
optionally gzip-compressed) can still be restored; they carry no schema to check.
Making and restoring a backup are recorded in the audit log.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from zhenxing.core import audit, backup_crypto, clock, db
from zhenxing.core.files import os_error_reason
from zhenxing.core.models import AuditAction

EXCLUDED = {"sessions.session"}
FORMAT = "zhenxing-backup"
VERSION = 2
MANIFEST = "manifest.json"
DATA = "data.jsonl"
MEDIA = "media"
_GZIP_MAGIC = b"\x1f\x8b"


class BackupError(Exception):
    """A backup that cannot be made or restored, said in one sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Summary:
    records: int
    files: int
    encrypted: bool
    manifest: dict[str, Any] | None = None


def _models() -> list[str]:
    labels = []
    for model in apps.get_models(include_auto_created=False):
        label = model._meta.label_lower
        if label in EXCLUDED or model._meta.proxy or not model._meta.managed:
            continue
        labels.append(label)
    return labels


class ExactEncoder(DjangoJSONEncoder):
    """Django's encoder cuts datetimes to milliseconds; a backup keeps microseconds."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time):
            return o.isoformat()
        return super().default(o)


def _ordered_models() -> list[Any]:
    """Every backed-up model, parents before children."""
    return serializers.sort_dependencies(
        [
            (apps.get_app_config(label.split(".")[0]), [apps.get_model(label)])
            for label in _models()
        ],
        allow_cycles=True,
    )


def write_rows(stream: IO[str]) -> int:
    """Every row of every backed-up model as JSON lines, parents first; the count.
    (Rows are counted as the serializer takes them: counting the newlines it writes
    meant a Python call for every fragment json.dump writes, minutes on the demo.)"""
    count = 0

    def counted(rows: Iterator[Any]) -> Iterator[Any]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    for model in _ordered_models():
        queryset = model._base_manager.order_by(model._meta.pk.name)
        serializers.serialize(
            "jsonl", counted(queryset.iterator(chunk_size=2000)), stream=stream, cls=ExactEncoder
        )
    return count


def dump() -> str:
    """Every row as one JSON list (tests compare databases with it)."""
    buffer = io.StringIO()
    write_rows(buffer)
    return "[" + ", ".join(line for line in buffer.getvalue().splitlines() if line) + "]"


def migration_state() -> dict[str, list[str]]:
    """The migrations applied to the database, by app."""
    state: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connection).applied_migrations()):
        state.setdefault(app_label, []).append(name)
    return state


def _media_files() -> Iterator[tuple[Path, str]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path, f"{MEDIA}/{path.relative_to(root).as_posix()}"


def _private_file(path: Path) -> BinaryIO:
    """A new file only the owner may read (0600), whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


def key_from_settings() -> bytes | None:
    text = getattr(settings, "BACKUP_KEY", "")
    return backup_crypto.parse_key(text) if text else None


def backup_to(path: Path, *, key: bytes | None = None) -> Summary:
    """Write a backup of everything to `path` (mode 0600), encrypted when `key` is given."""
    path = Path(path)
    if path.is_dir():
        raise BackupError(f"{path} 是目录，请给出备份文件名")
    try:
        work = Path(tempfile.mkdtemp(prefix=".zhenxing-backup-", dir=path.parent))
    except OSError as exc:
        raise BackupError(f"无法在 {path.parent} 写入备份：{os_error_reason(exc)}") from exc
    try:
        rows_path = work / DATA
        with _private_file(rows_path) as raw, io.TextIOWrapper(raw, encoding="utf-8") as text:
            records = write_rows(text)
        media = list(_media_files())
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": clock.now().isoformat(),
            "records": records,
            "files": len(media),
            "database": connection.vendor,
            "migrations": migration_state(),
        }
        part = work / "backup.part"
        with _private_file(part) as out:
            sink: BinaryIO = backup_crypto.EncryptingWriter(out, key) if key else out  # type: ignore[assignment]
            with (
                gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=6) as zipped,
                tarfile.open(fileobj=zipped, mode="w|", format=tarfile.PAX_FORMAT) as tar,
            ):
                _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False).encode())
                tar.add(rows_path, arcname=DATA)
                for file, name in media:
                    tar.add(file, arcname=name)
            if key:
                sink.close()
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, path)
    except OSError as exc:
        raise BackupError(f"无法写入备份 {path}：{os_error_reason(exc)}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    audit.event(
        AuditAction.BACKED_UP,
        user=audit.SYSTEM,
        subject_repr=path.name,
        reason=f"{records} 条记录，{len(media)} 个文件" + ("，已加密" if key else ""),
    )
    return Summary(records, len(media), bool(key), manifest)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(clock.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


# --- reading -----------------------------------------------------------------------------


@contextlib.contextmanager
def _opened(path: Path, key: bytes | None) -> Iterator[tuple[str, BinaryIO]]:
    """("archive", the tar stream) or ("legacy", the JSON list), decrypted and unzipped."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise BackupError(f"无法读取备份 {path}：{os_error_reason(exc)}") from exc
    with raw:
        head = raw.read(8)
        raw.seek(0)
        stream: BinaryIO = raw
        if backup_crypto.is_encrypted(head):
            if key is None:
                raise BackupError("备份已加密：请设置 ZHENXING_BACKUP_KEY 为备份时的密钥")
            try:
                reader = io.BufferedReader(backup_crypto.DecryptingReader(raw, key))
                head = reader.peek(2)[:2]
            except backup_crypto.BackupCryptoError as exc:
                raise BackupError(str(exc)) from exc
            stream = reader
        if head[:2] == _GZIP_MAGIC:
            stream = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
        try:
            start = stream.read(1)
        except backup_crypto.BackupCryptoError as exc:
            raise BackupError(str(exc)) from exc
        except (OSError, EOFError) as exc:
            raise BackupError(f"备份文件已损坏：{exc}") from exc
        rest = io.BufferedReader(_Forward(stream, start), 1 << 16)
        try:
            yield ("legacy" if start == b"[" else "archive"), rest
        except backup_crypto.BackupCryptoError as exc:
            raise BackupError(str(exc)) from exc


class _Forward(io.RawIOBase):
    """A stream read front to back (with bytes already read put back in front): what
    text and buffered readers can wrap where the source cannot say it is unseekable
    (a member of a streamed tar archive under Python 3.11)."""

    def __init__(self, rest: Any, first: bytes = b"") -> None:
        self._first, self._rest = first, rest

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._first:
            n = min(len(target), len(self._first))
            target[:n], self._first = self._first[:n], self._first[n:]
            return n
        data = self._rest.read(len(target))
        target[: len(data)] = data
        return len(data)


def _manifest_of(tar: tarfile.TarFile) -> dict[str, Any]:
    member = tar.next()
    if member is None or member.name != MANIFEST:
        raise BackupError("不是振兴的备份文件（没有 manifest.json）")
    handle = tar.extractfile(member)
    manifest = json.loads(handle.read()) if handle is not None else {}
    if manifest.get("format") != FORMAT:
        raise BackupError("不是振兴的备份文件")
    if int(manifest.get("version", 0)) > VERSION:
        raise BackupError("备份格式比本版本新，请先升级振兴再恢复")
    return dict(manifest)


def read_manifest(path: Path, *, key: bytes | None = None) -> dict[str, Any] | None:
    """The backup's manifest (None: a backup in the old format, which has none)."""
    with _opened(Path(path), key) as (kind, stream):
        if kind == "legacy":
            return None
        return _manifest_of(_tar(stream))


def _tar(stream: BinaryIO) -> tarfile.TarFile:
    try:
        return tarfile.open(fileobj=stream, mode="r|")
    except tarfile.TarError as exc:
        raise BackupError("不是振兴的备份文件") from exc


def newer_migrations(manifest: dict[str, Any]) -> list[str]:
    """The backup's migrations this code does not know (then it comes from a newer version)."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return [
        f"{app}.{name}"
        for app, names in sorted(manifest.get("migrations", {}).items())
        for name in names
        if (app, name) not in known
    ]


def check_schema(manifest: dict[str, Any]) -> None:
    newer = newer_migrations(manifest)
    if newer:
        shown = "、".join(newer[:5]) + ("…" if len(newer) > 5 else "")
        raise BackupError(f"备份来自更新的版本（本版本没有迁移 {shown}），请先升级振兴再恢复")


def describe(manifest: dict[str, Any] | None) -> str:
    """What a backup holds, in one line (shown before a restore asks to go on)."""
    if manifest is None:
        return "旧格式的备份（只有数据库记录，无法核对数据库结构）。"
    made = str(manifest.get("created_at", ""))[:19].replace("T", " ")
    return (
        f"备份时间 {made}；{manifest.get('records', '?')} 条记录，"
        f"{manifest.get('files', 0)} 个上传文件；数据库结构与本版本相容。"
    )


def _media_target(name: str) -> PurePosixPath | None:
    """The path under media/ an archive member names, or None if it is not a safe one."""
    parts = PurePosixPath(name).parts
    if len(parts) < 2 or parts[0] != MEDIA or any(p in ("", ".", "..") for p in parts):
        return None
    return PurePosixPath(*parts[1:])


def restore_from(path: Path, *, key: bytes | None = None) -> Summary:
    """Replace every row (and, for a backup with files, the media folder) by the backup's.
    All or nothing: a failure leaves the database as it was."""
    path = Path(path)
    with _opened(path, key) as (kind, stream):
        if kind == "legacy":
            records = _load_rows(io.TextIOWrapper(stream, encoding="utf-8"), legacy=True)
            summary = Summary(records, 0, False, None)
        else:
            summary = _restore_archive(_tar(stream), encrypted=key is not None)
    audit.event(
        AuditAction.RESTORED,
        user=audit.SYSTEM,
        subject_repr=path.name,
        reason=f"{summary.records} 条记录，{summary.files} 个文件",
    )
    return summary


def _restore_archive(tar: tarfile.TarFile, *, encrypted: bool) -> Summary:
    manifest = _manifest_of(tar)
    check_schema(manifest)
    media_root = Path(settings.MEDIA_ROOT)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".media-restoring-", dir=media_root.parent))
    records = files = 0
    try:
        with transaction.atomic():
            for member in tar:
                if member.name == DATA:
                    handle = tar.extractfile(member)
                    if handle is None:
                        raise BackupError("备份文件已损坏（数据部分不可读）")
                    text = io.TextIOWrapper(io.BufferedReader(_Forward(handle)), encoding="utf-8")
                    records = _load_rows(text)
                elif member.isfile() and (target := _media_target(member.name)) is not None:
                    handle = tar.extractfile(member)
                    if handle is None:
                        continue
                    destination = staging.joinpath(*target.parts)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    with open(destination, "wb") as out:
                        shutil.copyfileobj(handle, out)
                    files += 1
            if records != manifest.get("records", records):
                raise BackupError("备份文件不完整（记录数与清单不符）")
            _reset_sequences()
            _swap_media(staging, media_root)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"备份文件已损坏或不完整：{exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Summary(records, files, encrypted, manifest)


def _swap_media(staging: Path, media_root: Path) -> None:
    """Put the restored files in place of the media folder (the old one is removed)."""
    old = None
    if media_root.exists():
        old = media_root.with_name(f".media-replaced-{os.getpid()}")
        os.replace(media_root, old)
    os.replace(staging, media_root)
    staging.mkdir()  # for the caller's clean-up
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _load_rows(text: IO[str], *, legacy: bool = False) -> int:
    """Wipe every table and load the rows of the backup, in one transaction."""
    if legacy:
        objects = serializers.deserialize("json", text.read(), ignorenonexistent=False)
    else:
        objects = serializers.deserialize("jsonl", text, ignorenonexistent=False)
    count = 0
    try:
        with transaction.atomic():
            _wipe()
            for obj in objects:
                obj.save()
                count += 1
            if legacy:
                _reset_sequences()
    except (DeserializationError, DatabaseError) as exc:
        raise BackupError(f"备份与当前数据库的结构不符，未作任何改动：{exc}") from exc
    return count


def _wipe() -> None:
    """Delete every row of every backed-up table, children first, without signals."""
    tables = [apps.get_model(label)._meta.db_table for label in _models()]
    for model in apps.get_models():
        for field in model._meta.local_many_to_many:
            through: Any = field.remote_field.through
            if through._meta.auto_created:
                tables.append(through._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            quoted = ", ".join(connection.ops.quote_name(t) for t in tables)
            # Rows written earlier in this transaction leave deferred foreign-key checks
            # pending, and PostgreSQL refuses to TRUNCATE a table with pending trigger
            # events: run them now, then defer again for the rows the restore loads.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {quoted} CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cursor.execute("PRAGMA defer_foreign_keys = ON")
            with db.wiping():  # the ledger's DELETE trigger lets a restore through
                for table in tables:
                    cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    model_list = [apps.get_model(label) for label in _models()]
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
