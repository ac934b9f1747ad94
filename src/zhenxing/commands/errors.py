"""How the `zhenxing` command line fails: one line on stderr, in the user's language, and
a non-zero exit — never a traceback.

Known failures are named: a refusal of ours (`CommandError`, a service's `DomainError`),
a broken configuration, a file that cannot be read or written (with its path), a
database that is missing, unmigrated, read-only, locked or unreachable, a file that is
not what it should be. Anything else is a bug of ours and says so ("内部错误", exit 70)
rather than pretending to be the user's mistake. `ZHENXING_DEBUG=1` lets every error
through with its traceback, for whoever is finding that bug.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from pathlib import Path

from zhenxing.commands.language import _

EXIT_REFUSED = 2  # what the user asked for cannot be done as asked
EXIT_FAILED = 1  # the environment failed: files, database, configuration
EXIT_INTERNAL = 70  # a bug (sysexits' EX_SOFTWARE)


class CommandError(Exception):
    """A refusal the user can act on; the message is already in the user's language."""


def debugging() -> bool:
    return os.environ.get("ZHENXING_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}


def run_reporting_errors(command: Callable[[], int]) -> int:
    """Run `command`; turn what it raises into a one-line message and an exit status."""
    try:
        return command()
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if debugging():
            raise
        status, message = explain(exc)
        print(_("错误：{message}").format(message=message), file=sys.stderr)
        return status


def explain(exc: BaseException) -> tuple[int, str]:
    """The exit status and the one-line message for `exc`."""
    if isinstance(exc, CommandError):
        return EXIT_REFUSED, _first_line(exc)
    services = sys.modules.get("zhenxing.core.services")
    if services is not None and isinstance(exc, services.DomainError):
        return EXIT_REFUSED, _first_line(exc)
    for explainer in (_configuration, _database, _bad_file, _file_system):
        message = explainer(exc)
        if message:
            return EXIT_FAILED, message
    detail = _first_line(exc)
    return EXIT_INTERNAL, _(
        "内部错误（{kind}：{detail}）。这是程序的缺陷，请报告给维护者；"
        "设置 ZHENXING_DEBUG=1 再运行可看到详细信息。"
    ).format(kind=type(exc).__name__, detail=detail)


def _first_line(exc: BaseException) -> str:
    """The first line of the message (a wrapper's cause when the wrapper says nothing)."""
    text = str(exc).strip() or str(exc.__cause__ or exc.__context__ or "").strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _configuration(exc: BaseException) -> str | None:
    exceptions = sys.modules.get("django.core.exceptions")
    if exceptions is not None and isinstance(exc, exceptions.ImproperlyConfigured):
        return _("设置有误：{detail}（各项设置见 .env.example）").format(detail=_first_line(exc))
    return None


def _data_dir() -> Path | None:
    conf = sys.modules.get("django.conf")
    try:
        return Path(conf.settings.DATA_DIR) if conf is not None else None
    except Exception:  # settings that failed to load: nothing to say about the directory
        return None


def _database(exc: BaseException) -> str | None:
    utils = sys.modules.get("django.db.utils")
    if utils is None or not isinstance(exc, utils.DatabaseError):
        return None
    text = str(exc).lower()
    detail = _first_line(exc)
    if "no such table" in text or "no such column" in text or "does not exist" in text:
        return _("数据库尚未迁移到当前版本：请先运行 zhenxing migrate")
    if "unable to open database" in text:
        data_dir = _data_dir()
        if data_dir is not None and not data_dir.is_dir():
            return _("数据目录不存在：{path}（先运行 zhenxing migrate 或 zhenxing demo）").format(
                path=data_dir
            )
        if data_dir is not None and not os.access(data_dir, os.W_OK):
            return _("数据目录不可写：{path}（检查它的权限）").format(path=data_dir)
        return _("无法打开数据库文件：{detail}").format(detail=detail)
    if "readonly database" in text or "read-only" in text:
        return _("数据库是只读的，无法写入（检查数据目录 {path} 的权限）").format(
            path=_data_dir() or "ZHENXING_DATA_DIR"
        )
    if "database is locked" in text:
        return _("数据库正被其他进程占用，请稍后再试")
    if "disk is full" in text or "no space left" in text:
        return _("磁盘空间不足，数据库无法写入")
    if "connect" in text or "could not translate host" in text:
        return _("无法连接数据库：{detail}（检查 ZHENXING_DATABASE_URL）").format(detail=detail)
    return _("数据库错误：{detail}").format(detail=detail)


def _bad_file(exc: BaseException) -> str | None:
    import gzip
    import zlib

    serializers = sys.modules.get("django.core.serializers.base")
    if serializers is not None and isinstance(exc, serializers.DeserializationError):
        return _("文件内容无法读取，不是有效的备份：{detail}").format(detail=_first_line(exc))
    if isinstance(exc, gzip.BadGzipFile | zlib.error | EOFError):
        return _("文件已损坏或不是完整的 gzip 压缩文件")
    if isinstance(exc, UnicodeDecodeError):
        return _("文件不是 UTF-8 编码的文本")
    return None


def _file_system(exc: BaseException) -> str | None:
    if not isinstance(exc, OSError):
        return None
    path = exc.filename if exc.filename is not None else ""
    by_errno = {
        errno.ENOENT: _("文件或目录不存在：{path}"),
        errno.EACCES: _("没有权限读写：{path}"),
        errno.EPERM: _("没有权限读写：{path}"),
        errno.EISDIR: _("这是一个目录，不是文件：{path}"),
        errno.ENOTDIR: _("路径中有一段不是目录：{path}"),
        errno.ENOSPC: _("磁盘空间不足，无法写入：{path}"),
        errno.EROFS: _("文件系统是只读的，无法写入：{path}"),
        errno.ENAMETOOLONG: _("文件名太长：{path}"),
    }
    template = by_errno.get(exc.errno or 0)
    if template is not None:
        return template.format(path=path)
    return _("无法读写 {path}：{reason}").format(path=path, reason=exc.strerror or _first_line(exc))
