from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "zhenxing.core"
    label = "core"
    verbose_name = "系统"

    def ready(self) -> None:
        # The audit index listens to django-simple-history's "record written" hook;
        # this is infrastructure (one table of every change), not a business side effect.
        from zhenxing.core import audit

        audit.connect()
        from zhenxing.core import (
            checks,  # noqa: F401 (registers the deployment checks)
            import_jobs,
            security_events,
            views,
            worker,
        )

        worker.register_recovery("core.stale_import_jobs", import_jobs.fail_stale_jobs)
        security_events.connect()
        from zhenxing.core.listing import register_export

        register_export("audit", views.AUDIT_LIST)
        register_export("areas", views.AREA_LIST)
        register_export("industries", views.INDUSTRY_LIST)
