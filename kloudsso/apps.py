from django.apps import AppConfig


class KloudSSOConfig(AppConfig):
    name = "kloudsso"
    verbose_name = "KloudSSO"

    def ready(self):
        from kloudsso import checks  # noqa: F401 -- registers the system checks
