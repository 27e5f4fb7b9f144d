"""The Domains page: adding domains, and verifying them by DNS TXT against a real DNS server on 127.0.0.1."""

import pytest
from django.urls import reverse

from domains.models import Domain
from domains.names import DomainNameError, normalize_domain
from domains.selectors import verified_domain_for_email

LIST = reverse("domains:list", kwargs={"org_slug": "acme"})


def add(client, name):
    return client.post(LIST, {"name": name})


def verify(client, domain):
    return client.post(
        reverse("domains:verify", kwargs={"org_slug": domain.organization.slug, "public_id": domain.public_id}),
        follow=True,
    )


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("acme.com", "acme.com"),
        ("  ACME.Com. ", "acme.com"),
        ("https://www.acme.com/login?x=1", "www.acme.com"),
        ("bob@acme.com", "acme.com"),
        ("acme.com:443", "acme.com"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("EU.Acme.co.uk", "eu.acme.co.uk"),
    ],
)
def test_it_normalizes_what_the_owner_types(typed, stored):
    assert normalize_domain(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter your company's domain name"),
        ("acme", "not a valid domain name"),
        ("acme..com", "not a valid domain name"),
        ("-acme.com", "not a valid domain name"),
        ("a" * 64 + ".com", "not a valid domain name"),
        ("acme_corp.com", "not a valid domain name"),
        ("192.168.1.10", "is an IP address"),
        ("[2001:db8::1]", "is an IP address"),
        ("1.2.3.999", "its last part is a number"),
        ("gmail.com", "public email provider"),
        ("Outlook.com", "public email provider"),
        ("hotmail.com", "public email provider"),
        ("yahoo.com", "public email provider"),
        ("icloud.com", "public email provider"),
        ("proton.me", "public email provider"),
    ],
)
def test_it_refuses_with_a_specific_message(typed, message):
    with pytest.raises(DomainNameError, match=message):
        normalize_domain(typed)


def test_the_owner_adds_a_domain_and_sees_the_record_to_create(as_alice, acme):
    response = add(as_alice, "Acme.com")
    assert response.status_code == 302
    domain = Domain.objects.get(organization=acme)
    assert (domain.name, domain.status) == ("acme.com", "pending")
    html = as_alice.get(LIST).content.decode()
    assert "_kloudsso-challenge.acme.com</code>" in html
    assert f"kloudsso-domain-verification={domain.token}</code>" in html
    assert html.count("data-copy=") == 2
    assert "also covers its" in html and "eu.acme.com" in html
    assert len(domain.token) >= 32


def test_it_refuses_a_domain_twice_in_the_same_organization(as_alice):
    add(as_alice, "acme.com")
    response = add(as_alice, "ACME.COM")
    assert "already on this page" in response.context["form"].errors["name"][0]
    assert Domain.objects.count() == 1


def test_it_refuses_a_domain_verified_by_another_organization_without_naming_it(as_alice, globex):
    Domain.objects.create(organization=globex, name="acme.com", status="verified")
    response = add(as_alice, "acme.com")
    error = response.context["form"].errors["name"][0]
    assert "Another organization has already verified acme.com" in error
    assert "Globex" not in response.content.decode()


def test_a_public_provider_is_refused_on_the_page(as_alice):
    response = add(as_alice, "gmail.com")
    assert "public email provider" in response.context["form"].errors["name"][0]
    assert not Domain.objects.exists()


@pytest.fixture
def pending(acme):
    return Domain.objects.create(organization=acme, name="acme.com")


def test_it_verifies_when_the_record_is_there(as_alice, pending, dns):
    dns.add_txt(pending.record_name, "v=spf1 -all")
    dns.add_txt(pending.record_name, pending.record_value)
    response = verify(as_alice, pending)
    pending.refresh_from_db()
    assert pending.status == "verified" and pending.verified_at is not None
    assert "acme.com is verified" in response.content.decode()


def test_it_joins_a_multi_string_record(as_alice, pending, dns):
    value = pending.record_value
    dns.add_txt(pending.record_name, value[:20], value[20:])
    verify(as_alice, pending)
    pending.refresh_from_db()
    assert pending.status == "verified"


def test_nxdomain_says_the_name_does_not_exist(as_alice, pending, dns):
    html = verify(as_alice, pending).content.decode()
    assert "No DNS record named _kloudsso-challenge.acme.com exists yet" in html
    pending.refresh_from_db()
    assert (pending.status, pending.last_check_ok) == ("pending", False)


