from django.apps import AppConfig


class SchedulerConfig(AppConfig):
    name = "kloudsso.scheduler"
    label = "scheduler"
    verbose_name = "Scheduler"
