"""Rotating the SP's own keys (connections/sp_keys): the next signing and encryption certificates are published beside
the current ones, AuthnRequests stay signed with the current key until the owner makes the next one current, both
encryption keys decrypt meanwhile, and a real IdP that read the metadata during the overlap never refuses a sign-in."""

import pytest
import requests
from defusedxml.ElementTree import fromstring
from django.urls import reverse

from connections.models import ServiceProvider
from connections.saml.certificates import load_certificate
from connections.saml.metadata import parse_idp_metadata
from connections.saml.services import saml_connection_save
from connections.sp import service_provider_get_or_create, sp_metadata_xml
from connections.sp_keys import (
    KeyRotationError,
    sp_key_rotation_cancel,
    sp_key_rotation_finish,
    sp_key_rotation_start,
)
from domains.models import Domain
from kloudsso.tenancy.models import Organization, Plan
from tests.support.sso_browser import saml_sign_in

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"


def published_certificates(sp, use="signing") -> list[str]:
    root = fromstring(sp_metadata_xml(sp).encode())
    descriptors = [d for d in root.iter(f"{MD}KeyDescriptor") if d.get("use") == use]
    return ["".join(d.find(f".//{DS}X509Certificate").text.split()) for d in descriptors]


def body(pem: str) -> str:
    return "".join(line for line in pem.strip().splitlines() if "-----" not in line)


def test_the_next_certificate_is_published_beside_the_current_one_until_it_is_made_current(acme):
    sp = service_provider_get_or_create(org=acme)
    first = sp.certificate_pem
    assert published_certificates(sp) == [body(first)]

    sp = sp_key_rotation_start(sp=sp)
    assert sp.certificate_pem == first, "the current key keeps signing"
    assert published_certificates(sp) == [body(first), body(sp.next_certificate_pem)]
    upcoming = sp.next_certificate_pem

    sp = sp_key_rotation_finish(sp=ServiceProvider.objects.get(pk=sp.pk))
    assert sp.certificate_pem == upcoming and not sp.rotating
    assert sp.get_private_key_pem().startswith("-----BEGIN PRIVATE KEY-----")
    assert published_certificates(sp) == [body(upcoming)]


def test_the_encryption_key_rides_the_same_rotation(acme):
    sp = service_provider_get_or_create(org=acme)
    first = sp.encryption_certificate_pem
    assert first and first != sp.certificate_pem, "a key pair of its own"
    assert published_certificates(sp, "encryption") == [body(first)]

    sp = sp_key_rotation_start(sp=sp)
    upcoming = sp.next_encryption_certificate_pem
    assert upcoming and sp.encryption_certificate_pem == first
    assert published_certificates(sp, "encryption") == [body(first), body(upcoming)]
    assert [pem for pem, _key in sp.decryption_keys()] == [first, upcoming], "both decrypt during the rotation"

    sp = sp_key_rotation_finish(sp=ServiceProvider.objects.get(pk=sp.pk))
    assert sp.encryption_certificate_pem == upcoming and not sp.next_encryption_certificate_pem
    assert published_certificates(sp, "encryption") == [body(upcoming)]
    assert [pem for pem, _key in sp.decryption_keys()] == [upcoming]


def test_a_cancelled_rotation_drops_the_next_encryption_key_too(acme):
    sp = service_provider_get_or_create(org=acme)
    first = sp.encryption_certificate_pem
    sp_key_rotation_start(sp=sp)
    sp = sp_key_rotation_cancel(sp=ServiceProvider.objects.get(pk=sp.pk))
    sp.refresh_from_db()
    assert (sp.encryption_certificate_pem, sp.next_encryption_certificate_pem) == (first, "")
    assert sp.next_encryption_private_key_encrypted == ""


def test_a_cancelled_rotation_drops_the_next_key_and_keeps_the_current_one(acme):
    sp = service_provider_get_or_create(org=acme)
    first = sp.certificate_pem
    sp_key_rotation_start(sp=sp)
    sp = sp_key_rotation_cancel(sp=ServiceProvider.objects.get(pk=sp.pk))
    sp.refresh_from_db()
    assert (sp.certificate_pem, sp.next_certificate_pem, sp.next_private_key_encrypted) == (first, "", "")
    assert published_certificates(sp) == [body(first)]


