"""Validate an ID token fully, including what mozilla-django-oidc leaves out (iss, aud, azp, asymmetric alg only)."""

import hmac

import jwt
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from signin.errors import SignInError
from signin.oidc.jwks import JWKSError, signing_key

ASYMMETRIC_ALGORITHMS = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
CLOCK_SKEW_SECONDS = 120
_PERSON = "Your identity provider's answer could not be verified. Try again, or ask your admin."


def validate_id_token(token: str | None, *, oidc, nonce: str | None) -> dict:
    if not token:
        raise SignInError("no_id_token", _PERSON, "The token endpoint returned no id_token (is openid in Scopes?).")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        raise SignInError("bad_token", _PERSON, "The ID token is not a JWT.") from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ASYMMETRIC_ALGORITHMS:
        raise SignInError(
            "bad_alg", _PERSON, f"The ID token is signed with {alg!r}; only public-key algorithms are accepted."
        )
    try:
        key = signing_key(oidc.jwks_uri, kid=header.get("kid"), alg=alg)
    except JWKSError as exc:
        raise SignInError("unknown_key", _PERSON, exc.message) from None
    claims = _decode(token, key, alg, oidc)
    _check_azp(claims, oidc.client_id)
    if nonce is None or not hmac.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
        raise SignInError(
            "nonce_mismatch",
            "This sign-in could not be matched to your browser. Start again from Sign in with SSO.",
            "The ID token's nonce does not match the one sent.",
        )
    return claims


def _decode(token, key, alg, oidc) -> dict:
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=oidc.client_id,
            issuer=oidc.issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        detail, code = "The ID token has expired (check the server clocks).", "token_expired"
    except jwt.ImmatureSignatureError:
        detail, code = "The ID token is not valid yet (check the server clocks).", "token_not_yet_valid"
    except jwt.InvalidAudienceError:
        received = _unverified(token).get("aud")
        detail, code = f"The ID token's aud is {received!r}; the Client ID is {oidc.client_id!r}.", "aud_mismatch"
    except jwt.InvalidIssuerError:
        received = _unverified(token).get("iss")
        detail, code = f"The ID token's iss is {received!r}; the connection expects {oidc.issuer!r}.", "issuer_mismatch"
    except jwt.InvalidSignatureError:
        detail, code = "The ID token's signature does not match the IdP's key.", "bad_signature"
    except jwt.MissingRequiredClaimError as exc:
        detail, code = f"The ID token lacks the {exc.claim} claim.", "bad_token"
    except jwt.InvalidTokenError as exc:
        detail, code = f"The ID token is invalid: {exc}", "bad_token"
    raise SignInError(code, _PERSON, detail)


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


def identity_subject(claims: dict) -> str:
    """Entra ID: tid + oid, stable across apps; any other IdP: iss + sub."""
    if claims.get("tid") and claims.get("oid"):
        return f"entra:{claims['tid']}:{claims['oid']}"
    return f"{claims['iss']}|{claims['sub']}"


def email_from_claims(claims: dict) -> str | None:
    """email (unless email_verified is false), else, for Entra ID only, preferred_username, else upn.

    Each only when it is an email address. preferred_username is neither unique nor stable in general OIDC; Entra
    fills it with the user's UPN, which its tenant controls, so the fallback is limited to Entra tokens (tid).
    """
    names = ["email"] if claims.get("email_verified") is not False else []
    if claims.get("tid"):
        names += ["preferred_username", "upn"]
    for name in names:
        value = claims.get(name)
        # Entra marks guests and Microsoft accounts with '#' (live.com#…, …#EXT#@…): those are not mailboxes.
        if isinstance(value, str) and "#" not in value:
            try:
                validate_email(value)
            except ValidationError:
                continue
            return value
    return None


def email_source(claims: dict) -> str:
    """Which claim gave the email, or which were looked for: for the Test connection report."""
    email = email_from_claims(claims)
    for name in ("email", "preferred_username", "upn"):
        if email is not None and claims.get(name) == email:
            return f"the {name} claim"
    looked = "email" + (", preferred_username, upn" if claims.get("tid") else "")
    return f"looked for: {looked}; received claims: {', '.join(sorted(claims))}"
