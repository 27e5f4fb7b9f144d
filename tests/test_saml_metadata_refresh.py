"""The scheduled refresh of metadata URLs, end to end: a real HTTP server serves the IdP's metadata and changes it
mid-test, the task runs as the worker runs it, the clock is moved with time-machine, sign-ins go through the ACS
with responses signed by pysaml2's IdP classes."""

import base64
import threading
import zlib
from datetime import timedelta
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection as db_connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from connections.saml.metadata import parse_idp_metadata
from connections.saml.models import SAMLCertificate
from connections.saml.refresh import saml_metadata_refresh
from connections.saml.refresh_state import MetadataRefresh
from connections.saml.services import saml_connection_save
from connections.sp import saml_acs_url, service_provider_get_or_create, sp_metadata_xml
from domains.models import Domain
from kloudsso.accounts.models import User
from kloudsso.audit.models import AuditEvent
from kloudsso.scheduler.jobs import scheduled_jobs
from kloudsso.scheduler.runs import schedule_due
from kloudsso.tenancy.models import Membership, Organization, Plan
from signin.saml.clients import client_for
from tests.support.metadata_url import ENTITY_ID, SSO_URL, T0, PublishedMetadata, refresh
from tests.support.saml_craft import CraftingIdP
from tests.support.smtp_server import html_of, text_of


@pytest.fixture
def sp(acme):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    acme.provisioning_mode = "jit"
    acme.save()
    return service_provider_get_or_create(org=acme)


@pytest.fixture
def idp(tmp_path, sp):
    return CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), entity_id=ENTITY_ID)


@pytest.fixture
def next_idp(tmp_path, sp):
    """The same IdP with its next signing key."""
    return CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), entity_id=ENTITY_ID, stem="idp-next")


@pytest.fixture
def metadata(http_server):
    return PublishedMetadata(http_server)


@pytest.fixture
def connection(acme, idp, metadata):
    xml = metadata.publish(idp)
    return saml_connection_save(
        org=acme,
        display_name="Crafted",
        source="url",
        metadata_url=metadata.url,
        idp=parse_idp_metadata(xml),
    )


def state(connection) -> MetadataRefresh:
    return MetadataRefresh.objects.get(saml_settings__connection=connection)


def fingerprints(connection) -> set[str]:
    return set(SAMLCertificate.objects.filter(saml_settings__connection=connection).values_list("subject", flat=True))


def sign_in(connection, signer, sp) -> bool:
    """A whole SP-initiated sign-in in a browser of its own: the AuthnRequest, then `signer`'s response at the ACS."""
    client = Client()
    started = client.post(reverse("sso_start", kwargs={"public_id": connection.public_id}))
    query = parse_qs(urlsplit(started["Location"]).query)
    request_xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15).decode()
    request_id = request_xml.split(' ID="', 1)[1].split('"', 1)[0]
    response = signer.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id)
    stashed = client.post("/sso/saml", {"SAMLResponse": response})
    landed = client.get(stashed["Location"])
    return landed.status_code == 302 and "_auth_user_id" in client.session


def audit_mark() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_a_refresh_with_nothing_new_records_its_success(connection):
    assert refresh(T0) == {"unchanged": 1, "changed": 0, "pending": 0, "held": 0, "failed": 0, "skipped": 0}
    found = state(connection)
    assert (found.last_result, found.last_attempt_at, found.consecutive_failures) == ("ok", T0, 0)
    assert found.last_changes == [] and found.last_changed_at is None


