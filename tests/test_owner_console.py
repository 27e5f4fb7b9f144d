"""Signing in with email and password, and picking the current organization in the header."""

import pytest
from django.urls import reverse

from kloudsso.tenancy.models import Membership, Role


def test_owners_sign_in_with_email_and_password(client, alice):
    page = client.get(reverse("login")).content.decode()
    assert "Email address" in page
    response = client.post(reverse("login"), {"username": "Alice@Acme.test", "password": "correct-horse-battery"})
    assert response.status_code == 302
    response = client.get(response["Location"], follow=True)
    assert response.redirect_chain[-1][0] == "/orgs/acme/"


def test_a_wrong_password_is_refused(client, alice):
    response = client.post(reverse("login"), {"username": "alice@acme.test", "password": "nope"})
    assert response.status_code == 200
    assert "correct email address and password" in response.content.decode()


def test_a_person_in_several_organizations_picks_one_in_the_header(client, alice, globex):
    Membership.objects.create(user=alice, organization=globex, role=Role.MEMBER)
    client.force_login(alice)
    html = client.get(reverse("org_home", kwargs={"org_slug": "acme"})).content.decode()
    assert '<option value="acme" selected>Acme (owner)</option>' in html
    assert '<option value="globex">Globex (member)</option>' in html
    response = client.get(reverse("switch_org") + "?org=globex")
    assert response["Location"] == "/orgs/globex/"


def test_switching_to_an_organization_one_is_not_in_goes_home(client, alice, globex):
    client.force_login(alice)
    response = client.get(reverse("switch_org") + "?org=globex")
    assert response["Location"] == "/"


def test_members_do_not_see_the_connections_link(client, bob):
    client.force_login(bob)
    html = client.get(reverse("org_home", kwargs={"org_slug": "acme"})).content.decode()
    assert "/orgs/acme/connections/" not in html
    assert "Its owners manage single sign-on" in html


def test_owners_see_the_setup_steps_from_the_guide(as_alice):
    html = as_alice.get(reverse("org_home", kwargs={"org_slug": "acme"})).content.decode()
    assert "Service provider details" in html
    assert "Add connection" in html


@pytest.mark.parametrize("org", ["a" * 50_001, "acme\x00", "acme/../globex"])
def test_switching_to_no_possible_slug_goes_home_without_looking_it_up(client, alice, org, django_assert_num_queries):
    client.force_login(alice)
    with django_assert_num_queries(0):  # not even the session: no organization has such a slug
        response = client.get(reverse("switch_org"), {"org": org})
    assert response["Location"] == "/"
