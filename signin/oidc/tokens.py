"""The token request (OpenID Connect Core §3.1.3): the code for tokens, through the guarded client, with the client
authentication the connection's provider allows, and its answer checked before anything reads it."""

import base64
import json
from urllib.parse import quote_plus

from django.views.decorators.debug import sensitive_variables

from connections.oidc import client_auth
from connections.oidc.models import ClientAuthMethod
from connections.sp import oidc_redirect_uri
from kloudsso.guarded_http import FetchError, post_form
from signin.errors import SignInError

_PERSON = "Your identity provider could not complete the sign-in. Try again, or ask your admin."


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
        raise SignInError("token_endpoint_unreachable", _PERSON, exc.message) from None
    body = _json_object(result.body)
    if result.status != 200:
        raise _refusal(result.status, body or {}, oidc, secret)
    if body is None:
        raise SignInError(
            "bad_token_response",
            _PERSON,
            "The token endpoint answered HTTP 200 with something that is not a JSON object.",
        )
    if body.get("id_token") is not None and not isinstance(body["id_token"], str):
        kind = type(body["id_token"]).__name__
        raise SignInError("bad_token_response", _PERSON, f"The token endpoint's id_token is a JSON {kind}, not a JWT.")
    return body


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
    code = _token_error_code(error, description)
    if code == "invalid_client":
        detail += (
            f" (The client authenticated with {oidc.token_endpoint_auth_method}. "
            f"{client_auth.describe(oidc.discovery_document)})"
        )
    # An IdP may echo what it received, the body or the Authorization header (base64 of client_id:secret, which
    # decodes straight to the secret); neither may reach the events or any page.
    echoed = basic_authorization(oidc.client_id, secret).split(" ", 1)[1] if secret else ""
    for form in sorted({secret, quote_plus(secret), echoed} - {""}, key=len, reverse=True):
        detail = detail.replace(form, "********")
    return SignInError(code, _PERSON, detail[:1000])


def _token_error_code(error: str, description: str) -> str:
    """The catalogue entry for a token endpoint refusal (RFC 6749 §5.2 error, Entra's AADSTS codes)."""
    if "AADSTS7000222" in description:
        return "client_secret_expired"
    if error == "invalid_client" or "AADSTS7000215" in description:
        return "invalid_client"
    if "AADSTS50011" in description or "redirect_uri" in description:
        return "redirect_uri_mismatch"
    return "token_error"
