"""A verified domain whose DNS record goes missing: the owners are mailed at once, when it stops counting, and when
the record comes back. End to end: the scheduler enqueues the re-check, the worker runs it against the real test DNS
server, mail goes through a real SMTP server, and time-machine moves the clock through the grace period."""

import logging
import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection as db_connection

from domains.models import Domain
from domains.tasks import recheck_verified_domains
from kloudsso.tenancy.models import Membership, Organization, Role
from tests.conftest import _person
from tests.support.smtp_server import LocalSMTP, html_of, text_of

# db_worker closes the database connection between tasks, as a long-running worker must: real transactions.
pytestmark = pytest.mark.django_db(transaction=True)

DAY0 = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # the daily re-check runs at the first scheduler pass of each UTC day
DAY = timedelta(days=1)


def recheck_on(day: int, *, tick: bool = False):
    """One day's scheduled re-check, as in production: run_scheduler enqueues it, db_worker runs it.

    The clock stands still (exact dates in the mails) unless `tick`: a DNS timeout needs it to move.
    """
    with time_machine.travel(DAY0 + day * DAY, tick=tick):
        call_command("run_scheduler", "--once")
        call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())


@pytest.fixture
def domain(acme, alice, bob):
    olivia = _person("olivia@acme.test", acme, Role.OWNER)
    Membership.objects.filter(user=olivia).update(receives_reminders=False)  # alerts reach her all the same
    Organization.objects.filter(pk=acme.pk).update(notification_email="it@acme.test")
    verified = Domain.objects.create(organization=acme, name="acme.com", status="verified", verified_at=DAY0 - DAY)
    return verified


def subjects(smtp):
    return [(m["To"], m["Subject"]) for m in smtp.messages]


def everyone(subject):
    return [(to, subject) for to in ("alice@acme.test", "olivia@acme.test", "it@acme.test")]


MISSING = "Action needed: the DNS record that verifies acme.com is missing"
UNVERIFIED = "acme.com no longer counts for sign-in: its DNS record is still missing"
RESTORED = "The DNS record that verifies acme.com is back"


def test_a_missing_record_is_mailed_at_once_with_the_record_and_the_date_then_again_when_it_stops_counting(
    domain, dns, smtp
):
    dns.add_txt(domain.record_name, domain.record_value)
    recheck_on(0)
    assert smtp.messages == []  # the record is there: nothing to say

    dns.clear(domain.record_name)
    recheck_on(1)
    assert subjects(smtp) == everyone(MISSING)  # owners (even one who turned reminders off) and the IT mailbox
    text, html = text_of(smtp.messages[0]), html_of(smtp.messages[0])
    for part in (text, html):
        assert "_kloudsso-challenge.acme.com" in part and domain.record_value in part  # the record to restore
        assert "Restore it before 10 March 2026, 00:30 UTC." in part.replace("<strong>", "").replace("</strong>", "")
        assert "http://testserver/orgs/acme/domains/" in part
    assert "Since 3 March 2026, 00:30 UTC" in text and "At the last check, the name does not exist in DNS." in text
    assert "Security alert" in html and "cannot be turned off" in text

    for day in range(2, 8):  # the grace period: re-checked daily, mailed once
        recheck_on(day)
    assert len(smtp.messages) == 3
    domain.refresh_from_db()
    assert domain.status == "verified"

    recheck_on(8)  # 3 March + 7 days: it stops counting
    domain.refresh_from_db()
    assert domain.status == "unverified"
    assert subjects(smtp)[3:] == everyone(UNVERIFIED)
    text = text_of(smtp.messages[3])
    assert "missing since 3 March 2026, 00:30 UTC, more than 7 days" in text
    assert "can no longer sign in with SSO" in text and domain.record_value in text
    recheck_on(9)  # no longer verified: no longer re-checked, nothing more to say
    assert len(smtp.messages) == 6


def test_the_record_coming_back_is_mailed_and_a_later_loss_is_a_new_alert(domain, dns, smtp):
    recheck_on(1)
    assert subjects(smtp) == everyone(MISSING)
    dns.add_txt(domain.record_name, domain.record_value)
    recheck_on(3)
    assert subjects(smtp)[3:] == everyone(RESTORED)
    text = text_of(smtp.messages[3])
    assert "It had been missing since 3 March 2026, 00:30 UTC." in text and "nothing more to do" in text
    recheck_on(4)
    assert len(smtp.messages) == 6  # still there: nothing new
    dns.clear(domain.record_name)
    dns.add_txt(domain.record_name, "kloudsso-domain-verification=someone-elses-token")
    recheck_on(5)
    assert subjects(smtp)[6:] == everyone(MISSING)
    assert "At the last check, the name's TXT records hold other values." in text_of(smtp.messages[6])
    assert "Restore it before 14 March 2026, 00:30 UTC." in text_of(smtp.messages[6])
    domain.refresh_from_db()
    assert domain.failing_since == DAY0 + 5 * DAY


def test_a_dns_server_that_does_not_answer_mails_nothing(domain, silent_dns, smtp):
    recheck_on(1, tick=True)
    Domain.objects.filter(pk=domain.pk).update(failing_since=DAY0 - 30 * DAY)
    recheck_on(2, tick=True)
    assert smtp.messages == []
    domain.refresh_from_db()
    assert domain.status == "verified" and domain.last_check_ok is None


def test_a_second_run_the_same_day_mails_nothing_more(domain, dns, smtp):
    with time_machine.travel(DAY0, tick=False):
        assert recheck_verified_domains.call()["failing"] == 1
        assert recheck_verified_domains.call()["failing"] == 1
    assert subjects(smtp) == everyone(MISSING)


def test_two_servers_rechecking_at_the_same_moment_mail_once(dns, smtp):
    acme = Organization.objects.create(name="Acme", slug="acme", plan="paid")
    _person("alice@acme.test", acme, Role.OWNER)
    Domain.objects.create(organization=acme, name="acme.com", status="verified", verified_at=DAY0 - DAY)
    barrier = threading.Barrier(2)

    def server():
        try:
            with time_machine.travel(DAY0, tick=False):
                barrier.wait()
                recheck_verified_domains.call()
        finally:
            db_connection.close()

    threads = [threading.Thread(target=server) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert subjects(smtp) == [("alice@acme.test", MISSING)]


def test_a_mail_server_that_is_down_does_not_stop_the_recheck_and_the_alert_follows(domain, dns, settings, caplog):
    down = LocalSMTP()
    down.close()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = down.host, down.port
    with caplog.at_level(logging.ERROR, logger="domains.notices"):
        recheck_on(1)
    domain.refresh_from_db()
    assert domain.failing_since == DAY0 + DAY  # the re-check itself was recorded
    assert f"Mail record-missing for domain {domain.public_id} (acme) not sent" in caplog.text
    up = LocalSMTP()
    try:
        settings.EMAIL_PORT = up.port
        recheck_on(2)
        assert [m["Subject"] for m in up.messages] == [MISSING] * 3
        assert "Restore it before 10 March 2026, 00:30 UTC." in text_of(up.messages[0])
    finally:
        up.close()
