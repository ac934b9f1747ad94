from django.apps import AppConfig


class ClustersConfig(AppConfig):
    name = "zhenxing.clusters"
    label = "clusters"
    verbose_name = "产业集群"
