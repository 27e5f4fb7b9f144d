"""The connection page's certificate rollover: "Add the next certificate" (a PEM or new metadata) and "Retire",
with their refusals, the "Rollover in progress" on the page and the list, and outsiders kept out."""

import re
import textwrap
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from connections.models import SAMLCertificate
from connections.saml.metadata import parse_idp_metadata
from connections.saml.services import saml_connection_save
from tests.support.certificates import certificate_b64
from tests.support.factories import oidc_connection, saml_connection
from tests.support.metadata import sample

NOW = datetime.now(UTC)


def pem(b64: str) -> str:
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(textwrap.wrap(b64, 64)) + "\n-----END CERTIFICATE-----\n"


def next_pem(**dates) -> str:
    dates = {"not_before": NOW - timedelta(days=1), "not_after": NOW + timedelta(days=800), **dates}
    return pem(certificate_b64(common_name="Okta next", **dates))


@pytest.fixture
def okta(acme):
    return saml_connection(acme)


def page_url(connection, org="acme"):
    return reverse("connections:edit", kwargs={"org_slug": org, "public_id": connection.public_id})


def add_url(connection, org="acme"):
    return reverse("connections:certificate_add", kwargs={"org_slug": org, "public_id": connection.public_id})


def retire_url(connection, certificate, org="acme"):
    return reverse(
        "connections:certificate_retire",
        kwargs={"org_slug": org, "public_id": connection.public_id, "certificate_id": certificate.public_id},
    )


def add(client, connection, text):
    return client.post(add_url(connection), {"certificate": text}, follow=True)


def errors(response) -> str:
    return " ".join(re.findall(r'<p class="error" role="alert">(.*?)</p>', response.content.decode(), re.S))


def certificates(connection):
    return list(SAMLCertificate.objects.filter(saml_settings__connection=connection).order_by("not_after"))


def test_a_pasted_certificate_is_added_beside_the_current_one(as_alice, okta):
    before = certificates(okta)
    landed = add(as_alice, okta, next_pem())
    assert landed.redirect_chain[-1][0] == page_url(okta) + "#certificates"
    on_file = certificates(okta)
    assert len(on_file) == 2 and on_file[0] == before[0]  # the current one is untouched
    assert on_file[1].subject == "CN=Okta next" and on_file[1].added_at > NOW - timedelta(minutes=1)
    page = landed.content.decode()
    assert "Certificate CN=Okta next" in page and "added" in page
    assert "Rollover in progress" in page and 'id="rollover-banner"' in page


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "not valid base64"),
        ("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----", "not a certificate in PEM form"),
        (pem("aGVsbG8gd29ybGQ="), "not an X.509 certificate"),
        ("", "Paste the IdP&#x27;s new certificate (PEM), or its new metadata XML."),
        ("<nope", "not well-formed"),
    ],
    ids=["not-base64", "a-private-key", "not-x509", "empty", "broken-xml"],
)
def test_what_is_not_a_certificate_is_refused_with_the_reason(as_alice, okta, text, message):
    landed = add(as_alice, okta, text)
    assert landed.status_code == 200 and message.lower() in errors(landed).lower(), errors(landed)
    assert len(certificates(okta)) == 1


def test_a_certificate_already_on_file_is_refused(as_alice, okta):
    landed = add(as_alice, okta, certificates(okta)[0].certificate_pem)
    assert "This certificate is already on file (SHA-256" in errors(landed)
    assert len(certificates(okta)) == 1


def test_an_expired_certificate_is_refused(as_alice, okta):
    landed = add(as_alice, okta, next_pem(not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=2)))
    assert "This certificate expired on" in errors(landed) and "sign-ins would not accept it" in errors(landed)
    assert len(certificates(okta)) == 1


def test_a_certificate_not_valid_yet_is_added_and_the_owner_told_when_it_starts(as_alice, okta):
    starts = NOW + timedelta(days=3)
    landed = add(as_alice, okta, next_pem(not_before=starts))
    assert len(certificates(okta)) == 2
    page = landed.content.decode()
    assert f"It becomes valid on {starts:%Y-%m-%d %H:%M} UTC" in page
    assert f"Valid from {starts:%Y-%m-%d %H:%M} UTC" in page  # and the table says so


def with_extra_certificate(metadata: str, b64: str) -> str:
    """The metadata with a second signing KeyDescriptor (how an IdP publishes its next certificate)."""
    descriptor = (
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>'
        f"<ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
    )
    return re.sub(r"(<md:KeyDescriptor)", descriptor + r"\1", metadata, count=1)


