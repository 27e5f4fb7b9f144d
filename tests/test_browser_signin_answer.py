"""The sign-in event page with what the IdP really sent, in a real browser (Debian's Chromium): a SAML response
signed by a certificate not on file, and an OIDC token endpoint's error answer. Screenshots land in test-artifacts/."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from connections.events import SignInEvent
from connections.sp import saml_acs_url, sp_metadata_xml
from tests.support.browser import allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable
from tests.support.factories import oidc_connection
from tests.support.saml_craft import CraftingIdP
from tests.test_catalogue import oidc_state
from tests.test_saml_acs import connection, idp, post, sp, start  # noqa: F401 -- fixtures and helpers

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()


def signed_in_page(browser, live_server):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "alice@acme.test")
    page.fill("#id_password", "correct-horse-battery")
    page.click("main button[type=submit]")
    page.wait_for_url("**/orgs/acme/")
    return page


def event_url(live_server, event) -> str:
    return live_server.url + reverse("connections:event", kwargs={"org_slug": "acme", "public_id": event.public_id})


def test_the_owner_reads_the_saml_response_of_a_failed_sign_in(browser, live_server, alice, connection, sp, tmp_path):  # noqa: F811
    clean_artifacts("signin-answer")
    person = Client()
    impostor = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), stem="Microsoft Azure Federated SSO Certificate")
    request_id = start(person, connection)
    response = impostor.response(
        in_response_to=request_id,
        destination=saml_acs_url(),
        audience=sp.entity_id,
        attributes={"mail": ["ada@acme.test"], "department": ["Research"]},
    )
    assert post(person, response).status_code == 400

    page = signed_in_page(browser, live_server)
    page.goto(event_url(live_server, SignInEvent.objects.get()))
    screenshot(page, "signin-answer-1-saml")
    text = page.locator("main").inner_text()
    assert "What the identity provider really sent" in text
    assert "Not valid: it is signed by a certificate that is not on file." in text
    assert "Research" in page.locator("pre.answer").inner_text()
    assert "not on file (not verified)" in text  # the explanation, beside the response


def test_the_owner_reads_the_token_endpoints_error_answer(browser, live_server, alice, acme, http_server):
    from domains.models import Domain

    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    entra = oidc_connection(acme, issuer=http_server.url("/t/v2.0"), secret="11111111-2222-3333-4444-555555555555")
    answer = {
        "error": "invalid_client",
        "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
        "request is the client secret value, not the client secret ID.",
        "error_codes": [7000215],
        "trace_id": "6d7a1c2e-0b1c-4f00-9c4e-7d6a2f9b0001",
        "correlation_id": "c0ffee00-1234-4abc-8def-000000000002",
    }
    http_server.serve("/t/v2.0/oauth2/v2.0/token", json.dumps(answer), status=401)
    person = Client()
    assert person.get("/sso/oidc", {"code": "c", "state": oidc_state(person, entra)}).status_code == 400

    page = signed_in_page(browser, live_server)
    page.goto(event_url(live_server, SignInEvent.objects.get()))
    screenshot(page, "signin-answer-2-oidc")
    shown = page.locator("pre.answer").inner_text()
    assert "HTTP 401" in shown and "6d7a1c2e-0b1c-4f00-9c4e-7d6a2f9b0001" in shown
    assert "the Secret ID pasted instead of its Value" in page.locator("main").inner_text()
