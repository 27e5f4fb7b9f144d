"""`manage.py verify_domains`, the cron re-check of verified domains, against a real DNS server."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from domains.models import Domain
from domains.services import domain_recheck


def run():
    out = StringIO()
    call_command("verify_domains", stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def verified(acme):
    return Domain.objects.create(organization=acme, name="acme.com", status="verified", verified_at=timezone.now())


def test_a_domain_whose_record_is_still_there_stays_verified(verified, dns):
    dns.add_txt(verified.record_name, verified.record_value)
    assert run() == (
        "Checked 1 verified domain(s): 1 still verified, 0 missing their record (within the 7-day grace period), "
        "0 now unverified, 0 not checked (DNS did not answer; tried again next run)."
    )
    verified.refresh_from_db()
    assert verified.status == "verified" and verified.last_check_ok


def test_a_missing_record_starts_the_grace_period(verified, dns):
    assert "1 missing their record" in run()
    verified.refresh_from_db()
    assert verified.status == "verified"
    assert verified.failing_since is not None


def test_a_record_missing_longer_than_the_grace_period_unverifies_and_the_owner_sees_why(verified, dns, as_alice):
    Domain.objects.filter(pk=verified.pk).update(failing_since=timezone.now() - timedelta(days=8))
    assert "1 now unverified" in run()
    verified.refresh_from_db()
    assert verified.status == "unverified"
    html = as_alice.get(reverse("domains:list", kwargs={"org_slug": "acme"})).content.decode()
    assert "Unverified" in html
    assert "has been missing since" in html and "more than 7 days" in html


def test_the_record_coming_back_ends_the_grace_period(verified, dns):
    Domain.objects.filter(pk=verified.pk).update(failing_since=timezone.now() - timedelta(days=3))
    dns.add_txt(verified.record_name, verified.record_value)
    verified.refresh_from_db()
    assert domain_recheck(domain=verified) == "ok"
    verified.refresh_from_db()
    assert verified.failing_since is None


def test_a_dns_timeout_changes_nothing(verified, silent_dns):
    Domain.objects.filter(pk=verified.pk).update(failing_since=timezone.now() - timedelta(days=30))
    assert "1 not checked" in run()
    verified.refresh_from_db()
    assert verified.status == "verified"


def test_the_grace_period_is_a_setting(verified, dns, settings):
    settings.DOMAIN_REVERIFY_GRACE_DAYS = 1
    Domain.objects.filter(pk=verified.pk).update(failing_since=timezone.now() - timedelta(days=2))
    assert "1 now unverified" in run()


def test_an_unverified_domain_can_be_verified_again(verified, dns, as_alice):
    Domain.objects.filter(pk=verified.pk).update(status="unverified", unverified_reason="gone")
    dns.add_txt(verified.record_name, verified.record_value)
    as_alice.post(reverse("domains:verify", kwargs={"org_slug": "acme", "public_id": verified.public_id}))
    verified.refresh_from_db()
    assert (verified.status, verified.unverified_reason) == ("verified", "")
