"""The pages of a sign-out: on the way to the IdP, and signed out (at the IdP too, or what went wrong there)."""

import logging

from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from signin.errors import SignInError

logger = logging.getLogger(__name__)


def leaving_page(request, url: str, *, connection):
    """Our session has ended; the browser goes on to the IdP by a refresh of this page, not by a redirect of the
    sign-out form's POST: the page that held the form allows forms to post to our own site only (CSP form-action,
    which Chromium applies to where the POST is redirected as well)."""
    response = render(request, "sso/signing_out.html", {"url": url, "idp": connection.display_name})
    add_never_cache_headers(response)  # the URL may carry the ID token (id_token_hint): no cache keeps the page
    return response


def signed_out_page(request, *, idp: str = "", error: SignInError | None = None, connection=None):
    """Signed out of KloudSSO in any case; signed out at the IdP too (`idp`), or what went wrong there."""
    if error is not None:
        # For whoever runs the servers: the code and the values involved, never a token.
        logger.warning(
            "Sign-out at the IdP did not complete%s: %s %s",
            f" (connection {connection.public_id})" if connection is not None else "",
            error.code,
            error.detail,
        )
    return render(request, "sso/signed_out.html", {"idp": idp, "error": error}, status=400 if error else 200)
