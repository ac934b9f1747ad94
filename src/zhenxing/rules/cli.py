"""`zhenxing rules check|test|eval|explain|simulate|near-miss` — the engine on files.

`main(argv)` returns the exit code; every error is a message naming the file,
row and column where possible — never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import polars as pl

from zhenxing.commands.argparsing import argument_parser_class

from .cli_format import format_table
from .diagnostics import Lang, RulesError
from .loader import Catalogue, load_catalogue

if TYPE_CHECKING:
    from .check import RuleSet
    from .simulate import SimulationReport


def _parser(lang: Lang = "zh") -> argparse.ArgumentParser:
    """`lang` is the language of `--help` and usage errors, and the default of `--lang`."""
    p = argument_parser_class(lang)(
        prog="zhenxing rules",
        description="政策规则引擎：检查规则、运行测试用例、求值、说明、模拟和差距分析。",
        epilog="退出码：0 成功；1 发现问题（规则有错误、测试未通过、数据有误、没有适用的规则）；"
        "2 用法错误（找不到规则目录、参数写法不对、输出文件的扩展名不对）。",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="命令")

    def add(name: str, summary: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=summary, description=summary)
        sp.add_argument(
            "--rules",
            required=True,
            help="规则目录（递归查找规则文件；facts.yaml 可在该目录或其上级目录中）",
        )
        sp.add_argument(
            "--lang",
            choices=["zh", "en"],
            default=lang,
            help="输出语言（默认：命令行的语言，LANG 为 en… 时是 en，否则 zh）",
        )
        return sp

    sp = add("check", "检查规则文件：语法、名称、类型、单位、循环引用等，列出错误和警告")
    sp.add_argument("--json", action="store_true", help="以 JSON 输出诊断（汇总行写到标准错误）")

    sp = add("test", "运行规则文件中的测试用例（参考解释器与向量化引擎各运行一次）")
    sp.add_argument("--rule", action="append", help="只运行这条规则的用例（可重复）")

    summaries = {
        "eval": "对事实文件中的每个主体、每条适用的规则求值，写出结果文件",
        "explain": "逐步说明一个主体为什么符合或不符合：中间值、条件和差距",
        "simulate": "比较基线与方案（另一个规则目录或改过的参数）：符合数和金额的变化",
    }
    for name, summary in summaries.items():
        sp = add(name, summary)
        sp.add_argument(
            "--entity",
            required=name != "explain",
            help="主体类型：project（项目）、enterprise（企业）……",
        )
        sp.add_argument("--facts", required=True, help="事实文件：.csv、.parquet 或 .xlsx")
        sp.add_argument("--period", required=True, help="期间：2024 或 2024-03")
        sp.add_argument("--verified-only", action="store_true", help="跳过未核实（暂定）的规则")
        if name == "eval":
            sp.add_argument("--out", required=True, help="结果文件：.csv 或 .parquet")
        if name == "explain":
            sp.add_argument("--id", required=True, help="要说明的主体编号（entity_id）")
            sp.add_argument("--rule", action="append", help="只说明这条规则（可重复）")
        if name == "simulate":
            sp.add_argument("--against", help="方案的规则目录（与 --rules 的基线比较）")
            sp.add_argument(
                "--set",
                action="append",
                default=[],
                metavar="[规则.]参数=值",
                help="在方案中覆盖一个参数（可重复）；写错的参数名会被拒绝",
            )
            sp.add_argument("--out", help="写出金额或资格有变化的主体（.csv 或 .parquet）")
    sp = add("near-miss", "差一个条件就符合的主体及差距")
    sp.add_argument("--entity", help="主体类型：project（项目）、enterprise（企业）……")
    sp.add_argument("--facts", required=True, help="事实文件：.csv、.parquet 或 .xlsx")
    sp.add_argument("--period", required=True, help="期间：2024 或 2024-03")
    sp.add_argument("--rule", required=True, help="规则 id")
    sp.add_argument(
        "--margin",
        action="append",
        default=[],
        metavar="比例 | 事实=数额",
        help="0.1：差距不超过要达到的值的 10%%（默认）；"
        "事实=数额：差距不超过该数额（按事实的单位），可重复",
    )
    sp.add_argument("--out", help="写出名单（.csv 或 .parquet）")
    return p


def _say(lang: Lang, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _bad_out(out: str | None, lang: Lang, err: TextIO) -> bool:
    """True (after saying so) when an output file has a suffix we cannot write."""
    if out is None or Path(out).suffix.lower() in (".csv", ".parquet"):
        return False
    print(
        f"{out}: " + _say(lang, "输出文件须为 .csv 或 .parquet", "use .csv or .parquet"),
        file=err,
    )
    return True


def _not_in_force(rule_id: str, args: argparse.Namespace) -> str:
    where = f"{args.entity or ''} {args.period}".strip()
    return f"{rule_id}: " + _say(args.lang, f"该规则在 {where} 不适用", f"not in force for {where}")


def _load(path: str, lang: Lang, err: TextIO) -> Catalogue | None:
    if not Path(path).exists():
        print(f"{path}: {'找不到规则目录' if lang == 'zh' else 'no such rules folder'}", file=err)
        return None
    return load_catalogue(path)


def _write(frame: pl.DataFrame, out: str) -> None:
    suffix = Path(out).suffix.lower()
    if suffix == ".parquet":
        frame.write_parquet(out)
    elif suffix == ".csv":
        frame.write_csv(out)
    else:  # the commands refuse other suffixes before doing any work (`_bad_out`)
        raise ValueError(f"{out}: use .csv or .parquet")


def _failed_names(rules_conditions: dict[str, list[str]]) -> pl.Expr:
    parts = []
    for rid, names in rules_conditions.items():
        if not names:
            continue
        failed = [
            pl.when((pl.col("conditions") & (1 << i)) == 0).then(pl.lit(n))
            for i, n in enumerate(names)
        ]
        parts.append(
            pl.when(pl.col("rule_id") == rid).then(
                pl.concat_str(failed, separator=",", ignore_nulls=True)
            )
        )
    if not parts:
        return pl.lit("")
    return pl.coalesce(parts).fill_null("")


def cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    cat = _load(args.rules, args.lang, err)
    if cat is None:
        return 2
    diags = cat.check()
    if args.json:
        print(
            json.dumps([d.as_dict(args.lang) for d in diags], ensure_ascii=False, indent=2),
            file=out,
        )
    else:
        for d in diags:
            print(d.format(args.lang), file=out)
    errors = sum(d.is_error for d in diags)
    warnings = len(diags) - errors
    versions = sum(len(r.versions) for r in cat.rules.values())
    summary = err if args.json else out  # --json: standard output is JSON only
    if args.lang == "zh":
        print(
            f"{len(cat.rules)} 条规则（{versions} 个版本）：{errors} 个错误，{warnings} 个警告",
            file=summary,
        )
    else:
        print(
            f"{len(cat.rules)} rules ({versions} versions): {errors} errors, {warnings} warnings",
            file=summary,
        )
    return 1 if errors else 0


def cmd_test(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .testing import run_tests

    cat = _load(args.rules, args.lang, err)
    if cat is None:
        return 2
    # the problems of the test cases themselves are reported with their outcomes
    errors = [d for d in cat.check(tests=False) if d.is_error]
    for d in errors:
        print(d.format(args.lang), file=err)
    outcomes = run_tests(cat, args.rule)
    failed = [o for o in outcomes if not o.passed]
    for o in failed:
        for d in o.diagnostics():
            print(d.format(args.lang), file=out)
    cases = len({(o.rule_id, id(o.case)) for o in outcomes})
    if args.lang == "zh":
        print(
            f"{cases} 个测试用例，{len(outcomes)} 次运行（解释器 + 向量化）：{len(failed)} 个失败",
            file=out,
        )
    else:
        print(
            f"{cases} cases, {len(outcomes)} runs (interpreter + vectorised): {len(failed)} failed",
            file=out,
        )
    return 1 if failed or errors else 0


def cmd_eval(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .compile_polars import compile_for, fen_to_yuan, to_long
    from .facts import read_facts
    from .interpret import STATUS_NAMES

    if _bad_out(args.out, args.lang, err):
        return 2
    cat = _load(args.rules, args.lang, err)
    if cat is None:
        return 2
    started = time.perf_counter()
    rs = cat.select(entity=args.entity, period=args.period, verified_only=args.verified_only)
    if not rs.rules:
        print(
            f"{args.rules}: "
            f"{'该主体在此期间没有适用的规则' if args.lang == 'zh' else 'no rules apply'}"
            f" ({args.entity}, {args.period})",
            file=err,
        )
        return 1
    facts = read_facts(args.facts, rs, args.period, lang=args.lang)
    compiled, prepared = compile_for(rs, facts)
    wide = compiled.select(prepared).collect()
    long = to_long(wide, compiled).collect()
    del fen_to_yuan
    status_map = dict(STATUS_NAMES.items())
    result = long.with_columns(
        pl.col("status").replace_strict(status_map, return_dtype=pl.String).alias("status"),
        _failed_names(compiled.condition_names).alias("failed_conditions"),
    )
    if Path(args.out).suffix.lower() == ".csv":
        result = result.drop("conditions")
    _write(result, args.out)
    paid = result.filter(pl.col("eligible"))
    total = paid["amount"].sum() if paid.height else Decimal(0)
    missing = result.filter(pl.col("status") != "ok").height
    elapsed = time.perf_counter() - started
    if args.lang == "zh":
        print(
            f"{wide.height} 个主体 × {len(rs.rules)} 条规则 → {args.out}：符合 {paid.height} 项，"
            f"合计 {total:,.2f} 元；缺数据 {missing} 项（{elapsed:.2f} 秒）",
            file=out,
        )
    else:
        print(
            f"{wide.height} entities × {len(rs.rules)} rules → {args.out}: {paid.height} eligible, "
            f"total ¥{total:,.2f}; {missing} with missing data ({elapsed:.2f} s)",
            file=out,
        )
    return 0


def cmd_explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .explain import explain
    from .facts import read_facts

    cat = _load(args.rules, args.lang, err)
    if cat is None:
        return 2
    rs = cat.select(
        entity=args.entity, period=args.period, verified_only=args.verified_only, rule_ids=None
    )
    ids = args.rule or rs.ids
    facts = read_facts(args.facts, rs, args.period, lang=args.lang)
    rows = facts.filter(pl.col("entity_id") == args.id)
    if rows.height == 0:
        print(
            f"{args.facts}: "
            + _say(
                args.lang,
                f"找不到主体编号（entity_id）为「{args.id}」的行",
                f"entity_id '{args.id}' not found",
            ),
            file=err,
        )
        return 1
    row: dict[str, object] = {}
    current = rows.filter(pl.col("period") == args.period) if "period" in rows.columns else rows
    if current.height:
        row.update(dict(current.row(0, named=True).items()))
    for ref in rs.fact_columns().values():
        if ref.lag_unit and "period" in rows.columns:
            prior = str(rs.period.shift(ref.lag_unit, ref.lag))
            prow = rows.filter(pl.col("period") == prior)
            if prow.height:
                row[ref.column] = prow[ref.fact.id][0]
    for rid in ids:
        if rid not in rs.deps:
            print(_not_in_force(rid, args), file=err)
            return 1
        print(explain(rs, rid, row, args.lang).text(), file=out)
        print(file=out)
    return 0


def _overrides(items: list[str], lang: Lang, err: TextIO) -> dict[str, Decimal | dt.date] | None:
    """The `--set` items as parameter values, or None (after saying why) if one is
    not written as [RULE.]PARAM=VALUE."""
    overrides: dict[str, Decimal | dt.date] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            # a date parameter takes a date: --set cutoff=2021-01-01
            overrides[key.strip()] = (
                dt.date.fromisoformat(value.strip())
                if value.count("-") == 2
                else Decimal(value.strip())
            )
        except (ArithmeticError, ValueError):
            sep = ""
        if not sep or not key.strip():
            print(
                f"--set {item}: "
                + _say(
                    lang,
                    "应写作 [规则.]参数=数值 或 参数=YYYY-MM-DD",
                    "use [RULE.]PARAM=NUMBER or PARAM=YYYY-MM-DD",
                ),
                file=err,
            )
            return None
    return overrides


def simulation_table(report: SimulationReport, rules: RuleSet, lang: Lang = "zh") -> str:
    """Per rule, eligible counts and totals (yuan) of the baseline and the scenario,
    with a total line: aligned columns, thousands separators, two decimals."""
    zh = lang == "zh"
    headers = (
        [
            "规则",
            "名称",
            "基线符合数",
            "方案符合数",
            "基线总额（元）",
            "方案总额（元）",
            "差额（元）",
        ]
        if zh
        else ["rule", "title", "eligible", "eligible (new)", "total ¥", "total ¥ (new)", "change ¥"]
    )

    def title(rule_id: str) -> str:
        checked = rules.deps.get(rule_id)
        if checked is None:
            return ""
        v = checked.version
        return v.title if zh else (v.title_en or v.title)

    rows = [
        [
            r["rule_id"],
            title(r["rule_id"]),
            f"{r['base_count']:,}",
            f"{r['new_count']:,}",
            f"{r['base_total']:,.2f}",
            f"{r['new_total']:,.2f}",
            f"{r['delta']:+,.2f}",
        ]
        for r in report.per_rule.iter_rows(named=True)
    ]
    delta = report.scenario_total - report.baseline_total
    rows.append(
        [
            "合计" if zh else "total",
            "",
            f"{int(report.per_rule['base_count'].sum() or 0):,}",
            f"{int(report.per_rule['new_count'].sum() or 0):,}",
            f"{report.baseline_total:,.2f}",
            f"{report.scenario_total:,.2f}",
            f"{delta:+,.2f}",
        ]
    )
    return format_table(headers, rows, [False, False, True, True, True, True, True])


def cmd_simulate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .facts import read_facts
    from .simulate import simulate

    if _bad_out(args.out, args.lang, err):
        return 2
    cat = _load(args.rules, args.lang, err)
    if cat is None:
        return 2
    base = cat.select(entity=args.entity, period=args.period, verified_only=args.verified_only)
    if args.against:
        other = _load(args.against, args.lang, err)
        if other is None:
            return 2
        scenario = other.select(
            entity=args.entity, period=args.period, verified_only=args.verified_only
        )
    else:
        scenario = base
    overrides = _overrides(args.set, args.lang, err)
    if overrides is None:
        return 2
    # a misspelt parameter would change nothing and pass for a result: refuse it
    problems = scenario.override_problems(overrides)
    if problems:
        for d in problems:
            item = next(i for i in args.set if i.partition("=")[0].strip() == d.args["name"])
            print(f"--set {item}: {d.message(args.lang)}", file=err)
            hint = d.hint(args.lang)
            if hint:
                print(f"    {_say(args.lang, '建议', 'hint')}: {hint}", file=err)
        return 2
    if overrides:
        scenario = scenario.with_overrides(overrides)
    rules = base if base.fact_columns() else scenario
    facts = read_facts(args.facts, rules, args.period, lang=args.lang)
    report = simulate(base, scenario, facts)
    print(simulation_table(report, scenario if args.against else base, args.lang), file=out)
    print(file=out)
    print(report.summary(args.lang), file=out)
    if args.out:
        _write(report.changes, args.out)
    return 0


def cmd_near_miss(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .facts import read_facts
    from .gap import near_misses

    cat = _load(args.rules, args.lang, err)
    if cat is None:
        return 2
    rs = cat.select(entity=args.entity, period=args.period, rule_ids=[args.rule])
    if args.rule not in rs.ids:
        print(_not_in_force(args.rule, args), file=err)
        return 1
    margin: Decimal | dict[str, Decimal] = Decimal("0.1")
    absolute: dict[str, Decimal] = {}
    for item in args.margin:
        key, sep, value = item.partition("=")
        try:
            if sep:
                absolute[key.strip()] = Decimal(value.strip())
            else:
                margin = Decimal(key.strip())
        except ArithmeticError:
            print(
                f"--margin {item}: "
                + _say(
                    args.lang,
                    "应写作比例（如 0.1）或 事实=数额",
                    "use a share (0.1) or FACT=AMOUNT",
                ),
                file=err,
            )
            return 2
    if absolute:
        margin = absolute
    if _bad_out(args.out, args.lang, err):
        return 2
    facts = read_facts(args.facts, rs, args.period, lang=args.lang)
    found = near_misses(rs, args.rule, facts, margin=margin)
    if args.out:
        _write(found, args.out)
    for row in found.head(50).iter_rows(named=True):
        print(f"{row['entity_id']}\t{row['condition_label']}\t{row['message']}", file=out)
    if found.height > 50:
        print("…", file=out)
    entities = found["entity_id"].n_unique() if found.height else 0
    if args.lang == "zh":
        print(f"{entities} 个主体差一个条件（差距在范围内）", file=out)
    else:
        print(f"{entities} entities fail by one condition within the margin", file=out)
    return 0


COMMANDS = {
    "check": cmd_check,
    "test": cmd_test,
    "eval": cmd_eval,
    "explain": cmd_explain,
    "simulate": cmd_simulate,
    "near-miss": cmd_near_miss,
}


def main(
    argv: list[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    lang: Lang = "zh",
) -> int:
    """Run a `rules` subcommand; returns the process exit code. `lang` is the command
    line's language (`zhenxing rules` passes the one the environment asks for)."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = _parser(lang)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its message
        return int(exc.code or 0)
    try:
        return COMMANDS[args.command](args, out, err)
    except RulesError as exc:
        print(exc.format(args.lang), file=err)
        return 1
    except (OSError, ValueError, pl.exceptions.PolarsError) as exc:
        print(f"{'错误：' if args.lang == 'zh' else 'error: '}{exc}", file=err)
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
