from django.urls import path

from zhenxing.enterprises import views

app_name = "enterprises"
urlpatterns = [
    path("", views.enterprise_list, name="list"),
    path("new/", views.enterprise_edit, name="create"),
    path("tiers/", views.tier_list, name="tiers"),
    path("tiers/expiring/", views.expiring_list, name="expiring"),
    path("tiers/<int:tier_pk>/", views.tier_redirect, name="tier"),
    path("tiers/<int:tier_pk>/lose/", views.tier_lose, name="tier_lose"),
    path("pool/", views.pool_list, name="pool"),
    path("pool/funnel/", views.pool_funnel, name="funnel"),
    path("pool/<int:entry_pk>/", views.pool_entry_redirect, name="pool_entry"),
    path("pool/<int:entry_pk>/stage/", views.pool_stage, name="pool_stage"),
    path("pool/<int:entry_pk>/follow-up/", views.pool_follow_up, name="pool_follow_up"),
    path("pool/<int:entry_pk>/assign/", views.pool_assign, name="pool_assign"),
    path("<int:pk>/", views.enterprise_detail, name="detail"),
    path("<int:pk>/edit/", views.enterprise_edit, name="edit"),
    path("<int:pk>/facts/new/", views.fact_new, name="fact_new"),
    path("<int:pk>/tiers/new/", views.tier_new, name="tier_new"),
    path("<int:pk>/pool/new/", views.pool_new, name="pool_new"),
]