def test_the_idps_next_key_is_added_and_the_old_one_dropped_after_the_grace_period(
    connection, idp, next_idp, metadata, sp, settings
):
    settings.SAML_METADATA_CERT_GRACE_DAYS = 7
    logged_before = audit_mark()
    assert sign_in(connection, idp, sp)  # a warm pysaml2 client with the old key only

    metadata.publish(idp, next_idp)  # the IdP publishes its next key before signing with it
    assert refresh(T0)["changed"] == 1
    assert fingerprints(connection) == {"CN=idp", "CN=idp-next"}
    assert "Added the signing certificate CN=idp-next" in state(connection).last_changes[0]
    assert sign_in(connection, next_idp, sp)  # the new key works at once: the warm client was not used
    assert sign_in(connection, idp, sp)

    metadata.publish(next_idp)  # the IdP has rolled over
    assert refresh(T0 + timedelta(hours=12))["changed"] == 1
    old = SAMLCertificate.objects.get(subject="CN=idp")
    assert old.missing_from_metadata_since == T0 + timedelta(hours=12)
    assert f"kept until {T0 + timedelta(days=7, hours=12):%Y-%m-%d %H:%M} UTC" in state(connection).last_changes[0]
    assert sign_in(connection, idp, sp)  # kept during the grace period

    assert refresh(T0 + timedelta(days=7))["unchanged"] == 1  # not yet 7 days gone
    assert fingerprints(connection) == {"CN=idp", "CN=idp-next"}
    assert refresh(T0 + timedelta(days=7, hours=12))["changed"] == 1
    assert fingerprints(connection) == {"CN=idp-next"}
    assert "Removed the signing certificate CN=idp" in state(connection).last_changes[0]
    assert not sign_in(connection, idp, sp)  # the dropped key no longer verifies, on any warm client
    assert sign_in(connection, next_idp, sp)
    logged = AuditEvent.objects.filter(organization=connection.organization, pk__gt=logged_before).order_by("pk")
    assert [(e.action, e.actor_kind, e.target_label.split("'")[0]) for e in logged] == [
        ("certificate.added", "system", connection.display_name),
        ("certificate.retired", "system", connection.display_name),
    ]


def test_a_certificate_back_in_the_metadata_is_no_longer_due_for_removal(connection, idp, next_idp, metadata):
    metadata.publish(next_idp)
    refresh(T0)
    assert SAMLCertificate.objects.get(subject="CN=idp").missing_from_metadata_since == T0
    metadata.publish(idp, next_idp)
    refresh(T0 + timedelta(hours=12))
    assert SAMLCertificate.objects.get(subject="CN=idp").missing_from_metadata_since is None
    assert "is back in the metadata" in state(connection).last_changes[0]
    refresh(T0 + timedelta(days=30))
    assert fingerprints(connection) == {"CN=idp", "CN=idp-next"}


def test_the_last_unexpired_certificate_is_never_dropped(connection, idp, metadata, tmp_path, sp, settings):
    settings.SAML_METADATA_CERT_GRACE_DAYS = 0
    with time_machine.travel(T0 - timedelta(days=40), tick=False):  # a key that expired long before T0
        expired = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), entity_id=ENTITY_ID, stem="expired")
    metadata.publish(expired)
    refresh(T0)
    refresh(T0 + timedelta(hours=12))
    assert fingerprints(connection) == {"CN=idp", "CN=expired"}  # CN=idp is the only one still valid


def test_the_pysaml2_client_is_rebuilt_when_a_refresh_changes_the_certificates(connection, next_idp, metadata, sp):
    # Clients are keyed by the values read from the database at each use (signin/saml/sp_config.Inputs): every
    # server reads the new certificates at its next sign-in and builds a new client, none keeps the old one.
    before = client_for(connection, sp=sp)
    assert client_for(connection, sp=sp) is before
    metadata.publish(next_idp)
    refresh(T0)
    after_adding = client_for(connection, sp=sp)
    assert after_adding is not before
    refresh(T0 + timedelta(hours=1))  # nothing new: the same client again
    assert client_for(connection, sp=sp) is after_adding


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ({"status": 503}, "answered HTTP 503"),
        ({"body": b"<html><body>Sign in</body></html>", "status": 200}, "This is a web page, not metadata"),
        ({"body": b"<md:EntityDescriptor", "status": 200}, "not well-formed XML"),
        ({"delay": 3, "status": 200}, "could not be fetched"),
    ],
)
def test_a_failing_refresh_keeps_everything_on_file(connection, idp, metadata, sp, settings, broken, reason):
    settings.SSO_HTTP_TIMEOUT_SECONDS = 1
    before = connection.saml.metadata_xml
    metadata.fail(**broken)
    assert refresh(T0)["failed"] == 1
    found = state(connection)
    assert found.last_result == "failed" and reason in found.last_error
    assert (found.consecutive_failures, found.failing_since) == (1, T0)
    connection.saml.refresh_from_db()
    assert connection.saml.metadata_xml == before and fingerprints(connection) == {"CN=idp"}
    assert sign_in(connection, idp, sp)


