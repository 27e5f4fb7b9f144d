"""Validate an ID token fully, including what mozilla-django-oidc leaves out (iss, aud, azp, the one algorithm
family the owner chose, an Entra connection's tenant), each refusal with its own catalogue code."""

import hmac
import time

import jwt
from django.views.decorators.debug import sensitive_variables

from connections.oidc import entra
from connections.oidc.models import ASYMMETRIC_ALGORITHMS, SECRET_MIN_BYTES
from signin.errors import SignInError
from signin.oidc.jwks import JWKSError, signing_key
from signin.oidc.mistakes import alg_cause, audience_cause, issuer_cause, utc

SECRET_ALGORITHMS = set(SECRET_MIN_BYTES)
CLOCK_SKEW_SECONDS = 120
_PERSON = "Your identity provider's answer could not be verified. Try again, or ask your admin."
_RESTART = "This sign-in could not be matched to your browser. Start again from Sign in with SSO."


@sensitive_variables("key")  # the client secret, for an HS connection
def validate_id_token(token: str | None, *, oidc, nonce: str | None) -> dict:
    if not token:
        raise SignInError("no_id_token", _PERSON, "The token endpoint returned no id_token (is openid in Scopes?).")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:  # not a JWT, a kid that is not a string, an unknown crit extension
        raise SignInError("bad_token", _PERSON, f"The ID token is not a valid JWT: {exc}") from None
    alg = header.get("alg")
    key = _verification_key(alg, header, oidc)
    claims = _decode(token, key, alg, oidc, issuer=_expected_issuer(token, oidc))
    if not claims["sub"]:
        raise SignInError("bad_token", _PERSON, "The ID token's sub is empty.")
    _check_azp(claims, oidc.client_id)
    if oidc.entra_multi_tenant:
        _check_allowed_tenant(claims, oidc)
    else:
        _check_entra_tenant(claims, oidc.entra_tenant_id)
    _check_nonce(claims, nonce)
    return claims


def _verification_key(alg, header: dict, oidc):
    """The key for the algorithm the connection allows, or a refusal: the token's header is the attacker's to write,
    so it never picks the kind of key. An HS token is checked with the client secret only on a connection set to
    that very algorithm; on any other, the IdP's public key would be the HMAC secret anyone could forge with."""
    chosen = oidc.id_token_signing_alg
    if not isinstance(alg, str) or alg not in ASYMMETRIC_ALGORITHMS | SECRET_ALGORITHMS:
        raise SignInError("bad_alg", _PERSON, f"The ID token is signed with {str(alg)[:40]!r}, {alg_cause(alg)}")
    if chosen in SECRET_ALGORITHMS:
        if alg != chosen:
            raise SignInError(
                "id_token_alg_mismatch",
                _PERSON,
                f"The ID token is signed with {alg}; the connection's ID token signing is {chosen} (with the client "
                "secret), so nothing else is accepted.",
            )
        return _secret_key(oidc, alg)
    if alg in SECRET_ALGORITHMS:
        raise SignInError(
            "hs_alg_not_chosen",
            _PERSON,
            f"The ID token is signed with {alg}, an HMAC with the client secret; the connection's ID token signing "
            "is the IdP's public keys, so it was not checked.",
        )
    try:
        return signing_key(oidc.jwks_uri, kid=header.get("kid"), alg=alg, issuer=oidc.issuer)
    except JWKSError as exc:
        raise SignInError(exc.code, _PERSON, exc.message) from None


@sensitive_variables("key")
def _secret_key(oidc, alg: str) -> bytes:
    key = oidc.get_client_secret().encode()
    needed = SECRET_MIN_BYTES[alg]
    if len(key) < needed:  # RFC 7518 §3.2; the form refuses a shorter secret, this catches one saved before it did
        raise SignInError(
            "secret_too_short",
            _PERSON,
            f"The client secret is {len(key)} bytes long; {alg} needs one of at least {needed} bytes (RFC 7518 "
            "§3.2), so it is not used to check the ID token.",
        )
    return key


