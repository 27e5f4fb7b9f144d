"""The organization's overview: each step of the setup guide with its state (done, to do, needs attention,
optional) and a link to its page, for owners; sensible words for admins and members; a fixed number of queries."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from connections.saml.models import SAMLCertificate
from connections.service_provider import ServiceProvider
from connections.sp import service_provider_get_or_create
from domains.models import Domain
from tests.support.factories import oidc_connection, saml_connection

STEP = re.compile(r'<li id="step-(\d)" data-state="([^"]+)">\s*<span[^>]*>[^<]*</span>\s*<a href="([^"]+)">')


def overview(client) -> str:
    response = client.get(reverse("org_home", kwargs={"org_slug": "acme"}))
    assert response.status_code == 200
    return response.content.decode()


def states(client) -> dict[int, str]:
    return {int(n): state for n, state, _ in STEP.findall(overview(client))}


def test_a_new_organization_shows_what_is_left_to_do(as_alice):
    html = overview(as_alice)
    assert {int(n): s for n, s, _ in STEP.findall(html)} == {
        1: "to do",
        2: "to do",
        3: "to do",
        4: "done",  # invite only applies until an owner chooses
        5: "to do",
        6: "optional",
    }
    assert "Invite only" in html and "coming next" not in html.lower()


def test_every_step_links_to_a_page_that_opens(as_alice):
    links = [url for _, _, url in STEP.findall(overview(as_alice))]
    assert links[:3] == [
        "/orgs/acme/connections/#sp-details",
        "/orgs/acme/connections/add/",
        "/orgs/acme/domains/",
    ]
    assert links[3:] == ["/orgs/acme/sso-settings/", "/sso/login", "/orgs/acme/sso-settings/"]
    for url in links:
        assert as_alice.get(url).status_code == 200, url


def test_a_domain_added_but_not_verified_needs_attention(as_alice, acme):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    Domain.objects.create(organization=acme, name="beta.test")
    assert states(as_alice)[3] == "needs attention"
    assert "beta.test is not verified yet" in overview(as_alice)


def test_a_verified_domain_whose_record_went_missing_needs_attention(as_alice, acme):
    Domain.objects.create(organization=acme, name="acme.test", status="verified", failing_since=timezone.now())
    assert states(as_alice)[3] == "needs attention"
    assert "The TXT record of acme.test is missing since" in overview(as_alice)


def test_verified_domains_are_done(as_alice, acme):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    assert states(as_alice)[3] == "done"


def test_a_connection_with_an_expired_certificate_needs_attention(as_alice, acme):
    connection = saml_connection(acme)
    SAMLCertificate.objects.filter(saml_settings=connection.saml).update(not_after=timezone.now() - timedelta(days=1))
    html = overview(as_alice)
    assert states(as_alice)[2] == "needs attention"
    assert "Okta: The signing certificate" in html and "expired on" in html


def test_connections_all_turned_off_need_attention(as_alice, acme):
    oidc_connection(acme)
    acme.connections.update(enabled=False)
    assert states(as_alice)[2] == "needs attention"
    assert "Every connection is turned off" in overview(as_alice)


def test_a_working_connection_completes_the_copy_add_and_test_steps(as_alice, acme):
    oidc_connection(acme)
    acme.connections.update(last_successful_signin_at=timezone.now())
    found = states(as_alice)
    assert (found[1], found[2], found[5]) == ("done", "done", "done")
    assert "Last worked through Entra ID on" in overview(as_alice)


def test_a_next_sp_key_waiting_needs_attention_and_links_to_the_key_page(as_alice, acme):
    oidc_connection(acme)
    sp = service_provider_get_or_create(org=acme)
    ServiceProvider.objects.filter(pk=sp.pk).update(next_certificate_pem="-----BEGIN CERTIFICATE-----")
    (first,) = [(s, url) for n, s, url in STEP.findall(overview(as_alice)) if n == "1"]
    assert first == ("needs attention", "/orgs/acme/connections/sp-key/")


def test_enforce_sso_on_is_done(as_alice, acme):
    acme.enforce_sso = True
    acme.save()
    assert states(as_alice)[6] == "done"


@pytest.mark.parametrize(("person", "words"), [("bob", "You are signed in to Acme."), ("ada", "You are an admin")])
def test_members_and_admins_see_no_setup_steps(client, request, person, words):
    client.force_login(request.getfixturevalue(person))
    html = overview(client)
    assert words in html and "Its owners manage single sign-on" in html
    assert not STEP.findall(html) and "/orgs/acme/connections/" not in html
    assert ('href="/orgs/acme/members/"' in html) == (person == "ada")


def test_the_free_plan_shows_the_plan_notice_not_the_steps(client, frank):
    client.force_login(frank)
    html = client.get(reverse("org_home", kwargs={"org_slug": "freeco"})).content.decode()
    assert "Single sign-on needs a paid plan" in html and not STEP.findall(html)


def fill(org, n: int) -> None:
    for i in range(n):
        oidc_connection(org, display_name=f"OIDC {i}", issuer=f"https://idp{i}.example/v2.0")
        saml_connection(org, display_name=f"SAML {i}")
        Domain.objects.create(organization=org, name=f"d{i}.acme.test", status="verified" if i % 2 else "pending")
    service_provider_get_or_create(org=org)


@pytest.mark.parametrize("n", [1, 6])
def test_the_overview_runs_a_fixed_number_of_queries(as_alice, acme, n, django_assert_num_queries):
    fill(acme, n)
    overview(as_alice)  # warm: the session's first read
    # session, user, membership with its organization, the header's memberships; the connections with their
    # settings, their SAML certificates, the domains, the waiting SP key.
    with django_assert_num_queries(8):
        overview(as_alice)
