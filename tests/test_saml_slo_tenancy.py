"""An IdP's LogoutRequest ends only the sessions of the connection whose certificates verify it: two organizations
whose connections name the same IdP entity ID (one IdP for both, or one pretending) each keep their own sessions.
The LogoutRequests are made and signed by pysaml2's own IdP classes (tests/support/saml_craft.py)."""

import base64
import shutil
from importlib import import_module
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from connections.saml.metadata import parse_idp_metadata
from connections.saml.models import SAMLSignedInSession
from connections.saml.services import saml_connection_save
from connections.sp import saml_slo_url, service_provider_get_or_create, sp_metadata_xml
from signin import sso_session
from tests.support.saml_craft import CraftingIdP

pytestmark = pytest.mark.skipif(not shutil.which("xmlsec1"), reason="xmlsec1 is not installed")
IDP_SLO = "https://idp.crafted.test/slo"


def connection_of(org, folder, stem):
    sp = service_provider_get_or_create(org=org)
    idp = CraftingIdP(folder, sp_metadata=sp_metadata_xml(sp), stem=stem)
    idp_config = parse_idp_metadata(idp.metadata_xml())
    connection = saml_connection_save(org=org, display_name=f"{org.name} IdP", source="xml", idp=idp_config)
    connection.saml.slo_redirect_url = connection.saml.slo_post_url = IDP_SLO
    connection.saml.single_logout = True
    connection.saml.save()
    return idp, connection


