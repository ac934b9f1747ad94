from django.urls import path

from zhenxing.projects import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_edit, name="create"),
    path("figures/", views.figures, name="figures"),
    path("reports/", views.report_sheet, name="sheet"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/status/", views.project_status, name="status"),
    path("<int:pk>/void/", views.project_void, name="void"),
    path("<int:pk>/libraries/", views.project_libraries, name="libraries"),
    path("<int:pk>/plans/", views.project_plans, name="plans"),
    path("<int:pk>/reports/<str:period>/", views.report_edit, name="report"),
]
