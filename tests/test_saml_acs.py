"""The SAML ACS with responses crafted by pysaml2's IdP classes: every refusal, each ending without a session."""

import base64
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from saml2.saml import NAMEID_FORMAT_PERSISTENT

from connections.models import SSOIdentity
from connections.saml.metadata import parse_idp_metadata
from connections.saml.services import saml_connection_save
from connections.sp import saml_acs_url, service_provider_get_or_create, sp_metadata_xml
from domains.models import Domain
from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Membership
from tests.support.saml_craft import CraftingIdP

pytestmark = pytest.mark.skipif(
    not __import__("shutil").which("xmlsec1"), reason="xmlsec1 is not installed (apt-get install xmlsec1)"
)


@pytest.fixture
def sp(acme):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    acme.provisioning_mode = "jit"
    acme.save()
    return service_provider_get_or_create(org=acme)


@pytest.fixture
def idp(tmp_path, sp):
    return CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp))


@pytest.fixture
def connection(acme, idp):
    return saml_connection_save(
        org=acme, display_name="Crafted", source="xml", idp=parse_idp_metadata(idp.metadata_xml())
    )


def start(client, connection) -> str:
    """Begin a sign-in; return the AuthnRequest's ID (read from the signed redirect, as the IdP would)."""
    response = client.post(reverse("sso_start", kwargs={"public_id": connection.public_id}))
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert {"SAMLRequest", "SigAlg", "Signature"} <= query.keys()  # a signed AuthnRequest
    request_xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15).decode()
    return request_xml.split(' ID="', 1)[1].split('"', 1)[0]


def post(client, saml_response):
    stashed = client.post("/sso/saml", {"SAMLResponse": saml_response})
    assert stashed.status_code == 303
    return client.get(stashed["Location"])


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_signed_response_signs_the_person_in(client, connection, idp, sp):
    request_id = start(client, connection)
    landed = post(client, idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id))
    assert landed.status_code == 302 and landed["Location"] == "/orgs/acme/"
    assert signed_in(client)
    user = User.objects.get(email="ada@acme.test")
    assert Membership.objects.filter(user=user, organization=connection.organization).exists()
    assert SSOIdentity.objects.get(user=user).subject == "nameid:ada@acme.test"


def test_a_persistent_nameid_is_the_identity_and_the_email_comes_from_the_attribute(client, connection, idp, sp):
    request_id = start(client, connection)
    landed = post(
        client,
        idp.response(
            in_response_to=request_id,
            destination=saml_acs_url(),
            audience=sp.entity_id,
            name_id="f81d4fae-7dec-11d0",
            name_id_format=NAMEID_FORMAT_PERSISTENT,
            attributes={"mail": ["bea@acme.test"]},
        ),
    )
    assert landed["Location"] == "/orgs/acme/"
    assert SSOIdentity.objects.get().subject == "persistent:f81d4fae-7dec-11d0"
    assert SSOIdentity.objects.get().email == "bea@acme.test"


def refused(client, landed, code):
    assert landed.status_code == 400
    assert f"<code>{code}</code>" in landed.content.decode()
    assert not signed_in(client)


def test_a_response_signed_by_another_key_is_refused(client, connection, sp, tmp_path):
    impostor = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), stem="impostor")  # same entity ID, other key
    request_id = start(client, connection)
    landed = post(
        client, impostor.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id)
    )
    refused(client, landed, "saml_bad_signature")


def test_an_unsigned_response_is_refused(client, connection, idp, sp):
    request_id = start(client, connection)
    response = idp.response(
        in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id, sign_assertion=False
    )
    refused(client, post(client, response), "saml_unsigned")  # its own code: no certificate to chase


def test_a_signed_response_around_an_unsigned_assertion_is_refused(client, connection, idp, sp):
    # Stricter than before, as the SP metadata says (WantAssertionsSigned="true"): the assertion must be signed.
    request_id = start(client, connection)
    response = idp.response(
        in_response_to=request_id,
        destination=saml_acs_url(),
        audience=sp.entity_id,
        sign_assertion=False,
        sign_response=True,
    )
    refused(client, post(client, response), "saml_assertion_unsigned")


def test_a_signed_response_and_a_signed_assertion_are_accepted(client, connection, idp, sp):
    request_id = start(client, connection)
    response = idp.response(
        in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id, sign_response=True
    )
    assert post(client, response)["Location"] == "/orgs/acme/"


def test_the_wrong_audience_is_refused(client, connection, idp, sp):
    request_id = start(client, connection)
    response = idp.response(in_response_to=request_id, destination=saml_acs_url(), audience="https://someone.else/sp")
    refused(client, post(client, response), "audience_mismatch")


