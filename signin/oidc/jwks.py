"""The IdP's signing keys, cached in the shared cache so sign-ins on any app server skip the fetch.

An unknown `kid` means the IdP may have rolled its keys, so the keys are fetched again at once, however recently
they were fetched: every genuine rotation (two within a minute included) works on its first sign-in. Two limits
keep made-up kids from turning us into a fetch loop against the JWKS URL. A kid still unknown after a fresh fetch is
remembered as unknown, for that issuer, for UNKNOWN_KID_SECONDS. And the tokens of one issuer may cause at most
REFETCHES_PER_MINUTE refetches of a JWKS URL a minute: counted per issuer, because ID tokens reach us only from the
connection's own token endpoint, so only that IdP can send us new kids, and one organization's IdP must not spend
the refetches (or mark kids unknown) that another's needs on a JWKS URL they share (Google's, say).

A cache that does not answer is a cache miss: the keys are fetched for that sign-in and kept nowhere, so OIDC
sign-ins go on through a Redis outage, one JWKS fetch each, and no made-up kid can cause more than that.
"""

import hashlib
import json

import jwt
from django.core.cache import cache

from kloudsso import metrics, rate_limit
from kloudsso.guarded_http import FetchError, fetch
from kloudsso.outages import without_cache

CACHE_SECONDS = 24 * 3600
UNKNOWN_KID_SECONDS = 60
REFETCHES_PER_MINUTE = 5


class JWKSError(Exception):
    """`code` names the catalogue entry: unknown_key, kid_missing or jwks_unreachable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def signing_key(jwks_uri: str, *, kid: str | None, alg: str, issuer: str) -> jwt.PyJWK:
    digest = _digest(jwks_uri)
    keys = _cached(digest)
    fresh = keys is None
    metrics.cache_lookup("jwks", "miss" if fresh else "hit")
    if fresh:
        keys = _refresh(jwks_uri, digest)
    key = _select(keys, kid, alg, jwks_uri)
    if key is None and not fresh:
        if _may_refetch(digest, kid, issuer):
            metrics.cache_lookup("jwks", "refetch")
            keys, fresh = _refresh(jwks_uri, digest), True
        else:
            keys = _cached(digest) or keys  # another sign-in may have fetched the new keys meanwhile
        key = _select(keys, kid, alg, jwks_uri)
    if key is None:
        if fresh:
            with without_cache("an unknown kid is not remembered"):
                cache.set(_unknown(digest, kid, issuer), 1, UNKNOWN_KID_SECONDS)
        raise JWKSError("unknown_key", f"No key with kid {kid!r} for {alg} in the IdP's signing keys ({jwks_uri}).")
    return key


def _may_refetch(digest: str, kid: str | None, issuer: str) -> bool:
    """No refetch when the limits cannot be read: they are what keeps made-up kids from becoming a fetch loop."""
    allowed = False
    with without_cache("a JWKS refetch for an unknown kid is refused"):
        key = f"jwks-refetch:{digest}:{_digest(issuer)}"
        allowed = cache.get(_unknown(digest, kid, issuer)) is None and rate_limit.allow(
            key, limit=REFETCHES_PER_MINUTE, window_seconds=60
        )
    return allowed


def _cached(digest: str) -> list[dict] | None:
    with without_cache("the JWKS is fetched from the IdP"):
        return cache.get(f"jwks:{digest}")
    return None


def _refresh(jwks_uri: str, digest: str) -> list[dict]:
    keys = _fetch_keys(jwks_uri)
    with without_cache("the JWKS fetched is kept nowhere"):
        cache.set(f"jwks:{digest}", keys, CACHE_SECONDS)
    return keys


def _fetch_keys(jwks_uri: str) -> list[dict]:
    unreachable = f"The IdP's signing keys at {jwks_uri} could not be fetched"
    try:
        result = fetch(jwks_uri, accept="application/json", endpoint="jwks")
    except FetchError as exc:
        raise JWKSError("jwks_unreachable", f"{unreachable}: {exc.message}") from None
    if result.status != 200:
        raise JWKSError("jwks_unreachable", f"{unreachable}: it answered HTTP {result.status}.")
    try:
        document = json.loads(result.body)
    except (ValueError, RecursionError):
        document = None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise JWKSError("jwks_unreachable", f"{unreachable}: the answer is not a JSON key set.")
    return [k for k in keys if isinstance(k, dict)]


def _select(keys: list[dict], kid: str | None, alg: str, jwks_uri: str) -> jwt.PyJWK | None:
    usable = [k for k in keys if k.get("use", "sig") == "sig" and k.get("alg", alg) == alg]
    if kid is None and len(usable) > 1:
        raise JWKSError(
            "kid_missing",
            f"The ID token's header has no kid, and the IdP publishes {len(usable)} keys for {alg} ({jwks_uri}), "
            "so which one signed it cannot be told.",
        )
    for data in usable:
        if kid is not None and data.get("kid") != kid:
            continue
        try:
            return jwt.PyJWK(data, algorithm=alg)
        except (jwt.PyJWKError, jwt.InvalidKeyError):
            continue
    return None


def _unknown(digest: str, kid: str | None, issuer: str) -> str:
    # Per issuer too: another organization's IdP pointing its jwks_uri here must not mark the kid our IdP is about
    # to roll to as unknown.
    return f"jwks-unknown:{digest}:{_digest(issuer)}:{_digest(kid or '')}"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
