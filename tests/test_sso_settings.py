"""SSO settings: provisioning mode and Enforce SSO, and what Enforce SSO does to password sign-in."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from domains.models import Domain
from kloudsso.tenancy.models import Membership, Role
from tests.support.factories import oidc_connection

URL = reverse("sso_settings", kwargs={"org_slug": "acme"})


def save(client, **data):
    data.setdefault("provisioning_mode", "invite_only")
    return client.post(URL, data)


def test_invite_only_is_the_default_and_each_mode_is_explained(as_alice, acme):
    assert acme.provisioning_mode == "invite_only"
    html = as_alice.get(URL).content.decode()
    radios = re.findall(r'<input type="radio" name="provisioning_mode" value="(\w+)"[^>]*?( checked)?>', html)
    assert radios == [("jit", ""), ("invite_only", " checked")]
    assert "gets an account and becomes a member" in html
    assert "Only existing members and people you have invited" in html


def test_the_owner_switches_to_just_in_time(as_alice, acme):
    assert save(as_alice, provisioning_mode="jit").status_code == 302
    acme.refresh_from_db()
    assert acme.provisioning_mode == "jit"


def test_enforce_sso_needs_a_successful_sso_sign_in_first(as_alice, acme):
    oidc_connection(acme)
    response = save(as_alice, enforce_sso="on")
    assert "after at least one successful sign-in" in response.content.decode()
    acme.refresh_from_db()
    assert not acme.enforce_sso


def test_a_sign_in_through_a_disabled_connection_does_not_count(as_alice, acme):
    connection = oidc_connection(acme)
    connection.last_successful_signin_at = timezone.now()
    connection.enabled = False
    connection.save()
    save(as_alice, enforce_sso="on")
    acme.refresh_from_db()
    assert not acme.enforce_sso


def test_enforce_sso_turns_on_after_a_successful_sign_in(as_alice, acme):
    connection = oidc_connection(acme)
    connection.last_successful_signin_at = timezone.now()
    connection.save()
    assert save(as_alice, enforce_sso="on").status_code == 302
    acme.refresh_from_db()
    assert acme.enforce_sso


def test_the_page_lists_the_members_it_will_affect(as_alice, acme, bob, ada, globex):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    html = as_alice.get(URL).content.decode()
    assert "Members it affects (2)" in html
    assert "bob@acme.test" in html and "ada@acme.test" in html
    assert "alice@acme.test" not in html.split("Members it affects")[1]  # owners keep their password


@pytest.fixture
def enforced(acme, alice, bob):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    acme.enforce_sso = True
    acme.save()
    return acme


def login(client, email):
    return client.post(reverse("login"), {"username": email, "password": "correct-horse-battery"})


def test_enforce_sso_refuses_passwords_on_verified_domains(client, enforced):
    response = login(client, "bob@acme.test")
    assert response.status_code == 200
    assert "Acme requires single sign-on for acme.test addresses" in response.content.decode()
    assert "Sign in with SSO" in response.content.decode()


def test_owners_keep_their_password_as_a_break_glass(client, enforced):
    assert login(client, "alice@acme.test").status_code == 302


def test_people_outside_the_verified_domains_keep_their_password(client, enforced, acme):
    from kloudsso.accounts.models import User

    outsider = User.objects.create_user("contractor@elsewhere.test", "correct-horse-battery")
    Membership.objects.create(user=outsider, organization=acme, role=Role.MEMBER)
    assert login(client, "contractor@elsewhere.test").status_code == 302


def test_enforcement_stops_when_the_plan_is_downgraded(client, enforced):
    enforced.plan = "free"
    enforced.save()
    assert login(client, "bob@acme.test").status_code == 302


def test_without_enforcement_passwords_work(client, acme, bob):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    assert login(client, "bob@acme.test").status_code == 302


def test_an_internationalized_email_does_not_slip_past_enforcement(client, acme, alice):
    from kloudsso.accounts.models import User

    Domain.objects.create(organization=acme, name="xn--bcher-kva.de", status="verified")  # bücher.de
    acme.enforce_sso = True
    acme.save()
    user = User.objects.create_user("bob@bücher.de", "correct-horse-battery")
    Membership.objects.create(user=user, organization=acme)
    response = login(client, "bob@bücher.de")
    assert "requires single sign-on for xn--bcher-kva.de addresses" in response.content.decode()
    client.force_login(alice)
    affected = client.get(URL).content.decode().split("Members it affects")[1]
    assert "bob@bücher.de" in affected


def test_another_organizations_subdomain_does_not_lift_enforcement(client, enforced, globex):
    from kloudsso.accounts.models import User

    Domain.objects.create(organization=globex, name="eu.acme.test", status="verified")
    user = User.objects.create_user("bob@eu.acme.test", "correct-horse-battery")
    Membership.objects.create(user=user, organization=enforced)
    response = login(client, "bob@eu.acme.test")
    assert "Acme requires single sign-on" in response.content.decode()


def test_the_admin_sign_in_obeys_enforcement_too(client, enforced, bob):
    bob.is_staff = True
    bob.save()
    response = client.post(reverse("admin:login"), {"username": "bob@acme.test", "password": "correct-horse-battery"})
    assert response.status_code == 200
    assert "Acme requires single sign-on" in response.content.decode()
