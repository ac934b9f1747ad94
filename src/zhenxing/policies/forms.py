"""Forms of the policy pages. Budgets are typed in 万元 and handed to the services in yuan;
ledger corrections in yuan (to the fen)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhenxing.core import clock, scoping
from zhenxing.core.form_fields import NumberField, WanField, WholeNumberField, YuanField
from zhenxing.core.models import Department
from zhenxing.core.money import wan_to_yuan, yuan_to_wan
from zhenxing.policies import catalogues
from zhenxing.policies.models import Allocation, Beneficiary, Policy, Stacking


class PolicyForm(forms.Form):
    code = forms.SlugField(
        label=_("政策编码"), max_length=64, help_text=_("小写字母、数字和连字符")
    )
    name = forms.CharField(label=_("政策名称"), max_length=200)
    department = forms.ModelChoiceField(
        label=_("发文部门"), queryset=Department.objects.none(), empty_label=None
    )
    catalogue = forms.ChoiceField(label=_("规则目录"), choices=())
    rule_file = forms.CharField(
        label=_("规则文件"),
        max_length=255,
        help_text=_("相对于规则目录的路径，如 subsidies-2019/first_set_equipment.yaml"),
    )
    rule_id = forms.CharField(label=_("规则标识"), max_length=64)
    beneficiary = forms.ChoiceField(label=_("兑付对象"), choices=Beneficiary.choices)
    annual_budget_wan = WanField(label=_("年度预算（万元）"), max_digits=16)
    city_share_pct = NumberField(
        label=_("市级承担比例（%）"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        help_text=_("其余由兑付对象所在县区承担"),
    )
    stacking = forms.ChoiceField(label=_("叠加规则"), choices=Stacking.choices)
    stacking_group = forms.SlugField(
        label=_("不叠加分组"),
        required=False,
        max_length=64,
        help_text=_("“从高享受一次”时必填：同组政策同一对象同一期间只按最高额兑付一次"),
    )
    allocation = forms.ChoiceField(label=_("预算不足时的分配规则"), choices=Allocation.choices)
    time_limit = forms.CharField(label=_("兑付时限"), max_length=255, required=False)
    contact = forms.CharField(label=_("咨询联系"), max_length=255, required=False)
    note = forms.CharField(
        label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        departments = Department.objects.all()
        grants = scoping.grants_for(user)
        if not grants.is_admin:
            departments = departments.filter(pk__in=grants.department_ids)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]
        self.fields["catalogue"].choices = catalogues.choices()  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(policy: Policy) -> dict[str, Any]:
        return {
            "code": policy.code,
            "name": policy.name,
            "department": policy.department_id,
            "catalogue": policy.catalogue,
            "rule_file": policy.rule_file,
            "rule_id": policy.rule_id,
            "beneficiary": policy.beneficiary,
            "annual_budget_wan": yuan_to_wan(policy.annual_budget),
            "city_share_pct": policy.city_share_pct,
            "stacking": policy.stacking,
            "stacking_group": policy.stacking_group,
            "allocation": policy.allocation,
            "time_limit": policy.time_limit,
            "contact": policy.contact,
            "note": policy.note,
        }

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["annual_budget"] = wan_to_yuan(data.pop("annual_budget_wan"))
        return data


class RunForm(forms.Form):
    period = WholeNumberField(label=_("测算年度"), min_value=2000, max_value=2100)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].initial = clock.today().year - 1


class ExcludeForm(forms.Form):
    reason = forms.CharField(label=_("排除原因"), max_length=255)


class CorrectForm(forms.Form):
    amount = YuanField(label=_("更正后的金额（元）"), min_value=Decimal(0))
    reason = forms.CharField(label=_("更正原因"), max_length=200)


class ObjectionForm(forms.Form):
    reason = forms.CharField(
        label=_("异议理由"),
        min_length=5,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("请写明对哪一项结果有异议、理由和可补充的材料"),
    )


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("答复内容"), widget=forms.Textarea(attrs={"rows": 4}))
    close = forms.BooleanField(label=_("同时办结"), required=False)


class DryRunForm(forms.Form):
    """The period and, per parameter of the rule, an optional new value."""

    period = WholeNumberField(label=_("测算年度"), min_value=2000, max_value=2100)

    def __init__(
        self, *args: Any, parameters: Sequence[tuple[str, str, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].initial = clock.today().year - 1
        for name, label, unit in parameters:
            if unit == "date":
                self.fields[f"param_{name}"] = forms.DateField(label=label, required=False)
                continue
            hint = {"ratio": _("比例，如 0.08 表示 8%"), "yuan": _("单位：元")}.get(unit, "")
            if unit == "yuan":  # the unit in the label, as on every money input
                label = _("%(label)s（元）") % {"label": label}
            self.fields[f"param_{name}"] = NumberField(
                label=label, required=False, max_digits=20, decimal_places=10, help_text=hint
            )

    def overrides(self) -> dict[str, Decimal | datetime.date]:
        return {
            key[len("param_") :]: value
            for key, value in self.cleaned_data.items()
            if key.startswith("param_") and value is not None
        }


class FactListForm(forms.Form):
    """A department's list: what it is (fact, beneficiary kind, year), who gives it, and
    the Excel file with its entries."""

    fact_id = forms.ChoiceField(
        label=_("事实"),
        choices=(),
        help_text=_("名单提供的是哪一项事实（规则目录中声明的事实）"),
    )
    beneficiary = forms.ChoiceField(label=_("对象类型"), choices=Beneficiary.choices)
    period = WholeNumberField(label=_("期间（年度）"), min_value=2000, max_value=2100)
    department = forms.ModelChoiceField(
        label=_("提供部门"), queryset=Department.objects.none(), empty_label=None
    )
    as_of = forms.DateField(
        label=_("截至日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("名单数据截至的日期，如 2024-03-31"),
    )
    source_note = forms.CharField(
        label=_("来源说明"),
        max_length=255,
        required=False,
        help_text=_("如发文文号、认定批次、数据来源"),
    )
    name = forms.CharField(
        label=_("名单名称"),
        max_length=200,
        required=False,
        help_text=_("不填则为“年度 + 事实 + 名单”"),
    )
    file = forms.FileField(
        label=_("Excel 文件（.xlsx）"),
        help_text=_("列：统一社会信用代码（企业名单）或项目代码（项目名单）、名称（可不填）、值"),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from zhenxing.policies.services import list_fact_choices

        departments = Department.objects.all()
        grants = scoping.grants_for(user)
        if not grants.is_admin:
            departments = departments.filter(pk__in=grants.department_ids)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]
        self.fact_groups = [
            (str(label), list_fact_choices(value)) for value, label in Beneficiary.choices
        ]
        self.fields["fact_id"].choices = [  # type: ignore[attr-defined]
            ("", _("请选择名单提供的事实")),
            *self.fact_groups,
        ]
        self.fields["period"].initial = clock.today().year - 1
        self.fields["as_of"].initial = clock.today()
