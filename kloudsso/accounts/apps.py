from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kloudsso.accounts"
    label = "accounts"
    verbose_name = "Accounts"