def test_the_wrong_destination_is_refused(client, connection, idp, sp):
    request_id = start(client, connection)
    response = idp.response(in_response_to=request_id, destination="https://evil.test/acs", audience=sp.entity_id)
    refused(client, post(client, response), "destination_mismatch")


def test_an_expired_assertion_is_refused(client, connection, sp, tmp_path):
    stale = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), lifetime_minutes=-10)
    connection.saml.certificates.all().delete()
    saml_connection_save(
        org=connection.organization,
        connection=connection,
        display_name="Crafted",
        source="xml",
        idp=parse_idp_metadata(stale.metadata_xml()),
    )
    request_id = start(client, connection)
    response = stale.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id)
    refused(client, post(client, response), "response_expired")


def test_an_unsolicited_response_is_refused_when_idp_initiated_is_off(client, connection, idp, sp):
    response = idp.response(in_response_to=None, destination=saml_acs_url(), audience=sp.entity_id)
    refused(client, post(client, response), "unsolicited_response")


def test_a_response_to_another_browsers_request_is_refused(client, connection, idp, sp):
    from django.test import Client

    request_id = start(Client(), connection)  # someone else's sign-in
    response = idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id)
    refused(client, post(client, response), "saml_request_unknown")


def test_idp_initiated_sign_in_when_allowed_and_a_replayed_assertion_is_refused(client, connection, idp, sp):
    connection.saml.allow_idp_initiated = True
    connection.saml.save()
    response = idp.response(in_response_to=None, destination=saml_acs_url(), audience=sp.entity_id)
    assert post(client, response)["Location"] == "/orgs/acme/"
    client.logout()
    refused(client, post(client, response), "replayed_assertion")


def test_the_idps_own_error_status_is_reported(client, connection, idp):
    request_id = start(client, connection)
    response = idp.error_response(
        in_response_to=request_id,
        destination=saml_acs_url(),
        status="urn:oasis:names:tc:SAML:2.0:status:Responder",
        message="AADSTS50105: user not assigned",
    )
    refused(client, post(client, response), "saml_idp_status")


def test_an_unknown_issuer_is_refused(client, connection, sp, tmp_path):
    stranger = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), entity_id="https://stranger.test/idp", stem="s")
    request_id = start(client, connection)
    response = stranger.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id)
    refused(client, post(client, response), "unknown_issuer")


def test_an_email_outside_the_verified_domains_is_refused(client, connection, idp, sp):
    request_id = start(client, connection)
    response = idp.response(
        in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id, name_id="eve@evil.test"
    )
    refused(client, post(client, response), "email_domain_not_verified")


def test_no_usable_email_is_refused(client, connection, idp, sp):
    request_id = start(client, connection)
    response = idp.response(
        in_response_to=request_id,
        destination=saml_acs_url(),
        audience=sp.entity_id,
        name_id="opaque-id-42",
        name_id_format=NAMEID_FORMAT_PERSISTENT,
        attributes={"displayName": ["Ada"]},
    )
    refused(client, post(client, response), "no_email")


def test_a_disabled_connection_stops_the_sign_in(client, connection, idp, sp):
    request_id = start(client, connection)
    connection.enabled = False
    connection.save()
    response = idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id)
    refused(client, post(client, response), "connection_disabled")


def test_the_invite_only_mode_refuses_someone_not_invited(client, connection, idp, sp, acme):
    acme.provisioning_mode = "invite_only"
    acme.save()
    request_id = start(client, connection)
    response = idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id)
    refused(client, post(client, response), "not_invited")


def test_the_acs_and_finish_step_run_a_fixed_number_of_queries(client, connection, idp, sp, monkeypatch):
    from signin.saml import replay
    from tests.support.queries import assert_queries

    monkeypatch.setattr(replay, "SWEEP_ONE_IN", 10**18)  # the replay table's sweep, one finish in 50, never here
    request_id = start(client, connection)
    response = idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id)
    with assert_queries(0):  # the ACS only stashes the response in the shared cache
        stashed = client.post("/sso/saml", {"SAMLResponse": response})
    # session, the connection with its service provider, its certificates (what its warm client is keyed on), this
    # assertion into the replay table, the domain check, identity and user lookups, the invitation, the new user
    # (last_login included), membership and identity, the connection's last sign-in, the certificate's last
    # signature (which certificate signed the last sign-in; both written at most once a minute), the sign-in event,
    # the session's save (its row moved to a new key). No IdP metadata is fetched.
    with assert_queries(15):
        landed = client.get(stashed["Location"])
    assert landed["Location"] == "/orgs/acme/"