def test_expired_metadata_or_metadata_without_a_certificate_is_a_failure(connection, idp, metadata):
    metadata.publish(idp, valid_until=f"{T0 - timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}")
    refresh(T0)
    assert f"expired on {T0 - timedelta(days=1):%Y-%m-%d}" in state(connection).last_error
    metadata.publish()  # no KeyDescriptor at all
    refresh(T0 + timedelta(hours=12))
    assert "no signing certificate" in state(connection).last_error
    assert state(connection).consecutive_failures == 2
    assert fingerprints(connection) == {"CN=idp"}


def test_a_success_ends_the_failure_streak(connection, idp, metadata):
    metadata.fail()
    refresh(T0)
    refresh(T0 + timedelta(hours=12))
    metadata.publish(idp)
    refresh(T0 + timedelta(hours=24))
    found = state(connection)
    assert (found.last_result, found.consecutive_failures, found.failing_since, found.last_error) == ("ok", 0, None, "")


def test_a_changed_sso_url_waits_for_the_owner_and_nothing_of_it_is_applied(connection, idp, next_idp, metadata):
    before = connection.saml.metadata_xml
    metadata.publish(idp, next_idp, sso_url="https://idp.crafted.test/new-sso")
    assert refresh(T0)["pending"] == 1
    connection.saml.refresh_from_db()
    assert connection.saml.sso_redirect_url == SSO_URL
    assert connection.saml.metadata_xml == before  # the document on file is still the one whose values are used
    assert fingerprints(connection) == {"CN=idp"}  # its new certificate waits with it
    found = state(connection)
    assert found.pending_sso_redirect_url == "https://idp.crafted.test/new-sso" and found.pending_since == T0
    assert (
        "SSO URL in the metadata changed from https://idp.crafted.test/sso to https://idp.crafted.test/new-sso"
        in (found.last_changes[0])
    )
    assert refresh(T0 + timedelta(hours=12))["pending"] == 1
    assert state(connection).pending_since == T0  # the same change, still waiting


def test_the_owner_confirms_a_changed_sso_url(as_alice, connection, idp, next_idp, metadata):
    metadata.publish(idp, next_idp, sso_url="https://idp.crafted.test/new-sso")
    refresh(T0)
    page = as_alice.get(edit_url(connection))
    assert b"A change waits for your confirmation" in page.content and b"Confirm the new SSO URL" in page.content
    response = as_alice.post(confirm_url(connection), {"key": state(connection).pending_key})
    assert response.status_code == 302
    connection.saml.refresh_from_db()
    assert connection.saml.sso_redirect_url == "https://idp.crafted.test/new-sso"
    assert connection.saml.metadata_xml == metadata.publish(idp, next_idp, sso_url="https://idp.crafted.test/new-sso")
    assert fingerprints(connection) == {"CN=idp", "CN=idp-next"}
    assert not state(connection).has_pending
    assert state(connection).last_changes[0].endswith("Confirmed by an owner.")
    assert refresh(T0 + timedelta(hours=12))["unchanged"] == 1


