"""The secret key when `ZHENXING_SECRET_KEY` is not set: made once, kept in the data directory.

Every process working on one data directory (each web server, the background worker,
`./zx token create`) must sign sessions and tokens with the same key, so the first one
to need it writes it and every later one reads it. settings.py calls this before Django
is set up, so it imports nothing from Django.

Two processes starting at the same moment must agree: each writes its candidate to a
private temporary file (mode 0600) and hard-links it to the final name. A link never
replaces an existing file, so exactly one candidate wins and both read the winner.
"""

from __future__ import annotations

import errno
import os
import secrets
import tempfile
import time
from pathlib import Path

FILE_NAME = "secret_key"
# Long enough for Django's check (50 characters, 5 distinct) with room to spare.
KEY_BYTES = 48


class SecretKeyUnavailable(Exception):
    """The key can be neither read nor written; the message says where and why."""


def key_path(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


def load_or_create(data_dir: Path) -> str:
    path = key_path(data_dir)
    key = _read(path)
    if key:
        return key
    try:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        _publish(path, secrets.token_urlsafe(KEY_BYTES))
    except OSError as exc:
        raise SecretKeyUnavailable(
            f"无法在数据目录 {data_dir} 写入密钥文件（{exc.strerror or exc}）。"
            "请让该目录可写，或设置环境变量 ZHENXING_SECRET_KEY。"
        ) from exc
    key = _read(path, wait_seconds=2.0)
    if not key:
        raise SecretKeyUnavailable(
            f"密钥文件 {path} 是空的。请删除它（会重新生成，已登录的用户需重新登录）"
            "或设置环境变量 ZHENXING_SECRET_KEY。"
        )
    return key


def _publish(path: Path, key: str) -> None:
    """Put `key` at `path` unless a key is there already (then leave that one)."""
    fd, temporary = tempfile.mkstemp(prefix=".secret_key.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won; its key is read back by the caller
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
            _create_exclusive(path, key)  # a file system without hard links
    finally:
        os.unlink(temporary)


def _create_exclusive(path: Path, key: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")


def _read(path: Path, *, wait_seconds: float = 0.0) -> str:
    """The key in `path`, or "" when there is none. Waits a moment for a file that is
    still being written (only possible on file systems without hard links)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            key = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            key = ""
        except (OSError, UnicodeDecodeError) as exc:
            raise SecretKeyUnavailable(
                f"无法读取密钥文件 {path}（{getattr(exc, 'strerror', None) or exc}）。"
                "请检查它的权限，或设置环境变量 ZHENXING_SECRET_KEY。"
            ) from exc
        if key or time.monotonic() >= deadline:
            return key
        time.sleep(0.05)
