"""The token request (OpenID Connect Core §3.1.3): the code for tokens, through the guarded client, with the client
authentication the connection's provider allows, and its answer checked before anything reads it."""

import base64
import html
import json
import re
from urllib.parse import quote, quote_plus

from django.views.decorators.debug import sensitive_variables

from connections.oidc import client_auth
from connections.oidc.models import ClientAuthMethod
from connections.sp import oidc_redirect_uri
from kloudsso.guarded_http import FetchError, post_form
from signin.errors import SignInError

_PERSON = "Your identity provider could not complete the sign-in. Try again, or ask your admin."
MASK = "********"
SECRET_NAMES = re.compile(r"token|secret|password|assertion|code_verifier|^code$", re.IGNORECASE)
JWT_LIKE = re.compile(r"eyJ[\w-]+\.[\w-]+(?:\.[\w-]*)?")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
# Entra: the request "must contain client_assertion or client_secret" (AADSTS7000218), or a method it refuses.
METHOD_CODES = ("AADSTS7000218", "authentication method")


@sensitive_variables("secret", "form", "authorization")
def request_tokens(oidc, *, code: str, code_verifier: str | None) -> dict:
    """The token endpoint's answer: a JSON object whose id_token is a string; SignInError otherwise."""
    secret = oidc.get_client_secret()
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": oidc_redirect_uri()}
    if code_verifier is not None:
        form["code_verifier"] = code_verifier
    authorization = None
    if oidc.token_endpoint_auth_method == ClientAuthMethod.POST:
        form.update(client_id=oidc.client_id, client_secret=secret)
    else:  # one method per request (RFC 6749 §2.3): the body carries neither client_id nor the secret
        authorization = basic_authorization(oidc.client_id, secret)
    try:
        result = post_form(oidc.token_endpoint, form, authorization=authorization, endpoint="token")
    except FetchError as exc:
        raise SignInError(
            "token_endpoint_unreachable", _PERSON, f"The token endpoint {oidc.token_endpoint}: {exc.message}"
        ) from None
    body = _json_object(result.body)
    if result.status != 200:
        error = _refusal(result.status, body or {}, oidc, secret)
        error.answer = _answer(result, body, oidc, secret)
        raise error
    if body is None:
        raise SignInError(
            "bad_token_response",
            _PERSON,
            f"The token endpoint {oidc.token_endpoint} answered HTTP 200 with something that is not a JSON object "
            f"(Content-Type {(result.content_type or 'none')[:100]!r}).",
        )
    if body.get("id_token") is not None and not isinstance(body["id_token"], str):
        kind = type(body["id_token"]).__name__
        raise SignInError(
            "bad_token_response",
            _PERSON,
            f"The token endpoint {oidc.token_endpoint} answered with an id_token that is a JSON {kind}, not a JWT.",
        )
    if body.get("id_token") is None:
        raise SignInError("no_id_token", _PERSON, _without_id_token(body, oidc, secret))
    return body


def _without_id_token(body: dict, oidc, secret: str) -> str:
    """What came instead of an id_token, and the scopes asked for: openid missing is the usual cause."""
    held = ", ".join(sorted(str(k)[:40] for k in body)[:10]) or "nothing"
    granted = body.get("scope")
    granted = f"; the scope granted is {str(granted)[:200]!r}" if granted is not None else ""
    said = (
        f"The token endpoint {oidc.token_endpoint} answered without an id_token (its answer holds {held}{granted}); "
        f"the connection asks for the scopes {oidc.scopes!r}, and openid must be one."
    )
    return _masked(said, oidc, secret)


