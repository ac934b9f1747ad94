"""A rule's date parameter in the policy pages: the guide writes it as a Chinese date,
the dry run asks for a date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from zhenxing.policies import domain
from zhenxing.policies.forms import DryRunForm


def test_the_guide_writes_a_date_parameter_as_a_date() -> None:
    assert domain.fmt_number(dt.date(2021, 7, 1), "date") == "2021年7月1日"
    assert domain.fmt_number(Decimal("3000000"), "yuan") == "300万元"


def test_the_dry_run_asks_for_a_date_where_the_parameter_is_one() -> None:
    params = [("cutoff", "注册日期起算日", "date"), ("cap", "上限", "yuan")]
    form = DryRunForm(
        {"period": "2024", "param_cutoff": "2021-01-01", "param_cap": "2500000"},
        parameters=params,
    )
    assert form.is_valid(), form.errors
    assert form.overrides() == {"cutoff": dt.date(2021, 1, 1), "cap": Decimal("2500000")}
    bad = DryRunForm({"period": "2024", "param_cutoff": "2021-13-01"}, parameters=params)
    assert not bad.is_valid() and "param_cutoff" in bad.errors
