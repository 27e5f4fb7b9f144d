"""Expiry reminders (connections/expiry_reminders), with the clock moved (time-machine) and mail read back from a
real SMTP server: 30, 14, 7 and 1 days before a SAML connection's last valid signing certificate or an OIDC client
secret expires, each threshold once."""

import re
import textwrap
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from connections.expiry_reminders import expiry_reminders_send, threshold_reached
from connections.models import SAMLCertificate
from connections.saml.certificates import load_certificate
from connections.saml.idp_config import IdPConfig
from connections.saml.rollover import saml_certificates_add
from connections.saml.services import saml_connection_save
from connections.tasks import send_expiry_reminders
from kloudsso.tenancy.models import Membership, Role
from tests.conftest import _person
from tests.support.certificates import certificate_b64
from tests.support.factories import oidc_connection, saml_connection
from tests.support.smtp_server import html_of, text_of

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
EXPIRY = START + timedelta(days=40)  # the only certificate's expiry: the 30-day reminder is 10 days on


def pem(b64: str) -> str:
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(textwrap.wrap(b64, 64)) + "\n-----END CERTIFICATE-----\n"


def certificate(not_after, common_name="Okta signing"):
    return load_certificate(pem(certificate_b64(common_name=common_name, not_before=START, not_after=not_after)))


@pytest.fixture
def okta(acme, alice):
    with time_machine.travel(START, tick=False):
        connection = saml_connection(acme)
        SAMLCertificate.objects.filter(saml_settings__connection=connection).delete()
        saml_certificates_add(org=acme, connection=connection, certificates=[certificate(EXPIRY)])
    return connection


def run_at(moment) -> dict:
    with time_machine.travel(moment, tick=False):
        return expiry_reminders_send()


def subjects(smtp) -> list[str]:
    # str.strip: Python folds a non-ASCII Subject onto a continuation line, and its parser keeps that line's space
    return [m["Subject"].strip() for m in smtp.messages]


@pytest.mark.parametrize(
    ("left", "threshold"),
    [
        (timedelta(days=31), None),
        (timedelta(days=30), 30),
        (timedelta(days=15), 30),
        (timedelta(days=14), 14),
        (timedelta(days=8), 14),
        (timedelta(days=7), 7),
        (timedelta(days=2), 7),
        (timedelta(days=1), 1),
        (timedelta(minutes=5), 1),
        (timedelta(0), None),
    ],
)
def test_the_threshold_is_the_most_urgent_one_reached(left, threshold):
    assert threshold_reached(START + left, now=START) == threshold


def test_each_threshold_mails_once_on_its_day(smtp, okta):
    runs = {}
    for day in range(0, 41):  # the daily job, every morning until the certificate expires
        runs[day] = run_at(START + timedelta(days=day))["saml"]
    assert [day for day, sent in runs.items() if sent] == [10, 26, 33, 39]  # 30, 14, 7 and 1 days before
    assert subjects(smtp) == [
        "The SAML signing certificate of “Okta” expires in 30 days",
        "The SAML signing certificate of “Okta” expires in 14 days",
        "The SAML signing certificate of “Okta” expires in 7 days",
        "The SAML signing certificate of “Okta” expires in 1 day",
    ]
    assert run_at(EXPIRY + timedelta(days=1))["saml"] == 0  # expired: nothing more to remind


def test_a_second_run_the_same_day_sends_nothing(smtp, okta):
    assert run_at(START + timedelta(days=10))["saml"] == 1
    assert run_at(START + timedelta(days=10, hours=5))["saml"] == 0
    assert len(smtp.messages) == 1


def test_a_late_run_sends_the_most_urgent_threshold_passed_only(smtp, okta):
    assert run_at(START + timedelta(days=35))["saml"] == 1  # the job did not run for weeks: 5 days left
    assert subjects(smtp) == ["The SAML signing certificate of “Okta” expires in 5 days"]
    assert run_at(START + timedelta(days=36))["saml"] == 0  # the 7-day one is sent; the 30 and 14 never


def test_no_reminder_once_the_owner_added_a_later_certificate(smtp, acme, okta):
    run_at(START + timedelta(days=10))
    with time_machine.travel(START + timedelta(days=12), tick=False):
        later = certificate(START + timedelta(days=800), common_name="Okta next")
        saml_certificates_add(org=acme, connection=okta, certificates=[later])
    for day in range(12, 41):
        run_at(START + timedelta(days=day))
    assert len(smtp.messages) == 1  # only the 30-day one, before the rollover began


def test_a_disabled_connection_gets_no_reminder(smtp, okta):
    okta.enabled = False
    okta.save()
    assert run_at(START + timedelta(days=10))["saml"] == 0 and smtp.messages == []