@sensitive_variables("secret", "pair")
def basic_authorization(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1: client_id and secret each form-urlencoded, joined with ':', then base64-encoded."""
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def _json_object(body: bytes) -> dict | None:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict) else None


@sensitive_variables("secret")
def _refusal(status: int, body: dict, oidc, secret: str) -> SignInError:
    error = body.get("error") if isinstance(body.get("error"), str) else ""
    description = body.get("error_description") if isinstance(body.get("error_description"), str) else ""
    detail = f"The token endpoint answered HTTP {status}: {error} {description}".strip()
    if not error and not description:  # a proxy's or a server's error page: the answer kept shows it
        detail = f"The token endpoint {oidc.token_endpoint} answered HTTP {status} with no OAuth error (RFC 6749 §5.2)."
    code = _token_error_code(error, description)
    if code == "invalid_client":
        detail += " " + _which_client_mistake(description, oidc)
    elif code == "client_secret_expired":
        on_file = oidc.client_secret_expires_on
        detail += f" The secret of Client ID {oidc.client_id!r} expired" + (
            f" (its expiry on file: {on_file:%Y-%m-%d})." if on_file else " (no expiry date on file)."
        )
    elif code == "redirect_uri_mismatch":
        detail += f" The redirect URI sent was {oidc_redirect_uri()}."
    elif code == "token_error" and error == "invalid_grant":
        detail += (
            " invalid_grant: the code was used already (a reload or double click), expired (more than a few "
            f"minutes at the IdP), or issued for another redirect URI than {oidc_redirect_uri()}."
        )
    return SignInError(code, _PERSON, _masked(detail, oidc, secret)[:1000])


def _which_client_mistake(description: str, oidc) -> str:
    """invalid_client has three usual causes, each with its own fix: the Client ID, the secret, the method."""
    method = oidc.token_endpoint_auth_method
    other = ClientAuthMethod.POST if method == ClientAuthMethod.BASIC else ClientAuthMethod.BASIC
    allowed = client_auth.describe(oidc.discovery_document)
    if any(code in description.lower() for code in map(str.lower, METHOD_CODES)):
        return (
            f"The IdP wants the secret sent another way: the client authenticated with {method}; set the "
            f"connection's Client authentication to {other}. {allowed}"
        )
    if "AADSTS700016" in description or "not found in the directory" in description:
        return (
            f"The IdP does not know the Client ID {oidc.client_id!r}: copy the Application (client) ID from the app "
            "registration's Overview page."
        )
    secret_hint = (
        " A Client secret shaped like a GUID is often the Secret ID pasted instead of its Value."
        if GUID.match(oidc.get_client_secret() or "")
        else ""
    )
    return (
        f"Most likely a wrong client secret for Client ID {oidc.client_id!r}.{secret_hint} If the secret is right, "
        f"the IdP may refuse the way it was sent: the client authenticated with {method}, try {other}. {allowed}"
    )


def _answer(result, body: dict | None, oidc, secret: str) -> dict:
    """The token endpoint's error answer in full for the owners, every secret masked."""
    if body is not None:
        shown = json.dumps(_masked_json(body), indent=2, ensure_ascii=False, sort_keys=True)
    else:
        shown = result.body[:20_000].decode("utf-8", "replace")
    head = f"HTTP {result.status} {result.content_type or ''}".strip()
    return {"kind": "token_error", "body": _masked(f"{head}\n\n{shown}", oidc, secret), "signatures": []}


def _masked_json(value, depth: int = 0):
    if depth > 10:
        return "[…]"
    if isinstance(value, dict):
        return {k: MASK if SECRET_NAMES.search(str(k)) else _masked_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_json(v, depth + 1) for v in value]
    return value


@sensitive_variables("secret", "echoed")
def _masked(text: str, oidc, secret: str) -> str:
    # An IdP may echo what it received, the body or the Authorization header (base64 of client_id:secret, which
    # decodes straight to the secret); neither may reach the events or any page.
    echoed = basic_authorization(oidc.client_id, secret).split(" ", 1)[1] if secret else ""
    forms = {secret, quote_plus(secret), quote(secret, safe=""), html.escape(secret), json.dumps(secret)[1:-1], echoed}
    for form in sorted(forms - {""}, key=len, reverse=True):
        text = text.replace(form, MASK)
    return JWT_LIKE.sub(MASK, text)


def _token_error_code(error: str, description: str) -> str:
    """The catalogue entry for a token endpoint refusal (RFC 6749 §5.2 error, Entra's AADSTS codes)."""
    if "AADSTS7000222" in description:
        return "client_secret_expired"
    if error == "invalid_client" or "AADSTS7000215" in description or "AADSTS7000218" in description:
        return "invalid_client"
    if "AADSTS50011" in description or "redirect_uri" in description:
        return "redirect_uri_mismatch"
    return "token_error"
