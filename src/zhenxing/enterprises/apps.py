from typing import Any

from django.apps import AppConfig


def _sync_fact_definitions(sender: Any, **kwargs: Any) -> None:
    """After migrate (and after a test database is flushed): the fact definitions follow
    the rule catalogue's facts.yaml."""
    if kwargs.get("using", "default") != "default":
        return
    from zhenxing.enterprises.services import sync_fact_definitions

    sync_fact_definitions()


class EnterprisesConfig(AppConfig):
    name = "zhenxing.enterprises"
    label = "enterprises"
    verbose_name = "企业"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from zhenxing.core import excel
        from zhenxing.enterprises.imports import ENTERPRISE_IMPORT, fact_import_specs

        excel.register(ENTERPRISE_IMPORT)
        for spec in fact_import_specs():
            excel.register(spec)
        post_migrate.connect(_sync_fact_definitions, sender=self, dispatch_uid="enterprises-facts")

        from zhenxing.core.listing import register_export
        from zhenxing.enterprises import views

        register_export("enterprises", views.ENTERPRISE_LIST)
        register_export("enterprise-tiers", views.TIER_LIST)
        register_export("enterprise-pool", views.POOL_LIST)
        from zhenxing.core.audit import register_record_url
        from zhenxing.enterprises.models import Enterprise, PoolEntry, Tier

        register_record_url(Enterprise, "enterprises:detail")
        register_record_url(Tier, "enterprises:tier")
        register_record_url(PoolEntry, "enterprises:pool_entry")

        # 首页: tier counts and the pool for city and area staff, an enterprise's own tiers.
        from zhenxing.core import panels
        from zhenxing.enterprises.panels import enterprises_panel, my_enterprise_panel

        panels.register("enterprises", enterprises_panel, order=30)
        panels.register("my_enterprise", my_enterprise_panel, order=50)
