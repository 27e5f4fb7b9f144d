"""Sign-in events for the owners, the troubleshooting page, retention."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from connections.events import SignInEvent
from connections.sp import saml_acs_url
from signin.catalogue import ENTRIES
from tests.test_saml_acs import connection, idp, post, sp, start  # noqa: F401 -- fixtures and helpers

LIST = reverse("connections:events", kwargs={"org_slug": "acme"})


def failed_sign_in(client, connection, idp, sp, acme):  # noqa: F811
    acme.provisioning_mode = "invite_only"
    acme.save()
    request_id = start(client, connection)
    return post(client, idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id))


def test_a_failure_is_recorded_and_the_person_gets_its_reference(client, connection, idp, sp, acme):  # noqa: F811
    page = failed_sign_in(client, connection, idp, sp, acme).content.decode()
    event = SignInEvent.objects.get()
    assert (event.outcome, event.code, event.connection, event.organization) == (
        "failure",
        "not_invited",
        connection,
        acme,
    )
    assert f"<code>{event.reference}</code>" in page
    assert event.received["NameID"] == "ada@acme.test"
    assert event.ip == "127.0.0.1"


def test_a_success_is_recorded(client, connection, idp, sp):  # noqa: F811
    request_id = start(client, connection)
    post(client, idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id))
    assert SignInEvent.objects.get().outcome == "success"


def test_the_owner_sees_the_cause_the_fix_and_what_was_received(client, as_alice, connection, idp, sp, acme):  # noqa: F811
    failed_sign_in(client, connection, idp, sp, acme)
    event = SignInEvent.objects.get()
    listing = as_alice.get(LIST).content.decode()
    assert "Person not invited" in listing and event.reference in listing
    detail = as_alice.get(reverse("connections:event", kwargs={"org_slug": "acme", "public_id": event.public_id}))
    html = detail.content.decode()
    assert "The organization is in Invite only mode" in html
    assert "Invite their email on the Members page" in html
    assert "ada@acme.test" in html


def test_the_list_filters_and_pages(as_alice, acme):
    from tests.support.factories import oidc_connection

    entra = oidc_connection(acme)
    for i in range(30):
        SignInEvent.objects.create(
            organization=acme, connection=entra if i % 2 else None, outcome="success" if i % 3 else "failure", code=""
        )
    assert "Page 1 of 2" in as_alice.get(LIST).content.decode()
    failures = as_alice.get(LIST, {"outcome": "failure"}).content.decode()
    assert failures.count("Failure</span>") == 10 and "Success</span>" not in failures
    by_connection = as_alice.get(LIST, {"connection": str(entra.public_id)}).content.decode()
    assert by_connection.count("Entra ID</td>") == 15


def test_the_list_takes_a_constant_number_of_queries(as_alice, acme, django_assert_num_queries):
    for _ in range(25):
        SignInEvent.objects.create(organization=acme, outcome="failure", code="not_invited")
    # session, user, membership+organization, connections (filter choices), count, page of events, header menu
    with django_assert_num_queries(7):
        as_alice.get(LIST)


def test_another_organizations_events_are_out_of_reach(client, charlie, bob, acme):
    event = SignInEvent.objects.create(organization=acme, outcome="failure", code="not_invited")
    url = reverse("connections:event", kwargs={"org_slug": "acme", "public_id": event.public_id})
    client.force_login(charlie)
    assert client.get(url).status_code == 404
    assert (
        client.get(
            reverse("connections:event", kwargs={"org_slug": "globex", "public_id": event.public_id})
        ).status_code
        == 404
    )
    assert client.get(LIST).status_code == 404
    client.force_login(bob)
    assert client.get(url).status_code == 403
    assert client.get(LIST).status_code == 403


def test_the_troubleshooting_page_lists_every_entry_with_this_organizations_values(as_alice, acme):
    html = as_alice.get(reverse("connections:troubleshooting", kwargs={"org_slug": "acme"})).content.decode()
    for entry in ENTRIES:
        assert f'id="{entry.code}"' in html
    assert "Set the IdP&#x27;s Reply URL (ACS) to http://testserver/sso/saml" in html
    assert f"/sso/saml/metadata/{acme.public_id}" in html  # the SP Entity ID, filled in
    assert not re.search(r"\{(acs_url|sp_entity_id|redirect_uri)\}", html)


def test_old_events_are_pruned(acme, settings):
    settings.SIGNIN_EVENT_RETENTION_DAYS = 90
    old = SignInEvent.objects.create(organization=acme, outcome="success")
    SignInEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    SignInEvent.objects.create(organization=acme, outcome="success")
    out = StringIO()
    call_command("prune_signin_events", stdout=out)
    assert "Deleted 1 sign-in event(s) older than 90 days." in out.getvalue()
    assert SignInEvent.objects.count() == 1


@pytest.mark.parametrize("secret_key", ["access_token", "id_token", "client_secret", "nonce", "SignatureValue"])
def test_secrets_are_redacted_from_what_was_received(secret_key):
    from signin.event_log import redact

    assert redact({secret_key: "s3cr3t", "email": "a@acme.test"}) == {secret_key: "[redacted]", "email": "a@acme.test"}


def test_anonymous_failures_cannot_fill_the_events_table(client, acme):
    from domains.models import Domain
    from signin.pages import FAILURES_RECORDED_PER_IP

    Domain.objects.create(organization=acme, name="acme.test", status="verified")  # no connection: each POST fails
    for _ in range(FAILURES_RECORDED_PER_IP + 5):
        client.post("/sso/login", {"email": "x@acme.test"})
    assert SignInEvent.objects.count() == FAILURES_RECORDED_PER_IP
    client.get("/sso/oidc", {"code": "c", "state": "forged"})  # a failure that belongs to no organization
    assert SignInEvent.objects.count() == FAILURES_RECORDED_PER_IP


def test_nested_tokens_and_token_looking_values_are_redacted():
    from signin.event_log import redact

    cleaned = redact(
        {"_claim_sources": {"src1": {"access_token": "abc"}}, "groups": ["eyJhbGciOi.eyJzdWIi.sig", "staff"]}
    )
    assert cleaned == {"_claim_sources": {"src1": {"access_token": "[redacted]"}}, "groups": ["[redacted]", "staff"]}


def test_an_invalid_filter_is_ignored_and_the_others_still_apply(as_alice, acme):
    SignInEvent.objects.create(organization=acme, outcome="failure", code="not_invited")
    SignInEvent.objects.create(organization=acme, outcome="success")
    html = as_alice.get(LIST, {"connection": "not-a-connection", "outcome": "failure"}).content.decode()
    assert "Failure</span>" in html and "Success</span>" not in html


def test_a_success_records_the_verified_email_not_what_was_typed(client, connection, idp, sp):  # noqa: F811
    session = client.session
    session["kloudsso_login_email"] = "ceo@acme.test"
    session.save()
    request_id = start(client, connection)
    post(client, idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id))
    assert SignInEvent.objects.get().email == "ada@acme.test"
