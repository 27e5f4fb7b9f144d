"""kloudsso.notify: who receives an organization's mail, what a message holds, and once_key (real SMTP server)."""

import threading

import pytest
from django.db import connection as db_connection

from kloudsso.notify import Category, notify_organization
from kloudsso.notify.models import SentNotification
from kloudsso.tenancy.models import Membership, Organization, Role
from tests.conftest import FIXTURES, _person
from tests.support.smtp_server import LocalSMTP, html_of, text_of


@pytest.fixture(autouse=True)
def _test_templates(settings):
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [FIXTURES / "mail_templates", *engine["DIRS"]]}]


def hello(org, category=Category.ALERT, once_key=None, detail="Something to know."):
    return notify_organization(
        org=org, category=category, subject="Hello", template="hello", context={"detail": detail}, once_key=once_key
    )


@pytest.fixture
def owners(acme, alice, bob, ada):
    """Acme: alice and olivia own it, bob is a member, ada an admin."""
    return [alice, _person("olivia@acme.test", acme, Role.OWNER)]


def test_each_owner_gets_a_message_of_their_own_and_members_get_none(smtp, acme, owners, charlie):
    assert hello(acme) == 2
    assert [m["To"] for m in smtp.messages] == ["alice@acme.test", "olivia@acme.test"]
    assert [rcpt for _, rcpt in smtp.envelopes] == [["alice@acme.test"], ["olivia@acme.test"]]  # no Cc, no Bcc
    message = smtp.messages[0]
    assert message["Subject"] == "Hello"
    assert message["From"] == "KloudSSO <no-reply@localhost>"
    assert message["Auto-Submitted"] == "auto-generated"  # out-of-office replies stay quiet


def test_a_message_has_a_plain_text_and_an_html_part_with_absolute_links(smtp, acme, owners):
    hello(acme)
    text, html = text_of(smtp.messages[0]), html_of(smtp.messages[0])
    assert "Hello from Acme: Something to know." in text
    assert "http://testserver/orgs/acme/" in text and 'href="http://testserver/orgs/acme/"' in html
    assert "You receive this as an owner of Acme" in text and "You receive this as an owner of Acme" in html
    assert "Security alerts go to every owner and cannot be turned off." in text
    assert "<link" not in html and "<img" not in html and "<style" not in html  # nothing a mail client blocks


def test_the_html_part_escapes_and_the_text_part_does_not(smtp, acme, owners):
    Organization.objects.filter(pk=acme.pk).update(name="Acme & <Sons>")
    acme.refresh_from_db()
    hello(acme, detail="a < b")
    assert "Hello from Acme & <Sons>: a < b" in text_of(smtp.messages[0])
    html = html_of(smtp.messages[0])
    assert "Acme &amp; &lt;Sons&gt;" in html and "<Sons>" not in html and "a &lt; b" in html


def test_an_owner_who_turned_reminders_off_still_gets_security_alerts(smtp, acme, owners):
    Membership.objects.filter(user__email="olivia@acme.test").update(receives_reminders=False)
    assert hello(acme, Category.REMINDER) == 1
    assert [m["To"] for m in smtp.messages] == ["alice@acme.test"]
    assert "Owners can turn reminders off" in text_of(smtp.messages[0])
    assert "http://testserver/orgs/acme/notifications/" in text_of(smtp.messages[0])
    assert hello(acme, Category.ALERT) == 2


def test_the_notification_address_gets_both_kinds_and_says_why(smtp, acme, owners):
    Organization.objects.filter(pk=acme.pk).update(notification_email="it@acme.test")
    acme.refresh_from_db()
    Membership.objects.filter(organization=acme).update(receives_reminders=False)
    assert hello(acme, Category.REMINDER) == 1
    assert smtp.messages[0]["To"] == "it@acme.test"
    assert "This address receives the notifications of Acme" in text_of(smtp.messages[0])
    assert hello(acme, Category.ALERT) == 3


def test_a_notification_address_that_is_an_owners_gets_one_message(smtp, acme, owners):
    Organization.objects.filter(pk=acme.pk).update(notification_email="Alice@acme.test")
    acme.refresh_from_db()
    assert hello(acme) == 2
    assert sorted(m["To"] for m in smtp.messages) == ["alice@acme.test", "olivia@acme.test"]


def test_a_once_key_sends_once_per_organization(smtp, acme, owners, globex, charlie):
    assert hello(acme, once_key="domain-missing:1") == 2
    assert hello(acme, once_key="domain-missing:1") == 0
    assert hello(globex, once_key="domain-missing:1") == 1  # keys are per organization
    assert len(smtp.messages) == 3
    assert SentNotification.objects.filter(key="domain-missing:1").count() == 2


def test_a_send_that_fails_keeps_no_key_so_the_next_run_sends(settings, acme, owners):
    down = LocalSMTP()
    down.close()  # nothing listens on its port any more
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = down.host, down.port
    with pytest.raises(OSError):
        hello(acme, once_key="k")
    assert not SentNotification.objects.exists()
    up = LocalSMTP()
    try:
        settings.EMAIL_PORT = up.port
        assert hello(acme, once_key="k") == 2
        assert len(up.messages) == 2
    finally:
        up.close()


@pytest.mark.django_db(transaction=True)
def test_two_servers_sending_the_same_notification_at_once_mail_it_once(smtp):
    acme = Organization.objects.create(name="Acme", slug="acme", plan="paid")
    _person("alice@acme.test", acme, Role.OWNER)
    barrier = threading.Barrier(2)
    sent = []

    def run():
        try:
            barrier.wait()
            sent.append(hello(acme, once_key="same"))
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(sent) == [0, 1]
    assert len(smtp.messages) == 1
