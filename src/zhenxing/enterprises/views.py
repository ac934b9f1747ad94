from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhenxing.core import audit, scoping
from zhenxing.core.listing import Column, Filter, ListSpec
from zhenxing.core.models import Area
from zhenxing.core.roles import Action
from zhenxing.core.services import DomainError
from zhenxing.enterprises import services
from zhenxing.enterprises.forms import EnterpriseForm
from zhenxing.enterprises.models import Enterprise, Ownership


def _area_choices(request: HttpRequest) -> list[tuple[str, str]]:
    areas = scoping.area_choices_for(request.user, Area.objects.all())
    return [(str(a.pk), a.name) for a in areas]


def _list_actions(request: HttpRequest) -> list[dict[str, str]]:
    if scoping.can(request.user, Action.CREATE, model=Enterprise):
        return [
            {"label": gettext("新建企业"), "url": "/enterprises/new/", "style": "primary"},
            {"label": gettext("从 Excel 导入"), "url": "/imports/enterprises/", "style": ""},
        ]
    return []


ENTERPRISE_LIST = ListSpec(
    title=_("企业名录"),
    queryset=lambda request: Enterprise.objects.select_related("area", "industry"),
    columns=[
        Column("name", _("企业名称"), sort="name", link=True),
        Column("uscc", _("统一社会信用代码"), sort="uscc", css="code"),
        Column("area__name", _("所在区域"), sort="area__sort_order"),
        Column("industry", _("所属行业"), sort="industry__code"),
        Column("get_ownership_display", _("所有制")),
        Column("registration_date", _("成立日期"), sort="registration_date", css="date"),
    ],
    filters=[
        Filter("area", _("区域"), "area_id", choices=_area_choices),
        Filter(
            "ownership",
            _("所有制"),
            "ownership",
            choices=lambda r: [(k, str(v)) for k, v in Ownership.choices],
        ),
        Filter("q", _("关键词"), "", keyword_fields=("name", "uscc")),
    ],
    default_sort="name",
    export_name="企业名录",
    actions=_list_actions,
)


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    return ENTERPRISE_LIST.render(request)


@login_required
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = scoping.get_for_user(
        request.user, Enterprise.objects.select_related("area", "industry"), pk=pk
    )
    tab = request.GET.get("tab", "basic")
    context = {
        "enterprise": enterprise,
        "tab": tab,
        "can_edit": scoping.can(request.user, Action.CHANGE, enterprise),
        "history": audit.entries_for(enterprise)[:200] if tab == "history" else None,
    }
    return render(request, "enterprises/detail.html", context)


@login_required
def enterprise_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    enterprise = None
    if pk is not None:
        enterprise = scoping.get_for_user(request.user, Enterprise, Action.CHANGE, pk=pk)
    else:
        scoping.require(request.user, Action.CREATE, model=Enterprise)
    form = EnterpriseForm(request.POST or None, instance=enterprise, user=request.user)
    if request.method == "POST" and form.is_valid():
        values = {f: form.cleaned_data[f] for f in form.Meta.fields}
        try:
            if enterprise is None:
                enterprise = services.enterprise_create(user=request.user, **values)
            else:
                enterprise = services.enterprise_update(
                    user=request.user, enterprise=enterprise, **values
                )
        except DomainError as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
            if not exc.errors:
                form.add_error(None, exc.message)
        except scoping.PermissionDenied as exc:
            form.add_error("area", exc.message)
        else:
            messages.success(request, gettext("已保存"))
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(request, "enterprises/form.html", {"form": form, "enterprise": enterprise})
