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
