"""项目管家 pages, mounted at /stewards/."""

from django.urls import path

from zhenxing.projects.stewards import views

app_name = "stewards"
urlpatterns = [
    path("", views.steward_overview, name="overview"),
    path("mine/", views.steward_mine, name="mine"),
    path("problems/", views.problem_list, name="problems"),
    path("visits/", views.visit_list, name="visits"),
    path("projects/<int:pk>/", views.steward_project, name="project"),
    path("projects/<int:pk>/leader/", views.stewardship_edit, name="leader"),
    path("projects/<int:pk>/team/new/", views.team_add, name="team_add"),
    path("projects/<int:pk>/visits/new/", views.visit_new, name="visit_new"),
    path("projects/<int:pk>/problems/new/", views.problem_new, name="problem_new"),
    path("team/<int:pk>/remove/", views.team_remove, name="team_remove"),
    path("problems/<int:pk>/close/", views.problem_close, name="problem_close"),
    path("problems/<int:pk>/reopen/", views.problem_reopen, name="problem_reopen"),
    path("photos/<int:pk>/", views.photo, name="photo"),
]