def test_a_new_entity_id_is_shown_as_a_different_idp_and_replaces_the_certificates_once_confirmed(
    as_alice, connection, idp, metadata, tmp_path, sp
):
    other = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), entity_id="https://other.test/idp", stem="other")
    metadata.publish(other, entity_id="https://other.test/idp")
    logged_before = audit_mark()
    assert refresh(T0)["pending"] == 1
    assert fingerprints(connection) == {"CN=idp"}
    assert not sign_in(connection, other, sp)  # never applied silently
    page = as_alice.get(edit_url(connection)).content.decode()
    assert "A new entity ID is a different identity provider." in page
    assert "Confirm: switch to the different identity provider" in page

    as_alice.post(confirm_url(connection), {"key": state(connection).pending_key})
    connection.saml.refresh_from_db()
    assert connection.saml.idp_entity_id == "https://other.test/idp"
    assert fingerprints(connection) == {"CN=other"}  # the old IdP's keys do not sign for the new one
    assert sign_in(connection, other, sp)
    logged = AuditEvent.objects.filter(organization=connection.organization, pk__gt=logged_before).order_by("pk")
    assert sorted((e.action, e.actor_kind) for e in logged) == [
        ("certificate.added", "owner"),
        ("certificate.retired", "owner"),
        ("connection.edited", "owner"),
    ]
    assert logged.get(action="connection.edited").changes["idp_entity_id"][1] == "https://other.test/idp"


def test_a_dismissed_change_is_not_offered_again_but_a_newer_one_is(as_alice, connection, idp, metadata):
    metadata.publish(idp, sso_url="https://idp.crafted.test/new-sso")
    refresh(T0)
    as_alice.post(dismiss_url(connection), {"key": state(connection).pending_key})
    assert not state(connection).has_pending
    assert refresh(T0 + timedelta(hours=12))["held"] == 1
    page = as_alice.get(edit_url(connection)).content.decode()
    assert "which you dismissed: nothing from it is applied" in page
    metadata.publish(idp, sso_url="https://idp.crafted.test/newer-sso")
    assert refresh(T0 + timedelta(hours=24))["pending"] == 1


def test_a_confirm_for_a_change_replaced_meanwhile_applies_nothing(as_alice, connection, idp, metadata):
    metadata.publish(idp, sso_url="https://idp.crafted.test/new-sso")
    refresh(T0)
    seen = state(connection).pending_key
    metadata.publish(idp, sso_url="https://idp.crafted.test/other-sso")
    refresh(T0 + timedelta(hours=12))
    page = as_alice.post(confirm_url(connection), {"key": seen}, follow=True).content.decode()
    assert "no longer the one waiting" in page
    connection.saml.refresh_from_db()
    assert connection.saml.sso_redirect_url == SSO_URL


def test_the_idp_going_back_clears_the_waiting_change(connection, idp, metadata):
    metadata.publish(idp, sso_url="https://idp.crafted.test/new-sso")
    refresh(T0)
    metadata.publish(idp)
    assert refresh(T0 + timedelta(hours=12))["unchanged"] == 1
    assert not state(connection).has_pending


def test_refresh_now_shows_the_result_on_the_connection_page(as_alice, connection, next_idp, idp, metadata):
    metadata.publish(idp, next_idp)
    page = as_alice.post(refresh_url(connection), follow=True).content.decode()
    assert "Metadata fetched and applied" in page and "Added the signing certificate CN=idp-next" in page
    metadata.fail()
    page = as_alice.post(refresh_url(connection), follow=True).content.decode()
    assert "The metadata URL answered HTTP 503 instead of the metadata. Nothing on file was changed." in page
    assert "1 failed refresh in a row" in page


def test_saving_the_connection_starts_the_refresh_record_over(as_alice, connection, idp, metadata):
    metadata.publish(idp, sso_url="https://idp.crafted.test/new-sso")
    refresh(T0)
    saml_connection_save(
        org=connection.organization,
        connection=connection,
        display_name="Crafted",
        source="url",
        metadata_url=metadata.url,
        idp=parse_idp_metadata(metadata.publish(idp, sso_url="https://idp.crafted.test/new-sso")),
    )
    assert not MetadataRefresh.objects.exists()


def test_connections_not_added_by_url_are_not_refreshed(acme, idp, http_server):
    saml_connection_save(org=acme, display_name="Pasted", source="xml", idp=parse_idp_metadata(idp.metadata_xml()))
    assert refresh(T0)["unchanged"] == 0
    assert http_server.requests == []


