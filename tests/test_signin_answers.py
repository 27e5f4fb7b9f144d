"""What the IdP really sent (issue 12, item 5): a failed SAML sign-in that answered one of our own AuthnRequests
keeps its decoded response for the owners, with which certificate signed what, for SAML_RESPONSE_RETENTION_DAYS;
never for a success, never for anonymous junk; another organization's event is a 404."""

import base64
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connections.answers import SignInAnswer
from connections.events import SignInEvent
from connections.sp import saml_acs_url, sp_metadata_xml
from connections.tasks import prune_signin_answers
from kloudsso.scheduler.jobs import scheduled_jobs
from signin.saml.answer import ELIDED_SIGNATURE
from tests.support.saml_craft import CraftingIdP
from tests.test_saml_acs import connection, idp, post, refused, sp, start  # noqa: F401 -- fixtures and helpers
from tests.test_settings import PRODUCTION, manage


def answer(sp, request_id, **kwargs):  # noqa: F811
    return {"in_response_to": request_id, "destination": saml_acs_url(), "audience": sp.entity_id, **kwargs}


def detail_url(event, org_slug="acme"):
    return reverse("connections:event", kwargs={"org_slug": org_slug, "public_id": event.public_id})


@pytest.fixture
def impostor(tmp_path, sp):  # noqa: F811
    return CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), stem="impostor")


def test_a_refused_signature_keeps_the_decoded_response_and_who_signed_it(client, connection, sp, impostor):  # noqa: F811
    response = impostor.response(**answer(sp, start(client, connection)), attributes={"department": ["Research"]})
    refused(client, post(client, response), "saml_bad_signature")
    kept = SignInAnswer.objects.get(event=SignInEvent.objects.get())
    assert kept.kind == "saml_response"
    assert "Research" in kept.body and "\n  <" in kept.body  # the attributes, pretty-printed
    assert ELIDED_SIGNATURE in kept.body
    original = base64.b64decode(response).decode()
    signature_value = original.split("SignatureValue>", 1)[1].split("<", 1)[0]
    assert signature_value.strip() and signature_value.strip()[:40] not in kept.body
    [signed] = [s for s in kept.signatures if s["signed"]]
    assert signed["element"] == "Assertion" and signed["certificate"]["subject"] == "CN=impostor"
    assert (signed["on_file"], signed["verified_by"]) == (False, None)
    assert [s["element"] for s in kept.signatures if not s["signed"]] == ["Response"]


def test_the_owner_reads_it_on_the_event_page(client, connection, sp, impostor, alice):  # noqa: F811
    refused(client, post(client, impostor.response(**answer(sp, start(client, connection)))), "saml_bad_signature")
    client.force_login(alice)
    page = client.get(detail_url(SignInEvent.objects.get())).content.decode()
    assert "What the identity provider really sent" in page
    assert "CN=impostor" in page and "not on file" in page
    assert "Not valid: it is signed by a certificate that is not on file." in page
    assert "Check that failed: <code>saml_bad_signature</code>" in page
    assert "Kept until" in page and "&lt;" in page  # the XML, escaped


def test_a_verified_response_refused_afterwards_shows_its_valid_signature(client, connection, idp, sp, acme, alice):  # noqa: F811
    acme.provisioning_mode = "invite_only"
    acme.save()
    refused(client, post(client, idp.response(**answer(sp, start(client, connection)))), "not_invited")
    [signed] = [s for s in SignInAnswer.objects.get().signatures if s["signed"]]
    assert signed["verified_by"]["subject"] == "CN=idp" and signed["on_file"]
    client.force_login(alice)
    page = client.get(detail_url(SignInEvent.objects.get())).content.decode()
    assert "Valid: it verifies with the certificate on file CN=idp." in page


def test_a_success_keeps_nothing(client, connection, idp, sp):  # noqa: F811
    assert post(client, idp.response(**answer(sp, start(client, connection))))["Location"] == "/orgs/acme/"
    assert SignInEvent.objects.get().outcome == "success"
    assert not SignInAnswer.objects.exists()


def test_an_answer_to_a_request_never_sent_keeps_nothing(client, connection, idp, sp):  # noqa: F811
    start(client, connection)
    refused(client, post(client, idp.response(**answer(sp, "_never-sent"))), "saml_request_never_sent")
    assert not SignInAnswer.objects.exists()


def test_an_unsolicited_answer_keeps_nothing(client, connection, idp, sp):  # noqa: F811
    refused(client, post(client, idp.response(**answer(sp, None))), "unsolicited_response")
    assert not SignInAnswer.objects.exists()


def test_junk_keeps_nothing(client, db):
    landed = client.post("/sso/saml", {"SAMLResponse": base64.b64encode(b"<not-saml/>").decode()})
    assert landed.status_code == 400
    assert not SignInEvent.objects.exists() and not SignInAnswer.objects.exists()


def test_an_answer_to_our_request_posted_in_another_browser_is_kept_for_its_owners(client, connection, idp, sp):  # noqa: F811
    request_id = start(client, connection)
    other_browser = Client()
    refused(other_browser, post(other_browser, idp.response(**answer(sp, request_id))), "saml_request_unknown")
    event = SignInEvent.objects.get()
    assert event.connection == connection and SignInAnswer.objects.filter(event=event).exists()


def test_another_organizations_event_is_a_404(client, connection, sp, impostor, charlie, globex):  # noqa: F811
    refused(client, post(client, impostor.response(**answer(sp, start(client, connection)))), "saml_bad_signature")
    event = SignInEvent.objects.get()
    client.force_login(charlie)
    assert client.get(detail_url(event, "acme")).status_code == 404
    assert client.get(detail_url(event, "globex")).status_code == 404


def test_an_answer_past_its_retention_is_not_shown(client, connection, sp, impostor, alice, settings):  # noqa: F811
    refused(client, post(client, impostor.response(**answer(sp, start(client, connection)))), "saml_bad_signature")
    SignInAnswer.objects.update(created_at=timezone.now() - timedelta(days=settings.SAML_RESPONSE_RETENTION_DAYS + 1))
    client.force_login(alice)
    page = client.get(detail_url(SignInEvent.objects.get())).content.decode()
    assert "What the identity provider really sent" not in page and "Certificate it carries" not in page


def test_the_prune_deletes_answers_past_their_retention_and_keeps_the_events(acme, settings):
    assert settings.SAML_RESPONSE_RETENTION_DAYS == 7
    old, recent = (SignInEvent.objects.create(organization=acme, outcome="failure") for _ in range(2))
    for event, age in [(old, 8), (recent, 6)]:
        kept = SignInAnswer.objects.create(event=event, kind="saml_response", body="<Response/>")
        SignInAnswer.objects.filter(pk=kept.pk).update(created_at=timezone.now() - timedelta(days=age))
    assert prune_signin_answers.call() == 1
    assert list(SignInAnswer.objects.values_list("event", flat=True)) == [recent.pk]
    assert SignInEvent.objects.count() == 2


def test_the_prune_is_scheduled():
    assert "signin_answer_prune" in {job.name for job in scheduled_jobs()}


@pytest.mark.parametrize(("value", "message"), [("0", "must be at least 1"), ("a week", "must be a whole number")])
def test_the_retention_is_a_whole_number_of_days(value, message):
    assert message in manage("check", **{**PRODUCTION, "SAML_RESPONSE_RETENTION_DAYS": value}).stderr
