"""Sign-ins during a certificate rollover (crafted responses): both certificates accepted until the old one is
retired, an expired certificate never, the warm client rebuilt at once on every server, and the certificate that
verified recorded at most once a minute."""
# ruff: noqa: F811 -- the fixtures of tests.test_saml_acs are taken as arguments

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from connections.events import SignInEvent
from connections.saml.certificates import load_certificate
from connections.saml.models import SAMLCertificate
from connections.saml.rollover import saml_certificate_retire, saml_certificates_add
from connections.sp import saml_acs_url, sp_metadata_xml
from signin.saml import clients
from tests.support.saml_craft import CraftingIdP
from tests.test_saml_acs import connection, idp, post, refused, signed_in, sp, start  # noqa: F401

pytestmark = pytest.mark.skipif(
    not __import__("shutil").which("xmlsec1"), reason="the crafting IdP signs with xmlsec1 (apt-get install xmlsec1)"
)


@pytest.fixture(autouse=True)
def cold():
    clients.forget_all()
    yield
    clients.forget_all()


@pytest.fixture
def rekeyed(tmp_path, sp):
    """The same IdP (same entity ID) after it made its next key: what it signs with from the switch on."""
    return CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), stem="next")


def certificate_of(idp_folder: Path, stem: str):
    return load_certificate((idp_folder / f"{stem}.crt").read_text())


def sign_in(idp, connection, sp, browser=None):
    browser = browser or Client()
    request_id = start(browser, connection)
    landed = post(browser, idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id))
    return browser, landed


def ok(landed):
    assert landed.status_code == 302 and landed["Location"] == "/orgs/acme/", landed.content.decode()[:2000]


def on_file(connection):
    return {c.subject: c for c in SAMLCertificate.objects.filter(saml_settings__connection=connection)}


def test_both_certificates_sign_people_in_until_the_old_one_is_retired(acme, connection, idp, rekeyed, sp, tmp_path):
    ok(sign_in(idp, connection, sp)[1])
    saml_certificates_add(org=acme, connection=connection, certificates=[certificate_of(tmp_path, "next")])
    ok(sign_in(idp, connection, sp)[1])  # the IdP has not switched yet
    ok(sign_in(rekeyed, connection, sp)[1])  # it has
    saml_certificate_retire(
        org=acme, connection=connection, certificate_public_id=on_file(connection)["CN=idp"].public_id
    )
    browser, landed = sign_in(idp, connection, sp)
    refused(browser, landed, "saml_bad_signature")
    ok(sign_in(rekeyed, connection, sp)[1])


def test_a_certificate_added_or_retired_elsewhere_is_seen_by_a_warm_client_at_its_next_sign_in(
    acme, connection, idp, rekeyed, sp, tmp_path, monkeypatch
):
    """Another app server writes the database; this process's warm client is keyed on the certificates on file,
    read at each sign-in, so it is rebuilt at once, with no message between servers."""
    built = []
    original = clients.ConnectionClient.__init__

    def counting(self, values):
        original(self, values)
        built.append(self)

    monkeypatch.setattr(clients.ConnectionClient, "__init__", counting)
    ok(sign_in(idp, connection, sp)[1])
    ok(sign_in(idp, connection, sp)[1])
    assert len(built) == 1  # warm
    browser, landed = sign_in(rekeyed, connection, sp)
    refused(browser, landed, "saml_bad_signature")  # not on file yet
    new = certificate_of(tmp_path, "next")
    SAMLCertificate.objects.create(  # as another server's "Add the next certificate" writes it
        saml_settings=connection.saml,
        certificate_pem=new.pem,
        subject=new.subject,
        sha256_fingerprint=new.sha256_fingerprint,
        not_before=new.not_before,
        not_after=new.not_after,
    )
    ok(sign_in(rekeyed, connection, sp)[1])
    assert len(built) == 2
    SAMLCertificate.objects.filter(saml_settings__connection=connection, subject="CN=idp").delete()
    browser, landed = sign_in(idp, connection, sp)
    refused(browser, landed, "saml_bad_signature")
    assert len(built) == 3


def test_an_expired_certificate_is_not_accepted(connection, idp, sp):
    ok(sign_in(idp, connection, sp)[1])
    expiry = on_file(connection)["CN=idp"].not_after
    with time_machine.travel(expiry + timedelta(minutes=1), tick=True):  # the IdP still signs with it
        browser, landed = sign_in(idp, connection, sp)
        refused(browser, landed, "saml_bad_signature")
    event = SignInEvent.objects.filter(code="saml_bad_signature").get()
    assert f"expired {expiry:%Y-%m-%d}: no longer accepted" in event.detail  # the owners' explanation says why


def test_an_expired_certificate_beside_a_valid_one_does_not_stop_the_valid_one(
    acme, connection, idp, rekeyed, sp, tmp_path
):
    saml_certificates_add(org=acme, connection=connection, certificates=[certificate_of(tmp_path, "next")])
    SAMLCertificate.objects.filter(subject="CN=idp").update(not_after=timezone.now() - timedelta(minutes=1))
    ok(sign_in(rekeyed, connection, sp)[1])
    browser, landed = sign_in(idp, connection, sp)
    refused(browser, landed, "saml_bad_signature")


def test_the_certificate_that_verified_is_recorded_at_most_once_a_minute(acme, connection, idp, rekeyed, sp, tmp_path):
    saml_certificates_add(org=acme, connection=connection, certificates=[certificate_of(tmp_path, "next")])
    assert {c.last_signed_at for c in on_file(connection).values()} == {None}
    ok(sign_in(idp, connection, sp)[1])
    first = on_file(connection)["CN=idp"].last_signed_at
    assert first is not None and on_file(connection)["CN=next"].last_signed_at is None
    ok(sign_in(idp, connection, sp)[1])
    assert on_file(connection)["CN=idp"].last_signed_at == first  # within the minute: not written again
    ok(sign_in(rekeyed, connection, sp)[1])
    assert on_file(connection)["CN=next"].last_signed_at is not None
    SAMLCertificate.objects.filter(subject="CN=idp").update(last_signed_at=first - timedelta(seconds=61))
    ok(sign_in(idp, connection, sp)[1])
    assert on_file(connection)["CN=idp"].last_signed_at > first


def test_a_refused_response_records_no_signer(connection, idp, sp):
    browser = Client()
    start(browser, connection)
    # signed by the IdP, but answering no request of ours
    response = idp.response(in_response_to="_not-ours", destination=saml_acs_url(), audience=sp.entity_id)
    assert not signed_in(browser) and post(browser, response).status_code == 400
    assert on_file(connection)["CN=idp"].last_signed_at is None
