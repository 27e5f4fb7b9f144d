"""Encryption at rest for tenant secrets (OIDC client secrets, SP private keys), with Fernet from `cryptography`.

SECRETS_ENCRYPTION_KEYS holds one or more keys: the first encrypts, any of them decrypts, so keys can be rotated
without re-entering every secret.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.views.decorators.debug import sensitive_variables


class SecretUnreadable(Exception):
    """The stored secret was encrypted with a key that is no longer configured."""


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.SECRETS_ENCRYPTION_KEYS])


@sensitive_variables("plaintext")
def encrypt_secret(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


@sensitive_variables()
def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted with SECRETS_ENCRYPTION_KEYS; was a key removed?"
        ) from None