def signed_in_session(connection, name_id="ada@acme.test", index="idx-1") -> str:
    """A session as a SAML sign-in through `connection` leaves it, with its row in the index."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["who"] = connection.organization.slug
    store[sso_session.SESSION_KEY] = {"kind": "saml", "connection": str(connection.public_id)}
    store.create()
    SAMLSignedInSession.objects.create(
        key=sso_session.session_key_of(connection, name_id, index),
        person_key=sso_session.person_key(connection, name_id),
        session_key=store.session_key,
        expires_at=store.get_expiry_date(),
    )
    return store.session_key


def alive(session_key) -> bool:
    return import_module(settings.SESSION_ENGINE).SessionStore().exists(session_key)


def logout_request(idp, binding, *, session_index="idx-1"):
    _, request = idp.server.create_logout_request(
        saml_slo_url(),
        "sp",
        name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text="ada@acme.test"),
        session_indexes=[session_index] if session_index else None,
        sign=binding == BINDING_HTTP_POST,
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    return idp.server.apply_binding(binding, str(request), saml_slo_url(), sign=True, sigalg=SIG_RSA_SHA256)


def send(info, binding):
    if binding == BINDING_HTTP_REDIRECT:
        location = dict(info["headers"])["Location"]
        return Client().get(reverse("saml_slo") + "?" + urlsplit(location).query)
    request = base64.b64encode(info["data"].split('name="SAMLRequest" value="')[1].split('"')[0].encode()).decode()
    return Client().post(reverse("saml_slo"), {"SAMLRequest": base64.b64decode(request).decode()})


@pytest.fixture
def two_tenants(acme, globex, tmp_path):
    acme_idp, acme_connection = connection_of(acme, tmp_path, "acme-idp")
    globex_idp, globex_connection = connection_of(globex, tmp_path, "globex-idp")
    assert acme_connection.saml.idp_entity_id == globex_connection.saml.idp_entity_id  # one entity ID for both
    return (acme_idp, acme_connection), (globex_idp, globex_connection)


@pytest.mark.parametrize("binding", [BINDING_HTTP_REDIRECT, BINDING_HTTP_POST], ids=["redirect", "post"])
def test_only_the_connection_whose_certificate_verifies_loses_its_session(two_tenants, binding):
    (acme_idp, acme_connection), (_, globex_connection) = two_tenants
    acme_session = signed_in_session(acme_connection)
    globex_session = signed_in_session(globex_connection)  # the same NameID and SessionIndex, elsewhere
    answered = send(logout_request(acme_idp, binding), binding)
    assert not alive(acme_session)
    assert alive(globex_session)
    if binding == BINDING_HTTP_REDIRECT:  # answered in the binding it came by: a signed query
        assert answered.status_code == 302 and answered["Location"].startswith(IDP_SLO + "?")
        assert {"SAMLResponse", "SigAlg", "Signature"} <= parse_qs(urlsplit(answered["Location"]).query).keys()
    else:  # or the page that posts our signed LogoutResponse to the IdP
        page = answered.content.decode()
        assert answered.status_code == 200 and f'action="{IDP_SLO}"' in page and 'name="SAMLResponse"' in page
        posted = page.split('name="SAMLResponse" value="')[1].split('"')[0]
        assert "Signature" in base64.b64decode(posted).decode()


def test_another_session_index_of_the_same_person_stays(two_tenants):
    (acme_idp, acme_connection), _ = two_tenants
    here = signed_in_session(acme_connection, index="idx-1")
    elsewhere = signed_in_session(acme_connection, index="idx-2")
    send(logout_request(acme_idp, BINDING_HTTP_REDIRECT), BINDING_HTTP_REDIRECT)
    assert not alive(here) and alive(elsewhere)


def test_without_a_session_index_every_session_of_the_person_on_that_connection_ends(two_tenants):
    (acme_idp, acme_connection), (_, globex_connection) = two_tenants
    sessions = [signed_in_session(acme_connection, index=i) for i in ("idx-1", "idx-2")]
    globex_session = signed_in_session(globex_connection)
    send(logout_request(acme_idp, BINDING_HTTP_REDIRECT, session_index=""), BINDING_HTTP_REDIRECT)
    assert not any(alive(s) for s in sessions)
    assert alive(globex_session)


def test_a_request_signed_by_a_key_on_no_connection_ends_nothing(two_tenants, tmp_path, acme):
    (_, acme_connection), (_, globex_connection) = two_tenants
    sessions = [signed_in_session(acme_connection), signed_in_session(globex_connection)]
    stranger = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(service_provider_get_or_create(org=acme)), stem="x")
    refused = send(logout_request(stranger, BINDING_HTTP_REDIRECT), BINDING_HTTP_REDIRECT)
    assert refused.status_code == 400 and "slo_bad_signature" in refused.content.decode()
    assert all(alive(s) for s in sessions)


def test_a_request_addressed_elsewhere_ends_nothing(two_tenants, settings):
    (acme_idp, acme_connection), _ = two_tenants
    session = signed_in_session(acme_connection)
    info = logout_request(acme_idp, BINDING_HTTP_REDIRECT)  # its Destination is this PUBLIC_BASE_URL's
    settings.PUBLIC_BASE_URL = "https://another.example.test"
    refused = send(info, BINDING_HTTP_REDIRECT)
    assert refused.status_code == 400 and "slo_invalid" in refused.content.decode()
    assert alive(session)


def test_our_logout_request_goes_by_http_post_to_an_idp_that_offers_only_that(two_tenants, alice):
    (_, acme_connection), _ = two_tenants
    acme_connection.saml.slo_redirect_url = ""
    acme_connection.saml.save()
    browser = Client()
    browser.force_login(alice)
    session = browser.session
    session[sso_session.SESSION_KEY] = {
        "kind": "saml",
        "connection": str(acme_connection.public_id),
        "name_id": NameID(format=NAMEID_FORMAT_EMAILADDRESS, text="alice@acme.test").to_string().decode(),
        "session_indexes": ["idx-9"],
    }
    session.save()
    page = browser.post(reverse("logout"))
    html = page.content.decode()
    assert page.status_code == 200 and "Signing you out" in html and f'action="{IDP_SLO}"' in html
    request_xml = base64.b64decode(html.split('name="SAMLRequest" value="')[1].split('"')[0]).decode()
    assert "LogoutRequest" in request_xml and "idx-9" in request_xml and "alice@acme.test" in request_xml
    assert "SignatureValue" in request_xml  # the HTTP-POST binding's XML signature
    assert browser.get(reverse("org_home", kwargs={"org_slug": "acme"})).status_code == 302  # signed out here


@pytest.mark.parametrize("copies", [1, "MAX_CANDIDATES"], ids=["one-copy", "as-many-as-are-tried"])
def test_another_organization_copying_the_idp_does_not_receive_the_answer(acme, globex, tmp_path, copies):
    # Globex copies Acme's IdP (its entity ID and public certificates) into connections of its own, made first,
    # with its own single logout URL: they verify the IdP's LogoutRequest as well as Acme's does.
    from signin.saml.slo import MAX_CANDIDATES

    idp = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(service_provider_get_or_create(org=acme)), stem="acme")
    copied = parse_idp_metadata(idp.metadata_xml())
    for n in range(MAX_CANDIDATES if copies == "MAX_CANDIDATES" else copies):
        copy = saml_connection_save(org=globex, display_name=f"Copy {n}", source="xml", idp=copied)
        copy.saml.slo_redirect_url = copy.saml.slo_post_url = "https://attacker.test/slo"
        copy.saml.single_logout = True
        copy.saml.save()
    acme_connection = saml_connection_save(org=acme, display_name="Acme IdP", source="xml", idp=copied)
    acme_connection.saml.slo_redirect_url = acme_connection.saml.slo_post_url = IDP_SLO
    acme_connection.saml.single_logout = True
    acme_connection.saml.save()
    session = signed_in_session(acme_connection)
    answered = send(logout_request(idp, BINDING_HTTP_REDIRECT), BINDING_HTTP_REDIRECT)
    assert not alive(session)
    assert answered.status_code == 302 and answered["Location"].startswith(IDP_SLO + "?")


def test_a_later_login_in_the_same_session_keeps_it_found(two_tenants):
    (acme_idp, acme_connection), _ = two_tenants
    old_key = signed_in_session(acme_connection)
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=old_key)
    store.load()
    store.cycle_key()  # as django.contrib.auth.login does at the next sign-in
    store.save()
    assert store.session_key != old_key and alive(store.session_key)
    send(logout_request(acme_idp, BINDING_HTTP_REDIRECT), BINDING_HTTP_REDIRECT)
    assert not alive(store.session_key)


def test_without_a_session_index_every_browser_of_the_person_is_found(two_tenants, rf):
    (acme_idp, acme_connection), _ = two_tenants
    browsers = []
    for _ in range(2):
        request = rf.get("/")
        request.session = import_module(settings.SESSION_ENGINE).SessionStore()
        request.session["who"] = "ada"
        request.session.create()
        name_id = NameID(format=NAMEID_FORMAT_EMAILADDRESS, text="ada@acme.test")
        sso_session.remember_saml(
            request,
            acme_connection,
            name_id_xml=name_id.to_string().decode(),
            name_id="ada@acme.test",
            session_indexes=[],
        )
        browsers.append(request.session.session_key)
    assert all(alive(b) for b in browsers)
    send(logout_request(acme_idp, BINDING_HTTP_REDIRECT, session_index=""), BINDING_HTTP_REDIRECT)
    assert not any(alive(b) for b in browsers)
