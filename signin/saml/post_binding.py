"""The SAML HTTP-POST binding's page: pysaml2's AuthnRequest in our own form, sent by static/kloudsso/app.js.

pysaml2's page submits itself from an inline onload handler, which the Content-Security-Policy refuses
(script-src 'self'), so only its fields are kept.
"""

from html.parser import HTMLParser

from django.shortcuts import render

from kloudsso.csp_exceptions import forms_lead_to_an_idp

FIELDS = ("SAMLRequest", "SAMLResponse", "RelayState")


class _FormFields(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        named = dict(attrs)
        if tag == "input" and named.get("name") in FIELDS:
            self.fields[named["name"]] = named.get("value") or ""


@forms_lead_to_an_idp
def post_binding_page(request, info: dict, *, signing_out: bool = False):
    """`info` is what pysaml2's prepare_for_authenticate (or apply_binding) returns for the HTTP-POST binding."""
    parser = _FormFields()
    parser.feed(info["data"])
    parser.close()
    context = {"action": info["url"], "fields": parser.fields, "signing_out": signing_out}
    return render(request, "sso/saml_post.html", context)
