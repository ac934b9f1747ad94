from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from zhenxing.clusters.models import ClusterScheme
from zhenxing.core import clock, panels, scoping, tokens
from zhenxing.core.audit_display import actor_text, changes_text, reason_text, record_text
from zhenxing.core.listing import Column, Filter, ListSpec, area_choices, choices_of
from zhenxing.core.models import (
    ApiToken,
    Area,
    AuditAction,
    AuditEntry,
    Department,
    Industry,
    IndustryLevel,
)
from zhenxing.core.services import DomainError


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """首页: the panels the parts register for this user (`core.panels`), and the system
    links for the administrator."""
    today = clock.today()
    return render(
        request,
        "core/home.html",
        {
            "panels": panels.panels_for(request.user, today=today),
            "today": today,
            "system_links": scoping.grants_for(request.user).is_admin,
        },
    )


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on every path (the API's too): the platform's
    icon from static, the same file `base.html` links."""
    return redirect(static("zhenxing/favicon.svg"))


@login_required
def reference(request: HttpRequest) -> HttpResponse:
    return redirect("core:areas")


AREA_LIST = ListSpec(
    title=_("区域"),
    queryset=lambda request: Area.objects.select_related("parent"),
    columns=[
        Column("code", _("代码"), sort="code"),
        Column("name", _("名称"), sort="name"),
        Column("get_kind_display", _("类型")),
        Column("parent", _("上级/所在县区")),
        Column("name_en", _("英文名称")),
        # Notes are internal remarks on the data (e.g. a host county still to verify).
        Column("note", _("备注"), visible_to=scoping.sees_internal_notes),
    ],
    filters=[Filter("q", _("关键词"), "", keyword_fields=("name", "code"))],
    default_sort="",
    export_name="区域",
)

DEPARTMENT_LIST = ListSpec(
    title=_("部门"),
    queryset=lambda request: Department.objects.all(),
    columns=[
        Column("code", _("代码"), sort="code"),
        Column("name", _("名称"), sort="name"),
        Column("short_name", _("简称")),
        Column("name_en", _("英文名称")),
    ],
    export_name="部门",
)

INDUSTRY_LIST = ListSpec(
    title=_("国民经济行业分类（GB/T 4754-2017）"),
    queryset=lambda request: Industry.objects.select_related("parent"),
    columns=[
        Column("code", _("代码"), sort="code"),
        Column("name", _("名称"), sort="name"),
        Column("get_level_display", _("层级")),
        Column("parent", _("上级")),
    ],
    filters=[
        Filter(
            "level",
            _("层级"),
            "level",
            choices=choices_of(IndustryLevel.choices),
        ),
        Filter("q", _("关键词"), "", keyword_fields=("name", "code")),
    ],
    default_sort="code",
    export_name="国民经济行业分类",
)


def _record_type(entry: AuditEntry) -> str:
    if entry.content_type is None:
        return ""  # an event about no one record (a backup)
    model = entry.content_type.model_class()
    return str(model._meta.verbose_name) if model else entry.content_type.model


AUDIT_LIST = ListSpec(
    title=_("审计日志"),
    queryset=lambda request: AuditEntry.objects.select_related("area", "content_type"),
    columns=[
        Column("timestamp", _("时间"), sort="timestamp", css="nowrap"),
        Column(
            "actor_name", _("操作人"), sort="actor_name", value=lambda e: actor_text(e.actor_name)
        ),
        Column("get_action_display", _("操作")),
        Column(
            "content_type__name",
            _("记录类型"),
            value=_record_type,
        ),
        Column("object_repr", _("记录"), sort="object_repr", link=True, value=record_text),
        Column("area", _("区域")),
        Column("changes", _("变更（原值 → 新值）"), value=changes_text),
        Column("reason", _("原因"), value=lambda e: reason_text(e.reason)),
        Column("address", _("来源地址"), visible_to=scoping.sees_client_addresses),
    ],
    filters=[
        Filter("area", _("区域"), "area_id", choices=area_choices),
        Filter(
            "action",
            _("操作"),
            "action",
            choices=choices_of(AuditAction.choices),
        ),
        Filter("q", _("关键词"), "", keyword_fields=("object_repr", "actor_name")),
    ],
    default_sort="-timestamp",
    export_name="审计日志",
    personal_data=True,  # names of the people who acted / took part
)


area_list = AREA_LIST.as_view()
department_list = DEPARTMENT_LIST.as_view()
industry_list = INDUSTRY_LIST.as_view()
audit_list = AUDIT_LIST.as_view()


@login_required
def cluster_schemes(request: HttpRequest) -> HttpResponse:
    schemes = scoping.visible(request.user, ClusterScheme.objects.all()).prefetch_related(
        "tiers__clusters"
    )
    return render(request, "clusters/schemes.html", {"schemes": schemes})


@login_required
def account(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, gettext("密码已修改"))
        return redirect("core:account")
    user_tokens = ApiToken.objects.filter(user_id=cast(int, request.user.pk))
    new_token = request.session.pop("new_token", None)
    return render(
        request,
        "core/account.html",
        {
            "form": form,
            "tokens": user_tokens,
            "new_token": new_token,
            "token_days": settings.TOKEN_DAYS,
        },
    )


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    days_text = request.POST.get("days", "").strip()
    try:
        days = int(days_text) if days_text else None
        _token, key = tokens.token_create(
            user=request.user, owner=request.user, name=request.POST.get("name", "")[:64], days=days
        )
    except ValueError:
        messages.error(request, gettext("有效天数须为整数"))
        return redirect("core:account")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("core:account")
    request.session["new_token"] = key
    return redirect("core:account")


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(user_id=cast(int, request.user.pk), pk=pk).first()
    if token is None:
        raise scoping.NotFound()
    tokens.token_revoke(user=request.user, token=token)
    messages.success(request, gettext("令牌已吊销"))
    return redirect("core:account")
