"""The IdP's signing keys, cached in the shared cache so sign-ins on any app server skip the fetch.

An unknown `kid` triggers one fresh fetch (the IdP rolled its keys), at most once a minute per JWKS URL so a flood
of forged tokens cannot turn us into a fetch loop against the IdP.
"""

import hashlib
import json

import jwt
from django.core.cache import cache

from kloudsso.guarded_http import FetchError, fetch

CACHE_SECONDS = 24 * 3600
REFETCH_INTERVAL_SECONDS = 60


class JWKSError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def signing_key(jwks_uri: str, *, kid: str | None, alg: str) -> jwt.PyJWK:
    digest = hashlib.sha256(jwks_uri.encode()).hexdigest()
    keys = cache.get(f"jwks:{digest}")
    key = _find(keys or [], kid, alg)
    if key is None and (keys is None or cache.add(f"jwks-refetch:{digest}", 1, REFETCH_INTERVAL_SECONDS)):
        keys = _fetch_keys(jwks_uri)
        cache.set(f"jwks:{digest}", keys, CACHE_SECONDS)
        key = _find(keys, kid, alg)
    if key is None:
        raise JWKSError(f"No key with kid {kid!r} for {alg} in the IdP's signing keys ({jwks_uri}).")
    return key


def _fetch_keys(jwks_uri: str) -> list[dict]:
    try:
        result = fetch(jwks_uri, accept="application/json")
        document = json.loads(result.body) if result.status == 200 else {}
    except (FetchError, ValueError) as exc:
        raise JWKSError(f"The IdP's signing keys at {jwks_uri} could not be fetched: {exc}") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    return [k for k in keys if isinstance(k, dict)] if isinstance(keys, list) else []


def _find(keys: list[dict], kid: str | None, alg: str) -> jwt.PyJWK | None:
    for data in keys:
        if kid is not None and data.get("kid") != kid:
            continue
        if data.get("use", "sig") != "sig" or data.get("alg", alg) != alg:
            continue
        try:
            return jwt.PyJWK(data, algorithm=alg)
        except (jwt.PyJWKError, jwt.InvalidKeyError):
            continue
    return None
