"""The owner turns on "Require encrypted assertions" in a real browser (Debian's Chromium): saved, audited, and
enforced against a real IdP (SimpleSAMLphp), which is refused while it sends clear assertions and lets Ada in once it
encrypts to the certificate on the SP keys page. Screenshots land in test-artifacts/."""

from pathlib import Path

import pytest
import requests

from connections.events import SignInEvent
from connections.models import Connection
from connections.saml.metadata import parse_idp_metadata
from connections.saml.services import saml_connection_save
from connections.sp import service_provider_get_or_create
from domains.models import Domain
from kloudsso.audit.models import AuditEvent
from tests.support.browser import allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable
from tests.support.sso_browser import saml_sign_in

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()
SHOTS = "require-encryption"


@pytest.fixture
def idp(live_server, settings, acme):
    from tests.support.saml_idp import SimpleSAMLphpIdP, available

    if reason := available():
        pytest.skip(f"the SAML test IdP cannot run: {reason}")
    settings.PUBLIC_BASE_URL = live_server.url
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    acme.provisioning_mode = "jit"
    acme.save()
    sp = service_provider_get_or_create(org=acme)
    with SimpleSAMLphpIdP(
        sp_entity_id=sp.entity_id, acs_url=f"{live_server.url}/sso/saml", sp_certificate_pem=sp.certificate_pem
    ) as server:
        yield server


def test_the_owner_requires_encryption_and_the_sign_in_follows(owner_page, live_server, idp, acme):
    clean_artifacts(SHOTS)
    base_url = live_server.url
    connection = saml_connection_save(
        org=acme, display_name="SimpleSAMLphp", source="xml", idp=parse_idp_metadata(idp.metadata_xml())
    )
    page = owner_page
    page.goto(f"{base_url}/orgs/acme/connections/{connection.public_id}/edit/")
    switch = page.get_by_label("Require encrypted assertions")
    assert not switch.is_checked()
    switch.check()
    screenshot(page, f"{SHOTS}-1-switch")
    page.get_by_role("button", name="Save connection").click()
    page.wait_for_load_state()
    assert "updated" in page.content()
    connection = Connection.objects.get(pk=connection.pk)
    assert connection.saml.require_encryption
    edited = AuditEvent.objects.filter(action="connection.edited").latest("created_at")
    assert edited.changes["require_encryption"] == [False, True]

    page.goto(f"{base_url}/orgs/acme/connections/{connection.public_id}/edit/")
    assert page.get_by_label("Require encrypted assertions").is_checked(), "the form shows what is saved"

    landed = saml_sign_in(requests.Session(), base_url, "ada@acme.test", "ada")  # the IdP sends clear assertions
    assert landed.status_code == 400 and "<code>saml_encryption_required</code>" in landed.text
    assert SignInEvent.objects.filter(code="saml_encryption_required").exists()

    page.goto(f"{base_url}/orgs/acme/connections/sp-key/")
    screenshot(page, f"{SHOTS}-2-sp-keys")
    with page.expect_download() as download:
        page.locator("#encryption-key a", has_text="Download").click()
    certificate = Path(download.value.path()).read_text()
    assert certificate == service_provider_get_or_create(org=acme).encryption_certificate_pem

    idp.configure_encryption(encrypt=True, sp_encryption_certificate_pem=certificate)  # what the owner gave the IdP
    landed = saml_sign_in(requests.Session(), base_url, "ada@acme.test", "ada")
    assert landed.url == f"{base_url}/orgs/acme/", landed.text[:2000]

    page.goto(f"{base_url}/orgs/acme/connections/sign-in-events/")
    screenshot(page, f"{SHOTS}-3-events")
    page.locator("tr", has_text="Failure").get_by_role("link").first.click()
    page.wait_for_load_state()
    assert "Require encrypted assertions" in page.content()  # the cause and the fix, from the catalogue
    screenshot(page, f"{SHOTS}-4-event")

    page.goto(f"{base_url}/orgs/acme/connections/sp-key/")
    page.get_by_role("button", name="Start a key rotation").click()
    page.wait_for_load_state()
    assert "Next encryption certificate" in page.content()
    screenshot(page, f"{SHOTS}-5-rotation")
