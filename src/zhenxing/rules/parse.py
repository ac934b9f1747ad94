"""Parsing expression text into the syntax tree (`ast`), with Lark. Never `eval`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import ast


class ParseError(Exception):
    def __init__(self, message: str, offset: int, message_en: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_en = message_en or message
        self.offset = offset


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files("zhenxing.rules").joinpath("grammar.lark").read_text("utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def _span(meta: Any) -> tuple[int, int]:
    if getattr(meta, "empty", False):
        return (0, 0)
    return (meta.start_pos, meta.end_pos)


@v_args(meta=True)
class _Build(Transformer[Token, ast.Node]):
    def number(self, meta: Any, children: list[Token]) -> ast.Node:
        tok = children[0]
        return ast.Num(tok.start_pos or 0, tok.end_pos or 0, Decimal(str(tok)))

    def string(self, meta: Any, children: list[Token]) -> ast.Node:
        tok = children[0]
        return ast.Str(tok.start_pos or 0, tok.end_pos or 0, str(tok)[1:-1])

    def date(self, meta: Any, children: list[Token]) -> ast.Node:
        tok = children[0]
        try:
            value = dt.date.fromisoformat(str(tok))
        except ValueError:
            raise ParseError(
                f"日期「{tok}」无效", tok.start_pos or 0, f"invalid date '{tok}'"
            ) from None
        return ast.DateLit(tok.start_pos or 0, tok.end_pos or 0, value)

    def true(self, meta: Any, children: list[Token]) -> ast.Node:
        return ast.Bool(*_span(meta), True)

    def false(self, meta: Any, children: list[Token]) -> ast.Node:
        return ast.Bool(*_span(meta), False)

    def name(self, meta: Any, children: list[Any]) -> ast.Node:
        parts: list[str] = []
        lag_unit: str | None = None
        lag = 0
        for child in children:
            if isinstance(child, Token):
                parts.append(str(child))
            else:
                lag_unit, lag = child
        return ast.Name(*_span(meta), tuple(parts), lag_unit, lag)

    def lag(self, meta: Any, children: list[Token]) -> tuple[str, int]:
        return (str(children[0]), -int(str(children[1])))

    def neg(self, meta: Any, children: list[ast.Node]) -> ast.Node:
        return ast.Unary(*_span(meta), "-", children[0])

    def not_(self, meta: Any, children: list[ast.Node]) -> ast.Node:
        return ast.Unary(*_span(meta), "not", children[0])

    def binary(self, meta: Any, children: list[Any]) -> ast.Node:
        left, op, right = children
        return ast.Binary(*_span(meta), str(op), left, right)

    def compare(self, meta: Any, children: list[Any]) -> ast.Node:
        left, op, right = children
        return ast.Binary(*_span(meta), str(op), left, right)

    def and_(self, meta: Any, children: list[ast.Node]) -> ast.Node:
        return ast.Binary(*_span(meta), "and", children[0], children[1])

    def or_(self, meta: Any, children: list[ast.Node]) -> ast.Node:
        return ast.Binary(*_span(meta), "or", children[0], children[1])

    def in_(self, meta: Any, children: list[Any]) -> ast.Node:
        operand, lst = children
        return ast.In(*_span(meta), operand, lst.items, False)

    def not_in(self, meta: Any, children: list[Any]) -> ast.Node:
        operand, lst = children
        return ast.In(*_span(meta), operand, lst.items, True)

    def ifexpr(self, meta: Any, children: list[ast.Node]) -> ast.Node:
        return ast.If(*_span(meta), children[0], children[1], children[2])

    def listlit(self, meta: Any, children: list[Any]) -> ast.Node:
        return ast.ListLit(*_span(meta), tuple(c for c in children if c is not None))

    def pairs(self, meta: Any, children: list[Any]) -> ast.Node:
        return ast.Pairs(*_span(meta), tuple(children))

    def pair(self, meta: Any, children: list[ast.Node]) -> tuple[ast.Node, ast.Node]:
        return (children[0], children[1])

    def call(self, meta: Any, children: list[Any]) -> ast.Node:
        func = str(children[0])
        args = tuple(c for c in children[1:] if c is not None)
        return ast.Call(*_span(meta), func, args)


_EXPECT_ZH = {
    "NUMBER": "数字",
    "NAME": "名称",
    "RPAR": "「)」",
    "LPAR": "「(」",
    "RSQB": "「]」",
    "COMMA": "「,」",
    "THEN": "then",
    "ELSE": "else",
}


def parse_expression(text: str) -> ast.Node:
    """Parse one expression. Raises ParseError with an offset into `text`."""
    if not text.strip():
        raise ParseError("表达式为空", 0, "empty expression")
    try:
        tree = _parser().parse(text)
    except UnexpectedCharacters as exc:
        at = exc.pos_in_stream or 0
        ch = text[at] if at < len(text) else ""
        raise ParseError(f"无法识别的字符「{ch}」", at, f"unexpected character '{ch}'") from None
    except UnexpectedEOF:
        raise ParseError("表达式不完整", len(text), "incomplete expression") from None
    except UnexpectedToken as exc:
        tok = exc.token
        if tok.type == "$END":
            raise ParseError("表达式不完整", len(text), "incomplete expression") from None
        offset = tok.start_pos or 0
        expected = sorted(exc.expected)[:6]
        exp_zh = "、".join(_EXPECT_ZH.get(e, e) for e in expected)
        raise ParseError(
            f"此处不应出现「{tok}」（期望：{exp_zh}）",
            offset,
            f"unexpected '{tok}' (expected: {', '.join(expected)})",
        ) from None
    except UnexpectedInput as exc:  # pragma: no cover - other lark errors
        raise ParseError(str(exc), getattr(exc, "pos_in_stream", 0) or 0) from None
    if isinstance(tree, Tree):
        result = _Build().transform(tree)
    else:
        result = _Build().transform(Tree("start", [tree]))
    if not isinstance(result, ast.Node):  # pragma: no cover
        raise ParseError("内部错误", 0, "internal error")
    return result
