from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from zhenxing.api import api
from zhenxing.core import health, import_views
from zhenxing.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    # for load balancers and monitoring: no sign-in, nothing secret (core/health.py)
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("system/", include("zhenxing.core.urls")),
    path("enterprises/", include("zhenxing.enterprises.urls")),
    path("projects/", include("zhenxing.projects.urls")),
    path("stewards/", include("zhenxing.projects.stewards.urls")),
    path("policies/", include("zhenxing.policies.urls")),
    path("imports/<slug:kind>/", import_views.import_upload, name="import_upload"),
    path("imports/<slug:kind>/template/", import_views.import_template, name="import_template"),
    path("imports/<slug:kind>/errors/", import_views.import_error_report, name="import_errors"),
    path("imports/<slug:kind>/jobs/<int:pk>/", import_views.import_job, name="import_job"),
    path(
        "imports/<slug:kind>/jobs/<int:pk>/progress/",
        import_views.import_job_progress,
        name="import_job_progress",
    ),
    path(
        "imports/<slug:kind>/jobs/<int:pk>/errors/",
        import_views.import_job_errors,
        name="import_job_errors",
    ),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]

handler404 = "zhenxing.core.errors.page_not_found"
handler403 = "zhenxing.core.errors.permission_denied"
handler500 = "zhenxing.core.errors.server_error"
