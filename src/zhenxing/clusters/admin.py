from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from zhenxing.clusters.models import Cluster, ClusterScheme, ClusterTier


class TierInline(admin.TabularInline):
    model = ClusterTier
    extra = 0


@admin.register(ClusterScheme)
class ClusterSchemeAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "valid_from", "valid_to"]
    inlines = [TierInline]


@admin.register(Cluster)
class ClusterAdmin(SimpleHistoryAdmin):
    list_display = ["name", "scheme", "tier", "target_scale"]
    list_filter = ["scheme"]
