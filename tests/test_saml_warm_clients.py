"""pysaml2 clients kept warm per process (signin/saml/clients): built once per configuration, rebuilt when anything
they are made of changes on any server, bounded, and never growing with sign-ins."""
# ruff: noqa: F811 -- the fixtures of tests.test_saml_acs are taken as arguments

import pytest
from saml2.cryptography import asymmetric

from connections.saml.metadata import parse_idp_metadata
from connections.saml.models import SAMLCertificate, SAMLSettings
from connections.saml.services import saml_connection_save
from connections.service_provider import ServiceProvider
from connections.sp import generate_key_pair, saml_acs_url, service_provider_get_or_create, sp_metadata_xml
from kloudsso.crypto import encrypt_secret
from kloudsso.tenancy.models import Organization
from signin.saml import clients
from tests.support.saml_craft import CraftingIdP
from tests.test_saml_acs import connection, idp, post, refused, signed_in, sp, start  # noqa: F401 -- fixtures and helpers

pytestmark = pytest.mark.skipif(
    not __import__("shutil").which("xmlsec1"), reason="the crafting IdP signs with xmlsec1 (apt-get install xmlsec1)"
)


@pytest.fixture(autouse=True)
def cold():
    clients.forget_all()
    yield
    clients.forget_all()


@pytest.fixture
def builds(monkeypatch):
    """The clients built during the test, in order."""
    built = []
    original = clients.ConnectionClient.__init__

    def counting(self, values):
        original(self, values)
        built.append(self)

    monkeypatch.setattr(clients.ConnectionClient, "__init__", counting)
    return built


def sign_in(client, connection, idp, sp):
    request_id = start(client, connection)
    return post(client, idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id))


def test_a_warm_client_serves_the_next_sign_ins(client, connection, idp, sp, builds):
    for _ in range(3):
        client.logout()
        assert sign_in(client, connection, idp, sp)["Location"] == "/orgs/acme/"
    assert len(builds) == 1  # the first start built it; three starts and three finishes used it


def test_a_warm_client_remembers_no_one(client, connection, idp, sp, builds):
    """pysaml2's client keeps each person it signed in, for its own logout: a warm one must not grow."""
    for name in ("ada", "bea", "cy"):
        client.logout()
        request_id = start(client, connection)
        response = idp.response(
            in_response_to=request_id,
            destination=saml_acs_url(),
            audience=sp.entity_id,
            name_id=f"{name}@acme.test",
        )
        assert post(client, response)["Location"] == "/orgs/acme/"
    (warm,) = builds
    assert warm.users.cache._db == {}


def test_a_certificate_changed_on_another_server_is_used_at_the_next_sign_in(client, connection, idp, sp, tmp_path):
    """Another server saves the connection with the IdP's next certificate: no signal reaches this process, and the
    next sign-in here checks against the certificate in the database."""
    assert sign_in(client, connection, idp, sp)["Location"] == "/orgs/acme/"  # warm, with the old certificate
    rolled = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), stem="rolled")  # same entity ID, new key
    new_pem = parse_idp_metadata(rolled.metadata_xml()).certificates[0].pem
    SAMLCertificate.objects.filter(saml_settings__connection=connection).update(certificate_pem=new_pem)
    client.logout()
    refused(client, sign_in(client, connection, idp, sp), "saml_bad_signature")
    assert sign_in(client, connection, rolled, sp)["Location"] == "/orgs/acme/"


def test_a_setting_changed_on_another_server_is_used_at_the_next_sign_in(client, connection, idp, sp, builds):
    assert sign_in(client, connection, idp, sp)["Location"] == "/orgs/acme/"
    SAMLSettings.objects.filter(connection=connection).update(allow_idp_initiated=True)
    client.logout()
    assert sign_in(client, connection, idp, sp)["Location"] == "/orgs/acme/"
    assert len(builds) == 2
    assert builds[1].config.getattr("allow_unsolicited", "sp") is True


def test_the_sp_key_rotated_on_another_server_signs_the_next_request(client, connection, sp, builds):
    start(client, connection)
    certificate_pem, key_pem = generate_key_pair(common_name="next", days=30)
    ServiceProvider.objects.filter(pk=sp.pk).update(
        certificate_pem=certificate_pem, private_key_encrypted=encrypt_secret(key_pem)
    )
    start(client, connection)
    assert len(builds) == 2
    assert builds[1].sec.my_cert.replace("\n", "") in certificate_pem.replace("\n", "")


def test_the_sp_key_is_parsed_once_per_process(connection, sp, monkeypatch, settings):
    settings.SAML_CLIENT_CACHE_SIZE = 1
    clients._parsed_key.cache_clear()
    parsed = []

    def parse(pem):
        parsed.append(pem)
        return asymmetric.load_pem_private_key(pem)

    monkeypatch.setattr(clients, "load_pem_private_key", parse)
    for allow in (False, True, False):  # three configurations of one SP: three clients, one key
        SAMLSettings.objects.filter(connection=connection).update(allow_idp_initiated=allow)
        connection.saml.refresh_from_db()
        clients.client_for(connection, sp=sp)
    assert len(parsed) == 1


def test_the_cache_is_bounded_and_keeps_the_most_recently_used(acme, idp, settings):
    settings.SAML_CLIENT_CACHE_SIZE = 2
    connections = []
    for slug in ("one", "two", "three"):
        org = Organization.objects.create(name=slug, slug=slug)
        saml = parse_idp_metadata(idp.metadata_xml())
        connections.append(saml_connection_save(org=org, display_name=slug, source="xml", idp=saml))
    one, two, three = ((c, service_provider_get_or_create(org=c.organization)) for c in connections)
    first = clients.client_for(one[0], sp=one[1])
    clients.client_for(two[0], sp=two[1])
    assert clients.client_for(one[0], sp=one[1]) is first  # used again: now the most recent
    clients.client_for(three[0], sp=three[1])  # the third pushes out the least recently used: two
    assert len(clients._clients) == 2
    assert clients.client_for(one[0], sp=one[1]) is first


def test_an_unchanged_connection_builds_nothing_on_sign_in_failures_either(client, connection, idp, sp, builds):
    for _ in range(2):
        request_id = start(client, connection)
        response = idp.response(in_response_to=request_id, destination=saml_acs_url(), audience="https://else.test")
        refused(client, post(client, response), "audience_mismatch")
    assert len(builds) == 1
    assert not signed_in(client)
