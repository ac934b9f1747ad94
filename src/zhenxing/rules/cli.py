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
from typing import TextIO

import polars as pl

from .diagnostics import Lang, RulesError
from .loader import Catalogue, load_catalogue


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zhenxing rules", description="政策规则引擎 / rules engine")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--rules", required=True, help="rules folder (searched recursively)")
        sp.add_argument("--lang", choices=["zh", "en"], default="zh")

    sp = sub.add_parser("check", help="检查规则 / check rules")
    common(sp)
    sp.add_argument("--json", action="store_true", help="diagnostics as JSON")

    sp = sub.add_parser("test", help="运行规则中的测试用例 / run the YAML test cases")
    common(sp)
    sp.add_argument("--rule", action="append", help="only this rule id (repeatable)")

    for name in ("eval", "explain", "simulate"):
        sp = sub.add_parser(name)
        common(sp)
        sp.add_argument("--entity", required=name != "explain", help="project | enterprise | …")
        sp.add_argument("--facts", required=True, help="facts file: .csv, .parquet or .xlsx")
        sp.add_argument("--period", required=True, help="2024 or 2024-03")
        sp.add_argument("--verified-only", action="store_true", help="skip unverified rules")
        if name == "eval":
            sp.add_argument("--out", required=True, help="results: .csv or .parquet")
        if name == "explain":
            sp.add_argument("--id", required=True, help="entity_id to explain")
            sp.add_argument("--rule", action="append", help="only this rule id (repeatable)")
        if name == "simulate":
            sp.add_argument("--against", help="a second rules folder (the scenario)")
            sp.add_argument(
                "--set",
                action="append",
                default=[],
                metavar="[RULE.]PARAM=VALUE",
                help="override a parameter in the scenario",
            )
            sp.add_argument("--out", help="write the changed entities (.csv or .parquet)")
    sp = sub.add_parser(
        "near-miss",
        help="差一个条件就符合的主体及差距 / entities one condition short, with the gap",
    )
    common(sp)
    sp.add_argument("--entity", help="project | enterprise | …")
    sp.add_argument("--facts", required=True, help="facts file: .csv, .parquet or .xlsx")
    sp.add_argument("--period", required=True, help="2024 or 2024-03")
    sp.add_argument("--rule", required=True, help="the rule id")
    sp.add_argument(
        "--margin",
        action="append",
        default=[],
        metavar="SHARE | FACT=AMOUNT",
        help="0.1: the change is at most 10%% of the value to reach (default); "
        "FACT=AMOUNT: at most AMOUNT (in the fact's unit), repeatable",
    )
    sp.add_argument("--out", help="write the list (.csv or .parquet)")
    return p


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
    else:
        raise RulesError([])


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

    if Path(args.out).suffix.lower() not in (".csv", ".parquet"):
        print(f"{args.out}: use .csv or .parquet", file=err)
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
    facts = read_facts(args.facts, rs, args.period)
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
    facts = read_facts(args.facts, rs, args.period)
    if "period" in facts.columns:
        rows = facts.filter(pl.col("entity_id") == args.id)
    else:
        rows = facts.filter(pl.col("entity_id") == args.id)
    if rows.height == 0:
        print(f"{args.facts}: entity_id '{args.id}' not found", file=err)
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
            print(f"{rid}: not in force for {args.entity or ''} {args.period}", file=err)
            return 1
        print(explain(rs, rid, row, args.lang).text(), file=out)
        print(file=out)
    return 0


def cmd_simulate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .facts import read_facts
    from .simulate import simulate

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
    overrides: dict[str, Decimal | dt.date] = {}
    for item in args.set:
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
        if not sep:
            print(f"--set {item}: use [RULE.]PARAM=NUMBER or PARAM=YYYY-MM-DD", file=err)
            return 2
    if overrides:
        scenario = scenario.with_overrides(overrides)
    facts = read_facts(args.facts, base if base.fact_columns() else scenario, args.period)
    report = simulate(base, scenario, facts)
    with pl.Config(tbl_rows=50, tbl_cols=10, tbl_width_chars=140):
        print(report.per_rule, file=out)
    print(report.summary(), file=out)
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
        print(f"{args.rule}: not in force for {args.entity or ''} {args.period}", file=err)
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
            print(f"--margin {item}: use a share (0.1) or FACT=AMOUNT", file=err)
            return 2
    if absolute:
        margin = absolute
    facts = read_facts(args.facts, rs, args.period)
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
    argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run a `rules` subcommand; returns the process exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = _parser()
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
        print(f"{'错误' if args.lang == 'zh' else 'error'}: {exc}", file=err)
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
