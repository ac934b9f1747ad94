"""The Zhenxing rules engine: policy rules as data, checked, then evaluated.

Pure Python — no Django import anywhere in this package.

Typical use::

    from zhenxing.rules import load_catalogue, evaluate, interpret, near_misses, to_sql
    from zhenxing.rules.explain import explain

    cat = load_catalogue("src/zhenxing/rules/catalogue/yingkou")
    problems = [d for d in cat.check() if d.is_error]
    rules = cat.select(entity="project", period="2019")
    results = evaluate(rules, facts_table)          # one row per entity and rule
    one = interpret(rules, {"project_category": "emerging", ...})
    print(explain(rules, "emerging_industry_project", facts_row))
    sql = to_sql(rules, "postgres")                 # the same rules as one SQL query
    near = near_misses(rules, "tech_sme", facts_table, margin=0.1)   # one condition short
"""

from .check import CheckedRule, RuleSet, check_catalogue, check_version
from .compile_polars import (
    CompiledRules,
    compile_rules,
    decode_flags,
    decode_mask,
    evaluate,
    evaluate_to_parquet,
    evaluate_wide,
    prepare_facts,
    read_results,
    to_long,
    unpack,
)
from .compile_sql import SqlQuery, SqlUnsupportedError, compile_sql, evaluate_duckdb, to_sql
from .diagnostics import Diagnostic, Location, RulesError, Severity
from .document import Rule, RuleVersion, TestCase
from .gap import Gap, gaps, near_misses
from .interpret import RuleResult, interpret
from .loader import Catalogue, load_catalogue
from .schema import FactDef, FactSchema, FactType, MissingPolicy, Period
from .testing import run_tests

__all__ = [
    "Catalogue",
    "CheckedRule",
    "CompiledRules",
    "Diagnostic",
    "FactDef",
    "FactSchema",
    "FactType",
    "Gap",
    "Location",
    "MissingPolicy",
    "Period",
    "Rule",
    "RuleResult",
    "RuleSet",
    "RuleVersion",
    "RulesError",
    "Severity",
    "SqlQuery",
    "SqlUnsupportedError",
    "TestCase",
    "check_catalogue",
    "check_version",
    "compile_rules",
    "compile_sql",
    "decode_flags",
    "decode_mask",
    "evaluate",
    "evaluate_duckdb",
    "evaluate_to_parquet",
    "evaluate_wide",
    "gaps",
    "interpret",
    "load_catalogue",
    "near_misses",
    "prepare_facts",
    "read_results",
    "run_tests",
    "to_long",
    "to_sql",
    "unpack",
]