def test_a_name_without_txt_is_explained(as_alice, pending, dns):
    dns.add_name_without_txt(pending.record_name)
    html = verify(as_alice, pending).content.decode()
    assert "exists but has no TXT record" in html
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_other_txt_values_are_shown(as_alice, pending, dns):
    dns.add_txt(pending.record_name, "kloudsso-domain-verification=old-token")
    html = verify(as_alice, pending).content.decode()
    assert "none holds the expected value" in html
    assert "kloudsso-domain-verification=old-token" in html
    assert f"to exactly {pending.record_value}" in html


def test_a_dns_timeout_is_try_again_later_not_a_failure(as_alice, pending, silent_dns):
    html = verify(as_alice, pending).content.decode()
    assert "did not answer" in html and "try again in a few minutes" in html
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert pending.last_check_ok is None


def test_verifying_a_domain_another_organization_verified_first_is_refused(as_alice, pending, globex, dns):
    Domain.objects.create(organization=globex, name="acme.com", status="verified")
    dns.add_txt(pending.record_name, pending.record_value)
    html = verify(as_alice, pending).content.decode()
    assert "Another organization has already verified acme.com" in html
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert Domain.objects.filter(name="acme.com", status="verified").count() == 1


def test_verify_clicks_are_rate_limited_per_organization(as_alice, pending, dns):
    for _ in range(10):
        verify(as_alice, pending)
    html = verify(as_alice, pending).content.decode()
    assert "Too many verification attempts" in html


def test_a_verified_domain_covers_its_subdomains_for_sign_in(acme, globex):
    Domain.objects.create(organization=acme, name="acme.com", status="verified")
    Domain.objects.create(organization=globex, name="eu.acme.com", status="verified")
    Domain.objects.create(organization=globex, name="pending.com")
    assert verified_domain_for_email("x@acme.com").organization == acme
    assert verified_domain_for_email("x@us.acme.com").organization == acme
    assert verified_domain_for_email("x@eu.acme.com").organization == globex  # the most specific wins
    assert verified_domain_for_email("x@notacme.com") is None
    assert verified_domain_for_email("x@pending.com") is None


def test_the_email_lookup_is_one_query(acme, django_assert_num_queries):
    Domain.objects.create(organization=acme, name="acme.com", status="verified")
    with django_assert_num_queries(1):
        assert verified_domain_for_email("someone@deep.eu.acme.com").name == "acme.com"


def test_removing_a_domain_asks_first(as_alice, pending):
    url = reverse("domains:delete", kwargs={"org_slug": "acme", "public_id": pending.public_id})
    assert "Remove acme.com?" in as_alice.get(url).content.decode()
    as_alice.post(url)
    assert not Domain.objects.exists()


@pytest.mark.parametrize("typed", ["http://[acme.com/", "https://[::1", "http://ex\uff0fample.com", "http://][x"])
def test_odd_urls_are_form_errors(as_alice, typed):
    response = add(as_alice, typed)
    assert response.status_code == 200
    assert response.context["form"].errors["name"]


def test_a_name_too_long_for_its_verification_record_is_refused():
    with pytest.raises(DomainNameError, match="not a valid domain name"):
        normalize_domain(".".join(["a" * 60] * 4) + ".com")


def test_checking_again_keeps_the_original_verification_date(as_alice, pending, dns):
    dns.add_txt(pending.record_name, pending.record_value)
    verify(as_alice, pending)
    pending.refresh_from_db()
    first = pending.verified_at
    verify(as_alice, pending)
    pending.refresh_from_db()
    assert pending.verified_at == first
    assert pending.last_checked_at > first


@pytest.mark.parametrize(
    ("entry", "parsed"),
    [
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("10.0.0.2", ("10.0.0.2", 53)),
        ("[::1]:5300", ("::1", 5300)),
        ("::1", ("::1", 53)),
        ("[::1]", ("::1", 53)),
    ],
)
def test_nameserver_entries_are_parsed(entry, parsed):
    from domains.nameservers import parse_nameserver

    assert parse_nameserver(entry) == parsed


@pytest.mark.parametrize("entry", ["ns1.example.com", "localhost:53", "127.0.0.1:abc", "127.0.0.1:70000"])
def test_bad_nameserver_entries_stop_the_server_from_starting(entry):
    from tests.test_settings import PRODUCTION, manage

    result = manage("check", **{**PRODUCTION, "DNS_NAMESERVERS": entry})
    assert result.returncode != 0
    assert "DNS_NAMESERVERS" in result.stderr
