"""The examples of docs/rules-language.md are executed: the reference cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zhenxing.rules import interpret, ir, load_catalogue, run_tests
from zhenxing.rules.interpret import Trace

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules-language.md"
BLOCK = re.compile(r"^```(\S+)(?: (\S+))?\n(.*?)^```", re.S | re.M)


def _blocks() -> list[tuple[str, str, str]]:
    text = DOC.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2) or "", m.group(3)) for m in BLOCK.finditer(text)]


def _expressions() -> list[tuple[str, str]]:
    out = []
    for lang, _, body in _blocks():
        if lang == "rules-expr":
            for line in body.strip().splitlines():
                expr, _, value = line.partition(" => ")
                out.append((expr.strip(), value.strip()))
    return out


def test_doc_rule_examples_load_check_and_pass_their_tests(tmp_path: Path) -> None:
    written = 0
    for lang, info, body in _blocks():
        if lang == "yaml" and info.startswith("rules-example:"):
            path = tmp_path / info.split(":", 1)[1]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body, encoding="utf-8")
            written += 1
    assert written >= 3
    cat = load_catalogue(tmp_path / "demo")
    assert [d.format("en") for d in cat.check() if d.is_error] == []
    outcomes = run_tests(cat)
    assert outcomes and all(o.passed for o in outcomes), [o.problems for o in outcomes]


@pytest.mark.parametrize(("expr", "value"), _expressions())
def test_doc_expression_examples_evaluate_as_written(tmp_path: Path, expr: str, value: str) -> None:
    (tmp_path / "facts.yaml").write_text("facts: {}\n", encoding="utf-8")
    (tmp_path / "r.yaml").write_text(
        "id: doc_expr\ntitle: 文档示例\nentity: enterprise\n"
        f"conditions:\n  holds: '({expr}) == ({value})'\n",
        encoding="utf-8",
    )
    cat = load_catalogue(tmp_path)
    assert [d.format("en") for d in cat.check() if d.is_error] == []
    rs = cat.select(period="2024")
    trace: Trace = {}
    interpret(rs, {}, trace=trace)
    holds = rs.rule("doc_expr").conditions["holds"]
    assert isinstance(holds, ir.Binary)
    # the values of the two sides, not the language's `==`: `1 / 3` evaluates to
    # 0.3333333333, yet `1 / 3 == 0.3333333333` is false (quotients compare exactly)
    assert trace[id(holds.left)] == trace[id(holds.right)]
