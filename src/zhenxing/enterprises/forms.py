from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from zhenxing.clusters.models import Cluster
from zhenxing.core import clock, scoping
from zhenxing.core.form_fields import WholeNumberField
from zhenxing.core.models import Area
from zhenxing.core.roles import Action
from zhenxing.enterprises import domain
from zhenxing.enterprises.models import (
    LEVEL_CHOICES,
    SOURCE_CHOICES,
    STAGE_CHOICES,
    TIER_CHOICES,
    Enterprise,
    FactDefinition,
    FactSubmission,
    FollowUpKind,
    PoolEntry,
)

DATE = forms.DateInput(attrs={"type": "date"})


class EnterpriseForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = [
            "uscc",
            "name",
            "area",
            "industry",
            "clusters",
            "address",
            "ownership",
            "size_class",
            "registration_date",
            "above_size_since",
            "contact_name",
            "contact_phone",
        ]
        widgets = {
            "registration_date": DATE,
            "above_size_since": DATE,
            "clusters": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area_field: Any = self.fields["area"]
        area_field.queryset = scoping.area_choices_for(user, Area.objects.all())
        self.fields["industry"].widget = forms.TextInput(attrs={"placeholder": _("如 3311")})
        self.fields["industry"].help_text = _("GB/T 4754-2017 行业代码")
        clusters: Any = self.fields["clusters"]
        clusters.queryset = Cluster.objects.select_related("scheme").order_by(
            "-scheme__valid_from", "sort_order"
        )
        clusters.label_from_instance = lambda c: f"{c.scheme.display_short_name} · {c}"
        clusters.required = False
        # the service validates the USCC and says exactly what is wrong
        self.fields["uscc"].validators = []


def staff_choices(enterprise: Enterprise) -> QuerySet[Any]:
    """Who may be responsible for an enterprise's cultivation: those who may change its
    pool entries (city department staff, its area's staff, administrators)."""
    return scoping.users_who_may(
        get_user_model().objects.all(),
        Action.CHANGE,
        model=PoolEntry,
        values={"enterprise__area": enterprise.area_id, "enterprise": enterprise.pk},
    ).order_by("display_name", "username")


class TierForm(forms.Form):
    code = forms.ChoiceField(label="资质称号", choices=TIER_CHOICES)
    level = forms.ChoiceField(label="级别", choices=LEVEL_CHOICES)
    certificate_no = forms.CharField(label="证书编号", max_length=64, required=False)
    issuer = forms.CharField(label="认定机关", max_length=128, required=False)
    batch = forms.CharField(label="公告批次", max_length=128, required=False)
    issued_on = forms.DateField(label="发证日期", widget=DATE)
    expires_on = forms.DateField(
        label="有效期至",
        widget=DATE,
        required=False,
        help_text="不填则按该称号通常的有效期（科技型中小企业一年，其余三年；规上无期限）",
    )
    note = forms.CharField(label="说明", max_length=255, required=False)


class TierLoseForm(forms.Form):
    date = forms.DateField(label="撤销/取消日期", widget=DATE)
    reason = forms.CharField(label="原因", max_length=255)


class FactValueForm(forms.Form):
    """One fact of one year. Money is typed in 万元, as the facts table shows it (the
    fact's name in the list says so), and handed to the service in yuan."""

    year = WholeNumberField(label="年度", min_value=2000, max_value=2100)
    fact = forms.ModelChoiceField(label="事实", queryset=FactDefinition.objects.none())
    source = forms.ChoiceField(label="来源", choices=SOURCE_CHOICES)
    value = forms.CharField(
        label="值（金额单位：万元）",
        max_length=255,
        help_text=_(
            "金额填万元，如 1,234.5（系统按元保存，到分）；比例如 0.35；是/否；日期如 2024-05-31"
        ),
    )
    as_of = forms.DateField(label="数据日期", widget=DATE, required=False)

    def __init__(self, *args: Any, user: Any, enterprise: Enterprise, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["fact"]
        field.queryset = FactDefinition.objects.exclude(
            derivation__in=[domain.Derivation.TIER.value, domain.Derivation.REGISTRY.value]
        )
        field.label_from_instance = lambda d: (
            f"{d.short_label}（万元）" if d.value_type == domain.ValueType.MONEY else d.short_label
        )
        # only the sources this user may record (an enterprise: its own declaration)
        scope = {"enterprise__area": enterprise.area_id, "enterprise": enterprise.pk}
        source: Any = self.fields["source"]
        source.choices = [
            (value, label)
            for value, label in SOURCE_CHOICES
            if scoping.can(
                user, Action.CREATE, model=FactSubmission, values={**scope, "source": value}
            )
        ]
        self.fields["year"].initial = clock.today().year - 1

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        fact, value = data.get("fact"), data.get("value")
        if fact is not None and value and fact.value_type == domain.ValueType.MONEY:
            try:
                data["value"] = domain.canonical_wan(value, fact.scale)
            except domain.Invalid as exc:
                self.add_error("value", exc.message)
        return data


class PoolEntryForm(forms.Form):
    target = forms.ChoiceField(label="培育目标", choices=TIER_CHOICES)
    year = WholeNumberField(label="培育年度", min_value=2000, max_value=2100)
    responsible = forms.ModelChoiceField(
        label="责任人", queryset=get_user_model().objects.none(), required=False
    )
    entered_on = forms.DateField(label="入库日期", widget=DATE, required=False)
    note = forms.CharField(label="备注", max_length=255, required=False)

    def __init__(self, *args: Any, enterprise: Enterprise, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["responsible"]
        field.queryset = staff_choices(enterprise)
        field.label_from_instance = lambda u: str(u)
        self.fields["year"].initial = clock.today().year


class StageForm(forms.Form):
    stage = forms.ChoiceField(label="新阶段", choices=STAGE_CHOICES)
    date = forms.DateField(label="日期", widget=DATE, required=False)
    note = forms.CharField(label="情况说明", max_length=255, required=False)
    exit_reason = forms.CharField(
        label="退出原因", max_length=255, required=False, help_text="退出培育库时必填"
    )


class FollowUpForm(forms.Form):
    date = forms.DateField(label="日期", widget=DATE, required=False)
    kind = forms.ChoiceField(
        label="方式", choices=[c for c in FollowUpKind.choices if c[0] != FollowUpKind.STAGE]
    )
    note = forms.CharField(label="情况", widget=forms.Textarea(attrs={"rows": 3}))
    next_step = forms.CharField(label="下一步", max_length=255, required=False)


class AssignForm(forms.Form):
    responsible = forms.ModelChoiceField(
        label="责任人", queryset=get_user_model().objects.none(), required=False
    )

    def __init__(self, *args: Any, enterprise: Enterprise, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["responsible"]
        field.queryset = staff_choices(enterprise)
        field.label_from_instance = lambda u: str(u)


def default_dates() -> dict[str, datetime.date]:
    return {"date": clock.today()}
