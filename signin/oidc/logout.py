"""OpenID Connect RP-Initiated Logout 1.0: the browser to the provider's end_session_endpoint with the ID token as
id_token_hint, our client_id, the post_logout_redirect_uri under PUBLIC_BASE_URL and a state, which comes back to
/sso/logout/done and is checked against this browser's (new, signed-out) session."""

import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.views.decorators.debug import sensitive_variables

from connections.connection import Connection
from connections.sp import logout_done_url
from signin import sso_session
from signin.logout_pages import leaving_page

STATE_SESSION_KEY = "kloudsso_logout_state"


@sensitive_variables("id_token", "query")
def to_idp(request, connection, remembered: dict):
    oidc = connection.oidc
    id_token = sso_session.id_token_of(remembered)
    state = secrets.token_urlsafe(32)
    request.session[STATE_SESSION_KEY] = {"state": state, "connection": str(connection.public_id)}
    parts = urlsplit(oidc.end_session_endpoint)
    query = parse_qsl(parts.query, keep_blank_values=True)  # an endpoint may carry its own (Entra's p=...)
    # Without a readable ID token the provider is asked all the same: client_id says who asks (it may then ask
    # the person to confirm).
    query += [("id_token_hint", id_token)] if id_token else []
    query += [
        ("post_logout_redirect_uri", logout_done_url()),
        ("client_id", oidc.client_id),
        ("state", state),
    ]
    return leaving_page(request, urlunsplit(parts._replace(query=urlencode(query))), connection=connection)


def returned(request):
    """The connection whose sign-out came back with this browser's state (used up), or None."""
    expected = request.session.pop(STATE_SESSION_KEY, None)
    given = request.GET.get("state", "")
    if not isinstance(expected, dict) or not given or not secrets.compare_digest(given, expected.get("state", "")):
        return None
    return Connection.objects.filter(public_id=expected["connection"]).first()
