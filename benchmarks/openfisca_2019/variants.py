"""The 200 rule variants of the benchmark as OpenFisca variables.

The variants are defined once, as data, by `rules_eval.variants()`; `rules_eval`
renders each as a rule file of our language, and this module renders the same
variant as a pair of OpenFisca variables (`<id>_eligible`, `<id>`) on one entity
that carries all 8 facts. Parameters are the variant's constants (in the
formula's closure) rather than a YAML parameter tree: the 200 variants only exist
for the benchmark.
"""

from __future__ import annotations

from typing import Any

import numpy
from openfisca_core.entities import build_entity
from openfisca_core.model_api import min_, round_, select, where
from openfisca_core.periods import DateUnit
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable, config

from .model import ProjectCategory, enterprise_inputs, project_inputs

Entity = build_entity(
    key="entity",
    plural="entities",
    label="主体 Entity",
    doc="An enterprise together with its project (all 8 facts of the 2019 rules).",
    is_person=True,
)

Y = DateUnit.YEAR


def _eligible(v: Any) -> Any:
    p = v.p
    fam = v.family

    if fam == "project":
        cats = [getattr(ProjectCategory, c) for c in p["categories"]]
        min_investment = p["min_investment"]
        with_share = p["share"] is not None

        def formula(e: Any, period: Any) -> Any:
            category = e("project_category", period)
            ok = category == cats[0]
            for c in cats[1:]:
                ok = ok + (category == c)
            investment = e("fixed_asset_investment_completed", period)
            ok = ok * ((investment >= min_investment) if min_investment else (investment > 0))
            if with_share:
                ok = ok * (e("enterprise_fiscal_contribution", period) > 0)
            return ok

    elif fam == "project_band":
        category = getattr(ProjectCategory, p["category"])
        first = p["tiers"][0][0]

        def formula(e: Any, period: Any) -> Any:
            ok = e("project_category", period) == category
            return ok * (e("fixed_asset_investment_completed", period) >= first)

    elif fam == "first_set":
        min_price = p["min_price"]

        def formula(e: Any, period: Any) -> Any:
            price = e("first_set_contract_price", period)
            return (price >= min_price) if min_price else (price > 0)

    elif fam == "flag":
        names = [
            "recognized_high_tech_in_period"
            if f == "high_tech"
            else "recognized_specialized_new_provincial_in_period"
            for f in p["flags"]
        ]
        exhibited = p["exhibited"]

        def formula(e: Any, period: Any) -> Any:
            ok = e(names[0], period)
            for name in names[1:]:
                ok = ok * e(name, period)
            if exhibited:
                ok = ok * (e("exhibition_booth_fees", period) > 0)
            return ok

    elif fam == "above_size":
        if p["mode"] == "this_year":
            start = numpy.datetime64(p["start"])

            def formula(e: Any, period: Any) -> Any:
                entered = e("first_above_size_date", period)
                year = entered.astype("datetime64[Y]").astype(int) + 1970
                return (year == period.start.year) * (entered >= start)

        else:
            days = numpy.timedelta64(p["days"], "D")

            def formula(e: Any, period: Any) -> Any:
                entered = e("first_above_size_date", period)
                end = numpy.datetime64(period.stop.date)
                return ((end - entered) <= days) * (entered <= end)

    else:  # exhibition
        min_fee = p["min_fee"]

        def formula(e: Any, period: Any) -> Any:
            fees = e("exhibition_booth_fees", period)
            return (fees >= min_fee) if min_fee else (fees > 0)

    return formula


def _amount(v: Any) -> Any:
    p = v.p
    fam = v.family
    eligible = f"{v.id}_eligible"

    if fam == "project":
        rate, share, cap = p["rate"], p["share"], p["cap"]

        def formula(e: Any, period: Any) -> Any:
            value = rate * e("fixed_asset_investment_completed", period)
            if share is not None:
                value = min_(value, share * e("enterprise_fiscal_contribution", period))
            return where(e(eligible, period), round_(min_(value, cap), 2), 0)

    elif fam == "project_band":
        (t1, a1), (t2, a2), (t3, a3) = p["tiers"]

        def formula(e: Any, period: Any) -> Any:
            investment = e("fixed_asset_investment_completed", period)
            value = select([investment >= t3, investment >= t2, investment >= t1], [a3, a2, a1], 0)
            return where(e(eligible, period), value, 0)

    elif fam == "first_set":
        rate, cap = p["rate"], p["cap"]

        def formula(e: Any, period: Any) -> Any:
            value = round_(min_(rate * e("first_set_contract_price", period), cap), 2)
            return where(e(eligible, period), value, 0)

    elif fam in ("flag", "above_size"):
        award = p["award"]

        def formula(e: Any, period: Any) -> Any:
            return where(e(eligible, period), award, 0)

    else:  # exhibition
        share, cap = p["share"], p["cap"]

        def formula(e: Any, period: Any) -> Any:
            value = share * e("exhibition_booth_fees", period)
            if cap is not None:
                value = min_(value, cap)
            return where(e(eligible, period), round_(value, 2), 0)

    return formula


def build(specs: list[Any], *, float64: bool) -> TaxBenefitSystem:
    """One entity with the 8 input facts and the variants' variables."""
    dtype = config.VALUE_TYPES[float]["dtype"]
    config.VALUE_TYPES[float]["dtype"] = numpy.float64 if float64 else numpy.float32
    try:
        tbs = TaxBenefitSystem([Entity])
        for var in project_inputs(Entity) + enterprise_inputs(Entity):
            tbs.add_variable(var)
        for v in specs:
            tbs.add_variable(
                type(
                    f"{v.id}_eligible",
                    (Variable,),
                    {
                        "value_type": bool,
                        "entity": Entity,
                        "definition_period": Y,
                        "label": f"{v.id}: eligible",
                        "formula_2019_01_01": _eligible(v),
                    },
                )
            )
            tbs.add_variable(
                type(
                    v.id,
                    (Variable,),
                    {
                        "value_type": float,
                        "entity": Entity,
                        "definition_period": Y,
                        "label": f"{v.id}: amount",
                        "unit": "currency-CNY",
                        "formula_2019_01_01": _amount(v),
                    },
                )
            )
    finally:
        config.VALUE_TYPES[float]["dtype"] = dtype
    return tbs


__all__ = ["Entity", "build"]
