from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "zhenxing.enterprises"
    label = "enterprises"
    verbose_name = "企业"

    def ready(self) -> None:
        from zhenxing.core import excel
        from zhenxing.enterprises.imports import ENTERPRISE_IMPORT

        excel.register(ENTERPRISE_IMPORT)
        from zhenxing.core.listing import register_export
        from zhenxing.enterprises.views import ENTERPRISE_LIST

        register_export("enterprises", ENTERPRISE_LIST)
        from zhenxing.core.audit import register_record_url
        from zhenxing.enterprises.models import Enterprise

        register_record_url(Enterprise, "enterprises:detail")
