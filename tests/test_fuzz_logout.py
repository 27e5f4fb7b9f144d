"""Fuzz sign-out's public routes: the single logout URL (/sso/saml/slo) with any SAMLRequest or SAMLResponse over
either binding (junk, base64 of junk, logout-shaped XML from a known or unknown Issuer, with junk signatures), and
the post-logout redirect URI (/sso/logout/done) with any query. No 500, nothing saved, nobody signed out."""

import base64
import zlib
from urllib.parse import quote

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from connections.saml.models import SAMLSignedInSession
from connections.sp import saml_slo_url
from tests.support import strategies
from tests.support.factories import saml_connection
from tests.support.fuzzing import check, client_for, example_scope, fuzz, rows, send
from tests.support.strategies import Body

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
ISSUER = "http://www.okta.com/exkh52ytxrJeMH5140h7"  # the connection's IdP, so that checks go past the routing


@pytest.fixture
def connection(acme, settings):
    made = saml_connection(acme)
    made.saml.slo_redirect_url = made.saml.slo_post_url = "https://idp.example.test/slo"
    made.saml.single_logout = True
    made.saml.save()
    return made


def _safe(value: str) -> str:
    kept = "".join(c for c in value if c in "\t\n\r" or c >= " ")
    return kept.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def logout_xml(kind, issuer, in_response_to, destination, name_id, index, signature) -> str:
    body = (
        f"<saml:NameID>{_safe(name_id)}</saml:NameID><samlp:SessionIndex>{_safe(index)}</samlp:SessionIndex>"
        if kind == "LogoutRequest"
        else f'<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:{_safe(index)}"/>'
        "</samlp:Status>"
    )
    return (
        f'<samlp:{kind} xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="_l1" Version="2.0" '
        f'IssueInstant="2030-01-01T00:00:00Z" InResponseTo="{_safe(in_response_to)}" '
        f'Destination="{_safe(destination)}"><saml:Issuer>{_safe(issuer)}</saml:Issuer>{signature}{body}'
        f"</samlp:{kind}>"
    )


field = st.one_of(strategies.text(max_size=200), st.sampled_from(["", "_l1", "ada@acme.test", "Success"]))
logout_messages = st.builds(
    logout_xml,
    kind=st.sampled_from(["LogoutRequest", "LogoutResponse"]),
    issuer=st.one_of(st.just(ISSUER), field),
    in_response_to=field,
    destination=st.one_of(st.just("http://testserver/sso/saml/slo"), field),
    name_id=field,
    index=field,
    signature=st.sampled_from(
        ["", '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature>']
    ),
)


def deflated(xml: str) -> str:
    compressor = zlib.compressobj(wbits=-15)
    return base64.b64encode(compressor.compress(xml.encode()) + compressor.flush()).decode()


@fuzz(share=0.5)
@given(
    xml=logout_messages,
    junk=strategies.saml_responses(),
    use_junk=st.booleans(),
    param=st.sampled_from(["SAMLRequest", "SAMLResponse"]),
    method=st.sampled_from(["GET", "POST"]),
    sig_alg=st.sampled_from(["", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "junk"]),
    signature=st.sampled_from(["", "AAAA", "!!!"]),
    relay_state=st.one_of(st.none(), strategies.text(max_size=300)),
)
def test_the_single_logout_url_takes_anything(
    connection, alice, xml, junk, use_junk, param, method, sig_alg, signature, relay_state
):
    with example_scope():
        client = client_for(alice)
        before = rows()
        sessions = SAMLSignedInSession.objects.count()
        if method == "GET":
            value = junk if use_junk else deflated(xml)
            pairs = [(param, value[:200_000]), ("SigAlg", sig_alg), ("Signature", signature)]
            if relay_state is not None:
                pairs.append(("RelayState", relay_state))
            query = "&".join(f"{k}={quote(v, safe='')}" for k, v in pairs)
            response = send(client, "GET", reverse("saml_slo"), query)
        else:
            value = junk if use_junk else base64.b64encode(xml.encode()).decode()
            response = send(client, "POST", reverse("saml_slo"), Body(pairs=((param, value),)))
        check(response, before)
        assert SAMLSignedInSession.objects.count() == sessions
        assert response.status_code == 400  # nothing unsigned, nothing unknown is accepted
        assert client.get(reverse("org_home", kwargs={"org_slug": "acme"})).status_code == 200  # still signed in


@fuzz()
@given(query=strategies.query_strings(("state", "error", "next", "post_logout_redirect_uri")))
def test_the_post_logout_redirect_uri_takes_anything(alice, query):
    with example_scope():
        client = client_for(alice)
        before = rows()
        response = send(client, "GET", reverse("sso_logout_done"), query)
        check(response, before)
        assert response.status_code == 400 and "Location" not in response  # never a redirect: no open redirect


def test_the_single_logout_url_is_under_public_base_url(settings):
    settings.PUBLIC_BASE_URL = "https://sso.example.test"
    assert saml_slo_url() == "https://sso.example.test/sso/saml/slo"
