"""The `zhenxing` command (run through `./zx`). Each subcommand prints a clear message
and exits non-zero on bad input; no traceback reaches the user.

    zhenxing demo                 migrate, load the Yingkou demo, serve on 127.0.0.1:8000
    zhenxing test [pytest args]   the whole suite on SQLite and PostgreSQL, browser tests included
    zhenxing serve | migrate | createadmin
    zhenxing token create|list|revoke
    zhenxing backup FILE | restore FILE
    zhenxing rules check|test|eval|explain|simulate ...
    zhenxing bench NAME
    zhenxing manage ...           any Django management command
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
DEMO_TODAY = "2024-06-30"
DEMO_PASSWORD = "Yingkou@2024"


class CommandError(Exception):
    pass


def _setup_django(*, demo: bool = False) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenxing.settings")
    if demo:
        os.environ.setdefault("ZHENXING_TODAY", DEMO_TODAY)
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def cmd_migrate(_: argparse.Namespace) -> int:
    _setup_django(demo=True)
    _migrate()
    print("数据库已迁移，参考数据已加载。")
    return 0


def _migrate() -> None:
    from django.conf import settings
    from django.core.management import call_command

    Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)
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
    return _serve(args.host, args.port, worker=not args.no_worker, dev=args.dev)


def cmd_createadmin(args: argparse.Namespace) -> int:
    _setup_django()
    import getpass

    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    password = os.environ.get("ZHENXING_ADMIN_PASSWORD") or getpass.getpass("密码：")
    user_model = get_user_model()
    try:
        validate_password(password)
    except ValidationError as exc:
        raise CommandError("密码不符合要求：" + "；".join(exc.messages)) from exc
    user, _ = user_model.objects.get_or_create(username=args.username)
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()
    from zhenxing.core.models import RoleAssignment
    from zhenxing.core.roles import Role

    RoleAssignment.objects.get_or_create(user=user, role=Role.ADMIN)
    print(f"管理员 {args.username} 已就绪。")
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
            raise CommandError(f"没有用户“{args.target}”")
        token, key = tokens.token_create(user=user, owner=user, name=args.name or "cli")
        print(f"已为 {user.username} 创建令牌 #{token.pk}（只显示这一次）：")
        print(key)
        return 0
    if args.action == "list":
        qs = ApiToken.objects.select_related("user")
        if args.target:
            qs = qs.filter(user__username=args.target)
        for token in qs:
            state = "已吊销" if token.revoked_at else "有效"
            used = token.last_used_at.isoformat() if token.last_used_at else "-"
            print(
                f"{token.pk}\t{token.user.username}\t{token.prefix}…\t{token.name}\t"
                f"{token.created_at:%Y-%m-%d}\t{used}\t{state}"
            )
        return 0
    if args.action == "revoke":
        if not args.target or not args.target.isdigit():
            raise CommandError("用法：zhenxing token revoke TOKEN_ID（编号见 token list）")
        found = ApiToken.objects.filter(pk=int(args.target)).first()
        if found is None:
            raise CommandError(f"没有编号为 {args.target} 的令牌")
        tokens.token_revoke(user=audit.SYSTEM, token=found)  # the operator of the machine
        print(f"令牌 #{found.pk} 已吊销。")
        return 0
    raise CommandError("用法：zhenxing token create USERNAME | list [USERNAME] | revoke ID")


def cmd_backup(args: argparse.Namespace) -> int:
    _setup_django()
    from zhenxing.core import backup

    count = backup.backup_to(Path(args.file))
    print(f"已备份 {count} 条记录到 {args.file}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    _setup_django()
    from zhenxing.core import backup

    path = Path(args.file)
    if not path.exists():
        raise CommandError(f"文件不存在：{args.file}")
    count = backup.restore_from(path)
    print(f"已从 {args.file} 恢复 {count} 条记录")
    return 0


def _acting_user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"没有用户“{username}”（用 --user 指定以谁的身份操作）")
    return user


def cmd_import(args: argparse.Namespace) -> int:
    _setup_django()
    from zhenxing.core import excel

    spec = excel.REGISTRY.get(args.kind)
    if spec is None:
        raise CommandError(f"没有导入类型“{args.kind}”；可用：{'、'.join(sorted(excel.REGISTRY))}")
    path = Path(args.file)
    if not path.exists():
        raise CommandError(f"文件不存在：{args.file}")
    result = excel.run_import(spec, path.read_bytes(), user=_acting_user(args.user))
    if result.ok:
        print(result.summary())
        return 0
    print(f"导入失败，没有写入任何数据。共 {len(result.errors)} 处错误：", file=sys.stderr)
    for error in result.errors[:200]:
        print(
            f"  第 {error.row} 行 [{error.column}] “{error.value}”：{error.reason}", file=sys.stderr
        )
    if args.errors:
        Path(args.errors).write_bytes(result.error_report_xlsx())
        print(f"错误报告已写入 {args.errors}", file=sys.stderr)
    return 1


def cmd_export(args: argparse.Namespace) -> int:
    _setup_django()
    from django.test import RequestFactory

    from zhenxing.core.listing import EXPORTS

    spec = EXPORTS.get(args.kind)
    if spec is None:
        raise CommandError(f"没有导出类型“{args.kind}”；可用：{'、'.join(sorted(EXPORTS))}")
    request = RequestFactory().get("/", dict(item.split("=", 1) for item in args.filter))
    request.user = _acting_user(args.user)
    Path(args.file).write_bytes(spec.export_bytes(request))
    print(f"已导出到 {args.file}")
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    from zhenxing.rules.cli import main as rules_main

    return int(rules_main(args.rest))


def cmd_bench(args: argparse.Namespace) -> int:
    import runpy

    script = PROJECT_DIR / "benchmarks" / f"{args.name}.py"
    if not script.exists():
        names = sorted(p.stem for p in (PROJECT_DIR / "benchmarks").glob("*.py"))
        raise CommandError(f"没有基准测试“{args.name}”；可用：{'、'.join(names)}")
    sys.argv = [str(script), *args.rest]
    runpy.run_path(str(script), run_name="__main__")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from zhenxing.testrunner import run_all

    return run_all(args.rest)


def cmd_manage(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["zhenxing", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhenxing", description="振兴 — 城市产业发展平台")
    sub = parser.add_subparsers(dest="command", required=True)

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

    sub.add_parser("migrate", help="迁移数据库并加载参考数据").set_defaults(func=cmd_migrate)

    createadmin = sub.add_parser("createadmin", help="创建或重设管理员")
    createadmin.add_argument("username")
    createadmin.set_defaults(func=cmd_createadmin)

    token = sub.add_parser("token", help="API 令牌：create USERNAME | list | revoke ID")
    token.add_argument("action", choices=["create", "list", "revoke"])
    token.add_argument("target", nargs="?", default="")
    token.add_argument("--name", default="")
    token.set_defaults(func=cmd_token)

    backup = sub.add_parser("backup", help="备份全部数据到文件")
    backup.add_argument("file")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="从备份文件恢复全部数据（覆盖现有数据）")
    restore.add_argument("file")
    restore.set_defaults(func=cmd_restore)

    imp = sub.add_parser("import", help="从 Excel 导入（全部校验通过才写入）")
    imp.add_argument("kind")
    imp.add_argument("file")
    imp.add_argument("--user", default="admin", help="以哪个用户的身份导入（决定权限范围）")
    imp.add_argument("--errors", default="", help="出错时把错误报告写入此 .xlsx")
    imp.set_defaults(func=cmd_import)
    exp = sub.add_parser("export", help="把列表导出为 Excel")
    exp.add_argument("kind")
    exp.add_argument("file")
    exp.add_argument("--user", default="admin")
    exp.add_argument("--filter", action="append", default=[], help="筛选，如 area=4")
    exp.set_defaults(func=cmd_export)

    for name, func, help_text in [
        ("rules", cmd_rules, "规则引擎：check|test|eval|explain|simulate|near-miss"),
        ("bench", cmd_bench, "运行 benchmarks/ 中的基准测试"),
        ("test", cmd_test, "运行全部测试（SQLite 与 PostgreSQL，含浏览器测试）"),
        ("manage", cmd_manage, "Django 管理命令"),
    ]:
        p = sub.add_parser(name, help=help_text, add_help=name != "rules")
        if name == "bench":
            p.add_argument("name")
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(func=func)
    return parser


PASSTHROUGH = {"rules": cmd_rules, "test": cmd_test, "manage": cmd_manage}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in PASSTHROUGH:
        # These hand every further argument (--help included) to their own parser.
        try:
            return int(PASSTHROUGH[argv[0]](argparse.Namespace(rest=argv[1:])) or 0)
        except CommandError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CommandError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
