"""Signing out: our session always ends first; then, when the connection the person signed in with has single logout
turned on, the browser goes on to the IdP to sign out there as well (signin/oidc/logout, signin/saml/logout).

Sign-out is a POST with a CSRF token from our own pages, as Django's LogoutView was: a link on another site must
not sign anyone out. Where the browser goes next is the IdP's endpoint on file or our own pages, never a URL taken
from the request.
"""

from django.conf import settings
from django.contrib import auth
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from connections.connection import Connection, Kind
from signin import sso_session
from signin.errors import SignInError
from signin.logout_pages import signed_out_page
from signin.oidc import logout as oidc_logout
from signin.saml import logout as saml_logout
from signin.saml.quoting import quote


@require_POST
def sign_out(request):
    remembered = sso_session.remembered(request)
    sso_session.forget_index(request.session.session_key)
    auth.logout(request)
    connection = _connection_signing_out(remembered)
    if connection is None:
        return redirect(settings.LOGOUT_REDIRECT_URL)
    if connection.kind == Kind.OIDC:
        return oidc_logout.to_idp(request, connection, remembered)
    return saml_logout.to_idp(request, connection, remembered)


def _connection_signing_out(remembered: dict | None):
    """The connection to sign out at: the one this session signed in with, while its owner keeps the switch on."""
    if remembered is None:
        return None
    connection = (
        Connection.objects.select_related("organization", "organization__service_provider", "oidc", "saml")
        .filter(public_id=remembered["connection"], kind=remembered["kind"])
        .first()
    )
    if connection is None:
        return None
    if connection.kind == Kind.OIDC:
        on = connection.oidc.single_logout and bool(connection.oidc.end_session_endpoint)
    else:
        on = connection.saml.single_logout and connection.saml.slo_supported
    return connection if on else None


@require_GET
def logout_done(request):
    """OIDC's post_logout_redirect_uri: the IdP sends the browser back here with the state it was given."""
    connection = oidc_logout.returned(request)
    if connection is None:
        given = request.GET.get("state", "")
        detail = (
            f"The browser came back with the state {quote(given)}, which no sign-out of this browser is waiting for "
            "(used already, or sent by another browser)."
            if given
            else "The browser came back with no state parameter."
        )
        return signed_out_page(request, error=SignInError("logout_state_mismatch", detail=detail))
    return signed_out_page(request, idp=connection.display_name)
