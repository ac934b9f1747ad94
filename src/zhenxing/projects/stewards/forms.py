"""Forms of the steward pages: visits with photos, problems, their closing, the leader, the team.

The forms only collect values; the services in `stewards.services` validate them and
say what is wrong in Chinese, and the views put those messages next to the fields.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhenxing.core import clock, scoping
from zhenxing.core.models import Department
from zhenxing.core.roles import Action
from zhenxing.projects.models import Project, Visit, VisitKind

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"


class StewardForm(forms.Form):
    """A form whose errors name the field, like the services' own messages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            label = str(field.label)
            choose = isinstance(field, forms.ChoiceField | forms.ModelChoiceField)
            field.error_messages = {
                **field.error_messages,
                "required": (gettext("请选择%(label)s") if choose else gettext("请填写%(label)s"))
                % {"label": label},
                "invalid": gettext("%(label)s格式不对") % {"label": label},
                "invalid_choice": gettext("请选择%(label)s") % {"label": label},
            }


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MultiplePhotoInput(forms.FileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several image files from one <input type=file multiple>; the service checks them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultiplePhotoInput(attrs={"accept": PHOTO_ACCEPT, "multiple": True})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class VisitForm(StewardForm):
    """Offers only the kinds of visit the user may record on this project (a leader's
    visit is not the area's to record)."""

    kind = forms.ChoiceField(label=_("走访类型"), choices=VisitKind.choices)
    date = forms.DateField(label=_("走访日期"), widget=DateInput())
    visitors = forms.CharField(
        label=_("参加人员"),
        max_length=255,
        help_text=_("如：赵副市长、市发改委李科长"),
    )
    notes = forms.CharField(
        label=_("情况记录"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = MultiplePhotoField(
        label=_("现场照片"),
        help_text=_("JPEG、PNG 或 WebP 格式，每张不超过 10 MB，一次走访最多 20 张"),
    )

    def __init__(self, *args: Any, user: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = clock.today()
        scope = {"project__area": project.area_id, "project": project.pk}
        kind: Any = self.fields["kind"]
        kind.choices = [
            (value, label)
            for value, label in VisitKind.choices
            if scoping.can(user, Action.CREATE, model=Visit, values={**scope, "kind": value})
        ]


class ProblemForm(StewardForm):
    title = forms.CharField(label=_("问题"), max_length=200)
    description = forms.CharField(
        label=_("具体情况"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner_department = forms.ModelChoiceField(
        label=_("责任部门"), queryset=Department.objects.all()
    )
    due_date = forms.DateField(label=_("办结时限"), widget=DateInput())


class ProblemCloseForm(StewardForm):
    resolution = forms.CharField(label=_("解决情况"), widget=forms.Textarea(attrs={"rows": 3}))
    closed_on = forms.DateField(label=_("销号日期"), widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["closed_on"].initial = clock.today()


class ProblemReopenForm(StewardForm):
    reason = forms.CharField(label=_("重新打开的原因"), max_length=200)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        title = getattr(obj, "title", "")
        return f"{obj}（{title}）" if title else str(obj)


def _staff_users() -> Any:
    """Active users who hold a role other than an enterprise's."""
    return scoping.city_staff(get_user_model().objects.all()).order_by("display_name", "username")


class StewardshipForm(StewardForm):
    leader = UserChoiceField(label=_("包保领导"), queryset=get_user_model().objects.none())
    since = forms.DateField(label=_("开始日期"), widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        leaders = scoping.project_leader_candidates(get_user_model().objects.all()).order_by(
            "display_name", "username"
        )
        self.fields["leader"].queryset = leaders  # type: ignore[attr-defined]
        self.fields["leader"].help_text = _("市领导；尚无项目管家角色的，指定后自动授予")
        self.fields["since"].initial = clock.today()


class TeamMemberForm(StewardForm):
    member_user = UserChoiceField(
        label=_("平台用户"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("选择平台用户后，该用户可查看本项目并登记走访；也可只填姓名"),
    )
    name = forms.CharField(label=_("姓名"), max_length=64, required=False)
    duty = forms.CharField(label=_("职责"), max_length=128, required=False)
    department = forms.ModelChoiceField(
        label=_("部门"), queryset=Department.objects.all(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member_user"].queryset = _staff_users()  # type: ignore[attr-defined]
