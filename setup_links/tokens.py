"""A setup link's token: 256 random bits, shown once, stored as its SHA-256 only.

A hash without salt is enough here: the token is random (nothing to guess from a dictionary), and the lookup by
hash is one indexed query whose timing says nothing about any stored token.
"""

import hashlib
import re
import secrets

TOKEN_BYTES = 32
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # token_urlsafe(32)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_a_token(value: str) -> bool:
    return bool(TOKEN_SHAPE.fullmatch(value))
