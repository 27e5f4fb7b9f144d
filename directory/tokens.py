"""Directory bearer tokens: 32 random bytes shown once, kept as a SHA-256 hash, compared in constant time.

A fast hash is enough for a random 256-bit secret (nothing to guess from it); what matters is that the database
alone never holds a usable token and that a comparison takes the same time whatever the guess.
"""

import hashlib
import hmac
import secrets

from django.utils import timezone

PREFIX = "kscim_"  # makes a leaked token recognizable to secret scanners


def token_new() -> tuple[str, str]:
    """A new token and its hash."""
    token = PREFIX + secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(directory, token: str) -> bool:
    """The current token, or the former one within its overlap; never on a revoked directory."""
    if directory.revoked_at is not None or not token:
        return False
    presented = token_hash(token)
    current = bool(directory.token_hash) and hmac.compare_digest(presented, directory.token_hash)
    previous = (
        bool(directory.previous_token_hash)
        and directory.previous_token_expires_at is not None
        and directory.previous_token_expires_at > timezone.now()
        and hmac.compare_digest(presented, directory.previous_token_hash)
    )
    return current or previous
