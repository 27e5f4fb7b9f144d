from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "kloudsso.tenancy"
    label = "tenancy"
    verbose_name = "Organizations"
