from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kloudsso.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from kloudsso.accounts.last_login import update_last_login_unless_saved

        # Django's own receiver (connected by django.contrib.auth, listed before this app), in place of which this
        # one skips the write when the sign-in already made it.
        user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(update_last_login_unless_saved, dispatch_uid="update_last_login")
