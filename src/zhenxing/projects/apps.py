from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "zhenxing.projects"
    label = "projects"
    verbose_name = "项目"

    def ready(self) -> None:
        from zhenxing.core import scoping
        from zhenxing.projects.stewards.queries import steward_project_ids

        # A steward sees the projects it leads or is a team member of.
        scoping.register_steward_projects(steward_project_ids)

        # The area's monthly Excel sheet, the project list's export, audit links.
        from zhenxing.core import excel
        from zhenxing.core.audit import register_record_url
        from zhenxing.core.listing import register_export
        from zhenxing.projects.imports import REPORT_IMPORT
        from zhenxing.projects.models import Project
        from zhenxing.projects.views import PROJECT_LIST

        excel.register(REPORT_IMPORT)
        register_export("projects", PROJECT_LIST)
        register_record_url(Project, "projects:detail")

        # 首页: the investment figures with the area's to-dos, and the steward's projects.
        from zhenxing.core import panels
        from zhenxing.projects.panels import projects_panel, steward_panel

        panels.register("projects", projects_panel, order=10)
        panels.register("stewards", steward_panel, order=20)
