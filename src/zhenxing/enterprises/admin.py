from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from zhenxing.enterprises.models import Enterprise


@admin.register(Enterprise)
class EnterpriseAdmin(SimpleHistoryAdmin):
    list_display = ["name", "uscc", "area", "industry"]
    search_fields = ["name", "uscc"]
    list_filter = ["area"]
