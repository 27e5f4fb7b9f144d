from django.apps import AppConfig


class KloudSSOConfig(AppConfig):
    name = "kloudsso"
    verbose_name = "KloudSSO"

    def ready(self):
        from kloudsso import checks, task_metrics  # noqa: F401 -- checks registers the system checks

        task_metrics.connect()  # counts each finished task, whichever backend or worker ran it
