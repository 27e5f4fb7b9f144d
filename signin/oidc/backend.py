"""The OIDC authentication backend: mozilla-django-oidc's, with every value taken from the connection.

mozilla-django-oidc builds a backend object for nearly every request, so nothing here depends on a connection
until authenticate(), which finds it from the callback's `state` (see state.py).
"""

import json

from django.contrib.auth import get_user_model
from django.views.decorators.debug import sensitive_variables
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from connections.sp import oidc_redirect_uri
from kloudsso.guarded_http import FetchError, post_form
from signin import test_mode
from signin.complete import Vouched, check_connection_usable, complete_sign_in
from signin.errors import SignInError
from signin.oidc import state
from signin.oidc.id_token import email_from_claims, email_source, identity_subject, validate_id_token

_PERSON = "Your identity provider could not complete the sign-in. Try again, or ask your admin."


class ConnectionOIDCBackend(OIDCAuthenticationBackend):
    def __init__(self, *args, **kwargs):
        # The base reads global OIDC_* settings here; there are none: each connection carries its own.
        self.UserModel = get_user_model()

    def authenticate(self, request, nonce=None, code_verifier=None, **kwargs):
        if request is None or "code" not in request.GET or "state" not in request.GET:
            return None  # a password sign-in or another backend's business
        connection = state.take(request, request.GET["state"])
        if connection is None:
            return None
        self.request = request
        request.kloudsso_connection = connection
        if test_mode.take(request, request.GET["state"]):
            self._test(request, connection, nonce, code_verifier)
            return None  # a test signs no one in
        try:
            check_connection_usable(connection)
            tokens = self.get_token(self._token_payload(connection, request.GET["code"], code_verifier))
            claims = self.verify_token(tokens.get("id_token"), nonce=nonce, oidc=connection.oidc)
            request.kloudsso_received = claims
            vouched = Vouched(
                connection, identity_subject(claims), email_from_claims(claims), claims, email_source(claims)
            )
            return complete_sign_in(vouched)
        except SignInError as exc:
            request.kloudsso_signin_error = exc
            return None

    def _test(self, request, connection, nonce, code_verifier) -> None:
        """Everything up to the sign-in itself; the callback view turns request.kloudsso_test into a report."""
        try:  # a disabled connection can be tested: that is how it is tried before people use it
            tokens = self.get_token(self._token_payload(connection, request.GET["code"], code_verifier))
            claims = self.verify_token(tokens.get("id_token"), nonce=nonce, oidc=connection.oidc)
        except SignInError as exc:
            request.kloudsso_test = {"vouched": None, "error": exc, "email_source": ""}
            return
        request.kloudsso_received = claims
        vouched = Vouched(connection, identity_subject(claims), email_from_claims(claims), claims, email_source(claims))
        request.kloudsso_test = {"vouched": vouched, "error": None, "email_source": email_source(claims)}

    @sensitive_variables("payload")
    def _token_payload(self, connection, code: str, code_verifier: str | None) -> dict:
        payload = {
            "client_id": connection.oidc.client_id,
            "client_secret": connection.oidc.get_client_secret(),
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": oidc_redirect_uri(),
        }
        if code_verifier is not None:
            payload["code_verifier"] = code_verifier
        self._token_endpoint = connection.oidc.token_endpoint
        return payload

    @sensitive_variables("payload")
    def get_token(self, payload):
        """The token request, through the guarded client (the endpoint is a tenant-supplied URL)."""
        try:
            result = post_form(self._token_endpoint, payload)
        except FetchError as exc:
            raise SignInError("token_endpoint_unreachable", _PERSON, exc.message) from None
        try:
            body = json.loads(result.body)
        except ValueError:
            body = {}
        if result.status != 200 or not isinstance(body, dict):
            error = body.get("error", "") if isinstance(body, dict) else ""
            description = body.get("error_description", "") if isinstance(body, dict) else ""
            detail = f"The token endpoint answered HTTP {result.status}: {error} {description}".strip()
            # An IdP may echo what it received; the secret must not reach the events or any page.
            detail = detail.replace(payload["client_secret"], "********")[:1000]
            raise SignInError(_token_error_code(error, description), _PERSON, detail)
        return body

    def verify_token(self, token, **kwargs):
        return validate_id_token(token, oidc=kwargs["oidc"], nonce=kwargs.get("nonce"))


def _token_error_code(error: str, description: str) -> str:
    """The catalogue entry for a token endpoint refusal (RFC 6749 §5.2 error, Entra's AADSTS codes)."""
    if "AADSTS7000222" in description:
        return "client_secret_expired"
    if error == "invalid_client" or "AADSTS7000215" in description:
        return "invalid_client"
    if "AADSTS50011" in description or "redirect_uri" in description:
        return "redirect_uri_mismatch"
    return "token_error"
