"""Fuzz Connections → Add/Edit SAML, every way in (pasted XML, uploaded file, metadata URL, manual): hostile values
never answer 500, a refusal saves nothing, a save is whole (settings and at least one signing certificate).

Metadata URLs point at 127.0.0.1 only: the test server (a real sample, or a fuzzed document) or a closed port.
"""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

from connections.saml.forms import NAMEID_FORMATS
from connections.sp import generate_key_pair
from tests.support import strategies
from tests.support.factories import saml_connection
from tests.support.fuzzing import (
    CONNECTION_TABLES,
    added,
    check,
    client_for,
    example_scope,
    fuzz,
    redirected,
    rows,
    send,
)
from tests.support.metadata import entities_descriptor, sample
from tests.support.strategies import Upload

FIELDS = (
    "display_name",
    "source",
    "metadata_xml",
    "metadata_file",
    "entity_id",
    "metadata_url",
    "idp_entity_id",
    "sso_url",
    "sso_binding",
    "signing_certificate",
    "email_attribute",
    "nameid_format",
)
CERTIFICATE_PEM, _KEY = generate_key_pair(common_name="fuzz-idp", days=30)
BARE_BASE64 = "".join(CERTIFICATE_PEM.splitlines()[1:-1])
OKTA = sample("okta_metadata.xml")