def test_new_metadata_adds_its_new_certificates_and_changes_nothing_else(as_alice, okta):
    saml = okta.saml
    stored = (saml.metadata_xml, saml.idp_entity_id, saml.sso_redirect_url, saml.sso_post_url)
    metadata = sample("okta_metadata.xml")
    assert "<md:KeyDescriptor" in metadata
    b64 = certificate_b64(common_name="Okta next", not_before=NOW, not_after=NOW + timedelta(days=900))
    moved = with_extra_certificate(metadata, b64).replace(saml.sso_redirect_url, "https://evil.test/sso")
    landed = add(as_alice, okta, moved)
    assert [c.subject for c in certificates(okta)][-1] == "CN=Okta next", errors(landed)
    saml.refresh_from_db()
    assert (saml.metadata_xml, saml.idp_entity_id, saml.sso_redirect_url, saml.sso_post_url) == stored


def test_metadata_holding_only_certificates_on_file_is_refused(as_alice, okta):
    landed = add(as_alice, okta, sample("okta_metadata.xml"))
    assert "already on file: the IdP has not published its next certificate yet" in errors(landed)


def test_metadata_of_another_idp_is_refused(as_alice, okta):
    landed = add(as_alice, okta, sample("google_workspace_metadata.xml"))
    assert "This metadata is not for this connection&#x27;s IdP" in errors(landed)
    assert "never changes the IdP" in errors(landed)
    assert len(certificates(okta)) == 1


def test_retiring_asks_first_then_takes_the_old_certificate_off_file(as_alice, okta):
    add(as_alice, okta, next_pem())
    old, new = certificates(okta)
    confirm = as_alice.get(retire_url(okta, old))
    assert confirm.status_code == 200 and "Retire this signing certificate?" in confirm.content.decode()
    assert len(certificates(okta)) == 2  # a GET retires nothing
    landed = as_alice.post(retire_url(okta, old), follow=True)
    assert certificates(okta) == [new]
    page = landed.content.decode()
    assert "retired: sign-ins signed by it are no longer accepted" in page
    assert "Rollover in progress" not in page


def test_the_last_valid_certificate_cannot_be_retired(as_alice, okta):
    (only,) = certificates(okta)
    landed = as_alice.post(retire_url(okta, only), follow=True)
    assert "This is the connection&#x27;s last valid signing certificate" in landed.content.decode()
    assert certificates(okta) == [only]


def test_an_expired_certificate_does_not_count_as_a_valid_one_left(as_alice, okta):
    current = certificates(okta)[0]
    expired = SAMLCertificate.objects.create(
        saml_settings=okta.saml,
        certificate_pem="x",
        sha256_fingerprint="EX",
        not_before=NOW - timedelta(days=400),
        not_after=NOW - timedelta(days=1),
    )
    as_alice.post(retire_url(okta, current))
    assert set(certificates(okta)) == {current, expired}  # refused: only an expired one would be left
    as_alice.post(retire_url(okta, expired))
    assert certificates(okta) == [current]  # an expired one goes freely


def test_the_list_says_rollover_in_progress(as_alice, okta):
    listed = as_alice.get(reverse("connections:list", kwargs={"org_slug": "acme"})).content.decode()
    assert "Rollover in progress" not in listed
    add(as_alice, okta, next_pem())
    listed = as_alice.get(reverse("connections:list", kwargs={"org_slug": "acme"})).content.decode()
    assert "Rollover in progress" in listed


def test_the_page_and_the_list_name_the_certificate_that_signed_the_last_sign_in(as_alice, okta):
    add(as_alice, okta, next_pem())
    old, new = certificates(okta)
    SAMLCertificate.objects.filter(pk=old.pk).update(last_signed_at=NOW - timedelta(hours=1))
    SAMLCertificate.objects.filter(pk=new.pk).update(last_signed_at=NOW)
    page = as_alice.get(page_url(okta)).content.decode()
    row = page.split(f'id="cert-{new.public_id}"', 1)[1].split("</tr>", 1)[0]
    assert "Signed the last sign-in" in row
    assert page.count("Signed the last sign-in") == 1
    listed = as_alice.get(reverse("connections:list", kwargs={"org_slug": "acme"})).content.decode()
    assert f"Last sign-in signed by {new.sha256_fingerprint[:11]}…" in listed


