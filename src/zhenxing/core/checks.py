"""Zhenxing's own deployment checks, run by `zhenxing check` beside Django's
`check --deploy` (tag "zhenxing", deployment only: they look at the database, the disk
and the worker, which the ordinary checks before every command should not).

Each finding names what to do. Errors (the installation cannot serve safely) make
`zhenxing check` exit non-zero; warnings do not.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.translation import gettext as _

from zhenxing.core import health

TAG = "zhenxing"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]", "testserver"}
# Secret keys that are public (in this repository or Django's project template)
PUBLIC_KEY_PREFIXES = ("zhenxing-insecure-", "django-insecure-")
# The fonts the PDF documents are set in (Debian's fonts-noto-cjk)
CJK_FONT_GLOBS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK*",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK*",
    "/usr/share/fonts/**/NotoSansCJK*",
    "/usr/local/share/fonts/**/NotoSansCJK*",
)
DISK_ERROR_BYTES = 500 * 1024**2
DISK_WARNING_BYTES = 2 * 1024**3


def _mb(n: int) -> str:
    return f"{n / 1024**2:,.0f} MB"


@register(TAG, deploy=True)
def secret_key(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    key = settings.SECRET_KEY or ""
    if not key or key.startswith(PUBLIC_KEY_PREFIXES):
        return [
            Error(
                _("密钥（SECRET_KEY）未设置或是公开的开发用密钥，会话和签名都可被伪造"),
                hint=_(
                    "删除 ZHENXING_SECRET_KEY 让平台在数据目录生成一个，"
                    "或设置一个 50 位以上的随机值"
                ),
                id="zhenxing.E001",
            )
        ]
    return []


@register(TAG, deploy=True)
def allowed_hosts(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    hosts = set(settings.ALLOWED_HOSTS)
    hint = _("用 ZHENXING_ALLOWED_HOSTS 写明网站的域名，多个以逗号分隔")
    if not hosts:
        return [Error(_("ALLOWED_HOSTS 为空，任何请求都会被拒绝"), hint=hint, id="zhenxing.E002")]
    if "*" in hosts:
        return [
            Warning(_("ALLOWED_HOSTS 含 *，接受任意 Host 请求头"), hint=hint, id="zhenxing.W002")
        ]
    if hosts <= LOCAL_HOSTS:
        return [
            Warning(
                _("ALLOWED_HOSTS 只有本机地址，其他机器无法访问"), hint=hint, id="zhenxing.W003"
            )
        ]
    return []


@register(TAG, deploy=True)
def database(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    reached = health.database()
    if not reached.ok:
        return [
            Error(
                _("无法连接数据库：{detail}").format(detail=reached.detail.splitlines()[0]),
                hint=_("检查 ZHENXING_DATABASE_URL，或数据目录中的 SQLite 文件"),
                id="zhenxing.E003",
            )
        ]
    migrated = health.migrations()
    if not migrated.ok:
        return [
            Error(
                _("数据库尚未迁移到当前版本（{detail}）").format(detail=migrated.detail),
                hint=_("运行 zhenxing migrate"),
                id="zhenxing.E004",
            )
        ]
    return []


def cjk_font_files() -> list[str]:
    found: set[str] = set()
    for pattern in CJK_FONT_GLOBS:
        found.update(glob.glob(pattern, recursive=True))
    return sorted(found)


@register(TAG, deploy=True)
def cjk_fonts(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    if cjk_font_files():
        return []
    return [
        Warning(
            _("没有找到中文字体（Noto Sans/Serif CJK），生成的 PDF 中的汉字会缺字"),
            hint=_("安装 Debian 软件包 fonts-noto-cjk"),
            id="zhenxing.W005",
        )
    ]


@register(TAG, deploy=True)
def worker(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    if not health.database().ok:
        return []  # said by zhenxing.E003
    beating = health.worker()
    if beating.ok:
        return []
    return [
        Warning(
            _("后台任务进程没有在运行（{detail}）：导入、测算等任务不会执行").format(
                detail=beating.detail
            ),
            hint=_("用 zhenxing serve 启动（它会一并启动后台任务进程），或启动 db_worker 服务"),
            id="zhenxing.W006",
        )
    ]


@register(TAG, deploy=True)
def data_dir(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    writable = health.data_dir()
    if not writable.ok:
        return [
            Error(
                _("数据目录不可写：{detail}").format(detail=writable.detail),
                hint=_("数据目录（ZHENXING_DATA_DIR）须存在并归运行平台的用户所有"),
                id="zhenxing.E007",
            )
        ]
    free = health.free_disk_bytes()
    if free < DISK_ERROR_BYTES:
        return [
            Error(
                _("数据目录所在磁盘只剩 {free}").format(free=_mb(free)),
                hint=_("清理磁盘或扩容；备份和上传的文件都写在这里"),
                id="zhenxing.E008",
            )
        ]
    if free < DISK_WARNING_BYTES:
        return [
            Warning(
                _("数据目录所在磁盘只剩 {free}").format(free=_mb(free)),
                hint=_("清理磁盘或扩容；备份和上传的文件都写在这里"),
                id="zhenxing.W008",
            )
        ]
    return []
