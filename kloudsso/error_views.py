"""The page for an uncaught error (Django's handler500, used when DEBUG is off), and for a refused CSRF token.

A database or shared cache that does not answer is no bug of ours and passes: it gets 503 and a page that says so,
so people try again and load balancers and monitors see an outage rather than a crash. Anything else is the 500
page. Neither page reads the session, the user or anything else stored: the store may be what failed.
"""

import sys

from django.http import HttpResponse
from django.shortcuts import render, resolve_url
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.defaults import server_error as django_server_error

from kloudsso.outages import is_outage


def server_error(request):
    if is_outage(sys.exception()):
        return HttpResponse(loader.get_template("503.html").render(), status=503)
    return django_server_error(request)


def csrf_failure(request, reason=""):
    """A form sent with a token that no longer holds: most often a page opened before signing in or out in another
    tab (both rotate the token). Reloading the page it came from gives a fresh one; Django's reason stays out of it."""
    referer = request.headers.get("Referer", "")
    same_site = referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    again = referer if same_site else resolve_url("home")
    return render(request, "403_csrf.html", {"again": again}, status=403)