def _expected_issuer(token: str, oidc) -> str:
    """The connection's issuer; for Entra's /organizations/ endpoint its {tenantid} template filled with the token's
    tid. That tid is read before the signature is checked, but only picks the issuer the signed iss must then equal,
    and whether the tenant may sign in is decided from the verified claims."""
    if not oidc.entra_multi_tenant:
        return oidc.issuer
    tid = _unverified(token).get("tid")
    if not entra.is_guid(tid):
        received = "no tid" if tid is None else f"tid {str(tid)[:100]!r}"
        raise SignInError(
            "entra_tid_missing",
            _PERSON,
            f"The ID token has {received}; through Entra ID's /organizations/ endpoint (issuer {oidc.issuer}) the "
            "tid names the person's tenant, without which neither the issuer nor the tenant can be checked.",
        )
    return entra.issuer_of_tenant(oidc.issuer, tid)


@sensitive_variables("key")
def _decode(token, key, alg, oidc, *, issuer: str) -> dict:
    with_secret = alg in SECRET_ALGORITHMS
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=oidc.client_id,
            issuer=issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "sub"], "enforce_minimum_key_length": with_secret},
        )
    except jwt.ExpiredSignatureError:
        detail, code = _expired(_unverified(token)), "token_expired"
    except jwt.ImmatureSignatureError:
        code, detail = _which_is_in_the_future(_unverified(token))
    except jwt.InvalidAudienceError:
        claims = _unverified(token)
        detail = (
            f"The ID token's aud is {str(claims.get('aud'))[:300]!r}; the connection's Client ID is "
            f"{oidc.client_id!r}. {audience_cause(claims, oidc.client_id)}"
        )
        code = "aud_mismatch"
    except jwt.InvalidIssuerError:
        received = _unverified(token).get("iss")
        filled = f"; its {{tenantid}} template filled with the token's tid: {issuer!r}" if issuer != oidc.issuer else ""
        detail = (
            f"The ID token's iss is {str(received)[:300]!r}; the connection's issuer (from its discovery document) "
            f"is {oidc.issuer!r}{filled}. {issuer_cause(received, issuer)}"
        )
        code = "issuer_mismatch"
    except jwt.InvalidSignatureError:
        detail, code = "", "bad_signature"
        if with_secret:
            detail = f"The ID token's {alg} signature does not match the connection's client secret."
            code = "secret_signature_mismatch"
        else:
            kid = jwt.get_unverified_header(token).get("kid")  # read once already: a JWT header
            detail = (
                f"The ID token's {alg} signature does not match the key with kid {str(kid)[:100]!r} in the IdP's "
                f"signing keys ({oidc.jwks_uri}): the token was changed, or signed by another key under that kid."
            )
    except jwt.InvalidKeyError as exc:  # HS only: PyJWT will not take a secret that looks like a PEM key
        detail, code = f"The client secret cannot be an {alg} key: {exc}", "secret_signature_mismatch"
    except jwt.MissingRequiredClaimError as exc:
        detail, code = f"The ID token lacks the {exc.claim} claim.", "bad_token"
    except jwt.InvalidTokenError as exc:
        detail, code = f"The ID token is invalid: {exc}", "bad_token"
    raise SignInError(code, _PERSON, detail)


def _expired(claims: dict) -> str:
    now = time.time()
    exp, iat = claims.get("exp"), claims.get("iat")
    said = f"The ID token's exp {utc(exp)} is {int(now - exp)} s in the past by this server's clock ({utc(now)})"
    said += f"; the allowed skew is {CLOCK_SKEW_SECONDS} s."
    if not isinstance(iat, int | float):
        return said
    if abs(iat - now) <= CLOCK_SKEW_SECONDS:
        return (
            f"{said} Its iat {utc(iat)} is {_signed(int(iat - now))} s from this server's clock: it was issued just "
            "now yet already expired, so the IdP's token lifetime (exp minus iat: "
            f"{int(exp - iat)} s) is too short or the IdP's clock is wrong."
        )
    return (
        f"{said} Its iat {utc(iat)} is {_signed(int(iat - now))} s from this server's clock: an old token (a proxy "
        "or cache answering for the token endpoint?), or one of the clocks is wrong (NTP)."
    )


