"""Identities saved before a connection's Entra-ness was decided by its issuer keep working.

Before that, any OIDC connection whose tokens carried tid and oid keyed its identities entra:<tid>:<oid>; a connection
that is not Entra ID is now keyed on iss and sub. Such an identity is moved to the new key at the person's next
sign-in, so nobody loses their account link (a person used in several organizations could not be linked afresh by
email).
"""

from django.test import Client

from connections.models import SSOIdentity
from kloudsso.tenancy.models import Membership, Role
from tests.support.oidc import CraftedIdP
from tests.test_oidc_callback import connect, jit, sign_in  # noqa: F401 (jit is a fixture)


def test_a_non_entra_identity_keyed_on_tid_and_oid_moves_to_iss_and_sub(jit, globex, alice, http_server):  # noqa: F811
    Membership.objects.create(user=alice, organization=globex, role=Role.MEMBER)  # no fresh link by email for her
    idp = CraftedIdP(http_server, prefix="/okta")  # not an Entra issuer
    connection = connect(jit, idp)
    assert connection.oidc.entra_tenant_id == ""
    SSOIdentity.objects.create(connection=connection, subject="entra:t-1:o-1", user=alice, email=alice.email)

    landed = sign_in(Client(), connection, idp, email=alice.email, tid="t-1", oid="o-1")

    assert landed.status_code == 302
    identity = SSOIdentity.objects.get()
    assert (identity.subject, identity.user) == (f"{idp.issuer}|sub-1", alice)


def test_a_former_key_of_another_connection_is_not_taken(jit, globex, alice, http_server):  # noqa: F811
    Membership.objects.create(user=alice, organization=globex, role=Role.MEMBER)
    idp = CraftedIdP(http_server, prefix="/okta")
    connection = connect(jit, idp)
    other = connect(jit, CraftedIdP(http_server, prefix="/other"))
    SSOIdentity.objects.create(connection=other, subject="entra:t-1:o-1", user=alice, email=alice.email)

    landed = sign_in(Client(), connection, idp, email=alice.email, tid="t-1", oid="o-1")

    assert landed.status_code == 400  # account_exists: alice is used outside Acme, and this connection knows her not
    assert list(SSOIdentity.objects.values_list("connection", "subject")) == [(other.pk, "entra:t-1:o-1")]
