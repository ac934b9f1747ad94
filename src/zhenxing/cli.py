"""The `zhenxing` command (run through `./zx`). Each subcommand prints a clear message
and exits non-zero on bad input; no traceback reaches the user.

    zhenxing demo                 migrate, load the Yingkou demo, serve on 127.0.0.1:8000
    zhenxing test [pytest args]   the whole suite on SQLite and PostgreSQL, browser tests included
    zhenxing serve | migrate | createadmin
    zhenxing token create|list|revoke
    zhenxing backup FILE | restore FILE [--yes]
    zhenxing audit verify
    zhenxing rules check|test|eval|explain|simulate ...
    zhenxing bench NAME
    zhenxing check                Django's deployment checks and ours (zhenxing/checks.py)
    zhenxing manage ...           any Django management command

Errors are one line in the user's language (zhenxing/commands/errors.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from zhenxing.commands.argparsing import argument_parser_class, list_formatter_class
from zhenxing.commands.check import report_checks
from zhenxing.commands.errors import CommandError, run_reporting_errors
from zhenxing.commands.language import _, cli_language, django_language

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
DEMO_TODAY = "2024-06-30"
DEMO_PASSWORD = "Yingkou@2024"


def _setup_django(*, demo: bool = False) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenxing.settings")
    if demo:
        os.environ.setdefault("ZHENXING_TODAY", DEMO_TODAY)
    import django

    django.setup()
    from django.utils import translation

    translation.activate(django_language())


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup_django(demo=True)
    _migrate()
    print(_("数据库已迁移，参考数据已加载。"))
    return 0


def _make_data_dir() -> None:
    """The data directory and, unless one is set, the secret key every later process
    reads from it (settings leave both alone while the directory does not exist)."""
    from django.conf import settings

    Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)
    if not os.environ.get("ZHENXING_SECRET_KEY") and not os.environ.get("ZHENXING_TESTING"):
        from zhenxing.core.secret_key import load_or_create

        settings.SECRET_KEY = load_or_create(settings.DATA_DIR)


def _migrate() -> None:
    from django.core.management import call_command

    _make_data_dir()
    call_command("migrate", interactive=False, verbosity=0)
    from zhenxing.core.reference import load_reference

    load_reference()


def cmd_demo(args: argparse.Namespace) -> int:
    _setup_django(demo=True)
    _migrate()
    from zhenxing.demo.loader import load_demo

    accounts = load_demo(password=DEMO_PASSWORD)
    from zhenxing.serving import collect_static_if_changed

    collect_static_if_changed()
    address = f"http://{args.host}:{args.port}/"
    print()
    print(f"振兴 · {os.environ.get('ZHENXING_PLATFORM_NAME', '营口市产业发展服务平台')}")
    print(f"演示日期（“今天”）：{DEMO_TODAY}")
    print(f"地址：{address}")
    print(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for username, description in accounts:
        print(f"  {username:<12} {description}")
    print()
    if args.no_serve:
        return 0
    return _serve(args.host, args.port, worker=True)


def _serve(host: str, port: int, *, worker: bool, dev: bool = False) -> int:
    from zhenxing import serving

    return serving.serve(host, port, worker=worker, dev=dev)


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django()
    _make_data_dir()  # the servers and the worker must share one key from the start
    return _serve(args.host, args.port, worker=not args.no_worker, dev=args.dev)


def cmd_check(_args: argparse.Namespace) -> int:
    _setup_django()
    return report_checks()


def cmd_createadmin(args: argparse.Namespace) -> int:
    _setup_django()
    import getpass

    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    user_model = get_user_model()
    try:
        user_model._meta.get_field("username").clean(args.username, None)
    except ValidationError as exc:
        raise CommandError(_("用户名不可用：") + "；".join(exc.messages)) from exc
    password = os.environ.get("ZHENXING_ADMIN_PASSWORD", "")
    if not password:
        if not sys.stdin.isatty():  # getpass would read a script's stdin, echoing warnings
            raise CommandError(_("没有读到密码：请在终端里运行，或设置 ZHENXING_ADMIN_PASSWORD"))
        password = getpass.getpass(_("密码："))
    try:
        validate_password(password)
    except ValidationError as exc:
        raise CommandError(_("密码不符合要求：") + "；".join(exc.messages)) from exc
    user, _created = user_model.objects.get_or_create(username=args.username)
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()
    from zhenxing.core.models import RoleAssignment
    from zhenxing.core.roles import Role

    RoleAssignment.objects.get_or_create(user=user, role=Role.ADMIN)
    print(_("管理员 {username} 已就绪。").format(username=args.username))
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    _setup_django()
    from django.contrib.auth import get_user_model

    from zhenxing.core import audit, tokens
    from zhenxing.core.models import ApiToken

    user_model = get_user_model()
    if args.action == "create":
        user = user_model.objects.filter(username=args.target).first()
        if user is None:
            raise CommandError(_("没有用户“{name}”").format(name=args.target))
        from zhenxing.core.services import DomainError

        try:
            token, key = tokens.token_create(
                user=audit.SYSTEM, owner=user, name=args.name or "cli", days=args.days
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        print(
            f"已为 {user.username} 创建令牌 #{token.pk}，"
            f"{token.expires_at:%Y-%m-%d} 到期（只显示这一次）："
        )
        print(key)
        return 0
    if args.action == "list":
        qs = ApiToken.objects.select_related("user")
        if args.target:
            qs = qs.filter(user__username=args.target)
        for token in qs:
            state = "已吊销" if token.revoked_at else "已过期" if token.expired else "有效"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "-"
            expires = f"{token.expires_at:%Y-%m-%d}" if token.expires_at else "-"
            print(
                f"{token.pk}\t{token.user.username}\t{token.prefix}…\t{token.name}\t"
                f"{token.created_at:%Y-%m-%d}\t{expires}\t{used}\t{state}"
            )
        return 0
    if args.action == "revoke":
        if not args.target or not args.target.isdigit():
            raise CommandError(_("用法：zhenxing token revoke TOKEN_ID（编号见 token list）"))
        found = ApiToken.objects.filter(pk=int(args.target)).first()
        if found is None:
            raise CommandError(_("没有编号为 {id} 的令牌").format(id=args.target))
        tokens.token_revoke(user=audit.SYSTEM, token=found)  # the operator of the machine
        print(f"令牌 #{found.pk} 已吊销。")
        return 0
    raise CommandError("用法：zhenxing token create USERNAME | list [USERNAME] | revoke ID")


def cmd_backup(args: argparse.Namespace) -> int:
    if args.new_key:
        from zhenxing.core.backup_crypto import new_key

        print(new_key())
        return 0
    if not args.file:
        raise CommandError("用法：zhenxing backup FILE（或 --new-key 生成加密密钥）")
    _setup_django()
    from zhenxing.core import backup, backup_crypto

    try:
        summary = backup.backup_to(Path(args.file), key=backup.key_from_settings())
    except (backup.BackupError, backup_crypto.BackupCryptoError) as exc:
        raise CommandError(str(exc)) from exc
    sealed = "（已加密）" if summary.encrypted else ""
    print(f"已备份 {summary.records} 条记录、{summary.files} 个文件到 {args.file}{sealed}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    _setup_django()
    from zhenxing.core import backup, backup_crypto

    path = Path(args.file)
    if not path.exists():
        raise CommandError(_("文件不存在：{path}").format(path=args.file))
    try:
        key = backup.key_from_settings()
        manifest = backup.read_manifest(path, key=key)
        if manifest is not None:
            backup.check_schema(manifest)
        print(backup.describe(manifest))
        if not args.yes and not _confirmed("恢复将覆盖当前全部数据。输入 yes 继续："):
            raise CommandError("未恢复（在终端输入 yes 确认，或加 --yes）")
        summary = backup.restore_from(path, key=key)
    except (backup.BackupError, backup_crypto.BackupCryptoError) as exc:
        raise CommandError(str(exc)) from exc
    print(f"已从 {args.file} 恢复 {summary.records} 条记录、{summary.files} 个文件")
    return 0


def _confirmed(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    try:
        return input(question).strip().lower() in {"yes", "y", "是"}
    except EOFError:
        return False


def cmd_audit(args: argparse.Namespace) -> int:
    _setup_django()
    from zhenxing.core import audit_chain

    report = audit_chain.verify()
    print(audit_chain.describe(report))
    return 0 if report.ok else 1


def _acting_user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(
            _("没有用户“{name}”（用 --user 指定以谁的身份操作）").format(name=username)
        )
    return user


def cmd_import(args: argparse.Namespace) -> int:
    _setup_django()
    from zhenxing.core import excel

    spec = excel.REGISTRY[args.kind]  # argparse allowed only registered kinds
    data = Path(args.file).read_bytes()  # a missing or unreadable file: OSError, with its path
    result = excel.run_import(spec, data, user=_acting_user(args.user))
    if result.ok:
        print(result.summary())
        return 0
    print(
        _("导入失败，没有写入任何数据。共 {count} 处错误：").format(count=len(result.errors)),
        file=sys.stderr,
    )
    for error in result.errors[:200]:
        print(
            "  "
            + _("第 {row} 行 [{column}] “{value}”：{reason}").format(
                row=error.row, column=error.column, value=error.value, reason=error.reason
            ),
            file=sys.stderr,
        )
    if args.errors:
        Path(args.errors).write_bytes(result.error_report_xlsx())
        print(_("错误报告已写入 {path}").format(path=args.errors), file=sys.stderr)
    return 1


def _export_filters(items: list[str]) -> dict[str, str]:
    filters = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CommandError(_("筛选条件“{item}”应写作 名称=值，如 area=4").format(item=item))
        filters[name.strip()] = value.strip()
    return filters


def cmd_export(args: argparse.Namespace) -> int:
    _setup_django()
    from django.test import RequestFactory

    from zhenxing.core.listing import EXPORTS

    spec = EXPORTS[args.kind]  # argparse allowed only registered kinds
    request = RequestFactory().get("/", _export_filters(args.filter))
    request.user = _acting_user(args.user)
    from zhenxing.core.files import WriteFailed, write_atomically

    try:  # whole or not at all: a full disk leaves no partial file behind
        write_atomically(args.file, spec.export_bytes(request))
    except WriteFailed as exc:
        raise CommandError(exc.message) from exc
    print(_("已导出到 {path}").format(path=args.file))
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    from zhenxing.rules.cli import main as rules_main

    return int(rules_main(args.rest, lang=cli_language()))


def cmd_bench(args: argparse.Namespace) -> int:
    import runpy

    script = PROJECT_DIR / "benchmarks" / f"{args.name}.py"
    if not script.exists():
        names = sorted(p.stem for p in (PROJECT_DIR / "benchmarks").glob("*.py"))
        raise CommandError(
            _("没有基准测试“{name}”；可用：{names}").format(name=args.name, names="、".join(names))
        )
    sys.argv = [str(script), *args.rest]
    runpy.run_path(str(script), run_name="__main__")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from zhenxing.testrunner import run_all

    return run_all(args.rest)


def cmd_manage(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line, get_commands

    name = args.rest[0] if args.rest else ""
    if name and not name.startswith("-") and name not in get_commands():
        raise CommandError(
            _("没有管理命令“{name}”（zhenxing manage help 列出全部）").format(name=name)
        )

    execute_from_command_line(["zhenxing", *args.rest])
    return 0


def _data_kinds() -> dict[str, dict[str, str]]:
    """The import and export kinds with their titles (registered as Django starts)."""
    from zhenxing.core import excel
    from zhenxing.core.listing import EXPORTS

    return {
        "import": {kind: str(spec.title) for kind, spec in sorted(excel.REGISTRY.items())},
        "export": {kind: str(spec.title) for kind, spec in sorted(EXPORTS.items())},
    }


def _kinds_list(kinds: dict[str, str]) -> str:
    width = max((len(kind) for kind in kinds), default=0)
    return _("类型：") + "\n" + "\n".join(f"  {k:<{width}}  {t}" for k, t in kinds.items())


def build_parser(kinds: dict[str, dict[str, str]] | None = None) -> argparse.ArgumentParser:
    """`kinds` (`_data_kinds()`) makes `import` / `export` list and check their kinds;
    without it (when the command is another) they accept any word."""
    parser = argument_parser_class(cli_language())(
        prog="zhenxing", description=_("振兴 — 城市产业发展平台")
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="迁移、加载营口演示数据并启动服务")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--no-serve", action="store_true", help="只加载数据，不启动服务")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="启动服务：gunicorn 与后台任务进程（受监护，自动重启）")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-worker", action="store_true", help="不启动后台任务进程")
    serve.add_argument(
        "--dev", action="store_true", help="开发用：Django 自带服务器，改动代码后自动重启"
    )
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help=_("迁移数据库并加载参考数据")).set_defaults(func=cmd_migrate)

    createadmin = sub.add_parser("createadmin", help=_("创建或重设管理员"))
    createadmin.add_argument(
        "username", help=_("用户名（密码从终端或 ZHENXING_ADMIN_PASSWORD 读取）")
    )
    createadmin.set_defaults(func=cmd_createadmin)

    token = sub.add_parser("token", help="API 令牌：create USERNAME | list | revoke ID")
    token.add_argument("action", choices=["create", "list", "revoke"])
    token.add_argument("target", nargs="?", default="")
    token.add_argument("--name", default="")
    token.add_argument("--days", type=int, default=None, help="有效天数（默认 90）")
    token.set_defaults(func=cmd_token)

    backup = sub.add_parser(
        "backup", help="备份全部数据和上传的文件（设置 ZHENXING_BACKUP_KEY 则加密）"
    )
    backup.add_argument("file", nargs="?", default="")
    backup.add_argument("--new-key", action="store_true", help="生成一个备份加密密钥")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="从备份文件恢复全部数据（覆盖现有数据）")
    restore.add_argument("file")
    restore.add_argument("--yes", action="store_true", help="不再询问，直接恢复")
    restore.set_defaults(func=cmd_restore)

    audit = sub.add_parser("audit", help=_("审计日志：verify 校验哈希链"))
    audit.add_argument("action", choices=["verify"])
    audit.set_defaults(func=cmd_audit)

    kinds = kinds or {}
    imp = sub.add_parser(
        "import",
        help=_("从 Excel 导入（全部校验通过才写入）"),
        epilog=_kinds_list(kinds.get("import", {})),
        formatter_class=list_formatter_class(cli_language()),
    )
    imp.add_argument(
        "kind",
        metavar="KIND",
        choices=kinds.get("import"),
        help=_("类型，见下"),
    )
    imp.add_argument("file", help=_(".xlsx 文件"))
    imp.add_argument("--user", default="admin", help=_("以哪个用户的身份导入（决定权限范围）"))
    imp.add_argument("--errors", default="", help=_("出错时把错误报告写入此 .xlsx"))
    imp.set_defaults(func=cmd_import)
    exp = sub.add_parser(
        "export",
        help=_("把列表导出为 Excel"),
        epilog=_kinds_list(kinds.get("export", {})),
        formatter_class=list_formatter_class(cli_language()),
    )
    exp.add_argument(
        "kind",
        metavar="KIND",
        choices=kinds.get("export"),
        help=_("类型，见下"),
    )
    exp.add_argument("file", help=_("写入的 .xlsx 文件"))
    exp.add_argument("--user", default="admin", help=_("以哪个用户的身份导出（决定权限范围）"))
    exp.add_argument("--filter", action="append", default=[], help=_("筛选，如 area=4（可重复）"))
    exp.set_defaults(func=cmd_export)

    check = sub.add_parser("check", help=_("检查部署：Django 的部署检查和振兴自己的检查"))
    check.set_defaults(func=cmd_check)

    benchmarks = sorted(p.stem for p in (PROJECT_DIR / "benchmarks").glob("*.py"))
    for name, func, help_text in [
        ("rules", cmd_rules, _("规则引擎：check|test|eval|explain|simulate|near-miss")),
        ("bench", cmd_bench, _("运行 benchmarks/ 中的基准测试")),
        ("test", cmd_test, _("运行全部测试（SQLite 与 PostgreSQL，含浏览器测试）")),
        ("manage", cmd_manage, _("Django 管理命令")),
    ]:
        p = sub.add_parser(name, help=help_text, add_help=name != "rules")
        if name == "bench":
            p.add_argument("name", choices=benchmarks, help="、".join(benchmarks))
        p.add_argument("rest", nargs=argparse.REMAINDER, metavar="ARGS", help=_("交给该命令的参数"))
        p.set_defaults(func=func)
    return parser


PASSTHROUGH = {"rules": cmd_rules, "test": cmd_test, "manage": cmd_manage}


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand. Whatever goes wrong is one line on stderr and a non-zero exit
    (`commands/errors.py`); ZHENXING_DEBUG=1 shows the traceback instead."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in PASSTHROUGH:
        # These hand every further argument (--help included) to their own parser.
        command = PASSTHROUGH[argv[0]]
        return run_reporting_errors(lambda: int(command(argparse.Namespace(rest=argv[1:])) or 0))
    kinds: dict[str, dict[str, str]] = {}
    if argv and argv[0] in ("import", "export"):
        # Their kinds are registered as Django starts, so start it before parsing.
        def start_django() -> int:
            _setup_django()
            return 0

        status = run_reporting_errors(start_django)
        if status:
            return status
        kinds = _data_kinds()
    args = build_parser(kinds).parse_args(argv)
    return run_reporting_errors(lambda: int(args.func(args) or 0))


if __name__ == "__main__":
    sys.exit(main())
