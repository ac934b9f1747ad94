from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "zhenxing.projects"
    label = "projects"
    verbose_name = "项目"

    def ready(self) -> None:
        from zhenxing.core import scoping
        from zhenxing.projects.queries import steward_project_ids

        # A steward sees the projects it leads or is a team member of.
        scoping.register_steward_projects(steward_project_ids)