def edit_url(connection):
    return reverse("connections:edit", args=["acme", connection.public_id])


def refresh_url(connection):
    return reverse("connections:metadata_refresh", args=["acme", connection.public_id])


def confirm_url(connection):
    return reverse("connections:metadata_confirm", args=["acme", connection.public_id])


def dismiss_url(connection):
    return reverse("connections:metadata_dismiss", args=["acme", connection.public_id])


def test_after_three_failures_in_a_row_the_owners_get_one_mail_per_streak(connection, metadata, idp, smtp, alice, bob):
    metadata.fail()
    refresh(T0)
    refresh(T0 + timedelta(hours=12))
    assert smtp.messages == []
    refresh(T0 + timedelta(hours=24))
    [mail] = smtp.wait_for(1)
    assert mail["To"] == "alice@acme.test"  # the owner; bob is a member
    # Django folds a long non-ASCII subject after "Subject:", which parses back with a leading space.
    assert mail["Subject"].strip() == "KloudSSO can no longer refresh the SAML metadata of “Crafted”"
    text = text_of(mail)
    assert f"3 attempts in a row have failed, the first on {T0:%Y-%m-%d %H:%M} UTC" in text
    assert "The metadata URL answered HTTP 503 instead of the metadata." in text
    assert f"http://testserver/orgs/acme/connections/{connection.public_id}/edit/" in text
    assert "Open the connection" in html_of(mail)
    refresh(T0 + timedelta(hours=36))
    refresh(T0 + timedelta(hours=48))
    assert len(smtp.messages) == 1  # one mail for the whole streak

    metadata.publish(idp)
    refresh(T0 + timedelta(hours=60))  # a success ends the streak...
    metadata.fail(status=404)
    for hours in (72, 84, 96):
        refresh(T0 + timedelta(hours=hours))
    assert len(smtp.wait_for(2)) == 2  # ...and the next streak gets its own mail
    assert "answered HTTP 404" in text_of(smtp.messages[1])


def test_a_disabled_connection_is_refreshed_but_mails_nobody(connection, metadata, smtp, alice):
    connection.enabled = False
    connection.save()
    metadata.fail()
    for hours in (0, 12, 24, 36):
        refresh(T0 + timedelta(hours=hours))
    assert state(connection).consecutive_failures == 4
    assert smtp.messages == []


def saml_refresh_job():
    [job] = [j for j in scheduled_jobs() if j.name == "saml_metadata_refresh"]
    return job


def scheduler_and_worker_at(moment) -> list[str]:
    """One pass of the scheduler at `moment`, then the worker (in process: `manage.py db_worker --batch`)."""
    with time_machine.travel(moment, tick=True):
        taken = [run.job for run in schedule_due(jobs=[saml_refresh_job()], now=timezone.now())]
        call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
    return taken


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_refreshes_every_12_hours_and_the_worker_mails_a_failing_streak(
    http_server, smtp, tmp_path, settings
):
    settings.SAML_METADATA_REFRESH_HOURS = 12
    acme = Organization.objects.create(name="Acme", slug="acme", plan=Plan.PAID)
    Membership.objects.create(user=User.objects.create_user("alice@acme.test", "x"), organization=acme, role="owner")
    sp = service_provider_get_or_create(org=acme)
    idp = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), entity_id=ENTITY_ID)
    next_idp = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), entity_id=ENTITY_ID, stem="idp-next")
    metadata = PublishedMetadata(http_server)
    connection = saml_connection_save(
        org=acme,
        display_name="Crafted",
        source="url",
        metadata_url=metadata.url,
        idp=parse_idp_metadata(metadata.publish(idp)),
    )
    start = saml_refresh_job().period_at(T0)[0]

    assert scheduler_and_worker_at(start + timedelta(minutes=1)) == ["saml_metadata_refresh"]
    assert state(connection).last_result == "ok"
    metadata.publish(idp, next_idp)
    assert scheduler_and_worker_at(start + timedelta(hours=6)) == []  # the same period: nothing runs
    assert fingerprints(connection) == {"CN=idp"}
    assert scheduler_and_worker_at(start + timedelta(hours=12, minutes=1)) == ["saml_metadata_refresh"]
    assert fingerprints(connection) == {"CN=idp", "CN=idp-next"}
    [added] = smtp.wait_for(1)  # the worker alerted the owners to the certificate it added
    assert "A new signing certificate for “Crafted”" in added["Subject"]

    metadata.fail()
    for period in (2, 3, 4):
        scheduler_and_worker_at(start + timedelta(hours=12 * period, minutes=1))
    _, mail = smtp.wait_for(2)
    assert "can no longer refresh the SAML metadata of “Crafted”" in mail["Subject"] and mail["To"] == "alice@acme.test"
    results = DBTaskResult.objects.filter(task_path__endswith="refresh_saml_metadata")
    assert set(results.values_list("status", flat=True)) == {"SUCCESSFUL"} and results.count() == 5