def test_the_next_private_key_is_stored_encrypted(acme):
    sp = sp_key_rotation_start(sp=service_provider_get_or_create(org=acme))
    stored = ServiceProvider.objects.values_list("next_private_key_encrypted", flat=True).get(pk=sp.pk)
    assert stored and "PRIVATE KEY" not in stored


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([sp_key_rotation_start, sp_key_rotation_start], "A next key is already published"),
        ([sp_key_rotation_finish], "There is no next key to make current"),
        ([sp_key_rotation_cancel], "There is no key rotation to cancel"),
    ],
)
def test_a_step_out_of_order_says_what_to_do_and_changes_nothing(acme, steps, message):
    sp = service_provider_get_or_create(org=acme)
    *before, last = steps
    for step in before:
        step(sp=sp)
    saved = ServiceProvider.objects.values().get(pk=sp.pk)
    with pytest.raises(KeyRotationError, match=message):
        last(sp=sp)
    assert ServiceProvider.objects.values().get(pk=sp.pk) == saved


def test_the_owner_rotates_the_key_from_the_page(client, alice):
    client.force_login(alice)
    page = reverse("connections:sp_key", kwargs={"org_slug": "acme"})
    html = client.get(page).content.decode()
    assert "Start a key rotation" in html and "Rotation in progress" not in html

    answer = client.post(reverse("connections:sp_key_start", kwargs={"org_slug": "acme"}), follow=True)
    html = answer.content.decode()
    assert "A next key is published in your SP metadata" in html
    assert "Rotation in progress" in html and "Make the next key current" in html
    assert "Verification certificates" in html, "what to tell Entra ID, which does not read SP metadata"
    sp = ServiceProvider.objects.get(organization__slug="acme")
    assert sp.next_certificate_pem and "PRIVATE KEY" not in html

    download = client.get(reverse("connections:sp_certificate", kwargs={"org_slug": "acme", "which": "next"}))
    assert download.content.decode() == sp.next_certificate_pem
    assert 'filename="kloudsso-sp-next-acme.pem"' in download["Content-Disposition"]
    assert "Next encryption certificate" in html
    for which, pem in (
        ("encryption", sp.encryption_certificate_pem),
        ("next-encryption", sp.next_encryption_certificate_pem),
    ):
        download = client.get(reverse("connections:sp_certificate", kwargs={"org_slug": "acme", "which": which}))
        assert download.content.decode() == pem and "PRIVATE KEY" not in download.content.decode()

    listing = client.get(reverse("connections:list", kwargs={"org_slug": "acme"})).content.decode()
    assert "Rotation in progress" in listing and "Finish the key rotation" in listing

    answer = client.post(reverse("connections:sp_key_finish", kwargs={"org_slug": "acme"}), follow=True)
    assert "The next key is now current" in answer.content.decode()
    assert ServiceProvider.objects.get(pk=sp.pk).certificate_pem == sp.next_certificate_pem

    answer = client.post(reverse("connections:sp_key_finish", kwargs={"org_slug": "acme"}), follow=True)
    assert "There is no next key to make current" in answer.content.decode()


def test_the_steps_are_posts(client, alice):
    client.force_login(alice)
    for name in ("connections:sp_key_start", "connections:sp_key_finish", "connections:sp_key_cancel"):
        assert client.get(reverse(name, kwargs={"org_slug": "acme"})).status_code == 405
    assert not ServiceProvider.objects.filter(organization__slug="acme").exclude(next_certificate_pem="").exists()


STEP_URLS = ["connections:sp_key_start", "connections:sp_key_finish", "connections:sp_key_cancel"]


@pytest.mark.parametrize("name", STEP_URLS)
def test_another_organizations_owner_cannot_rotate_acmes_key(client, charlie, acme, name):
    sp = sp_key_rotation_start(sp=service_provider_get_or_create(org=acme))
    client.force_login(charlie)
    assert client.post(reverse(name, kwargs={"org_slug": "acme"})).status_code == 404
    for which in ("current", "next", "encryption", "next-encryption"):
        url = reverse("connections:sp_certificate", kwargs={"org_slug": "acme", "which": which})
        assert client.get(url).status_code == 404
    assert ServiceProvider.objects.values().get(pk=sp.pk)["next_certificate_pem"] == sp.next_certificate_pem
    # Globex's own steps act on Globex's SP only.
    client.post(reverse(name, kwargs={"org_slug": "globex"}))
    assert ServiceProvider.objects.get(pk=sp.pk).next_certificate_pem == sp.next_certificate_pem


@pytest.mark.parametrize("persona", ["bob", "ada"])
@pytest.mark.parametrize("name", STEP_URLS)
def test_members_and_admins_cannot_rotate_the_key(client, request, acme, persona, name):
    service_provider_get_or_create(org=acme)
    client.force_login(request.getfixturevalue(persona))
    assert client.post(reverse(name, kwargs={"org_slug": "acme"})).status_code == 403
    assert not ServiceProvider.objects.get(organization=acme).rotating


