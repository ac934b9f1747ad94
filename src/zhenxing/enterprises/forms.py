from __future__ import annotations

from typing import Any

from django import forms

from zhenxing.core import scoping
from zhenxing.core.models import Area
from zhenxing.enterprises.models import Enterprise


class EnterpriseForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = [
            "uscc",
            "name",
            "area",
            "industry",
            "address",
            "ownership",
            "size_class",
            "registration_date",
            "above_size_since",
            "contact_name",
            "contact_phone",
        ]
        widgets = {
            "registration_date": forms.DateInput(attrs={"type": "date"}),
            "above_size_since": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area_field: Any = self.fields["area"]
        area_field.queryset = scoping.area_choices_for(user, Area.objects.all())
        self.fields["industry"].widget = forms.TextInput(attrs={"placeholder": "如 3311"})
        self.fields["industry"].help_text = "GB/T 4754-2017 行业代码"
        # the service validates the USCC and says exactly what is wrong
        self.fields["uscc"].validators = []