def test_owners_who_opted_out_get_none_and_the_notification_address_gets_it_once(smtp, acme, alice, okta):
    _person("olivia@acme.test", acme, Role.OWNER)
    Membership.objects.filter(user=alice).update(receives_reminders=False)
    acme.notification_email = "it@acme.test"
    acme.save()
    run_at(START + timedelta(days=10))
    run_at(START + timedelta(days=10, hours=1))
    assert sorted(m["To"] for m in smtp.messages) == ["it@acme.test", "olivia@acme.test"]


def test_the_mail_names_the_connection_the_certificate_and_the_steps_with_a_link(smtp, settings, okta):
    settings.PUBLIC_BASE_URL = "https://sso.example.com"
    run_at(START + timedelta(days=26))
    (message,) = smtp.messages
    cert = okta.saml.certificates.get()
    link = f"https://sso.example.com/orgs/acme/connections/{okta.public_id}/edit/#next-certificate"
    text, html = text_of(message), html_of(message)
    for part in (text, html):
        assert "Okta" in part and "CN=Okta signing" in part
        assert cert.sha256_fingerprint in part
        assert "10 April 2027, 09:00 UTC" in part
        assert "Okta Admin Console" in part and "Generate new certificate" in part  # the IdP is Okta (its URLs)
        assert link in part
    assert f'href="{link}"' in html
    assert re.search(r"^1\. In the Okta Admin Console", text, re.M)
    assert "<li" in html and "Add the new certificate" in html


@pytest.mark.parametrize(
    ("entity_id", "sso_url", "says"),
    [
        ("https://sts.windows.net/tid-1/", "https://login.microsoftonline.com/tid-1/saml2", "Make certificate active"),
        (
            "https://accounts.google.com/o/saml2?idpid=C01",
            "https://accounts.google.com/o/saml2/idp?idpid=C01",
            "SSO with SAML applications",
        ),
        (
            "https://idp.example.org/realms/acme",
            "https://idp.example.org/realms/acme/protocol/saml",
            "your identity provider's admin console",
        ),
    ],
    ids=["entra", "google", "generic"],
)
def test_the_steps_follow_the_idp(smtp, acme, alice, entity_id, sso_url, says):
    idp = IdPConfig(entity_id=entity_id, sso_redirect_url=sso_url, sso_post_url="", certificates=(certificate(EXPIRY),))
    saml_connection_save(org=acme, display_name="IdP", source="manual", idp=idp)
    run_at(START + timedelta(days=39))
    (message,) = smtp.messages
    assert says in text_of(message) and says.replace("'", "&#x27;") in html_of(message)


def test_the_daily_task_sends_them(smtp, okta):
    with time_machine.travel(START + timedelta(days=10), tick=False):
        assert send_expiry_reminders.call() == {"saml": 1, "oidc": 0}
    assert len(smtp.messages) == 1


# --- OIDC client secrets -------------------------------------------------------------------------------------


@pytest.fixture
def entra(acme, alice):
    connection = oidc_connection(acme)
    connection.oidc.client_secret_expires_on = date(2027, 4, 10)
    connection.oidc.save()
    return connection


def test_an_oidc_client_secret_gets_the_same_thresholds(smtp, entra):
    sent = [day for day in range(0, 41) if run_at(START + timedelta(days=day))["oidc"]]
    # the secret is taken to expire at the start of its day (00:00 UTC), 39 days and 15 hours after START
    assert [START + timedelta(days=d) for d in sent] == [
        datetime(2027, 3, 11, 9, tzinfo=UTC),
        datetime(2027, 3, 27, 9, tzinfo=UTC),
        datetime(2027, 4, 3, 9, tzinfo=UTC),
        datetime(2027, 4, 9, 9, tzinfo=UTC),
    ]
    assert subjects(smtp)[-1] == "The OIDC client secret of “Entra ID” expires in 1 day"


def test_the_secret_mail_has_the_steps_to_create_and_paste_a_new_secret(smtp, settings, entra):
    settings.PUBLIC_BASE_URL = "https://sso.example.com"
    run_at(datetime(2027, 3, 27, 9, tzinfo=UTC))
    (message,) = smtp.messages
    link = f"https://sso.example.com/orgs/acme/connections/{entra.public_id}/edit/#field-client_secret"
    for part in (text_of(message), html_of(message)):
        assert "Certificates &amp; secrets" in part or "Certificates & secrets" in part
        assert "New client secret" in part and "client-1" in part and link in part
        assert "10 April 2027" in part
        assert "very-secret" not in part  # never the secret itself


def test_a_new_expiry_date_starts_the_reminders_again(smtp, entra):
    run_at(datetime(2027, 4, 9, 9, tzinfo=UTC))
    entra.oidc.client_secret_expires_on = date(2027, 10, 1)  # the owner pasted a new secret
    entra.oidc.save()
    assert run_at(datetime(2027, 9, 1, 9, tzinfo=UTC))["oidc"] == 1
    assert len(smtp.messages) == 2


def test_no_date_no_reminder(smtp, acme, alice):
    oidc_connection(acme)
    assert run_at(START)["oidc"] == 0
