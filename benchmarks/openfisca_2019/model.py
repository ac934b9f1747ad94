"""The 2019 Yingkou subsidies as an OpenFisca tax-benefit system (benchmark baseline).

Written for the benchmark from the rule descriptions of the Yingkou catalogue
(`src/zhenxing/rules/catalogue/yingkou/subsidies-2019/`), in the ordinary
OpenFisca style: input variables, one `*_eligible` and one amount variable per
rule, vectorised numpy formulas starting on 2019-01-01, parameters as dated YAML
values (`parameters/`). Two systems, each with one (person) entity: projects and
enterprises. A missing fact is given to OpenFisca as the variable's default (0,
false, 1970-01-01, category `unknown`), which makes each rule not eligible
exactly where ours is.

`build(kind, float64=...)`: OpenFisca stores `float` variables as float32; the
benchmark builds the same system a second time with the float dtype patched to
float64 (the patch the earlier study used), which is exact on these data.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import numpy
from openfisca_core.entities import build_entity
from openfisca_core.indexed_enums import Enum
from openfisca_core.model_api import min_, round_, where
from openfisca_core.periods import DateUnit
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable, config

PARAMETERS = Path(__file__).resolve().parent / "parameters"

Project = build_entity(
    key="project",
    plural="projects",
    label="项目 Project",
    doc="An investment project of an enterprise.",
    is_person=True,
)
Enterprise = build_entity(
    key="enterprise",
    plural="enterprises",
    label="企业 Enterprise",
    doc="An enterprise registered in the city.",
    is_person=True,
)


class ProjectCategory(Enum):
    unknown = "未填报 (missing)"
    emerging = "战略性新兴产业"
    green = "绿色制造"
    smart = "智能制造"
    other = "其他"


#: category names in the order of the enum (the benchmark encodes facts with it)
CATEGORY_ORDER = [item.name for item in ProjectCategory]

Y = DateUnit.YEAR


def _input(name: str, value_type: Any, entity: Any, label: str, **extra: Any) -> type[Variable]:
    attrs = {
        "value_type": value_type,
        "entity": entity,
        "definition_period": Y,
        "label": label,
        **extra,
    }
    return type(name, (Variable,), attrs)


def project_inputs(entity: Any = Project) -> list[type[Variable]]:
    return [
        _input(
            "project_category",
            Enum,
            entity,
            "项目类别",
            possible_values=ProjectCategory,
            default_value=ProjectCategory.unknown,
        ),
        _input("fixed_asset_investment_completed", float, entity, "项目实际完成固定资产投资额"),
        _input("enterprise_fiscal_contribution", float, entity, "企业当年财政贡献额度"),
    ]


def enterprise_inputs(entity: Any = Enterprise) -> list[type[Variable]]:
    return [
        _input("first_set_contract_price", float, entity, "首台（套）订货合同价格"),
        _input(
            "recognized_specialized_new_provincial_in_period",
            bool,
            entity,
            "当期被评为省级以上专精特新",
        ),
        _input(
            "first_above_size_date",
            datetime.date,
            entity,
            "首次上规入库日期",
            default_value=datetime.date(1970, 1, 1),
        ),
        _input("exhibition_booth_fees", float, entity, "参加重点展会展位费"),
        _input("recognized_high_tech_in_period", bool, entity, "当期新认定为高新技术企业"),
    ]


# ---------------------------------------------------------------------------
# Project subsidies: rate × completed investment, at most share × fiscal
# contribution, at most a cap per project.
# ---------------------------------------------------------------------------


def _project_rule(rule_id: str, category: ProjectCategory, title: str) -> list[type[Variable]]:
    def eligible(project: Any, period: Any) -> Any:
        category_ok = project("project_category", period) == category
        investment = project("fixed_asset_investment_completed", period)
        contribution = project("enterprise_fiscal_contribution", period)
        return category_ok * (investment > 0) * (contribution > 0)

    def amount(project: Any, period: Any, parameters: Any) -> Any:
        p = getattr(parameters(period).subsidies_2019, rule_id)
        investment = project("fixed_asset_investment_completed", period)
        contribution = project("enterprise_fiscal_contribution", period)
        value = min_(min_(p.rate * investment, p.fiscal_share * contribution), p.cap)
        return where(project(f"{rule_id}_eligible", period), round_(value, 2), 0)

    return [
        type(
            f"{rule_id}_eligible",
            (Variable,),
            {
                "value_type": bool,
                "entity": Project,
                "definition_period": Y,
                "label": f"{title}：符合条件",
                "formula_2019_01_01": eligible,
            },
        ),
        type(
            rule_id,
            (Variable,),
            {
                "value_type": float,
                "entity": Project,
                "definition_period": Y,
                "label": title,
                "unit": "currency-CNY",
                "formula_2019_01_01": amount,
            },
        ),
    ]


PROJECT_RULES = {
    "emerging_industry_project": (ProjectCategory.emerging, "战略性新兴产业项目补助"),
    "green_manufacturing_project": (ProjectCategory.green, "绿色制造发展项目补助"),
    "smart_manufacturing_project": (ProjectCategory.smart, "智能制造项目补助"),
}


# ---------------------------------------------------------------------------
# Enterprise awards
# ---------------------------------------------------------------------------


class first_set_equipment_eligible(Variable):
    value_type = bool
    entity = Enterprise
    definition_period = Y
    label = "首台（套）重大技术装备奖励：符合条件"

    def formula_2019_01_01(enterprise, period):
        return enterprise("first_set_contract_price", period) > 0


class first_set_equipment(Variable):
    value_type = float
    entity = Enterprise
    definition_period = Y
    unit = "currency-CNY"
    label = "首台（套）重大技术装备奖励：合同价格的15%，最高100万元"

    def formula_2019_01_01(enterprise, period, parameters):
        p = parameters(period).subsidies_2019.first_set_equipment
        price = enterprise("first_set_contract_price", period)
        value = round_(min_(p.rate * price, p.cap), 2)
        return where(enterprise("first_set_equipment_eligible", period), value, 0)


class specialized_new_sme_award_eligible(Variable):
    value_type = bool
    entity = Enterprise
    definition_period = Y
    label = "新认定省级以上专精特新中小企业奖励：符合条件"

    def formula_2019_01_01(enterprise, period):
        return enterprise("recognized_specialized_new_provincial_in_period", period)


class specialized_new_sme_award(Variable):
    value_type = float
    entity = Enterprise
    definition_period = Y
    unit = "currency-CNY"
    label = "新认定省级以上专精特新中小企业奖励：10万元"

    def formula_2019_01_01(enterprise, period, parameters):
        award = parameters(period).subsidies_2019.specialized_new_sme_award.award
        return where(enterprise("specialized_new_sme_award_eligible", period), award, 0)


class newly_above_size_eligible(Variable):
    value_type = bool
    entity = Enterprise
    definition_period = Y
    label = "小升规一次性奖励：在本期间首次上规入库，且在2019年1月1日之后"

    def formula_2019_01_01(enterprise, period):
        entered = enterprise("first_above_size_date", period)
        start = numpy.datetime64(period.start.date)
        stop = numpy.datetime64(period.stop.date)
        return (entered >= start) * (entered <= stop) * (entered >= numpy.datetime64("2019-01-01"))


class newly_above_size(Variable):
    value_type = float
    entity = Enterprise
    definition_period = Y
    unit = "currency-CNY"
    label = "小升规一次性奖励：5万元"

    def formula_2019_01_01(enterprise, period, parameters):
        award = parameters(period).subsidies_2019.newly_above_size.award
        return where(enterprise("newly_above_size_eligible", period), award, 0)


class exhibition_booth_eligible(Variable):
    value_type = bool
    entity = Enterprise
    definition_period = Y
    label = "展位费补助：支付了展位费"

    def formula_2019_01_01(enterprise, period):
        return enterprise("exhibition_booth_fees", period) > 0


class exhibition_booth(Variable):
    value_type = float
    entity = Enterprise
    definition_period = Y
    unit = "currency-CNY"
    label = "展位费补助：展位费的100%"

    def formula_2019_01_01(enterprise, period, parameters):
        share = parameters(period).subsidies_2019.exhibition_booth.share
        value = round_(share * enterprise("exhibition_booth_fees", period), 2)
        return where(enterprise("exhibition_booth_eligible", period), value, 0)


class high_tech_recognition_award_eligible(Variable):
    value_type = bool
    entity = Enterprise
    definition_period = Y
    label = "新认定高新技术企业奖励：符合条件"

    def formula_2019_01_01(enterprise, period):
        return enterprise("recognized_high_tech_in_period", period)


class high_tech_recognition_award(Variable):
    value_type = float
    entity = Enterprise
    definition_period = Y
    unit = "currency-CNY"
    label = "新认定高新技术企业奖励：20万元"

    def formula_2019_01_01(enterprise, period, parameters):
        award = parameters(period).subsidies_2019.high_tech_recognition_award.award
        return where(enterprise("high_tech_recognition_award_eligible", period), award, 0)


ENTERPRISE_RULES = [
    "first_set_equipment",
    "specialized_new_sme_award",
    "newly_above_size",
    "exhibition_booth",
    "high_tech_recognition_award",
]


def _enterprise_rule_variables() -> list[type[Variable]]:
    out = []
    for rid in ENTERPRISE_RULES:
        out += [globals()[f"{rid}_eligible"], globals()[rid]]
    return out


def build(kind: str, *, float64: bool) -> TaxBenefitSystem:
    """The tax-benefit system of `kind` ("project" or "enterprise"); `float64`
    patches OpenFisca's float dtype (float32 by default) while it is built."""
    dtype = config.VALUE_TYPES[float]["dtype"]
    config.VALUE_TYPES[float]["dtype"] = numpy.float64 if float64 else numpy.float32
    try:
        if kind == "project":
            tbs = TaxBenefitSystem([Project])
            variables = project_inputs()
            for rid, (category, title) in PROJECT_RULES.items():
                variables += _project_rule(rid, category, title)
        else:
            tbs = TaxBenefitSystem([Enterprise])
            variables = enterprise_inputs() + _enterprise_rule_variables()
        for v in variables:
            tbs.add_variable(v)
        tbs.load_parameters(str(PARAMETERS))
    finally:
        config.VALUE_TYPES[float]["dtype"] = dtype
    return tbs


def rule_ids(kind: str) -> list[str]:
    return list(PROJECT_RULES) if kind == "project" else list(ENTERPRISE_RULES)


def parameter_values(
    tbs: TaxBenefitSystem, instant: str = "2019-01-01"
) -> dict[str, dict[str, float]]:
    """{rule: {parameter: value}} in force at `instant` (checked against our catalogue)."""
    node = tbs.get_parameters_at_instant(instant).subsidies_2019
    out: dict[str, dict[str, float]] = {}
    for rid, child in node._children.items():
        out[rid] = {name: float(value) for name, value in child._children.items()}
    return out
