"""The Django admin for support staff: everything visible, no secret ever rendered."""

import pytest
from django.urls import reverse

from connections.events import SignInEvent
from connections.identity import SSOIdentity
from connections.models import Connection, ServiceProvider
from connections.sp import service_provider_get_or_create
from domains.models import Domain
from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Invitation, Role
from tests.support.factories import CLIENT_SECRET, oidc_connection, saml_connection


@pytest.fixture
def staff(client, db):
    user = User.objects.create_superuser("support@kloudsso.test", "support-password-1")
    client.force_login(user)
    return client


def test_the_connection_page_shows_idp_details_but_never_the_secret(staff, acme):
    connection = oidc_connection(acme)
    html = staff.get(reverse("admin:connections_connection_change", args=[connection.pk])).content.decode()
    assert "https://login.microsoftonline.com/tid-1/v2.0" in html
    assert "client-1" in html
    assert "stored encrypted; never shown" in html
    assert CLIENT_SECRET not in html
    assert connection.oidc.client_secret_encrypted not in html


def test_the_connection_list_shows_certificate_expiry_and_has_no_secret(staff, acme, globex):
    oidc_connection(acme)
    saml_connection(globex)
    html = staff.get(reverse("admin:connections_connection_changelist")).content.decode()
    assert "2028-11-01" in html
    assert "Acme" in html and "Globex" in html
    assert CLIENT_SECRET not in html


def body(pem: str) -> str:
    return "".join(line for line in pem.strip().splitlines() if "-----" not in line)


def test_the_service_provider_page_masks_the_private_key(staff, acme):
    sp = service_provider_get_or_create(org=acme)
    html = staff.get(reverse("admin:connections_serviceprovider_change", args=[sp.pk])).content.decode()
    assert "PRIVATE KEY" not in html
    assert sp.private_key_encrypted not in html
    assert sp.encryption_private_key_encrypted not in html
    assert "stored encrypted; never shown" in html
    assert body(sp.encryption_certificate_pem)[:64] in html  # the encryption certificate is shown, its key is not


def test_support_can_disable_and_enable_connections(staff, acme):
    connection = saml_connection(acme)
    url = reverse("admin:connections_connection_changelist")
    staff.post(url, {"action": "disable", "_selected_action": [connection.pk]})
    assert not Connection.objects.get().enabled
    staff.post(url, {"action": "enable", "_selected_action": [connection.pk]})
    assert Connection.objects.get().enabled


def test_support_can_change_an_organizations_plan_and_see_members(staff, alice, acme):
    url = reverse("admin:tenancy_organization_change", args=[acme.pk])
    html = staff.get(url).content.decode()
    assert "alice@acme.test" in html
    membership = acme.memberships.get()
    response = staff.post(
        url,
        {
            "name": "Acme",
            "slug": "acme",
            "plan": "free",
            "provisioning_mode": "invite_only",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": membership.pk,
            "memberships-0-organization": acme.pk,
            "memberships-0-user": alice.pk,
            "memberships-0-role": "owner",
        },
    )
    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.plan == "free"


def test_support_can_search_and_filter_organizations(staff, acme, globex, freeco):
    html = staff.get(reverse("admin:tenancy_organization_changelist") + "?plan__exact=paid&q=acme").content.decode()
    assert ">Acme<" in html
    assert ">Globex<" not in html and ">Freeco<" not in html


def test_every_admin_page_renders(staff, alice, acme):
    oidc_connection(acme)
    saml_connection(acme, display_name="Okta")
    service_provider_get_or_create(org=acme)
    for name in [
        "admin:connections_connection_changelist",
        "admin:connections_serviceprovider_changelist",
        "admin:connections_samlcertificate_changelist",
        "admin:tenancy_organization_changelist",
        "admin:tenancy_membership_changelist",
        "admin:accounts_user_changelist",
        "admin:accounts_user_add",
        "admin:domains_domain_changelist",
        "admin:tenancy_invitation_changelist",
        "admin:connections_ssoidentity_changelist",
        "admin:audit_auditevent_changelist",
    ]:
        assert staff.get(reverse(name)).status_code == 200, name
    assert ServiceProvider.objects.count() == 1


def test_support_sees_domains_with_their_last_check_and_invitations(staff, acme):
    from domains.models import Domain
    from kloudsso.tenancy.models import Invitation

    domain = Domain.objects.create(organization=acme, name="acme.com", last_check_result="No DNS record named …")
    Invitation.objects.create(organization=acme, email="dana@acme.com")
    html = staff.get(reverse("admin:domains_domain_change", args=[domain.pk])).content.decode()
    assert "_kloudsso-challenge.acme.com TXT kloudsso-domain-verification=" in html
    assert "No DNS record named" in html
    assert "dana@acme.com" in staff.get(reverse("admin:tenancy_invitation_changelist")).content.decode()


def test_support_can_recheck_now_and_mark_unverified(staff, acme, dns):
    from domains.models import Domain

    domain = Domain.objects.create(organization=acme, name="acme.com")
    dns.add_txt(domain.record_name, domain.record_value)
    url = reverse("admin:domains_domain_changelist")
    response = staff.post(url, {"action": "recheck_now", "_selected_action": [domain.pk]}, follow=True)
    assert "acme.com: verified" in response.content.decode().lower()  # the admin capitalizes messages
    assert Domain.objects.get().status == "verified"
    staff.post(url, {"action": "mark_unverified", "_selected_action": [domain.pk]})
    domain.refresh_from_db()
    assert domain.status == "unverified"
    assert "Marked unverified by support (support@kloudsso.test)" in domain.unverified_reason


@pytest.mark.parametrize(
    "changelist",
    [
        "admin:accounts_user_changelist",
        "admin:tenancy_organization_changelist",
        "admin:tenancy_membership_changelist",
        "admin:tenancy_invitation_changelist",
        "admin:domains_domain_changelist",
        "admin:connections_connection_changelist",
        "admin:connections_serviceprovider_changelist",
        "admin:connections_ssoidentity_changelist",
        "admin:connections_signinevent_changelist",
        "admin:audit_auditevent_changelist",
    ],
)
def test_a_search_term_too_long_for_a_like_pattern_finds_nothing_and_says_why(staff, alice, acme, changelist):
    Domain.objects.create(organization=acme, name="acme.test")
    Invitation.objects.create(organization=acme, email="dana@acme.test", role=Role.MEMBER)
    connection = oidc_connection(acme)  # SQLite refuses the pattern only when the table has a row to match
    service_provider_get_or_create(org=acme)
    SSOIdentity.objects.create(connection=connection, subject="s-1", user=alice, email=alice.email)
    SignInEvent.objects.create(organization=acme, connection=connection, email=alice.email, outcome="success")
    response = staff.get(reverse(changelist), {"q": "a" * 50_001})
    assert response.status_code == 200
    assert "Search for at most 254 characters" in response.content.decode()


@pytest.mark.parametrize(("model", "field"), [("membership", "user"), ("membership", "organization")])
@pytest.mark.parametrize("term", ["a" * 50_001, "acme\x00"], ids=["50001-characters", "nul"])
def test_an_unusable_autocomplete_term_finds_nothing(staff, alice, model, field, term, django_assert_max_num_queries):
    query = {"term": term, "app_label": "tenancy", "model_name": model, "field_name": field}
    with django_assert_max_num_queries(2):  # the session and the staff user: no search
        response = staff.get(reverse("admin:autocomplete"), query)
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_usable_search_term_still_finds(staff, alice):
    response = staff.get(reverse("admin:accounts_user_changelist"), {"q": "alice"})
    assert "alice@acme.test" in response.content.decode()
