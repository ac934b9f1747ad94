from typing import Any

from django.contrib import admin

from zhenxing.policies.models import FactList, LedgerEntry, Objection, Policy, PolicyRun


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin[Policy]):
    list_display = ["name", "department", "status", "annual_budget", "rule_id"]
    list_filter = ["status", "department"]
    search_fields = ["name", "code", "rule_id"]


@admin.register(PolicyRun)
class PolicyRunAdmin(admin.ModelAdmin[PolicyRun]):
    list_display = ["policy", "period", "status", "payable_total", "approved_by"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in PolicyRun._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin[LedgerEntry]):
    """Read-only: the ledger is append-only and written only by approvals and corrections."""

    list_display = ["booked_on", "kind", "policy", "beneficiary_kind", "beneficiary_id", "amount"]
    list_filter = ["kind", "policy"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Objection)
class ObjectionAdmin(admin.ModelAdmin[Objection]):
    list_display = ["enterprise", "policy", "status", "created_at"]
    list_filter = ["status"]


@admin.register(FactList)
class FactListAdmin(admin.ModelAdmin[FactList]):
    list_display = ["name", "fact_id", "period", "department", "as_of"]
