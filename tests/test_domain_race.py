"""Two organizations verifying the same domain at the same moment: exactly one wins (a database constraint)."""

import threading

import pytest
from django.db import connection as db_connection

from domains.models import Domain
from domains.services import domain_verify
from kloudsso.tenancy.models import Organization


@pytest.mark.django_db(transaction=True)
def test_two_organizations_verifying_the_same_domain_at_once_end_with_one_verified(dns):
    orgs = [Organization.objects.create(name=n, slug=n.lower(), plan="paid") for n in ("Acme", "Globex")]
    domains = [Domain.objects.create(organization=org, name="contested.com") for org in orgs]
    for domain in domains:
        dns.add_txt(domain.record_name, domain.record_value)  # both really published their token

    barrier = threading.Barrier(2)
    outcomes = []

    def click(domain):
        try:
            barrier.wait()
            outcomes.append(domain_verify(domain=domain))
        finally:
            db_connection.close()

    threads = [threading.Thread(target=click, args=(d,)) for d in domains]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(o.verified for o in outcomes) == [False, True]
    assert Domain.objects.filter(name="contested.com", status="verified").count() == 1
    loser = next(o for o in outcomes if not o.verified)
    assert "Another organization has already verified contested.com" in loser.message
