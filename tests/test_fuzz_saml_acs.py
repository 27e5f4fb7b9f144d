"""Fuzz the SAML ACS (/sso/saml) and its finish step (/sso/saml/finish/<key>): any SAMLResponse and RelayState
(not base64, base64 of junk or of malformed XML, SAML-shaped responses with mutated fields, signed responses with
random values, signed responses mutated after signing), with and without a sign-in or an owner's test started in
this browser. No 500 at either step; junk leaves no row; a sign-in, when one happens, is whole."""

import base64
import dataclasses
import shutil
import zlib
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.urls import reverse
from hypothesis import given, reject
from hypothesis import strategies as st
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT, NAMEID_FORMAT_UNSPECIFIED

from connections.identity import SSOIdentity
from connections.saml.metadata import parse_idp_metadata
from connections.saml.services import saml_connection_save
from connections.sp import saml_acs_url, service_provider_get_or_create, sp_metadata_xml
from domains.models import Domain, Status
from kloudsso.accounts.models import User
from tests.support import strategies
from tests.support.fuzzing import SIGNIN_TABLES, check, client_for, example_scope, fuzz, rows, send
from tests.support.saml_craft import ENTRA_EMAIL, CraftingIdP

pytestmark = pytest.mark.skipif(not shutil.which("xmlsec1"), reason="xmlsec1 is not installed")

# An owner's test signs no one in and creates nobody; it does use up the assertion's ID, so it cannot be replayed.
TEST_TABLES = frozenset({"connections.UsedAssertion"})
REQUEST_ID = "{request_id}"  # stands for the AuthnRequest ID of the sign-in this example started


@pytest.fixture
def saml(acme, alice, tmp_path):
    Domain.objects.create(organization=acme, name="acme.test", status=Status.VERIFIED)
    acme.provisioning_mode = "jit"
    acme.save()
    sp = service_provider_get_or_create(org=acme)
    idp = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp))
    connection = saml_connection_save(
        org=acme, display_name="Crafted", source="xml", idp=parse_idp_metadata(idp.metadata_xml())
    )
    signed = base64.b64decode(idp.response(in_response_to="_fixed", destination=saml_acs_url(), audience=sp.entity_id))
    # The Response's InResponseTo (outside the signed assertion) routes it to the sign-in the example starts.
    routed = signed.decode().replace('InResponseTo="_fixed"', f'InResponseTo="{REQUEST_ID}"', 1)
    return {"idp": idp, "sp": sp, "connection": connection, "signed_xml": routed}


def start(client, connection, *, test: bool) -> str:
    """Begin a sign-in (or an owner's test); return the AuthnRequest's ID, read from the signed redirect."""
    if test:
        path = reverse("connections:test", kwargs={"org_slug": "acme", "public_id": connection.public_id})
    else:
        path = reverse("sso_start", kwargs={"public_id": connection.public_id})
    response = client.post(path)
    assert response.status_code == 302
    request_xml = zlib.decompress(
        base64.b64decode(parse_qs(urlsplit(response["Location"]).query)["SAMLRequest"][0]), -15
    )
    return request_xml.decode().split(' ID="', 1)[1].split('"', 1)[0]


def post_and_finish(client, body):
    """The IdP's POST to the ACS, then the browser's GET of the finish step it redirects to; both must be < 500."""
    stashed = send(client, "POST", reverse("saml_acs"), body)
    assert stashed.status_code < 500
    if stashed.status_code != 303:
        return stashed
    return client.get(stashed["Location"])


def mutated_signed(saml):
    """The fixture's signed response with a slice replaced after signing, or a field edited."""
    signed = saml["signed_xml"]
    edits = [
        ("ada@acme.test", "eve@acme.test"),
        ("<ns1:Audience>", "<ns1:Audience>x"),
        ("urn:oasis:names:tc:SAML:2.0:status:Success", "urn:oasis:names:tc:SAML:2.0:status:Responder"),
        ("NotOnOrAfter=", 'NotOnOrAfter="junk" x='),
        ("<ds:SignatureValue>", "<ds:SignatureValue>AAAA"),
    ]
    return st.one_of(
        st.just(signed.replace('InResponseTo="_fixed"', f'InResponseTo="{REQUEST_ID}"')),  # the assertion's too
        st.builds(lambda e: signed.replace(*e), st.sampled_from(edits)),
        st.builds(
            strategies.splice, st.just(signed), st.integers(0, 10**6), st.integers(0, 50), strategies.text(max_size=50)
        ),
        st.builds(lambda n: signed[:n], st.integers(0, len(signed))),
    )


def acs_bodies(saml):
    responses = strategies.saml_responses(extra=mutated_signed(saml))
    return strategies.form_bodies(
        ("SAMLResponse", "RelayState"),
        valid={"SAMLResponse": strategies.b64(saml["signed_xml"]), "RelayState": ""},
        values={"SAMLResponse": responses, "RelayState": ["/orgs/acme/", "https://evil.test/", "javascript:alert(1)"]},
    )


