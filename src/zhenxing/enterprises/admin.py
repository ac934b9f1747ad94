"""Django admin (superusers only): the registry, and the fact definitions' source priority.

Tiers, facts and the pool are written through the platform's pages and API (their services
keep the events, the value read and the audit trail right); here they are read-only.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from zhenxing.core import scoping
from zhenxing.core.services import DomainError
from zhenxing.enterprises import services
from zhenxing.enterprises.models import (
    Enterprise,
    FactDefinition,
    PoolEntry,
    Tier,
    TierEvent,
)


@admin.register(Enterprise)
class EnterpriseAdmin(SimpleHistoryAdmin):
    list_display = ["name", "uscc", "area", "industry"]
    search_fields = ["name", "uscc"]
    list_filter = ["area"]


@admin.register(FactDefinition)
class FactDefinitionAdmin(SimpleHistoryAdmin):
    """Only the source priority and the domain (range, enum members) are edited here;
    the rest follows the rule catalogue."""

    list_display = ["code", "label", "value_type", "unit", "source_priority", "derivation"]
    search_fields = ["code", "label"]
    list_filter = ["value_type", "derivation", "in_catalogue"]
    fields = [
        "code",
        "label",
        "label_en",
        "value_type",
        "unit",
        "scale",
        "derivation",
        "in_catalogue",
        "source_priority",
        "minimum",
        "maximum",
        "members",
    ]
    readonly_fields = [
        f for f in fields if f not in ("source_priority", "minimum", "maximum", "members")
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Through the service, so that the values read follow the new priority."""
        current = FactDefinition.objects.get(pk=obj.pk)
        try:
            services.fact_priority_set(
                user=request.user,
                definition=current,
                priority=[
                    p for p in obj.source_priority.replace("，", ",").split(",") if p.strip()
                ],
                reason="管理后台修改来源优先级",
            )
        except (DomainError, scoping.PermissionDenied) as exc:
            self.message_user(request, getattr(exc, "message", str(exc)), level="error")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Tier)
class TierAdmin(ReadOnlyAdmin):
    list_display = [
        "enterprise",
        "code",
        "level",
        "certificate_no",
        "issued_on",
        "expires_on",
        "ended_on",
    ]
    list_filter = ["code", "level"]
    search_fields = ["enterprise__name", "certificate_no"]
    list_select_related = ["enterprise"]


@admin.register(TierEvent)
class TierEventAdmin(ReadOnlyAdmin):
    list_display = ["date", "kind", "enterprise", "code", "level", "note"]
    list_filter = ["kind", "code"]
    search_fields = ["enterprise__name"]
    list_select_related = ["enterprise"]


@admin.register(PoolEntry)
class PoolEntryAdmin(ReadOnlyAdmin):
    list_display = ["enterprise", "target", "year", "stage", "responsible", "stage_since"]
    list_filter = ["year", "target", "stage"]
    search_fields = ["enterprise__name"]
    list_select_related = ["enterprise", "responsible"]
