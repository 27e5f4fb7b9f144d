"""The Members page: list, invite, change a role, remove; the last owner stays."""

import re

import pytest
from django.urls import reverse

from connections.models import SSOIdentity
from domains.models import Domain
from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Invitation, Membership, Role
from tests.support.factories import oidc_connection

LIST = reverse("members:list", kwargs={"org_slug": "acme"})


def url(name, obj):
    return reverse(name, kwargs={"org_slug": "acme", "public_id": obj.public_id})


def row_text(html: str, email: str) -> str:
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", html, flags=re.DOTALL) if email in r)
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


def test_the_list_shows_email_role_sign_in_method_and_last_sign_in(as_alice, acme, bob):
    sso_user = User.objects.create_user("sso@acme.test")  # no password: signs in with SSO only
    Membership.objects.create(user=sso_user, organization=acme)
    SSOIdentity.objects.create(connection=oidc_connection(acme), subject="s-1", user=sso_user, email="sso@acme.test")
    User.objects.filter(pk=bob.pk).update(last_login="2026-11-01T10:00:00Z")
    html = as_alice.get(LIST).content.decode()
    assert row_text(html, "sso@acme.test").endswith("SSO never Remove")
    assert row_text(html, "bob@acme.test").endswith("Password 2026-11-01 10:00 Remove")
    assert 'value="owner" selected' in re.search(r"<tr>.*?alice@acme.test.*?</tr>", html, re.DOTALL).group(0)


def test_the_list_takes_a_constant_number_of_queries(as_alice, acme, django_assert_num_queries):
    connection = oidc_connection(acme)
    for i in range(30):
        user = User.objects.create_user(f"p{i}@acme.test", "x-long-password")
        Membership.objects.create(user=user, organization=acme)
        SSOIdentity.objects.create(connection=connection, subject=f"s{i}", user=user, email=user.email)
    # session, user, membership+organization, members with users and SSO flag, pending invitations, the connections
    # whose sign-ins set roles from groups, header menu
    with django_assert_num_queries(7):
        as_alice.get(LIST)


def test_inviting_creates_a_pending_invitation(as_alice, acme, alice):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    response = as_alice.post(LIST, {"email": "Dana@Acme.test", "role": "member"}, follow=True)
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == ("dana@acme.test", "member", alice)
    assert "Invited dana@acme.test as member" in response.content.decode()
    assert "not on one of your verified domains" not in response.content.decode()


def test_inviting_outside_the_verified_domains_warns(as_alice):
    response = as_alice.post(LIST, {"email": "dana@elsewhere.test", "role": "member"}, follow=True)
    assert "cannot sign in with SSO until that domain is verified" in response.content.decode()


@pytest.mark.parametrize(
    ("email", "message"),
    [("bob@acme.test", "already a member"), ("dana@acme.test", "already been invited")],
)
def test_inviting_twice_or_a_member_is_explained(as_alice, bob, acme, email, message):
    Invitation.objects.create(organization=acme, email="dana@acme.test")
    response = as_alice.post(LIST, {"email": email, "role": "member"})
    assert message in response.context["form"].errors["email"][0]
    assert Invitation.objects.count() == 1


def test_revoking_an_invitation(as_alice, acme):
    invitation = Invitation.objects.create(organization=acme, email="dana@acme.test")
    as_alice.post(url("members:revoke", invitation))
    assert not Invitation.objects.exists()


def test_changing_a_role(as_alice, acme, bob):
    membership = Membership.objects.get(user=bob)
    as_alice.post(url("members:role", membership), {"role": "admin"})
    membership.refresh_from_db()
    assert membership.role == "admin"


def test_the_last_owner_cannot_be_demoted_or_removed(as_alice, alice):
    membership = Membership.objects.get(user=alice)
    html = as_alice.post(url("members:role", membership), {"role": "member"}, follow=True).content.decode()
    assert "cannot demote the last owner" in html
    html = as_alice.post(url("members:remove", membership), follow=True).content.decode()
    assert "cannot remove the last owner" in html
    membership.refresh_from_db()
    assert membership.role == "owner"


def test_an_owner_can_step_down_when_another_owner_remains(as_alice, alice, bob):
    Membership.objects.filter(user=bob).update(role=Role.OWNER)
    as_alice.post(url("members:role", Membership.objects.get(user=alice)), {"role": "member"})
    assert Membership.objects.get(user=alice).role == "member"


def test_removing_a_member_asks_first(as_alice, bob):
    membership = Membership.objects.get(user=bob)
    assert "Remove bob@acme.test from Acme?" in as_alice.get(url("members:remove", membership)).content.decode()
    as_alice.post(url("members:remove", membership))
    assert not Membership.objects.filter(user=bob).exists()
    assert User.objects.filter(email="bob@acme.test").exists()


def test_admins_manage_members_but_not_owners(client, ada, alice, bob):
    client.force_login(ada)
    assert client.get(LIST).status_code == 200
    bob_membership = Membership.objects.get(user=bob)
    client.post(url("members:role", bob_membership), {"role": "admin"})
    assert Membership.objects.get(user=bob).role == "admin"
    response = client.post(url("members:role", bob_membership), {"role": "owner"}, follow=True)
    assert "Only owners can change an owner" in response.content.decode()
    assert Membership.objects.get(user=bob).role == "admin"
    response = client.post(url("members:remove", Membership.objects.get(user=alice)), follow=True)
    assert "Only owners can remove an owner" in response.content.decode()
    response = client.post(LIST, {"email": "boss@acme.test", "role": "owner"})
    assert "Only owners can invite owners" in response.context["form"].errors["email"][0]
    assert Membership.objects.get(user=alice).role == "owner"


def test_an_owner_demoted_a_moment_ago_can_no_longer_grant_ownership(acme, alice, bob, ada):
    from kloudsso.tenancy.members import MembershipError, membership_set_role

    Membership.objects.filter(user=bob).update(role=Role.OWNER)
    stale_actor = Membership.objects.get(user=bob)  # loaded while bob was an owner
    Membership.objects.filter(user=bob).update(role=Role.MEMBER)  # then alice demoted him
    with pytest.raises(MembershipError, match="Only owners"):
        membership_set_role(org=acme, actor=stale_actor, membership=Membership.objects.get(user=ada), role=Role.OWNER)
    assert Membership.objects.get(user=ada).role == "admin"


def test_an_over_long_invitation_email_is_a_form_error(as_alice):
    response = as_alice.post(
        LIST, {"email": "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 60 + ".com", "role": "member"}
    )
    assert "at most 254 characters" in response.context["form"].errors["email"][0]
    assert not Invitation.objects.exists()
