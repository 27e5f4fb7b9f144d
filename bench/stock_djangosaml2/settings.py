"""djangosaml2 out of the box: its views, backend, session middleware and defaults (pysaml2 with xmlsec1, the
default attribute mapping uid -> username, unknown users created). Only what an equivalent SP needs is set: the
assertion alone is signed (want_response_signed off, as for Entra ID), attribute names are kept as sent, and the SP
has a key pair and signs its AuthnRequests, as KloudSSO's SP does."""

import os

import saml2

BASE_URL = os.environ["STOCK_BASE_URL"]
SECRET_KEY = os.environ["STOCK_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "djangosaml2",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "djangosaml2.middleware.SamlSessionMiddleware",
]
ROOT_URLCONF = "bench.stock_djangosaml2.urls"
WSGI_APPLICATION = "bench.stock_djangosaml2.wsgi.application"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["STOCK_DATABASE"]}}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend", "djangosaml2.backends.Saml2Backend"]
LOGIN_URL = "/saml2/login/"
LOGIN_REDIRECT_URL = "/"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SAML_CONFIG = {
    "xmlsec_binary": "/usr/bin/xmlsec1",
    "entityid": BASE_URL + "/saml2/metadata/",
    "allow_unknown_attributes": True,
    "key_file": os.environ["STOCK_SP_KEY"],
    "cert_file": os.environ["STOCK_SP_CERT"],
    "service": {
        "sp": {
            "name": "stock djangosaml2",
            "endpoints": {"assertion_consumer_service": [(BASE_URL + "/saml2/acs/", saml2.BINDING_HTTP_POST)]},
            "want_assertions_signed": True,
            "want_response_signed": False,
            "authn_requests_signed": True,
        }
    },
    "metadata": {"local": [os.environ["STOCK_IDP_METADATA"]]},
    "debug": 0,
}
