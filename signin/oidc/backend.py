"""The OIDC authentication backend: mozilla-django-oidc's, with every value taken from the connection.

mozilla-django-oidc builds a backend object for nearly every request, so nothing here depends on a connection
until authenticate(), which finds it from the callback's `state` (see state.py).
"""

from django.contrib.auth import get_user_model
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from connections.oidc import entra
from signin import test_mode
from signin.complete import Vouched, check_connection_usable, complete_sign_in
from signin.errors import SignInError
from signin.oidc import state
from signin.oidc.claims import (
    email_from_claims,
    email_from_multi_tenant,
    email_from_userinfo,
    former_subject,
    identity_subject,
)
from signin.oidc.id_token import validate_id_token
from signin.oidc.tokens import request_tokens
from signin.oidc.userinfo import RECEIVED_KEY, userinfo_claims

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
            return complete_sign_in(self._vouched(request, connection, nonce, code_verifier))
        except SignInError as exc:
            request.kloudsso_signin_error = exc
            return None

    def _test(self, request, connection, nonce, code_verifier) -> None:
        """Everything up to the sign-in itself; the callback view turns request.kloudsso_test into a report."""
        try:  # a disabled connection can be tested: that is how it is tried before people use it
            vouched = self._vouched(request, connection, nonce, code_verifier)
        except SignInError as exc:
            request.kloudsso_test = {"vouched": None, "error": exc, "email_source": ""}
            return
        request.kloudsso_test = {"vouched": vouched, "error": None, "email_source": vouched.email_note}

    def _vouched(self, request, connection, nonce, code_verifier) -> Vouched:
        """The code exchanged, the ID token verified, the email found: in the ID token, else in UserInfo."""
        oidc = connection.oidc
        check_response_issuer(request.GET.get("iss"), oidc)
        tokens = request_tokens(oidc, code=request.GET["code"], code_verifier=code_verifier)
        claims = self.verify_token(tokens.get("id_token"), nonce=nonce, oidc=oidc)
        request.kloudsso_id_token = tokens.get("id_token")  # for id_token_hint at sign-out (signin/sso_session)
        request.kloudsso_received = claims
        check_same_tenant(request.GET.get("iss"), claims, oidc)
        tenant = entra_tenant(claims, oidc)
        info = {}
        if oidc.entra_multi_tenant:
            email = multi_tenant_email(claims)
        else:
            email = email_from_claims(claims, entra=bool(tenant))
        # An address the ID token marks unverified is the IdP's answer already: UserInfo would only repeat it.
        # /organizations/: UserInfo's email is the same mail attribute, with no xms_edov to vouch for its domain.
        if email.address is None and not email.unverified and oidc.userinfo_endpoint and not oidc.entra_multi_tenant:
            info = userinfo_claims(oidc, tokens, subject=claims["sub"])
            request.kloudsso_received = {**claims, RECEIVED_KEY: info}
            email = email_from_userinfo(info, id_token_email=email, id_token_claims=claims)
        request.kloudsso_email_source = email.source if email.address else ""
        subject = identity_subject(claims, entra_tenant_id=tenant)
        return Vouched(
            connection,
            subject,
            email.address,
            claims,
            email.source,
            email_unverified=email.unverified,
            former_subject=former_subject(claims, entra_tenant_id=tenant),
            userinfo=info,
        )

    def verify_token(self, token, **kwargs):
        return validate_id_token(token, oidc=kwargs["oidc"], nonce=kwargs.get("nonce"))


def multi_tenant_email(claims: dict):
    email = email_from_multi_tenant(claims)
    if email.address is None and not email.unverified:
        raise SignInError(
            "entra_email_unproven",
            "Your identity provider did not send an email address we can trust, so we cannot sign you in. "
            "Ask your admin.",
            f"No email whose domain the tenant {claims['tid']} has verified: {email.source}.",
        )
    return email


def entra_tenant(claims: dict, oidc) -> str:
    """The Entra ID tenant of a verified ID token: the connection's own, or for /organizations/ the token's tid
    (by now checked against the allowed tenants); "" when the connection is not Entra ID."""
    if oidc.entra_multi_tenant:
        return claims["tid"].lower()
    return oidc.entra_tenant_id


def check_response_issuer(returned: str | None, oidc) -> None:
    """RFC 9207: an authorization response's iss, when sent, must be the connection's issuer (a mix-up otherwise);
    an IdP that says it always sends one must have sent it. Through Entra's /organizations/ endpoint it is the
    issuer of one tenant, which check_same_tenant holds the ID token to."""
    if returned is None and oidc.discovery_document.get("authorization_response_iss_parameter_supported") is not True:
        return
    if oidc.entra_multi_tenant:
        matches = returned is not None and _is_tenant_issuer(returned, oidc.issuer)
    else:
        matches = returned == oidc.issuer
    if not matches:
        said = "no iss parameter" if returned is None else f"iss {returned[:300]!r}"
        raise SignInError(
            "response_issuer_mismatch",
            _PERSON,
            f"The callback carried {said}; the connection's issuer is {oidc.issuer!r} (RFC 9207).",
        )


def _is_tenant_issuer(returned: str, template: str) -> bool:
    head, _, tail = template.partition(entra.TENANT_PLACEHOLDER)
    middle = returned[len(head) : len(returned) - len(tail)]
    return returned.startswith(head) and returned.endswith(tail) and entra.is_guid(middle)


def check_same_tenant(returned: str | None, claims: dict, oidc) -> None:
    """/organizations/: the callback's iss, when sent, and the ID token's must name the same tenant."""
    if oidc.entra_multi_tenant and returned is not None and returned != claims["iss"]:
        raise SignInError(
            "response_issuer_mismatch",
            _PERSON,
            f"The callback carried iss {returned[:300]!r}, the ID token iss {claims['iss'][:300]!r}: two tenants "
            "in one sign-in (RFC 9207).",
        )