def test_saving_the_same_metadata_again_keeps_a_certificate_added_on_the_page(as_alice, okta, acme):
    add(as_alice, okta, next_pem())
    saml_connection_save(
        org=acme,
        connection=okta,
        display_name="Okta renamed",
        source="xml",
        idp=parse_idp_metadata(sample("okta_metadata.xml")),
    )
    assert len(certificates(okta)) == 2


def test_new_metadata_saved_in_the_form_keeps_the_rows_of_certificates_it_still_holds(acme, okta):
    (current,) = certificates(okta)
    SAMLCertificate.objects.filter(pk=current.pk).update(last_signed_at=NOW)
    b64 = certificate_b64(common_name="Okta next", not_before=NOW, not_after=NOW + timedelta(days=900))
    metadata = with_extra_certificate(sample("okta_metadata.xml"), b64)
    saml_connection_save(org=acme, connection=okta, display_name="Okta", source="xml", idp=parse_idp_metadata(metadata))
    kept, added = certificates(okta)
    assert kept.pk == current.pk and kept.last_signed_at is not None and added.subject == "CN=Okta next"


# --- who may ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("org", ["acme", "globex"])
def test_another_organizations_owner_gets_404(client, charlie, okta, org):
    client.force_login(charlie)
    (current,) = certificates(okta)
    assert client.post(add_url(okta, org), {"certificate": next_pem()}).status_code == 404
    assert client.get(retire_url(okta, current, org)).status_code == 404
    assert client.post(retire_url(okta, current, org)).status_code == 404
    assert certificates(okta) == [current]


def test_a_certificate_of_another_connection_is_a_404(as_alice, okta, acme, globex):
    other = saml_connection(globex, display_name="Globex Okta")
    (theirs,) = certificates(other)
    assert as_alice.post(retire_url(okta, theirs)).status_code == 404
    assert certificates(other) == [theirs]


def test_members_get_403(client, bob, okta):
    client.force_login(bob)
    (current,) = certificates(okta)
    assert client.post(add_url(okta), {"certificate": next_pem()}).status_code == 403
    assert client.post(retire_url(okta, current)).status_code == 403


def test_an_oidc_connection_has_no_certificates_to_add(as_alice, acme):
    connection = oidc_connection(acme)
    assert as_alice.post(add_url(connection), {"certificate": next_pem()}).status_code == 404


def test_adding_is_a_post(as_alice, okta):
    assert as_alice.get(add_url(okta)).status_code == 405


def test_during_a_rollover_the_list_warns_only_of_the_certificate_sign_ins_depend_on(as_alice, okta):
    SAMLCertificate.objects.filter(saml_settings__connection=okta).update(not_after=NOW + timedelta(days=10))
    add(as_alice, okta, next_pem(not_after=NOW + timedelta(days=20)))
    listed = as_alice.get(reverse("connections:list", kwargs={"org_slug": "acme"})).content.decode()
    assert listed.count("Add the IdP&#x27;s new certificate before then") == 1
    assert f"CN=Okta next expires on {NOW + timedelta(days=20):%Y-%m-%d}" in listed


def save_from_url(acme, okta, metadata_xml, *, source="url"):
    saml_connection_save(
        org=acme,
        connection=okta,
        display_name="Okta",
        source=source,
        metadata_url="https://okta.example.test/app/metadata" if source == "url" else "",
        idp=parse_idp_metadata(metadata_xml),
    )


def test_saving_a_url_connection_keeps_the_next_certificate_the_owner_added_by_hand(as_alice, okta, acme):
    save_from_url(acme, okta, sample("okta_metadata.xml"))
    add(as_alice, okta, next_pem())
    save_from_url(acme, okta, sample("okta_metadata.xml"))  # the edit form fetches the URL again
    current, pasted = certificates(okta)
    assert not current.pasted and pasted.subject == "CN=Okta next" and pasted.pasted
    assert not any(e.action == "certificate.retired" for e in acme.audit_events.all())


def test_a_url_connection_saved_as_pasted_xml_or_for_another_idp_follows_its_metadata_alone(as_alice, okta, acme):
    save_from_url(acme, okta, sample("okta_metadata.xml"))
    add(as_alice, okta, next_pem())
    save_from_url(acme, okta, sample("okta_metadata.xml"), source="xml")
    assert len(certificates(okta)) == 1 and not certificates(okta)[0].pasted
    assert acme.audit_events.filter(action="certificate.retired").count() == 1