BUTTONS = ["connections:metadata_refresh", "connections:metadata_confirm", "connections:metadata_dismiss"]


@pytest.fixture
def waiting(connection, idp, metadata):
    """Acme's connection with a change of SSO URL waiting."""
    metadata.publish(idp, sso_url="https://idp.crafted.test/new-sso")
    refresh(T0)
    return connection


def nothing_changed(connection, http_server, requests_before):
    connection.saml.refresh_from_db()
    assert connection.saml.sso_redirect_url == SSO_URL
    assert state(connection).has_pending and not state(connection).dismissed_key
    assert len(http_server.requests) == requests_before  # no fetch either


@pytest.mark.parametrize("name", BUTTONS)
def test_another_organizations_owner_gets_404_on_the_refresh_buttons(client, charlie, waiting, http_server, name):
    client.force_login(charlie)
    before = len(http_server.requests)
    for slug in ("acme", "globex"):  # not a member of Acme; not Globex's connection
        url = reverse(name, kwargs={"org_slug": slug, "public_id": waiting.public_id})
        assert client.post(url, {"key": state(waiting).pending_key}).status_code == 404
    nothing_changed(waiting, http_server, before)


@pytest.mark.parametrize("persona", ["bob", "ada"])
@pytest.mark.parametrize("name", BUTTONS)
def test_members_and_admins_get_403_on_the_refresh_buttons(client, request, waiting, http_server, persona, name):
    client.force_login(request.getfixturevalue(persona))
    before = len(http_server.requests)
    url = reverse(name, kwargs={"org_slug": "acme", "public_id": waiting.public_id})
    assert client.post(url, {"key": state(waiting).pending_key}).status_code == 403
    nothing_changed(waiting, http_server, before)


@pytest.mark.parametrize("name", BUTTONS)
def test_the_refresh_buttons_take_a_post_only(as_alice, waiting, http_server, name):
    before = len(http_server.requests)
    url = reverse(name, kwargs={"org_slug": "acme", "public_id": waiting.public_id})
    assert as_alice.get(url).status_code == 405
    nothing_changed(waiting, http_server, before)


@pytest.mark.parametrize("name", BUTTONS)
def test_the_refresh_buttons_are_404_for_a_connection_not_added_by_url(as_alice, acme, idp, name):
    pasted = saml_connection_save(
        org=acme, display_name="Pasted", source="xml", idp=parse_idp_metadata(idp.metadata_xml())
    )
    url = reverse(name, kwargs={"org_slug": "acme", "public_id": pasted.public_id})
    assert as_alice.post(url).status_code == 404
    assert not MetadataRefresh.objects.exists()


def test_the_connection_list_warns_of_a_waiting_change_and_a_failing_refresh(as_alice, connection, idp, metadata):
    metadata.publish(idp, sso_url="https://idp.crafted.test/new-sso")
    refresh(T0)
    page = as_alice.get(reverse("connections:list", args=["acme"])).content.decode()
    assert "open the connection to confirm or dismiss the change" in page
    metadata.fail()
    refresh(T0 + timedelta(hours=12))
    page = as_alice.get(reverse("connections:list", args=["acme"])).content.decode()
    assert "could not be refreshed (1 time in a row): The metadata URL answered HTTP 503" in page


