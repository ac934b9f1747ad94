"""Forms of the project pages. Money is typed in 万元 and handed to the services in yuan."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhenxing.clusters.models import Cluster
from zhenxing.core import clock, scoping
from zhenxing.core.codes import uscc as uscc_codes
from zhenxing.core.codes.errors import CodeError
from zhenxing.core.form_fields import NumberField, WanField, WholeNumberField
from zhenxing.core.models import Area, Department, Industry
from zhenxing.core.money import wan_to_yuan, yuan_to_wan
from zhenxing.enterprises.models import Enterprise
from zhenxing.projects.domain import INITIAL, STATUS_LABELS, TRANSITIONS, Status
from zhenxing.projects.models import KeyList, Library, PolicyCategory, Project

DATE = {"type": "date"}


def date_input() -> forms.DateInput:
    """<input type="date"> wants 2024-05-31 whatever the language's date format."""
    return forms.DateInput(attrs=DATE, format="%Y-%m-%d")


class ProjectForm(forms.Form):
    code = forms.CharField(
        label=_("项目代码"),
        max_length=32,
        required=False,
        help_text=_("全国投资项目在线审批监管平台赋予的代码，如 2024-210804-04-01-123456"),
    )
    name = forms.CharField(label=_("项目名称"), max_length=200)
    area = forms.ModelChoiceField(label=_("所在区域"), queryset=Area.objects.none())
    owner_uscc = forms.CharField(
        label=_("项目单位统一社会信用代码"),
        max_length=32,
        required=False,
        help_text=_("已在企业名录中的单位填代码即可关联"),
    )
    owner_name = forms.CharField(label=_("项目单位名称"), max_length=128, required=False)
    cluster = forms.ModelChoiceField(
        label=_("产业集群"), queryset=Cluster.objects.none(), required=False
    )
    industry = forms.CharField(
        label=_("所属行业"),
        max_length=8,
        required=False,
        help_text=_("GB/T 4754-2017 行业代码，如 3311"),
    )
    policy_category = forms.ChoiceField(
        label=_("政策类别"), choices=PolicyCategory.choices, initial=PolicyCategory.OTHER
    )
    department = forms.ModelChoiceField(
        label=_("责任部门"), queryset=Department.objects.all(), required=False
    )
    location = forms.CharField(label=_("建设地点"), max_length=255, required=False)
    total_investment = WanField(label=_("总投资（万元）"))
    planned_start = forms.DateField(label=_("计划开工"), required=False, widget=date_input())
    planned_finish = forms.DateField(label=_("计划竣工"), required=False, widget=date_input())
    description = forms.CharField(
        label=_("建设内容"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    # Shown (as a checkbox) only when the service found a project of a similar name.
    confirm = forms.BooleanField(
        label=_("确认不是同一项目，仍然保存"), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, user: Any, project: Project | None = None, **kwargs: Any):
        if project is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "code": project.code,
                "name": project.name,
                "area": project.area_id,
                "owner_uscc": project.owner_enterprise.uscc if project.owner_enterprise else "",
                "owner_name": project.owner_name,
                "cluster": project.cluster_id,
                "industry": project.industry_id or "",
                "policy_category": project.policy_category,
                "department": project.department_id,
                "location": project.location,
                "total_investment": yuan_to_wan(project.total_investment),
                "planned_start": project.planned_start,
                "planned_finish": project.planned_finish,
                "description": project.description,
            }
        super().__init__(*args, **kwargs)
        areas = scoping.area_choices_for(user, Area.objects.exclude(kind="city"))
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        if project is None and not self.is_bound and len(areas) == 1:
            self.initial.setdefault("area", areas[0].pk)
        clusters = Cluster.objects.select_related("scheme").order_by(
            "-scheme__valid_from", "sort_order"
        )
        self.fields["cluster"].queryset = clusters  # type: ignore[attr-defined]
        self.fields["cluster"].label_from_instance = (  # type: ignore[attr-defined]
            lambda c: f"{c.scheme.display_short_name} · {c}"
        )

    def clean_owner_uscc(self) -> Enterprise | None:
        raw = self.cleaned_data.get("owner_uscc", "").strip()
        if not raw:
            return None
        try:
            code = uscc_codes.validate(raw)
        except CodeError as exc:
            raise forms.ValidationError(str(exc)) from exc
        enterprise = Enterprise.objects.filter(uscc=code).first()
        if enterprise is None:
            raise forms.ValidationError(_("企业名录中没有该统一社会信用代码"))
        return enterprise

    def clean_industry(self) -> Industry | None:
        raw = self.cleaned_data.get("industry", "").strip()
        if not raw:
            return None
        industry = Industry.objects.filter(code=raw).first()
        if industry is None:
            raise forms.ValidationError(_("GB/T 4754-2017 中没有该行业代码"))
        return industry

    def ask_to_confirm(self) -> None:
        """The service asks the user to confirm: show the checkbox, unticked."""
        field = self.fields["confirm"]
        field.widget = forms.CheckboxInput()
        unticked = self.add_prefix("confirm")
        self.data = {k: v for k, v in self.data.items() if k != unticked}

    def values(self) -> dict[str, Any]:
        """The cleaned data as the services take them (money in yuan)."""
        data = dict(self.cleaned_data)
        data["owner_enterprise"] = data.pop("owner_uscc")
        if data["owner_enterprise"] is not None and not data.get("owner_name"):
            data["owner_name"] = data["owner_enterprise"].name
        data["total_investment"] = wan_to_yuan(data["total_investment"])
        return data


class ProjectCreateForm(ProjectForm):
    status = forms.ChoiceField(
        label=_("当前状态"),
        choices=[(s.value, _(STATUS_LABELS[s])) for s in Status if s in INITIAL],
        initial=Status.PLANNED,
    )
    status_since = forms.DateField(label=_("状态日期"), widget=date_input(), initial=clock.today)
    library = forms.ChoiceField(
        label=_("纳入项目库"),
        choices=[("", _("暂不入库")), *Library.choices],
        required=False,
    )

    def values(self) -> dict[str, Any]:
        data = super().values()
        data.pop("library", None)
        return data


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("作废原因"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("如“重复登记，与项目 2024-210804-04-01-123456 为同一项目”；原因记入变更记录"),
    )


class StatusChangeForm(forms.Form):
    status = forms.ChoiceField(label=_("新状态"))
    date = forms.DateField(label=_("变更日期"), widget=date_input())
    note = forms.CharField(label=_("说明"), max_length=255, required=False)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": clock.today()})
        super().__init__(*args, **kwargs)
        current = Status(project.status)
        allowed = [s for s in Status if s in TRANSITIONS[current]]
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (s.value, _(STATUS_LABELS[s])) for s in allowed
        ]
        if not allowed:
            self.fields["status"].help_text = _("该状态已结束，不能再变更")


