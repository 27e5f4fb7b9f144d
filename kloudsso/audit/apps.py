from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kloudsso.audit"
    label = "audit"
    verbose_name = "Audit log"
