from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "zhenxing.worker"
    label = "zhenxing_worker"
    verbose_name = "后台任务进程"
