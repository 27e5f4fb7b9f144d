"""Encrypted assertions, end to end against a real IdP: SimpleSAMLphp encrypting to our SP encryption certificate
(RSA-OAEP-MGF1P and AES-128-CBC, what SimpleSAMLphp 1.19 does), reconfigured per test."""

import pytest
import requests

from connections.events import SignInEvent
from connections.models import SSOIdentity
from connections.saml.metadata import parse_idp_metadata
from connections.saml.services import saml_connection_save
from connections.sp import generate_key_pair, service_provider_get_or_create
from connections.sp_keys import sp_key_rotation_finish, sp_key_rotation_start
from domains.models import Domain

pytestmark = pytest.mark.django_db(transaction=True)
TRIPLEDES = "http://www.w3.org/2001/04/xmlenc#tripledes-cbc"
AES128_CBC = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"


@pytest.fixture
def site(live_server, settings):
    from kloudsso.tenancy.models import Organization, Plan
    from tests.support.saml_idp import SimpleSAMLphpIdP, available

    reason = available()
    if reason:
        pytest.skip(f"the SAML test IdP cannot run: {reason}")
    settings.PUBLIC_BASE_URL = live_server.url
    org = Organization.objects.create(name="Acme", slug="acme", plan=Plan.PAID, provisioning_mode="jit")
    Domain.objects.create(organization=org, name="acme.test", status="verified")
    sp = service_provider_get_or_create(org=org)
    with SimpleSAMLphpIdP(
        sp_entity_id=sp.entity_id,
        acs_url=f"{live_server.url}/sso/saml",
        sp_certificate_pem=sp.certificate_pem,
        encrypt=True,
        sp_encryption_certificate_pem=sp.encryption_certificate_pem,
    ) as idp:
        connection = saml_connection_save(
            org=org, display_name="SimpleSAMLphp", source="xml", idp=parse_idp_metadata(idp.metadata_xml())
        )
        yield live_server.url, org, connection, idp, sp


def sign_in(base_url, *, captured=None):
    from tests.support.saml_idp import complete_login
    from tests.support.sso_browser import start_sso

    browser = requests.Session()
    to_idp = start_sso(browser, base_url, "ada@acme.test")
    form = complete_login(browser, to_idp.headers["Location"], "ada")
    if captured is not None:
        captured.append(form["SAMLResponse"])
    return browser.post(form["action"], data={k: v for k, v in form.items() if k in ("SAMLResponse", "RelayState")})


# SimpleSAMLphp encrypts with AES-CBC: until the IdP's signature is verified, every refusal shows the person this one
# code (signin/saml/encryption.CBC_ALGORITHMS); the owners' event has the real one.
CBC_SHOWN = "saml_decryption_failed"


def refused(landed, code, *, shown=None):
    assert landed.status_code == 400 and f"<code>{shown or code}</code>" in landed.text
    return SignInEvent.objects.get(code=code)


def test_an_assertion_encrypted_to_our_certificate_signs_in(site):
    import base64

    base_url, _org, connection, _idp, _sp = site
    captured = []
    landed = sign_in(base_url, captured=captured)
    assert landed.url == f"{base_url}/orgs/acme/", landed.text[:2000]
    xml = base64.b64decode(captured[0]).decode()
    assert "EncryptedAssertion" in xml and "rsa-oaep-mgf1p" in xml and AES128_CBC in xml
    assert "ada@acme.test" not in xml  # the NameID and attributes travelled encrypted
    identity = SSOIdentity.objects.get(user__email="ada@acme.test")
    assert (identity.connection, identity.subject) == (connection, "nameid:ada@acme.test")


def test_an_encrypted_name_id_inside_the_encrypted_assertion_is_read(site):
    base_url, _org, _connection, idp, sp = site
    idp.configure_encryption(
        encrypt=True, sp_encryption_certificate_pem=sp.encryption_certificate_pem, encrypt_name_id=True
    )
    landed = sign_in(base_url)
    assert landed.url == f"{base_url}/orgs/acme/", landed.text[:2000]
    assert SSOIdentity.objects.get(user__email="ada@acme.test").subject == "nameid:ada@acme.test"


def test_an_assertion_encrypted_for_another_key_is_refused(site):
    base_url, _org, _connection, idp, sp = site
    stranger, _key = generate_key_pair(common_name="someone else's SP")
    idp.configure_encryption(encrypt=True, sp_encryption_certificate_pem=stranger)
    event = refused(sign_in(base_url), "saml_encrypted_for_another_key", shown=CBC_SHOWN)
    from connections.saml.certificates import load_certificate

    assert load_certificate(sp.encryption_certificate_pem).sha256_fingerprint in event.detail


def test_the_signing_certificate_is_not_the_encryption_certificate(site):
    base_url, _org, _connection, idp, sp = site
    idp.configure_encryption(encrypt=True, sp_encryption_certificate_pem=sp.certificate_pem)
    refused(sign_in(base_url), "saml_encrypted_for_another_key", shown=CBC_SHOWN)


def test_triple_des_is_refused_as_weak(site):
    base_url, _org, _connection, idp, _sp = site
    idp.configure_encryption(encrypt=True, shared_key="0123456789abcdef01234567", shared_key_algorithm=TRIPLEDES)
    event = refused(sign_in(base_url), "saml_encryption_weak")
    assert "Triple DES" in event.detail


def test_a_shared_symmetric_key_is_refused_as_not_accepted(site):
    base_url, _org, _connection, idp, _sp = site
    idp.configure_encryption(encrypt=True, shared_key="0123456789abcdef", shared_key_algorithm=AES128_CBC)
    event = refused(sign_in(base_url), "saml_encryption_unsupported", shown=CBC_SHOWN)
    assert "EncryptedKey" in event.detail


def test_a_connection_that_requires_encryption_refuses_a_clear_assertion(site):
    base_url, _org, connection, idp, _sp = site
    connection.saml.require_encryption = True
    connection.saml.save()
    idp.configure_encryption()  # encryption off at the IdP
    refused(sign_in(base_url), "saml_encryption_required")


def test_a_connection_that_requires_encryption_accepts_an_encrypted_one(site):
    base_url, _org, connection, _idp, _sp = site
    connection.saml.require_encryption = True
    connection.saml.save()
    assert sign_in(base_url).url == f"{base_url}/orgs/acme/"


def test_the_encryption_key_rolls_over_with_the_signing_key(site):
    base_url, _org, _connection, idp, sp = site
    old_encryption = sp.encryption_certificate_pem
    sp = sp_key_rotation_start(sp=sp)
    # An IdP that read the metadata during the rotation (both signing certificates, the next encryption one)
    idp.trust_sp_certificates(sp.certificate_pem + sp.next_certificate_pem)
    idp.configure_encryption(encrypt=True, sp_encryption_certificate_pem=sp.next_encryption_certificate_pem)
    assert sign_in(base_url).url == f"{base_url}/orgs/acme/"  # encrypted to the next key: decrypted meanwhile
    idp.configure_encryption(encrypt=True, sp_encryption_certificate_pem=old_encryption)
    assert sign_in(base_url).url == f"{base_url}/orgs/acme/"  # and to the current one
    sp = sp_key_rotation_finish(sp=sp)
    assert sp.encryption_certificate_pem != old_encryption and not sp.next_encryption_certificate_pem
    refused(sign_in(base_url), "saml_encrypted_for_another_key", shown=CBC_SHOWN)  # the old key is gone for good
    idp.configure_encryption(encrypt=True, sp_encryption_certificate_pem=sp.encryption_certificate_pem)
    assert sign_in(base_url).url == f"{base_url}/orgs/acme/"