def test_a_response_without_an_audience_is_refused(client, connection, idp, sp):
    import re

    request_id = start(client, connection)
    response = idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id)
    xml = base64.b64decode(response).decode()
    stripped = re.sub(r"<(\w+:)?AudienceRestriction>.*?</(\w+:)?AudienceRestriction>", "", xml, flags=re.DOTALL)
    refused(client, post(client, base64.b64encode(stripped.encode()).decode()), "audience_mismatch")


def test_a_garbage_time_is_a_refusal_not_a_crash(client, connection, idp, sp):
    request_id = start(client, connection)
    response = idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id)
    xml = base64.b64decode(response).decode()
    broken = xml.replace('NotOnOrAfter="', 'NotOnOrAfter="x', 1)
    refused(client, post(client, base64.b64encode(broken.encode()).decode()), "saml_invalid")


def test_junk_posted_to_the_acs_is_not_stashed(client):
    response = client.post("/sso/saml", {"SAMLResponse": "not a saml response"})
    assert response.status_code == 400
    assert "<code>saml_unreadable</code>" in response.content.decode()


def test_a_transient_nameid_signs_the_same_person_in_twice(client, connection, idp, sp):
    from saml2.saml import NAMEID_FORMAT_TRANSIENT

    for transient in ("_t1", "_t2"):
        request_id = start(client, connection)
        response = idp.response(
            in_response_to=request_id,
            destination=saml_acs_url(),
            audience=sp.entity_id,
            name_id=transient,
            name_id_format=NAMEID_FORMAT_TRANSIENT,
            attributes={"mail": ["ada@acme.test"]},
        )
        assert post(client, response)["Location"] == "/orgs/acme/"
        client.logout()
    assert SSOIdentity.objects.get().subject == "email:ada@acme.test"


def test_only_the_response_is_stashed_not_a_relay_state_of_any_size(client, connection, idp, sp):
    # RelayState is only followed after an IdP-initiated sign-in, to a path here (bindings allow 80 bytes): a
    # megabyte of it must not ride along into the shared cache.
    from django.core.cache import cache

    request_id = start(client, connection)
    response = idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id)
    stashed = client.post("/sso/saml", {"SAMLResponse": response, "RelayState": "r" * 1_000_000})
    key = stashed["Location"].rstrip("/").rsplit("/", 1)[1]
    assert cache.get(f"saml-stash:{key}") == {"response": response, "relay_state": ""}
    assert client.get(stashed["Location"])["Location"] == "/orgs/acme/"


ENTRA_TENANT = "6c2a8e0e-1f7b-4b8e-9f0a-3d5e2c1b4a79"
ENTRA_OBJECT_ID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
ENTRA_TENANT_ID = "http://schemas.microsoft.com/identity/claims/tenantid"


@pytest.fixture
def entra_idp(tmp_path, sp):
    return CraftingIdP(
        tmp_path, sp_metadata=sp_metadata_xml(sp), entity_id=f"https://sts.windows.net/{ENTRA_TENANT}/", stem="entra"
    )


@pytest.fixture
def entra_connection(acme, entra_idp):
    return saml_connection_save(
        org=acme, display_name="Entra SAML", source="xml", idp=parse_idp_metadata(entra_idp.metadata_xml())
    )


def entra_attributes(tenant: str) -> dict:
    return {
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": ["ada@acme.test"],
        ENTRA_OBJECT_ID: ["0b5e7a3c-oid"],
        ENTRA_TENANT_ID: [tenant],
    }


def test_an_entra_assertion_is_keyed_on_the_connections_tenant_and_the_object_id(
    client, entra_connection, entra_idp, sp
):
    request_id = start(client, entra_connection)
    response = entra_idp.response(
        in_response_to=request_id,
        destination=saml_acs_url(),
        audience=sp.entity_id,
        attributes=entra_attributes(ENTRA_TENANT.upper()),  # Entra's tenant IDs compare case-insensitively
    )
    assert post(client, response)["Location"] == "/orgs/acme/"
    assert SSOIdentity.objects.get().subject == f"entra:{ENTRA_TENANT}:0b5e7a3c-oid"


def test_an_entra_assertion_naming_another_tenant_is_refused(client, entra_connection, entra_idp, sp):
    # Whoever signed it, the tenant in the identity key is the connection's (its IdP Entity ID), never an attribute's.
    request_id = start(client, entra_connection)
    response = entra_idp.response(
        in_response_to=request_id,
        destination=saml_acs_url(),
        audience=sp.entity_id,
        attributes=entra_attributes("99999999-9999-9999-9999-999999999999"),
    )
    refused(client, post(client, response), "saml_entra_tenant_mismatch")
    assert not SSOIdentity.objects.exists()
