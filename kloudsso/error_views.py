"""The page for an uncaught error (Django's handler500, used when DEBUG is off).

A database or shared cache that does not answer is no bug of ours and passes: it gets 503 and a page that says so,
so people try again and load balancers and monitors see an outage rather than a crash. Anything else is the 500
page. Neither page reads the session, the user or anything else stored: the store may be what failed.
"""

import sys

from django.http import HttpResponse
from django.template import loader
from django.views.defaults import server_error as django_server_error

from kloudsso.outages import is_outage


def server_error(request):
    if is_outage(sys.exception()):
        return HttpResponse(loader.get_template("503.html").render(), status=503)
    return django_server_error(request)
