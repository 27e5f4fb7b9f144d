from django.apps import AppConfig


class SetupLinksConfig(AppConfig):
    name = "setup_links"
    verbose_name = "Setup links"