def certificates():
    return st.one_of(
        st.sampled_from(
            [
                CERTIFICATE_PEM,
                BARE_BASE64,
                CERTIFICATE_PEM * 2,
                CERTIFICATE_PEM[: len(CERTIFICATE_PEM) // 2],
                CERTIFICATE_PEM.replace("CERTIFICATE", "PRIVATE KEY"),
                _KEY,
                BARE_BASE64[:-4],
                BARE_BASE64.replace("A", "\x00", 1),
                "-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----",
                strategies.b64(b"\x30\x82\x01\x00" + b"\x00" * 100),  # a DER header with nothing behind it
            ]
        ),
        st.builds(lambda n: CERTIFICATE_PEM * n, st.integers(2, 50)),
        st.binary(max_size=500).map(strategies.b64),
    )


@pytest.fixture
def metadata_server(http_server, settings):
    settings.SSO_HTTP_TIMEOUT_SECONDS = 0.5
    http_server.serve("/okta.xml", OKTA, content_type="application/samlmetadata+xml")
    return http_server


def bodies(server):
    local = (server.base.removeprefix("http://"), "127.0.0.1:9")
    manual = {
        "display_name": "Manual IdP",
        "source": "manual",
        "idp_entity_id": "https://idp.fuzz.test/metadata",
        "sso_url": "https://idp.fuzz.test/sso",
        "signing_certificate": CERTIFICATE_PEM,
    }
    values = {
        "source": ["xml", "url", "manual", "XML", "", "xml\x00"],
        "metadata_xml": strategies.xml_documents(),
        "metadata_file": strategies.uploads(strategies.xml_bytes()),
        "entity_id": ["http://www.okta.com/exk1fuzz", "https://idp.example.org/idp/shibboleth", ""],
        "metadata_url": st.one_of(
            st.sampled_from([server.url("/okta.xml"), server.url("/fuzzed.xml"), server.url("/missing.xml")]),
            strategies.urls(hosts=local),
        ),
        "sso_url": strategies.urls(hosts=local),
        "sso_binding": [BINDING_HTTP_REDIRECT, BINDING_HTTP_POST, "urn:bogus"],
        "signing_certificate": certificates(),
        "nameid_format": [value for value, _label in NAMEID_FORMATS] + ["urn:bogus"],
    }
    valid = [
        {"display_name": "Okta", "source": "xml", "metadata_xml": OKTA},
        {"display_name": "Okta", "source": "xml", "metadata_file": Upload("okta.xml", OKTA.encode())},
        {"display_name": "Okta", "source": "url", "metadata_url": server.url("/okta.xml")},
        manual,
        {"source": "xml", "metadata_xml": entities_descriptor("okta_metadata.xml", "keycloak_idp_metadata.xml")},
        # The rest valid, one field hostile: real metadata edited, truncated or re-declared; certificates; URLs.
        {"display_name": "IdP", "source": "xml", "metadata_xml": strategies.metadata_documents()},
        {"display_name": "IdP", "source": "xml", "metadata_file": strategies.uploads(strategies.xml_bytes())},
        {"display_name": "IdP", "source": "url", "metadata_url": server.url("/fuzzed.xml")},
        {**manual, "signing_certificate": certificates(), "sso_url": values["sso_url"]},
    ]
    return st.one_of(*(strategies.form_bodies(FIELDS, valid=v, values=values, files=("metadata_file",)) for v in valid))


fuzzed_metadata = strategies.xml_bytes()


@pytest.fixture
def connection(acme):
    return saml_connection(acme)


@fuzz(share=1.5)
@given(data=st.data())
def test_adding_a_saml_connection_never_answers_500(alice, metadata_server, data):
    body = data.draw(bodies(metadata_server))
    metadata_server.serve("/fuzzed.xml", data.draw(fuzzed_metadata), content_type="application/xml")
    with example_scope():
        owner = client_for(alice)
        before = rows()
        response = send(owner, "POST", reverse("connections:add_saml", kwargs={"org_slug": "acme"}), body)
        saved = redirected(response) and response["Location"].endswith("/edit/#preflight")  # to its checklist
        after = check(response, before, may_change=CONNECTION_TABLES if saved else ())
        if saved:
            assert added(before, after, "connections.Connection") == 1
            assert added(before, after, "connections.SAMLSettings") == 1


@fuzz()
@given(data=st.data())
def test_editing_a_saml_connection_never_answers_500(alice, connection, metadata_server, data):
    body = data.draw(bodies(metadata_server))
    metadata_server.serve("/fuzzed.xml", data.draw(fuzzed_metadata), content_type="application/xml")
    with example_scope():
        owner = client_for(alice)
        before = rows()
        path = reverse("connections:edit", kwargs={"org_slug": "acme", "public_id": connection.public_id})
        response = send(owner, "POST", path, body)
        saved = redirected(response) and response["Location"].endswith("/edit/#preflight")  # to its checklist
        after = check(response, before, may_change=CONNECTION_TABLES if saved else ())
        assert added(before, after, "connections.SAMLSettings") == 0


@fuzz(share=2)
@given(
    how=st.sampled_from(["paste", "upload", "url"]),
    document=st.one_of(strategies.metadata_documents(), strategies.xml_documents()),
    encoding=st.sampled_from(["utf-8", "utf-8", "utf-16", "utf-8-sig", "latin-1"]),
)
def test_any_metadata_document_never_answers_500(alice, metadata_server, how, document, encoding):
    """The riskiest field alone, everything around it valid: the metadata, pasted, uploaded or fetched."""
    raw = document.encode(encoding, errors="replace")
    if how == "paste":
        body = strategies.Body(pairs=(("display_name", "IdP"), ("source", "xml"), ("metadata_xml", document)))
    elif how == "upload":
        upload = Upload("metadata.xml", raw, "application/xml")
        body = strategies.Body(
            pairs=(("display_name", "IdP"), ("source", "xml"), ("metadata_file", upload)), encoding="multipart"
        )
    else:
        metadata_server.serve("/fuzzed.xml", raw, content_type="application/samlmetadata+xml")
        fields = (("display_name", "IdP"), ("source", "url"), ("metadata_url", metadata_server.url("/fuzzed.xml")))
        body = strategies.Body(pairs=fields)
    with example_scope():
        owner = client_for(alice)
        before = rows()
        response = send(owner, "POST", reverse("connections:add_saml", kwargs={"org_slug": "acme"}), body)
        saved = redirected(response) and response["Location"].endswith("/edit/#preflight")  # to its checklist
        check(response, before, may_change=CONNECTION_TABLES if saved else ())
        if saved:  # and the pages that show it afterwards
            for page in ("connections:list", "connections:troubleshooting"):
                assert owner.get(reverse(page, kwargs={"org_slug": "acme"})).status_code == 200
