from django.urls import path

from zhenxing.policies import views

app_name = "policies"
urlpatterns = [
    path("", views.policy_list, name="list"),
    path("new/", views.policy_edit, name="create"),
    path("public/", views.public, name="public"),
    path("public/<slug:code>/", views.public_detail, name="public_detail"),
    path("ledger/", views.ledger_list, name="ledger"),
    path("ledger/<int:pk>/correct/", views.ledger_correct, name="correct"),
    path("entitlements/", views.entitlements, name="entitlements"),
    path("results/<int:pk>/", views.result_detail, name="result"),
    path("results/<int:result_pk>/object/", views.objection_create, name="object"),
    path("objections/", views.objection_list, name="objections"),
    path("objections/<int:pk>/", views.objection_detail, name="objection"),
    path("lists/", views.fact_lists, name="lists"),
    path("lists/upload/", views.fact_list_upload, name="list_upload"),
    path("lists/upload/confirm/", views.fact_list_confirm, name="list_confirm"),
    path("lists/upload/errors/", views.fact_list_errors, name="list_errors"),
    path("lists/template/", views.fact_list_template, name="list_template"),
    path("lists/<int:pk>/", views.fact_list_detail, name="list_detail"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run_progress"),
    path("runs/<int:pk>/rerun/", views.run_rerun, name="run_rerun"),
    path("runs/<int:pk>/approve/", views.run_approve, name="run_approve"),
    path("<int:pk>/", views.policy_detail, name="detail"),
    path("<int:pk>/edit/", views.policy_edit, name="edit"),
    path("<int:pk>/run/", views.run_create, name="run_create"),
    path("<int:pk>/dry-run/", views.dry_run, name="dry_run"),
    path("<int:pk>/<str:action>/", views.policy_status, name="status"),
]
