"""Simulation (what-if): a changed rule set against the same population.

The scenario is another `RuleSet` — the same catalogue with parameter overrides
(`ruleset.with_overrides({"cap": 2500000})`) or a catalogue with edited rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl

from .check import RuleSet
from .compile_polars import ENTITY, evaluate
from .diagnostics import Lang


@dataclass
class SimulationReport:
    #: per rule: counts of eligible entities and total amounts, baseline vs scenario
    per_rule: pl.DataFrame
    #: entities whose amount or eligibility changed (gainers and losers)
    changes: pl.DataFrame

    @property
    def baseline_total(self) -> Decimal:
        return Decimal(str(self.per_rule["base_total"].sum() or 0))

    @property
    def scenario_total(self) -> Decimal:
        return Decimal(str(self.per_rule["new_total"].sum() or 0))

    def summary(self, lang: Lang = "zh") -> str:
        gain = self.changes.filter(pl.col("delta") > 0).height
        lose = self.changes.filter(pl.col("delta") < 0).height
        delta = self.scenario_total - self.baseline_total
        if lang == "en":
            return (
                f"baseline total ¥{self.baseline_total:,.2f}, scenario total "
                f"¥{self.scenario_total:,.2f}, change ¥{delta:+,.2f}; "
                f"{gain:,} entities gain, {lose:,} lose"
            )
        return (
            f"基线总额 {self.baseline_total:,.2f} 元，方案总额 {self.scenario_total:,.2f} 元，"
            f"差额 {delta:+,.2f} 元；增加 {gain:,} 个主体，减少 {lose:,} 个主体"
        )


def simulate(baseline: RuleSet, scenario: RuleSet, facts: Any) -> SimulationReport:
    base = evaluate(baseline, facts).select(ENTITY, "rule_id", "eligible", "amount")
    new = evaluate(scenario, facts).select(ENTITY, "rule_id", "eligible", "amount")
    joined = base.join(
        new, on=[ENTITY, "rule_id"], how="full", coalesce=True, suffix="_new"
    ).with_columns(
        pl.col("eligible").fill_null(False),
        pl.col("eligible_new").fill_null(False),
        pl.col("amount").fill_null(Decimal("0.00")),
        pl.col("amount_new").fill_null(Decimal("0.00")),
    )
    per_rule = (
        joined.group_by("rule_id")
        .agg(
            pl.col("eligible").sum().alias("base_count"),
            pl.col("eligible_new").sum().alias("new_count"),
            pl.col("amount").sum().alias("base_total"),
            pl.col("amount_new").sum().alias("new_total"),
        )
        .with_columns((pl.col("new_total") - pl.col("base_total")).alias("delta"))
        .sort("rule_id")
    )
    changes = (
        joined.filter(
            (pl.col("amount") != pl.col("amount_new"))
            | (pl.col("eligible") != pl.col("eligible_new"))
        )
        .with_columns((pl.col("amount_new") - pl.col("amount")).alias("delta"))
        .sort(["rule_id", ENTITY])
    )
    return SimulationReport(per_rule, changes)


__all__ = ["SimulationReport", "simulate"]
