"""last_login at sign-in: Django's receiver of user_logged_in saves it with an UPDATE at every login. An SSO
sign-in that has just created the account wrote it in the account's INSERT already, and marks the user so."""

from django.contrib.auth.models import update_last_login

_SAVED = "kloudsso_last_login_saved"


def mark_saved(user) -> None:
    """This user object's last_login is already in the database as the login's time: the login need not write it."""
    setattr(user, _SAVED, True)


def update_last_login_unless_saved(sender, user, **kwargs) -> None:
    if user.__dict__.pop(_SAVED, False):  # once: a later login of the same object writes it again
        return
    update_last_login(sender, user, **kwargs)
