from django.urls import path

from zhenxing.core import views

app_name = "core"
urlpatterns = [
    path("", views.reference, name="reference"),
    path("areas/", views.area_list, name="areas"),
    path("departments/", views.department_list, name="departments"),
    path("industries/", views.industry_list, name="industries"),
    path("clusters/", views.cluster_schemes, name="clusters"),
    path("audit/", views.audit_list, name="audit"),
    path("account/", views.account, name="account"),
    path("account/tokens/", views.token_create, name="token_create"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