def _which_is_in_the_future(claims: dict) -> tuple[str, str]:
    """PyJWT says only "not yet valid"; nbf (not before) and iat (issued at) call for different fixes' wording.

    The signature was verified before the times were, so reading the claims unverified here is reading them."""
    now = time.time()
    nbf, iat = claims.get("nbf"), claims.get("iat")
    clocks = f"this server's clock reads {utc(now)}; the allowed skew is {CLOCK_SKEW_SECONDS} s"
    if isinstance(nbf, int | float) and nbf > now + CLOCK_SKEW_SECONDS:
        ahead = int(nbf - now)
        return (
            "token_not_yet_valid",
            f"The ID token's nbf (not before) {utc(nbf)} is {ahead} s ahead of this server's clock ({clocks}): the "
            "IdP's clock is ahead, or this server's behind.",
        )
    ahead = int(iat - now) if isinstance(iat, int | float) else 0
    return (
        "token_issued_in_future",
        f"The ID token's iat (issued at) {utc(iat)} is {ahead} s ahead of this server's clock ({clocks}): the IdP's "
        "clock is ahead, or this server's behind.",
    )


def _signed(seconds: int) -> str:
    return f"+{seconds}" if seconds > 0 else str(seconds)


def _unverified(token: str) -> dict:
    """The claims as sent, only to name received values in an error about them."""
    try:
        return jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return {}


def _check_azp(claims: dict, client_id: str) -> None:
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise SignInError("azp_mismatch", _PERSON, f"The ID token's azp {azp!r} is not the Client ID {client_id}.")


def _check_entra_tenant(claims: dict, tenant: str) -> None:
    """For an Entra connection, tid must be the tenant in the connection's issuer before tid + oid become the key."""
    if not tenant:
        return
    tid = claims.get("tid")
    if not isinstance(tid, str) or tid.lower() != tenant:
        received = "no tid" if tid is None else f"tid {tid!r}"[:200]
        raise SignInError(
            "entra_tenant_mismatch",
            _PERSON,
            f"The ID token has {received}; this connection's Entra ID tenant is {tenant} (from its issuer).",
        )
    _check_oid(claims)


def _check_allowed_tenant(claims: dict, oidc) -> None:
    """/organizations/ signs in any tenant's people: only the owner's allowed tenants get further."""
    tid = claims["tid"].lower()  # verified, and a GUID (_expected_issuer)
    allowed = {str(tenant_id): label for tenant_id, label in oidc.allowed_tenants.values_list("tenant_id", "label")}
    if tid not in allowed:
        who = claims.get("preferred_username")
        who = f" ({who[:100]!r} signed in)" if isinstance(who, str) and who else ""
        listed = ", ".join(f"{t} ({label})" if label else t for t, label in sorted(allowed.items())[:10])
        more = f" and {len(allowed) - 10} more" if len(allowed) > 10 else ""
        raise SignInError(
            "entra_tenant_not_allowed",
            "Your organization's Microsoft Entra ID tenant may not sign in here. Ask your admin to allow it.",
            f"The ID token's tid {tid}{who} is not one of the connection's {len(allowed)} allowed Entra ID tenants: "
            f"{listed}{more}. Add it to the list only if it is a tenant of your organization's.",
        )
    _check_oid(claims)


def _check_oid(claims: dict) -> None:
    oid = claims.get("oid")
    if oid is not None and not (isinstance(oid, str) and oid):
        raise SignInError("bad_token", _PERSON, f"The ID token's oid is {oid!r}"[:200] + ", not an object ID.")


def _check_nonce(claims: dict, nonce: str | None) -> None:
    received = claims.get("nonce")
    if received is None:
        raise SignInError("nonce_missing", _RESTART, "The ID token has no nonce claim; the sign-in sent one.")
    if nonce is None:
        raise SignInError("nonce_mismatch", _RESTART, "No nonce was kept for this sign-in in this browser's session.")
    if not isinstance(received, str) or not hmac.compare_digest(received.encode(), nonce.encode()):
        raise SignInError(
            "nonce_mismatch",
            _RESTART,
            "The ID token's nonce does not match the one this browser's sign-in sent (nonces are not shown): a "
            "token of an earlier sign-in (another tab, a replay), or a proxy caching the token endpoint's answer.",
        )