class LibraryForm(forms.Form):
    action = forms.ChoiceField(
        label=_("操作"), choices=[("enter", _("入库")), ("leave", _("出库"))]
    )
    library = forms.ChoiceField(label=_("项目库"), choices=Library.choices)
    date = forms.DateField(label=_("日期"), widget=date_input())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": clock.today()})
        super().__init__(*args, **kwargs)


class KeyListForm(forms.Form):
    action = forms.ChoiceField(
        label=_("操作"), choices=[("enter", _("列入")), ("leave", _("移出"))]
    )
    key_list = forms.ModelChoiceField(label=_("重点项目清单"), queryset=KeyList.objects.all())
    date = forms.DateField(label=_("日期"), widget=date_input())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": clock.today()})
        super().__init__(*args, **kwargs)


class AnnualPlanForm(forms.Form):
    year = WholeNumberField(label=_("年度"), min_value=2000, max_value=2100)
    planned_investment = WanField(label=_("年度计划投资（万元）"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"year": clock.today().year})
        super().__init__(*args, **kwargs)


class ReportForm(forms.Form):
    investment = WanField(label=_("当月完成投资（万元）"))
    progress_pct = NumberField(
        label=_("形象进度（%）"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
    )
    progress_text = forms.CharField(
        label=_("形象进度说明"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    problems = forms.CharField(
        label=_("存在问题"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(
        label=_("修改原因"),
        max_length=255,
        required=False,
        help_text=_("本月已过填报截止日期并锁定；更正须说明原因，原因记入变更记录"),
    )
    confirm = forms.BooleanField(
        label=_("核实无误，确认该超常数值"),
        required=False,
        help_text=_("当月完成投资超过项目剩余投资，或远高于该项目以往月份时须确认"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args: Any, locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if locked:
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = _("本月已锁定，更正须填写修改原因")
        else:
            del self.fields["reason"]

    @property
    def confirm_asked(self) -> bool:
        """The confirmation box is shown with the service's warning (or once ticked),
        not before: an ordinary figure needs none."""
        return "confirm" in self.fields and bool(self["confirm"].errors or self["confirm"].value())

    def hide_confirm_unless_asked(self) -> None:
        if not self.confirm_asked:
            self.fields.pop("confirm", None)


def report_initial(report: Any) -> dict[str, Any]:
    if report is None:
        return {"version": 0}
    return {
        "investment": yuan_to_wan(report.investment),
        "progress_pct": report.progress_pct,
        "progress_text": report.progress_text,
        "problems": report.problems,
        "version": report.version,
    }


def parse_date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None
