"""YAML reading that keeps source positions and exact decimals.

PyYAML's node graph carries start marks; we convert it ourselves so that every
mapping value and list item remembers where it was written. Floats become
`Decimal` built from the written digits (never a binary float), so `0.08` in a
rule file is exactly 0.08.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Location, RulesError, error


@dataclass(frozen=True, slots=True)
class Pos:
    """Where a YAML value starts, and how the scalar was written."""

    file: str
    line: int  # 0-based, as in PyYAML marks
    column: int  # 0-based
    style: str | None  # None (plain), "'", '"', "|", ">"
    end_line: int = 0

    def location(self) -> Location:
        return Location(self.file, self.line + 1, self.column + 1)


class YMap(dict[str, Any]):
    """A mapping that remembers the position of each key's value (and itself)."""

    pos: Pos
    key_pos: dict[str, Pos]
    value_pos: dict[str, Pos]

    def where(self, key: str) -> Pos:
        return self.value_pos.get(key, self.pos)

    def key_where(self, key: str) -> Pos:
        return self.key_pos.get(key, self.pos)


class YList(list[Any]):
    """A list that remembers the position of each item (and itself)."""

    pos: Pos
    item_pos: list[Pos]

    def where(self, index: int) -> Pos:
        return self.item_pos[index] if index < len(self.item_pos) else self.pos


_constructor = yaml.SafeLoader(stream="")


def _pos(node: yaml.Node, file: str) -> Pos:
    style = getattr(node, "style", None)
    return Pos(file, node.start_mark.line, node.start_mark.column, style, node.end_mark.line)


def _scalar(node: yaml.ScalarNode, file: str) -> Any:
    tag = node.tag
    if tag.endswith(":float"):
        text = node.value.replace("_", "")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise RulesError(
                [error("yaml", _pos(node, file).location(), detail=f"bad number {node.value!r}")]
            ) from None
        if not value.is_finite():
            raise RulesError(
                [error("yaml", _pos(node, file).location(), detail="numbers must be finite")]
            )
        return value
    if tag.endswith(":str"):
        return node.value
    try:
        return _constructor.construct_object(node, deep=True)
    except ValueError as exc:  # looks like a date but is none: 2018-13-01
        raise RulesError(
            [
                error(
                    "yaml",
                    _pos(node, file).location(),
                    detail=f"“{node.value}”不是有效日期（{exc}）/ not a valid date (YYYY-MM-DD)",
                )
            ]
        ) from None


def _convert(node: yaml.Node, file: str) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, file)
    if isinstance(node, yaml.SequenceNode):
        out = YList()
        out.pos = _pos(node, file)
        out.item_pos = []
        for item in node.value:
            out.append(_convert(item, file))
            out.item_pos.append(_pos(item, file))
        return out
    if isinstance(node, yaml.MappingNode):
        m = YMap()
        m.pos = _pos(node, file)
        m.key_pos = {}
        m.value_pos = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, file)
            if isinstance(key, dt.date | Decimal | int | bool) or key is None:
                key = key if isinstance(key, dt.date) else str(key)
            if key in m:
                raise RulesError(
                    [error("duplicate", _pos(key_node, file).location(), name=str(key))]
                )
            m[key] = _convert(value_node, file)
            m.key_pos[str(key)] = _pos(key_node, file)
            m.value_pos[str(key)] = _pos(value_node, file)
        return m
    raise RulesError([error("yaml", None, detail=f"unsupported node {node!r}")])


def load_yaml_text(text: str, file: str) -> Any:
    """Parse YAML text into YMap/YList/scalars with positions."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
        detail = f"{exc.problem or ''} {exc.context or ''}".strip()
        raise RulesError([error("yaml", loc, suggestion="quote-expr", detail=detail)]) from None
    except yaml.YAMLError as exc:
        raise RulesError([error("yaml", Location(file, 1, 1), detail=str(exc))]) from None
    if node is None:
        return YMap()
    return _convert(node, file)


def load_yaml_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError([error("io", Location(str(path), 1, 1), detail=str(exc))]) from None
    return load_yaml_text(text, str(path))


class ExprSource:
    """An expression string with the position of its YAML scalar.

    Maps an offset inside the expression to a line and column in the YAML file,
    for plain, quoted and block (`|`, `>`) scalars.
    """

    __slots__ = ("pos", "source_lines", "text")

    def __init__(self, text: str, pos: Pos | None, source_lines: list[str] | None = None):
        self.text = text
        self.pos = pos
        self.source_lines = source_lines

    def location(self, offset: int = 0) -> Location | None:
        if self.pos is None:
            return None
        before = self.text[:offset]
        line_in_expr = before.count("\n")
        col_in_line = offset - (before.rfind("\n") + 1)
        style = self.pos.style
        if style in ("|", ">"):
            # Content starts on the next line, indented; find that indentation.
            line = self.pos.line + 1 + line_in_expr
            first = self.pos.line + 1
            indent = 0
            if self.source_lines is not None:
                # the block's indentation is that of its first non-empty line
                while first < len(self.source_lines) and not self.source_lines[first].strip():
                    first += 1
                if first < len(self.source_lines):
                    raw = self.source_lines[first]
                    indent = len(raw) - len(raw.lstrip(" "))
            return Location(self.pos.file, line + 1, indent + col_in_line + 1)
        if line_in_expr == 0:
            shift = 1 if style in ("'", '"') else 0
            return Location(self.pos.file, self.pos.line + 1, self.pos.column + shift + offset + 1)
        # A plain or quoted scalar folded over several lines: best effort.
        line = self.pos.line + line_in_expr
        indent = 0
        if self.source_lines is not None and line < len(self.source_lines):
            raw = self.source_lines[line]
            indent = len(raw) - len(raw.lstrip(" "))
        return Location(self.pos.file, line + 1, indent + col_in_line + 1)
