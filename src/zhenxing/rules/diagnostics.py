"""Structured diagnostics: what is wrong, where (file, line, column), and what to do.

Every message exists in Chinese (the default) and English. A diagnostic is data, so
the CLI, the web UI and the tests can all show or inspect it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

Lang = Literal["zh", "en"]


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file. Lines and columns are 1-based."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


# Message catalogue: code -> (Chinese, English). Placeholders use str.format names.
MESSAGES: dict[str, tuple[str, str]] = {
    "yaml": ("YAML 格式错误：{detail}", "YAML syntax error: {detail}"),
    "syntax": ("表达式语法错误：{detail}", "expression syntax error: {detail}"),
    "field-missing": ("缺少必填字段「{field}」", "required field '{field}' is missing"),
    "field-type": (
        "字段「{field}」应为{expected}",
        "field '{field}' must be {expected}",
    ),
    "field-value": (
        "字段「{field}」的值「{value}」无效，可选：{choices}",
        "field '{field}' has invalid value '{value}'; choose one of: {choices}",
    ),
    "internal-remark": (
        "公开字段「{field}」含内部备注（“{marker}”）：移到 source_note 或 notes",
        "public field '{field}' holds an internal remark ('{marker}'): move it to "
        "source_note or notes",
    ),
    "english-in-chinese": (
        "公开字段「{field}」的中文里夹有英文（“{text}”）：英文写在 {field}_en",
        "public field '{field}' mixes English into Chinese ('{text}'): put the English "
        "in {field}_en",
    ),
    "field-unknown": ("未知字段「{field}」", "unknown field '{field}'"),
    "no-facts-schema": (
        "找不到事实清单 facts.yaml（应位于规则所在目录或其上级目录；已查找：{folders}）",
        "no facts.yaml found at or above the rule's folder (searched: {folders})",
    ),
    "unknown-name": ("未知名称「{name}」", "unknown name '{name}'"),
    "unknown-fact": ("未知事实「{name}」", "unknown fact '{name}'"),
    "unknown-rule": ("引用了不存在的规则「{name}」", "reference to unknown rule '{name}'"),
    "unknown-function": ("未知函数「{name}」", "unknown function '{name}'"),
    "arity": (
        "函数 {name} 需要 {expected} 个参数，实际给了 {got} 个",
        "function {name} takes {expected} argument(s), got {got}",
    ),
    "type": ("类型错误：{detail}", "type error: {detail}"),
    "unit": ("单位不一致：{detail}", "unit mismatch: {detail}"),
    "enum-value": (
        "「{value}」不是「{fact}」的可选值（可选：{choices}）",
        "'{value}' is not a value of '{fact}' (values: {choices})",
    ),
    "missing-parameter": (
        "参数「{name}」在 {date} 没有有效取值",
        "parameter '{name}' has no value in force on {date}",
    ),
    "cycle": ("循环引用：{path}", "reference cycle: {path}"),
    "lag-not-fact": (
        "只有事实可以取往期值（@），「{name}」不是事实",
        "only facts can be read for an earlier period (@); '{name}' is not a fact",
    ),
    "lag-unit": (
        "往期单位「{unit}」不适用于周期为「{period}」的规则",
        "earlier-period unit '{unit}' does not fit a rule whose period is '{period}'",
    ),
    "version-overlap": (
        "规则「{rule}」的两个版本有效期重叠（{a} 与 {b}）",
        "two versions of rule '{rule}' overlap in validity ({a} and {b})",
    ),
    "version-mismatch": (
        "规则「{rule}」的各版本{field}不一致",
        "versions of rule '{rule}' disagree on {field}",
    ),
    "duplicate": ("重复的名称「{name}」", "duplicate name '{name}'"),
    "fact-entity": (
        "事实「{name}」属于{fact_entity}，不能用于{entity}规则",
        "fact '{name}' belongs to {fact_entity}, not usable in a rule for {entity}",
    ),
    "fact-undeclared": (
        "规则读取了事实「{name}」，但没有在 facts 列表中声明",
        "the rule reads fact '{name}' but does not list it under facts",
    ),
    "fact-unused": (
        "facts 列表中的「{name}」没有被使用",
        "fact '{name}' is listed under facts but never read",
    ),
    "entity-unknown": (
        "未声明的主体「{name}」（已声明：{choices}）",
        "undeclared entity '{name}' (declared: {choices})",
    ),
    "band-order": (
        "分档阈值必须严格递增：{detail}",
        "band thresholds must be strictly increasing: {detail}",
    ),
    "constant-required": (
        "此处需要常量或参数：{detail}",
        "a constant or parameter is required here: {detail}",
    ),
    "missing-zero-type": (
        "事实「{name}」的类型为{type}，不能使用缺失值策略 zero",
        "fact '{name}' has type {type}; missing-value policy 'zero' is not possible",
    ),
    "never-missing": (
        "「{expr}」永远不会缺失，{func} 在这里没有作用",
        "'{expr}' is never missing, so {func} has no effect here",
    ),
    "test-failed": ("测试「{name}」未通过：{detail}", "test '{name}' failed: {detail}"),
    "test-no-version": (
        "测试「{name}」的期间 {period} 没有有效的规则版本",
        "test '{name}': no version of the rule is in force in period {period}",
    ),
    "test-period": (
        "测试「{name}」的期间「{period}」无效，应写作 YYYY 或 YYYY-MM（月份 01–12）",
        "test '{name}': invalid period '{period}': write YYYY or YYYY-MM (month 01–12)",
    ),
    "test-period-kind": (
        "测试「{name}」的期间 {period} 与规则的周期「{kind}」不符",
        "test '{name}': period {period} does not fit the rule's period '{kind}'",
    ),
    "test-unknown-fact": (
        "测试「{name}」中的未知事实「{fact}」",
        "test '{name}': unknown fact '{fact}'",
    ),
    "test-lag": (
        "测试「{name}」中的往期写法「{key}」无效：应写作 事实@year-N"
        "（按月的期间也可写 事实@month-N），N 为正整数",
        "test '{name}': '{key}' is not a valid earlier-period fact: write fact@year-N "
        "(or fact@month-N in a monthly period), N a positive whole number",
    ),
    "test-duplicate-fact": (
        "测试「{name}」中事实「{fact}」给了两次（「{first}」与「{second}」）",
        "test '{name}': fact '{fact}' is given twice ('{first}' and '{second}')",
    ),
    "test-unknown-field": (
        "测试「{name}」中的未知字段「{field}」（可用：{choices}）",
        "test '{name}': unknown field '{field}' (allowed: {choices})",
    ),
    "test-unknown-condition": (
        "测试「{name}」：规则「{rule}」没有条件「{condition}」（条件：{choices}）",
        "test '{name}': rule '{rule}' has no condition '{condition}' (conditions: {choices})",
    ),
    "test-value": (
        "测试「{name}」中「{field}」的值「{value}」无效：应为{expected_zh}",
        "test '{name}': '{field}' has the invalid value '{value}': {expected_en} expected",
    ),
    "unknown-override": (
        "没有可覆盖的参数「{name}」",
        "there is no parameter '{name}' to override",
    ),
    "override-type": (
        "参数「{name}」应为{expected_zh}，不能设为「{value}」",
        "parameter '{name}' takes {expected_en}, not '{value}'",
    ),
    "facts-format": (
        "事实文件须为 .csv、.parquet 或 .xlsx 文件",
        "use a .csv, .parquet or .xlsx file",
    ),
    "no-file": ("找不到文件", "no such file"),
    "facts-column": ("缺少列「{column}」（{label}）", "missing column '{column}' ({label})"),
    "facts-entity-empty": ("entity_id 为空", "empty entity_id"),
    "facts-entity-twice": (
        "主体「{entity}」在同一期间出现两次",
        "entity '{entity}' appears twice for the same period",
    ),
    "facts-value": (
        "列「{column}」的值「{value}」无效（应为{expected_zh}）",
        "column '{column}': '{value}' is not valid (expected {expected_en})",
    ),
    "io": ("读取失败：{detail}", "cannot read: {detail}"),
    "data": ("数据错误：{detail}", "data error: {detail}"),
}

SUGGESTIONS: dict[str, tuple[str, str]] = {
    "did-you-mean": ("是不是想写「{name}」？", "did you mean '{name}'?"),
    "declare-fact": (
        "请在 facts.yaml 中声明该事实，或检查拼写",
        "declare the fact in facts.yaml, or check the spelling",
    ),
    "quote-expr": (
        "表达式中含有「: 」时，请用引号或 | 块写法",
        "quote the expression or use a | block when it contains ': '",
    ),
    "convert-unit": (
        "两边单位需一致；比例请乘以金额后再比较",
        "both sides need the same unit; multiply a ratio by an amount before comparing",
    ),
    "add-param-value": (
        "请为该参数补充一个起始日期不晚于 {date} 的取值",
        "add a value for the parameter starting on or before {date}",
    ),
    "override-choices": (
        "可以覆盖的参数：{choices}",
        "the parameters you can override: {choices}",
    ),
    "break-cycle": ("请去掉其中一个引用", "remove one of the references"),
    "list-fact": ("请把它加入 facts 列表", "add it to the facts list"),
    "missing-policy": (
        "缺失值策略为 zero 的事实缺失时按 0 计，不算缺失；要区分缺失，请改用 ineligible 或 report",
        "a fact with missing-value policy 'zero' reads as 0 when absent, never as missing; "
        "use 'ineligible' or 'report' to tell the two apart",
    ),
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a rule file or a facts file."""

    code: str
    severity: Severity
    location: Location | None
    args: dict[str, str] = field(default_factory=dict)
    suggestion: str | None = None
    suggestion_args: dict[str, str] = field(default_factory=dict)

    def message(self, lang: Lang = "zh") -> str:
        zh, en = MESSAGES.get(self.code, ("{detail}", "{detail}"))
        template = zh if lang == "zh" else en
        try:
            return template.format(**self.args)
        except (KeyError, IndexError):
            return f"{self.code}: {self.args}"

    def hint(self, lang: Lang = "zh") -> str | None:
        if self.suggestion is None:
            return None
        zh, en = SUGGESTIONS[self.suggestion]
        return (zh if lang == "zh" else en).format(**self.suggestion_args)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self, lang: Lang = "zh") -> str:
        where = str(self.location) if self.location else "?"
        sev = {"zh": {"error": "错误", "warning": "警告"}, "en": {}}[lang].get(
            self.severity.value, self.severity.value
        )
        text = f"{where}: {sev}: {self.message(lang)}"
        hint = self.hint(lang)
        if hint:
            text += f"\n    {'建议' if lang == 'zh' else 'hint'}: {hint}"
        return text

    def as_dict(self, lang: Lang = "zh") -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "file": self.location.file if self.location else None,
            "line": self.location.line if self.location else None,
            "column": self.location.column if self.location else None,
            "message": self.message(lang),
            "suggestion": self.hint(lang),
        }


def error(
    code: str,
    location: Location | None,
    suggestion: str | None = None,
    suggestion_args: dict[str, str] | None = None,
    **args: object,
) -> Diagnostic:
    return Diagnostic(
        code,
        Severity.ERROR,
        location,
        {k: str(v) for k, v in args.items()},
        suggestion,
        suggestion_args or {},
    )


def warning(
    code: str,
    location: Location | None,
    suggestion: str | None = None,
    suggestion_args: dict[str, str] | None = None,
    **args: object,
) -> Diagnostic:
    return Diagnostic(
        code,
        Severity.WARNING,
        location,
        {k: str(v) for k, v in args.items()},
        suggestion,
        suggestion_args or {},
    )


class RulesError(Exception):
    """Raised when rules cannot be loaded, checked or run; carries diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.format("en") for d in diagnostics))

    def format(self, lang: Lang = "zh") -> str:
        return "\n".join(d.format(lang) for d in self.diagnostics)


def did_you_mean(name: str, candidates: list[str]) -> str | None:
    """The closest candidate to a misspelt name, or None."""
    import difflib

    found = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return found[0] if found else None
