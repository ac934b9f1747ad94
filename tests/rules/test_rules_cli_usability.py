"""`zhenxing rules …` as a new user meets it: misspelt parameters are refused, the
simulation is a readable table, `--help` says what each command does, `explain`
shows every intermediate value, messages are in Chinese, and a rule folder inside a
catalogue finds the catalogue's facts.yaml."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import polars as pl
import pytest

from zhenxing.commands.argparsing import argparse_message_zh
from zhenxing.rules import RulesError, interpret, load_catalogue
from zhenxing.rules.cli import main
from zhenxing.rules.cli_format import display_width
from zhenxing.rules.explain import explain

YINGKOU = Path(__file__).resolve().parents[2] / "src/zhenxing/rules/catalogue/yingkou"
TECH_SME = YINGKOU / "criteria" / "tech-sme"


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def projects(tmp_path: Path) -> Path:
    facts = tmp_path / "projects.csv"
    facts.write_text(
        "entity_id,project_category,fixed_asset_investment_completed,"
        "enterprise_fiscal_contribution\n"
        "P1,emerging,10000000,5000000\n"
        "P2,green,10000000,500000\n"
        "P3,smart,37500000,99000000\n"
        "P4,emerging,30000000,99000000\n",
        encoding="utf-8",
    )
    return facts


def _simulate(facts: Path, *extra: str) -> tuple[int, str, str]:
    return _run(
        "simulate",
        "--rules",
        str(YINGKOU),
        "--entity",
        "project",
        "--facts",
        str(facts),
        "--period",
        "2024",
        *extra,
    )


# ---------------------------------------------------------------------------
# simulate --set: a parameter that does not exist is refused
# ---------------------------------------------------------------------------


def test_an_unknown_parameter_is_refused_with_the_choices(projects: Path) -> None:
    code, out, err = _simulate(projects, "--set", "nosuch=5")
    assert code == 2 and out == ""
    assert "--set nosuch=5: 没有可覆盖的参数「nosuch」" in err
    assert "cap, fiscal_share, rate" in err  # what could have been meant


def test_a_misspelt_parameter_is_refused_with_a_suggestion(projects: Path) -> None:
    code, out, err = _simulate(projects, "--set", "emerging_industry_project.capp=1")
    assert code == 2 and out == ""
    assert "「emerging_industry_project.capp」" in err
    assert "是不是想写「emerging_industry_project.cap」？" in err
    code, _, err = _simulate(projects, "--set", "emerging_industy_project.cap=1", "--lang", "en")
    assert code == 2 and "did you mean 'emerging_industry_project.cap'?" in err


def test_the_rule_set_refuses_unknown_overrides_on_every_path() -> None:
    rules = load_catalogue(YINGKOU).select(entity="project", period="2024")
    with pytest.raises(RulesError) as caught:
        rules.with_overrides({"emerging_industry_project.capp": 1})
    (problem,) = caught.value.diagnostics
    assert problem.code == "unknown-override"
    assert problem.hint("zh") == "是不是想写「emerging_industry_project.cap」？"
    with pytest.raises(RulesError, match="takes a number"):
        rules.with_overrides({"cap": dt.date(2024, 1, 1)})
    assert rules.with_overrides({"cap": 1}).overrides == {"cap": 1}


# ---------------------------------------------------------------------------
# simulate prints a table
# ---------------------------------------------------------------------------


def test_simulate_prints_an_aligned_table_with_a_total(projects: Path, tmp_path: Path) -> None:
    changes = tmp_path / "changes.csv"
    code, out, err = _simulate(
        projects, "--set", "emerging_industry_project.cap=2000000", "--out", str(changes)
    )
    assert code == 0, err
    table, _, summary = out.partition("\n\n")
    lines = table.splitlines()
    assert lines[0].split() == [
        "规则",
        "名称",
        "基线符合数",
        "方案符合数",
        "基线总额（元）",
        "方案总额（元）",
        "差额（元）",
    ]
    assert set(lines[1]) == {"-", " "}
    # every line ends with the right-aligned change column: the same width on screen
    assert len({display_width(line) for line in lines}) == 1
    emerging = next(line for line in lines if line.startswith("emerging_industry_project"))
    assert emerging.split()[1:] == [
        "战略性新兴产业项目补助",
        "2",
        "2",
        "3,200,000.00",
        "2,800,000.00",
        "-400,000.00",
    ]
    assert lines[-1].split() == ["合计", "4", "4", "6,500,000.00", "6,100,000.00", "-400,000.00"]
    assert "shape:" not in out and "┌" not in out  # not a Polars frame
    assert "差额 -400,000.00 元；增加 0 个主体，减少 1 个主体" in summary
    # the machine-readable output is unchanged
    written = pl.read_csv(changes)
    assert written.columns == [
        "entity_id",
        "rule_id",
        "eligible",
        "amount",
        "eligible_new",
        "amount_new",
        "delta",
    ]
    assert written["entity_id"].to_list() == ["P4"]


def test_simulate_in_english(projects: Path) -> None:
    code, out, _ = _simulate(projects, "--lang", "en")
    assert code == 0
    assert out.splitlines()[0].split()[:2] == ["rule", "title"]
    assert "baseline total ¥6,500,000.00" in out


# ---------------------------------------------------------------------------
# --help and messages in Chinese
# ---------------------------------------------------------------------------


def test_help_describes_every_command_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("用法：zhenxing rules")
    for command, words in [
        ("check", "检查规则文件"),
        ("test", "运行规则文件中的测试用例"),
        ("eval", "每条适用的规则求值"),
        ("explain", "为什么符合或不符合"),
        ("simulate", "比较基线与方案"),
        ("near-miss", "差一个条件就符合"),
    ]:
        assert command in text and words in text, command
    assert "退出码" in text
    assert "show this help" not in text and "usage:" not in text
    assert main(["simulate", "--help"]) == 0
    sub = capsys.readouterr().out
    assert "在方案中覆盖一个参数" in sub and "显示此帮助并退出" in sub


def test_usage_errors_are_in_chinese(capsys: pytest.CaptureFixture[str], projects: Path) -> None:
    assert main(["eval", "--rules", str(YINGKOU)]) == 2
    err = capsys.readouterr().err
    assert "错误：缺少必填参数：--entity, --facts, --period, --out" in err
    assert main(["frobnicate"]) == 2
    assert "参数 命令 的取值 'frobnicate' 无效" in capsys.readouterr().err
    assert argparse_message_zh("unrecognized arguments: --x") == "无法识别的参数：--x"

    code, _, err = _simulate(projects, "--out", "changes.txt")
    assert (code, err.strip()) == (2, "changes.txt: 输出文件须为 .csv 或 .parquet")
    code, _, err = _simulate(projects, "--set", "cap")
    assert code == 2 and "应写作 [规则.]参数=数值 或 参数=YYYY-MM-DD" in err
    code, _, err = _run(
        "explain",
        "--rules",
        str(YINGKOU),
        "--entity",
        "project",
        "--facts",
        str(projects),
        "--period",
        "2024",
        "--id",
        "P9",
    )
    assert code == 1 and "找不到主体编号（entity_id）为「P9」的行" in err


def test_facts_file_errors_are_in_chinese(tmp_path: Path) -> None:
    facts = tmp_path / "bad.csv"
    facts.write_text(
        "entity_id,project_category,fixed_asset_investment_completed,"
        "enterprise_fiscal_contribution\nP1,emerging,abc,1\nP1,emerging,1,1\n",
        encoding="utf-8",
    )
    argv = ["eval", "--rules", str(YINGKOU), "--entity", "project", "--facts", str(facts)]
    argv += ["--period", "2024", "--out", str(tmp_path / "r.csv")]
    code, _, err = _run(*argv)
    assert code == 1 and "主体「P1」在同一期间出现两次" in err
    facts.write_text(
        "entity_id,project_category,fixed_asset_investment_completed,"
        "enterprise_fiscal_contribution\nP1,emerging,abc,1\n",
        encoding="utf-8",
    )
    code, _, err = _run(*argv)
    assert code == 1
    assert f"{facts}:2:3: 错误: 列「fixed_asset_investment_completed」的值「abc」无效" in err
    code, _, err = _run(*argv, "--lang", "en")
    assert "column 'fixed_asset_investment_completed': 'abc' is not valid" in err


# ---------------------------------------------------------------------------
# explain: every intermediate value, also for an entity that does not qualify
# ---------------------------------------------------------------------------


def test_explain_computes_the_values_of_an_entity_that_does_not_qualify(
    projects: Path,
) -> None:
    code, out, err = _run(
        "explain",
        "--rules",
        str(YINGKOU),
        "--entity",
        "project",
        "--facts",
        str(projects),
        "--period",
        "2024",
        "--id",
        "P3",
        "--rule",
        "emerging_industry_project",
    )
    assert code == 0, err
    assert "结论：不符合条件（未满足：属于战略性新兴产业项目）" in out
    assert "  by_investment = 3,000,000.00 元" in out
    assert "  by_fiscal_contribution = 59,400,000.00 元" in out
    assert "未计算" not in out and "（缺失）" not in out
    assert "金额（不符合条件，不予兑付；以下为按公式计算的值）：" in out


def test_the_trace_holds_every_named_value_and_the_result_is_unchanged() -> None:
    rules = load_catalogue(YINGKOU).select(entity="project", period="2024")
    facts = {
        "project_category": "smart",
        "fixed_asset_investment_completed": "37500000",
        "enterprise_fiscal_contribution": "99000000",
    }
    rule = rules.rule("emerging_industry_project")
    plain = interpret(rules, facts, rule.id)[rule.id]
    shown = explain(rules, rule.id, facts)
    assert (shown.result.eligible, shown.result.amount) == (plain.eligible, plain.amount)
    assert plain.eligible is False and plain.amount == 0
    trace: dict[int, object] = {}
    interpret(rules, facts, rule.id, trace=trace)
    assert all(id(e) in trace for e in rule.values.values())


# ---------------------------------------------------------------------------
# A rule folder inside a catalogue finds the catalogue's facts.yaml
# ---------------------------------------------------------------------------


def test_a_criteria_folder_uses_the_facts_yaml_two_folders_up(tmp_path: Path) -> None:
    assert not (TECH_SME / "facts.yaml").exists() and (YINGKOU / "facts.yaml").exists()
    facts = tmp_path / "enterprises.csv"
    facts.write_text(
        "entity_id,resident_enterprise,employees,tech_staff,revenue,total_assets,rd_expense,"
        "ip_class2,tsme_products_not_restricted,tsme_clean_record\n"
        "E1,true,100,10,10000000,5000000,600000,1,true,true\n",
        encoding="utf-8",
    )
    out = tmp_path / "r.csv"
    code, stdout, err = _run(
        "eval",
        "--rules",
        str(TECH_SME),
        "--entity",
        "enterprise",
        "--facts",
        str(facts),
        "--period",
        "2024",
        "--out",
        str(out),
    )
    assert code == 0, err
    assert "1 个主体 × 1 条规则" in stdout
    (row,) = pl.read_csv(out).iter_rows(named=True)
    assert (row["rule_id"], row["eligible"], row["score"]) == ("tech_sme", True, 60)


def test_no_facts_yaml_anywhere_names_the_folders_searched(tmp_path: Path) -> None:
    folder = tmp_path / "catalogue" / "criteria"
    folder.mkdir(parents=True)
    (folder / "r.yaml").write_text("id: r\ntitle: 规则\nentity: enterprise\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")  # the project's top
    code, out, _ = _run("check", "--rules", str(folder))
    assert code == 1
    top = tmp_path.resolve()
    searched = ", ".join(str(p) for p in (top / "catalogue" / "criteria", top / "catalogue", top))
    assert f"找不到事实清单 facts.yaml（应位于规则所在目录或其上级目录；已查找：{searched}）" in out