@pytest.mark.django_db(transaction=True)
def test_two_servers_refreshing_at_once_add_the_new_certificate_once(http_server, tmp_path):
    acme = Organization.objects.create(name="Acme", slug="acme", plan=Plan.PAID)
    sp = service_provider_get_or_create(org=acme)
    idp = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), entity_id=ENTITY_ID)
    next_idp = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), entity_id=ENTITY_ID, stem="idp-next")
    metadata = PublishedMetadata(http_server)
    connection = saml_connection_save(
        org=acme,
        display_name="Crafted",
        source="url",
        metadata_url=metadata.url,
        idp=parse_idp_metadata(metadata.publish(idp)),
    )
    metadata.publish(idp, next_idp)
    barrier, outcomes = threading.Barrier(2), []

    def server():
        try:
            barrier.wait()
            outcomes.append(saml_metadata_refresh(saml_settings_id=connection.saml.pk))
        finally:
            db_connection.close()

    threads = [threading.Thread(target=server) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["changed", "unchanged"]
    assert SAMLCertificate.objects.filter(subject="CN=idp-next").count() == 1


def test_a_waiting_change_whose_metadata_expired_meanwhile_is_not_applied(as_alice, connection, idp, metadata):
    metadata.publish(
        idp, sso_url="https://idp.crafted.test/new-sso", valid_until=f"{T0 + timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}"
    )
    refresh(T0)
    with time_machine.travel(T0 + timedelta(hours=2)):
        page = as_alice.post(confirm_url(connection), {"key": state(connection).pending_key}, follow=True)
    assert "The waiting metadata can no longer be applied: This metadata expired on" in page.content.decode()
    connection.saml.refresh_from_db()
    assert connection.saml.sso_redirect_url == SSO_URL and state(connection).has_pending


def test_a_certificate_the_owner_added_by_hand_is_not_dropped_for_being_absent_from_the_metadata(
    connection, idp, next_idp, metadata, sp, settings
):
    from connections.saml.certificates import load_certificate
    from connections.saml.rollover import saml_certificates_add

    settings.SAML_METADATA_CERT_GRACE_DAYS = 0
    saml_certificates_add(
        org=connection.organization, connection=connection, certificates=[load_certificate(next_idp.certificate_pem)]
    )
    refresh(T0)
    refresh(T0 + timedelta(days=30))
    pasted = SAMLCertificate.objects.get(subject="CN=idp-next")
    assert pasted.missing_from_metadata_since is None, "the IdP has not published it yet: the owner retires it"
    assert sign_in(connection, next_idp, sp)

    metadata.publish(next_idp)  # the IdP rolled over: from now on the certificate follows the metadata
    refresh(T0 + timedelta(days=31))
    assert (
        fingerprints(connection) == {"CN=idp", "CN=idp-next"} and not SAMLCertificate.objects.get(pk=pasted.pk).pasted
    )


def test_a_certificate_the_refresh_adds_is_an_alert_to_the_owners_once(
    connection, idp, next_idp, metadata, smtp, alice
):
    metadata.publish(idp, next_idp)
    assert refresh(T0)["changed"] == 1
    [mail] = smtp.wait_for(1)
    assert mail["To"] == "alice@acme.test"
    assert "A new signing certificate for “Crafted” was added" in mail["Subject"]
    added = SAMLCertificate.objects.get(subject="CN=idp-next")
    text = text_of(mail)
    assert added.sha256_fingerprint in text and "Compare the fingerprint" in text
    assert added.sha256_fingerprint in html_of(mail)
    metadata.publish(next_idp)  # the old one goes: a change, but no certificate added
    refresh(T0 + timedelta(hours=12))
    refresh(T0 + timedelta(hours=24))
    assert len(smtp.messages) == 1
