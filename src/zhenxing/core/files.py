"""Files the platform writes for people (exports, reports of errors): whole or not at all.

`write_atomically` writes into a temporary file beside the target, flushes it to disk and
renames it over the target. A disk that fills up halfway (ENOSPC), a quota, a directory
that may not be written leave no partial file behind — the temporary file is removed —
and raise `WriteFailed` with a message for people, naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class WriteFailed(Exception):
    """The file could not be written; nothing of it was left behind."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def write_atomically(path: Path | str, data: bytes) -> None:
    path = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
    except OSError as exc:
        raise WriteFailed(_message(path, exc)) from exc
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise WriteFailed(_message(path, exc)) from exc


_REASONS = {
    errno.ENOENT: "文件或目录不存在",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.EISDIR: "这是一个目录",
    errno.ENOTDIR: "路径中有一段不是目录",
    errno.EROFS: "文件系统是只读的",
    errno.ENAMETOOLONG: "文件名太长",
}


def os_error_reason(exc: OSError) -> str:
    """Why a file could not be read or written, in words (the system's own text is
    English whatever the user's language)."""
    if exc.errno in _FULL:
        return "磁盘空间不足"
    return _REASONS.get(exc.errno or 0) or exc.strerror or str(exc)


def _message(path: Path, exc: OSError) -> str:
    if exc.errno in _FULL:
        return f"磁盘空间不足，未能写入 {path}；没有留下不完整的文件，请腾出空间后重试"
    return f"无法写入 {path}：{os_error_reason(exc)}；没有留下不完整的文件"
