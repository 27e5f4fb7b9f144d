from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "kloudsso.notify"
    label = "notify"
    verbose_name = "Notifications"