def with_request_id(body, request_id: str):
    """Put the started sign-in's request ID into any SAMLResponse drawn with the placeholder (decode, replace,
    encode again); everything else goes as drawn."""
    pairs = []
    for key, value in body.pairs:
        if key == "SAMLResponse" and isinstance(value, str):
            try:
                decoded = base64.b64decode(value, validate=True).decode()
            except ValueError:
                decoded = ""
            if REQUEST_ID in decoded:
                value = strategies.b64(decoded.replace(REQUEST_ID, request_id))
        pairs.append((key, value))
    return dataclasses.replace(body, pairs=tuple(pairs))


def assert_whole_sign_in(client, connection, flow):
    """Whoever a sign-in signed in has a membership and an identity at the connection; a test signs no one in."""
    user_id = client.session.get("_auth_user_id")
    if flow == "test" or user_id is None:
        return
    user = User.objects.get(pk=user_id)
    assert user.memberships.filter(organization=connection.organization).exists()
    assert SSOIdentity.objects.filter(user=user, connection=connection).exists()


@fuzz()
@given(data=st.data())
def test_junk_at_the_acs_never_answers_500_and_leaves_nothing(saml, data):
    body = data.draw(acs_bodies(saml))
    with example_scope():
        client = client_for()
        before = rows()
        response = post_and_finish(client, with_request_id(body, "_nobody_started_this"))
        check(response, before)
        assert "_auth_user_id" not in client.session


@fuzz()
@given(data=st.data())
def test_any_answer_to_a_started_sign_in_never_answers_500(saml, alice, data):
    flow = data.draw(st.sampled_from(["sign-in", "test"]), "flow")
    body = data.draw(acs_bodies(saml))
    with example_scope():
        client = client_for(alice if flow == "test" else None)
        request_id = start(client, saml["connection"], test=flow == "test")
        before = rows()
        response = post_and_finish(client, with_request_id(body, request_id))
        check(response, before, may_change=SIGNIN_TABLES if flow == "sign-in" else TEST_TABLES)
        assert_whole_sign_in(client, saml["connection"], flow)


xml_safe_text = strategies.text(max_size=300).map(
    lambda s: "".join(c for c in s if c in "\t\n\r" or " " <= c < "\ufffe")
)
name_ids = st.one_of(
    st.sampled_from(["ada@acme.test", "ADA@ACME.TEST", "x@sub.acme.test", "eve@evil.test", "", " ", "@acme.test"]),
    xml_safe_text.map(lambda s: s + "@acme.test"),
    xml_safe_text,
)
attributes = st.dictionaries(
    st.one_of(
        st.sampled_from(
            [ENTRA_EMAIL, "mail", "email", "http://schemas.microsoft.com/identity/claims/objectidentifier"]
        ),
        xml_safe_text.filter(bool),
    ),
    st.lists(st.one_of(name_ids, xml_safe_text), max_size=3),
    max_size=4,
)


@fuzz(share=0.5)
@given(
    flow=st.sampled_from(["sign-in", "test"]),
    name_id=name_ids,
    name_id_format=st.sampled_from(
        [
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            NAMEID_FORMAT_PERSISTENT,
            NAMEID_FORMAT_TRANSIENT,
            NAMEID_FORMAT_UNSPECIFIED,
            "urn:bogus",
        ]
    ),
    attributes=st.one_of(st.none(), attributes),
    audience=st.sampled_from(["ours", "ours", "https://other.test/sp", ""]),
    destination=st.sampled_from(["ours", "ours", "https://other.test/acs"]),
    sign=st.sampled_from([(True, False), (True, False), (False, True), (True, True), (False, False)]),
)
def test_signed_responses_with_random_values_never_answer_500(
    saml, alice, flow, name_id, name_id_format, attributes, audience, destination, sign
):
    """Validly signed, so verification passes and the values reach provisioning: the email rules, JIT, identities."""
    with example_scope():
        client = client_for(alice if flow == "test" else None)
        request_id = start(client, saml["connection"], test=flow == "test")
        try:
            response_b64 = saml["idp"].response(
                in_response_to=request_id,
                destination=saml_acs_url() if destination == "ours" else destination,
                audience=saml["sp"].entity_id if audience == "ours" else audience,
                name_id=name_id,
                name_id_format=name_id_format,
                attributes=attributes,
                sign_assertion=sign[0],
                sign_response=sign[1],
            )
        except KeyError:  # pysaml2's IdP looks some audiences up in its own metadata: nothing to send then
            reject()
        before = rows()
        response = post_and_finish(client, strategies.Body(pairs=(("SAMLResponse", response_b64),)))
        check(response, before, may_change=SIGNIN_TABLES if flow == "sign-in" else TEST_TABLES)
        assert_whole_sign_in(client, saml["connection"], flow)


@fuzz(share=0.5)
@given(
    key=st.one_of(st.text(alphabet="ABCDEFabcdef0123456789_-", min_size=43, max_size=43), strategies.text(max_size=100))
)
def test_the_finish_step_with_any_key_never_answers_500(saml, key):
    with example_scope():
        client = client_for()
        before = rows()
        response = client.get(f"/sso/saml/finish/{quote(key, safe='')}")
        check(response, before)
