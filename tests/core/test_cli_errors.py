"""No `zhenxing` command prints a traceback, whatever it is given.

Every subcommand is run in a real process (as an operator would run it) with missing
and bad arguments, a missing, unmigrated or read-only data directory, and files that
are missing, unreadable, a directory, or not what they should be. Each must end with a
non-zero exit and a message in the user's language on stderr — one line, except the
reports that list several findings (an import's row errors, `check`) — and no
"Traceback" and no "内部错误" (an error we did not foresee: a bug to map at its root).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ZHENXING = str(Path(sys.executable).with_name("zhenxing"))
CJK = re.compile(r"[\u4e00-\u9fff]")
# As root, file modes do not stop anyone: the cases about permissions drop the
# capabilities that let root pass them (so they run where root has no other user to be).
AS_ROOT = os.geteuid() == 0
WITHOUT_ROOTS_PASS = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
    "--",
]


def _env(data_dir: Path, language: str, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ZHENXING_", "LC_", "DJANGO_")) and key not in ("LANG", "LANGUAGE")
    }
    env.update(ZHENXING_DATA_DIR=str(data_dir), ZHENXING_TESTING="1", **extra)
    if language == "en":
        env["LANG"] = "en_US.UTF-8"
    return env


@dataclass
class Case:
    argv: list[str]
    expect: str  # a fragment of the Chinese message
    expect_en: str = ""  # a fragment of the English one (when the case is run in English too)
    data_dir: str = "migrated"  # migrated | missing | empty | readonly
    env: dict[str, str] = field(default_factory=dict)
    permissions: bool = False  # about file modes: run without root's pass over them
    report: bool = False  # several lines by design


@dataclass
class Places:
    root: Path
    migrated: Path
    files: Path


@pytest.fixture(scope="module")
def places() -> Iterator[Places]:
    root = Path(tempfile.mkdtemp(prefix="zhenxing-cli-"))
    migrated = root / "migrated"
    env = _env(migrated, "zh", ZHENXING_ADMIN_PASSWORD="Admin-Passw0rd-2024")
    for argv in (["migrate"], ["createadmin", "admin"]):
        done = subprocess.run([ZHENXING, *argv], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    files = root / "files"
    files.mkdir()
    (files / "garbage.xlsx").write_bytes(b"this is not a spreadsheet")
    (files / "garbage.json").write_text("[{not json", encoding="utf-8")
    (files / "wrong.json").write_text('[{"model": "core.nosuch", "pk": 1, "fields": {}}]')
    (files / "garbage.json.gz").write_bytes(b"\x1f\x8b not really gzip")
    (files / "latin1.json").write_bytes('["caf\xe9"]'.encode("latin-1"))
    (files / "a-directory").mkdir()
    secret = files / "unreadable.xlsx"
    secret.write_bytes(b"PK")
    secret.chmod(0o000)
    (root / "empty").mkdir()
    readonly = root / "readonly"
    readonly.mkdir()
    for name in os.listdir(migrated):
        if name.endswith(".sqlite3"):
            shutil.copy(migrated / name, readonly / name)
    readonly.chmod(0o555)
    for path in readonly.iterdir():
        path.chmod(0o444)
    yield Places(root, migrated, files)
    readonly.chmod(0o755)
    shutil.rmtree(root, ignore_errors=True)


def _cases(files: Path) -> list[Case]:
    f = str(files)
    out = str(files / "no-such-dir" / "out.xlsx")
    return [
        # usage: missing and bad arguments (no database needed)
        Case([], "缺少必填参数", "required"),
        Case(["frob"], "取值 'frob' 无效"),
        Case(["token"], "缺少必填参数：action"),
        Case(["token", "bogus"], "取值 'bogus' 无效"),
        Case(["token", "list", "a", "b"], "无法识别的参数", "unrecognized"),
        Case(["createadmin"], "缺少必填参数：username"),
        Case(["backup"], "用法：zhenxing backup FILE"),
        Case(["restore"], "缺少必填参数：file"),
        Case(["import"], "缺少必填参数：KIND, file"),
        Case(["import", "nosuch", "x.xlsx"], "取值 'nosuch' 无效", "invalid choice: 'nosuch'"),
        Case(["export", "projects"], "缺少必填参数：file"),
        Case(["bench", "nope"], "取值 'nope' 无效"),
        Case(["serve", "--port", "abc"], "参数 --port 的值 'abc' 无效", "invalid int value"),
        Case(["demo", "--port", "x"], "参数 --port 的值 'x' 无效"),
        Case(["migrate", "extra"], "无法识别的参数"),
        Case(["check", "extra"], "无法识别的参数"),
        Case(["rules", "eval"], "缺少必填参数"),
        Case(["rules", "check", "--rules", f"{f}/none"], "找不到规则目录", "no such rules folder"),
        Case(["manage", "nope"], "没有管理命令“nope”", "no management command"),
        # the things named do not exist
        Case(["token", "create", "ghost"], "没有用户“ghost”"),
        Case(["token", "revoke", "abc"], "用法：zhenxing token revoke"),
        Case(["token", "revoke", "999"], "没有编号为 999 的令牌"),
        Case(["import", "enterprises", f"{f}/x.xlsx", "--user", "ghost"], "文件或目录不存在"),
        Case(["export", "projects", f"{f}/x.xlsx", "--user", "ghost"], "没有用户“ghost”"),
        Case(["export", "projects", f"{f}/x.xlsx", "--filter", "oops"], "应写作 名称=值"),
        Case(["createadmin", "bad name!"], "用户名不可用"),
        Case(["createadmin", "newadmin"], "没有读到密码", "no password"),
        Case(["createadmin", "newadmin"], "密码不符合要求", env={"ZHENXING_ADMIN_PASSWORD": "123"}),
        # files: missing, a directory, unreadable, malformed
        Case(["import", "enterprises", f"{f}/missing.xlsx"], "文件或目录不存在", "does not exist"),
        Case(["import", "enterprises", f"{f}/a-directory"], "是一个目录"),
        Case(["import", "enterprises", f"{f}/garbage.xlsx"], "导入失败", report=True),
        Case(["import", "enterprises", f"{f}/unreadable.xlsx"], "没有权限", permissions=True),
        Case(["restore", f"{f}/missing.json"], "文件不存在"),
        Case(["restore", "--yes", f"{f}/garbage.json"], "不是有效的备份", "not a valid backup"),
        Case(["restore", "--yes", f"{f}/wrong.json"], "备份与当前数据库的结构不符"),
        Case(["restore", f"{f}/garbage.json.gz"], "已损坏"),
        Case(["restore", "--yes", f"{f}/latin1.json"], "不是 UTF-8"),
        Case(["backup", out], "文件或目录不存在"),
        Case(["export", "projects", out], "文件或目录不存在"),
        # the data directory: missing, not migrated, read-only
        Case(["token", "list"], "数据目录不存在", "data directory does not exist", "missing"),
        Case(["backup", f"{f}/b.json"], "数据目录不存在", data_dir="missing"),
        Case(["token", "list"], "尚未迁移", "not migrated", data_dir="empty"),
        Case(["check"], "zhenxing.E003", data_dir="missing", report=True),
        Case(["check"], "zhenxing.E004", data_dir="empty", report=True),
        Case(["token", "create", "admin"], "只读", data_dir="readonly", permissions=True),
        Case(["migrate"], "只读", "read-only", data_dir="readonly", permissions=True),
        Case(["migrate"], "没有权限", data_dir="under_readonly", permissions=True),
    ]


def _data_dir(places: Places, kind: str) -> Path:
    return {
        "migrated": places.migrated,
        "missing": places.root / "missing",
        "empty": places.root / "empty",
        "readonly": places.root / "readonly",
        "under_readonly": places.root / "readonly" / "data",
    }[kind]


def _run(case: Case, places: Places, language: str) -> subprocess.CompletedProcess[str]:
    prefix = WITHOUT_ROOTS_PASS if case.permissions and AS_ROOT else []
    return subprocess.run(
        [*prefix, ZHENXING, *case.argv],
        env=_env(_data_dir(places, case.data_dir), language, **case.env),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        cwd=places.root,
    )


def _check(case: Case, done: subprocess.CompletedProcess[str], language: str) -> list[str]:
    """What is wrong with how `case` ended (nothing when it ended well)."""
    name = f"[{language}] zhenxing {' '.join(case.argv)} ({case.data_dir})"
    err = done.stderr.strip()
    text = done.stdout + done.stderr
    problems = []
    if done.returncode == 0:
        problems.append("exit status 0")
    if "Traceback" in text or "内部错误" in text or "Internal error" in text:
        problems.append("an unforeseen error")
    lines = err.splitlines() if not case.report else [err]
    if not case.report and len(lines) != 1:
        problems.append(f"{len(lines)} lines on stderr")
    wanted = case.expect if language == "zh" else case.expect_en
    if wanted and wanted not in text:
        problems.append(f"no {wanted!r}")
    if language == "zh" and not CJK.search(err + done.stdout):
        problems.append("not in Chinese")
    if language == "en" and CJK.search(err):
        problems.append("Chinese in the English message")
    return [f"{name}: {p}\n    {text.strip()[:400]}" for p in problems]


def test_every_subcommand_fails_with_one_clear_line_in_the_users_language(
    places: Places,
) -> None:
    cases = _cases(places.files)
    if AS_ROOT and not shutil.which("setpriv"):
        cases = [case for case in cases if not case.permissions]
    runs = [(case, "zh") for case in cases]
    runs += [(case, "en") for case in cases if case.expect_en]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda run: _run(run[0], places, run[1]), runs))
    problems = [
        problem
        for (case, language), done in zip(runs, results, strict=True)
        for problem in _check(case, done, language)
    ]
    assert not problems, "\n".join(problems)


def test_zhenxing_debug_shows_the_traceback(places: Places) -> None:
    case = Case(["restore", str(places.files / "garbage.json")], "")
    done = _run(Case(case.argv, "", env={"ZHENXING_DEBUG": "1"}), places, "zh")
    assert done.returncode != 0 and "Traceback" in done.stderr


def test_help_lists_the_import_and_export_kinds_and_the_readme_names_them() -> None:
    from zhenxing.core import excel
    from zhenxing.core.listing import EXPORTS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for command, kinds in (("import", excel.REGISTRY), ("export", EXPORTS)):
        done = subprocess.run(
            [ZHENXING, command, "--help"],
            env=_env(Path(tempfile.gettempdir()) / "zhenxing-help", "zh"),
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        for kind in kinds:
            assert kind in done.stdout, (command, kind)
            assert f"`{kind}`" in readme, f"README.md does not name the {command} kind {kind}"


def test_the_language_follows_the_locale_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    from zhenxing.commands.language import cli_language

    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert cli_language() == "zh"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert cli_language() == "en"
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")  # LC_ALL outranks LANG
    assert cli_language() == "zh"
    monkeypatch.setenv("LANGUAGE", "en_GB:zh_CN")  # LANGUAGE outranks both
    assert cli_language() == "en"
    monkeypatch.setenv("LANGUAGE", "C")
    assert cli_language() == "zh"