def test_support_rotates_a_key_from_the_admin(admin_client, acme):
    sp = service_provider_get_or_create(org=acme)
    changelist = reverse("admin:connections_serviceprovider_changelist")
    for action in ("start_key_rotation", "make_next_key_current"):
        admin_client.post(changelist, {"action": action, "_selected_action": [sp.pk]})
    sp_after = ServiceProvider.objects.get(pk=sp.pk)
    assert sp_after.certificate_pem != sp.certificate_pem and not sp_after.rotating
    answer = admin_client.post(
        changelist, {"action": "make_next_key_current", "_selected_action": [sp.pk]}, follow=True
    )
    assert "There is no next key to make current" in answer.content.decode()
    page = admin_client.get(reverse("admin:connections_serviceprovider_change", args=[sp.pk])).content.decode()
    assert "PRIVATE KEY" not in page


@pytest.mark.django_db(transaction=True)
def test_an_idp_that_read_the_metadata_during_the_overlap_never_refuses_a_sign_in(live_server, settings):
    from tests.support.saml_idp import SimpleSAMLphpIdP, available

    reason = available()
    if reason:
        pytest.skip(f"the SAML test IdP cannot run: {reason}")
    settings.PUBLIC_BASE_URL = live_server.url
    org = Organization.objects.create(name="Acme", slug="acme", plan=Plan.PAID, provisioning_mode="jit")
    Domain.objects.create(organization=org, name="acme.test", status="verified")
    sp = service_provider_get_or_create(org=org)
    old = sp.certificate_pem
    with SimpleSAMLphpIdP(sp.entity_id, f"{live_server.url}/sso/saml", old) as idp:
        saml_connection_save(org=org, display_name="IdP", source="xml", idp=parse_idp_metadata(idp.metadata_xml()))

        def signs_in() -> bool:
            try:
                landed = saml_sign_in(requests.Session(), live_server.url, "ada@acme.test", "ada")
            except AssertionError as refusal:  # the IdP's own error page
                assert "signature" in str(refusal).lower(), str(refusal)[:500]
                return False
            return landed.url == f"{live_server.url}/orgs/acme/"

        assert signs_in()
        sp = sp_key_rotation_start(sp=sp)
        assert signs_in(), "while the next key waits, the current one signs"
        idp.trust_sp_certificates(old + sp.next_certificate_pem)  # the IdP re-reads our metadata
        new = sp_key_rotation_finish(sp=sp).certificate_pem
        assert signs_in(), "the IdP that learned both certificates accepts the new signatures"

        idp.trust_sp_certificates(old)
        assert not signs_in(), "an IdP that never learned the next certificate refuses: the key really changed"
        idp.trust_sp_certificates(new)
        assert signs_in()


def test_each_step_is_in_the_audit_log_with_who_and_the_fingerprints(client, alice, admin_client):
    from kloudsso.audit.models import AuditEvent

    client.force_login(alice)
    for name in ("connections:sp_key_start", "connections:sp_key_cancel", "connections:sp_key_start"):
        client.post(reverse(name, kwargs={"org_slug": "acme"}))
    sp = ServiceProvider.objects.get(organization__slug="acme")
    old, upcoming = sp.certificate_pem, sp.next_certificate_pem
    old_encryption, upcoming_encryption = sp.encryption_certificate_pem, sp.next_encryption_certificate_pem
    admin_client.post(
        reverse("admin:connections_serviceprovider_changelist"),
        {"action": "make_next_key_current", "_selected_action": [sp.pk]},
    )
    events = list(AuditEvent.objects.filter(organization=sp.organization).order_by("created_at", "pk"))
    assert [(e.action, e.actor_kind) for e in events] == [
        ("sp_key.rotation_started", "owner"),
        ("sp_key.rotation_cancelled", "owner"),
        ("sp_key.rotation_started", "owner"),
        ("sp_key.made_current", "support"),
    ]
    pems = (old, upcoming, old_encryption, upcoming_encryption)
    fingerprint = {pem: load_certificate(pem).sha256_fingerprint for pem in pems}
    assert events[2].changes == {
        "next_certificate": [None, fingerprint[upcoming]],
        "next_encryption_certificate": [None, fingerprint[upcoming_encryption]],
    }
    assert events[3].changes == {
        "certificate": [fingerprint[old], fingerprint[upcoming]],
        "encryption_certificate": [fingerprint[old_encryption], fingerprint[upcoming_encryption]],
    }
    assert all("PRIVATE" not in str(e.changes) for e in events)
