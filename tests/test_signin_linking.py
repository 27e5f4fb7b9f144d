"""complete_sign_in: which IdP may reach which account. Identities are (connection, subject); email only finds
a person this organization alone already knows."""

import pytest

from domains.models import Domain
from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Membership, Organization, Role
from signin.complete import Vouched, complete_sign_in
from signin.errors import SignInError
from tests.support.factories import oidc_connection


@pytest.fixture
def acme_idp(acme):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    acme.provisioning_mode = "jit"
    acme.save()
    return oidc_connection(acme)


@pytest.fixture
def globex_idp(globex):
    Domain.objects.create(organization=globex, name="globex.test", status="verified")
    globex.provisioning_mode = "jit"
    globex.save()
    return oidc_connection(globex, issuer="https://login.microsoftonline.com/globex/v2.0")


def refused(vouched) -> str:
    with pytest.raises(SignInError) as caught:
        complete_sign_in(vouched)
    return caught.value.code


def test_an_owners_first_sso_sign_in_links_their_existing_account(acme_idp, alice):
    assert complete_sign_in(Vouched(acme_idp, "s-alice", "Alice@Acme.test")) == alice
    assert Membership.objects.get(user=alice).role == "owner"


def test_another_organizations_idp_cannot_take_over_a_guest_account(acme, globex_idp):
    guest = User.objects.create_user("guest@globex.test", "a-long-password-1")
    Membership.objects.create(user=guest, organization=acme, role=Role.OWNER)
    assert refused(Vouched(globex_idp, "s-guest", "guest@globex.test")) == "account_exists"
    assert not Membership.objects.filter(user=guest, organization=globex_idp.organization).exists()


def test_a_parent_domain_does_not_reach_a_subdomain_another_organization_verified(acme, globex_idp):
    Domain.objects.create(organization=acme, name="eu.globex.test", status="verified")
    boss = User.objects.create_user("boss@eu.globex.test", "a-long-password-1")
    Membership.objects.create(user=boss, organization=acme, role=Role.OWNER)
    assert refused(Vouched(globex_idp, "s-boss", "boss@eu.globex.test")) == "email_domain_not_verified"


def test_support_staff_accounts_are_never_linked(acme_idp):
    staff = User.objects.create_user("support@acme.test", "a-long-password-1", is_staff=True)
    Membership.objects.create(user=staff, organization=acme_idp.organization)
    assert refused(Vouched(acme_idp, "s-staff", "support@acme.test")) == "account_exists"


def test_a_reused_address_does_not_inherit_the_account(acme_idp):
    first = complete_sign_in(Vouched(acme_idp, "s-old", "ada@acme.test"))
    assert refused(Vouched(acme_idp, "s-new", "ada@acme.test")) == "email_reused"
    assert complete_sign_in(Vouched(acme_idp, "s-old", "ada.renamed@acme.test")) == first  # the subject decides


def test_just_in_time_makes_a_member_of_the_connections_organization_only(acme_idp, globex):
    user = complete_sign_in(Vouched(acme_idp, "s-new", "new@acme.test"))
    assert list(Membership.objects.filter(user=user).values_list("organization__slug", "role")) == [("acme", "member")]
    assert Organization.objects.count() == 2
