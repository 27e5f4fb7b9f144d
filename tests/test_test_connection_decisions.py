"""Test connection explains each decision (email, domain, identity, provisioning, role) and warns when the sign-in
would work only by a fallback. SAML answers are crafted by pysaml2's IdP; OIDC ones come from the real test IdP."""

import html
import re

import pytest
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT

from connections.sp import saml_acs_url
from domains.models import Domain
from kloudsso.tenancy.models import Invitation
from signin.complete import Vouched, complete_sign_in
from signin.test_explain import fallback_warnings
from tests.support.factories import oidc_connection
from tests.test_saml_acs import connection, idp, post, sp  # noqa: F401 -- fixtures and helpers
from tests.test_test_connection import real_idp_report, start_test

MAIL = "urn:oid:0.9.2342.19200300.100.1.3"


def text(response) -> str:
    """The report as words: tags dropped, whitespace folded, entities read."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture
def report(client, alice, connection, idp, sp):  # noqa: F811
    """Alice tests the connection; the IdP answers with `**answer` (the email NameID of ada by default)."""
    client.force_login(alice)

    def run(**answer):
        request_id = start_test(client, connection)
        response = idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id, **answer)
        return text(post(client, response))

    return run


def test_a_new_person_just_in_time_gets_each_decision_explained(report):
    words = report()
    assert "it works" in words and "fallback" not in words
    assert "Email: ada@acme.test (the NameID)" in words
    assert "ada@acme.test is on acme.test, verified by Acme." in words
    assert "Identity: an email NameID (ada@acme.test)" in words
    assert "New: nobody signs in through this connection by an email NameID (ada@acme.test) yet" in words
    assert "Provisioning: Just-in-time" in words
    assert "ada@acme.test is neither a member nor invited; a new account would join Acme." in words
    assert "Role: member" in words and "the role every just-in-time member starts with" in words


def test_an_existing_member_keeps_their_role_and_is_linked_at_their_first_sso_sign_in(report):
    words = report(name_id="alice@acme.test")
    assert "alice@acme.test is already a member of Acme: their account is linked to this identity" in words
    assert "Role: owner" in words and "their current role, unchanged by sign-ins" in words


def test_a_known_identity_is_named(report, connection):  # noqa: F811
    complete_sign_in(Vouched(connection, "nameid:ada@acme.test", "ada@acme.test"))
    words = report()
    assert "Known: an email NameID (ada@acme.test) is already linked to ada@acme.test." in words
    assert "the provisioning mode (Just-in-time) is not asked" in words


def test_an_invitation_gives_its_role_in_invite_only_mode(report, acme):
    acme.provisioning_mode = "invite_only"
    acme.save()
    Invitation.objects.create(organization=acme, email="ada@acme.test", role="admin")
    words = report()
    assert "Provisioning: Invite only" in words and "Invite only: ada@acme.test was invited" in words
    assert "Role: admin" in words and "the role of their invitation" in words


def test_invite_only_without_an_invitation_fails_at_the_provisioning_check(report, acme):
    acme.provisioning_mode = "invite_only"
    acme.save()
    words = report()
    assert "it would fail" in words and "Invite only: ada@acme.test is neither a member nor invited." in words
    assert "Role: none" in words


def test_a_subdomain_names_the_verified_parent_that_matched(report):
    words = report(name_id="ada@eu.acme.test")
    assert "ada@eu.acme.test is on acme.test, the most specific verified domain covering eu.acme.test" in words


def test_a_changed_nameid_format_fails_at_the_identity_check(report, connection):  # noqa: F811
    complete_sign_in(Vouched(connection, "nameid:ada@acme.test", "ada@acme.test"))
    words = report(
        name_id="4f0c9a1e77b2", name_id_format=NAMEID_FORMAT_PERSISTENT, attributes={MAIL: ["ada@acme.test"]}
    )
    assert "it would fail" in words and "subject_format_changed" in words
    assert "Identity: a persistent NameID (4f0c9a1e…)" in words
    assert "linked to this connection by an email NameID (ada@acme.test); the IdP now sent a persistent" in words


def test_an_email_attribute_configured_but_absent_is_a_fallback(report, connection):  # noqa: F811
    connection.saml.email_attribute = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
    connection.saml.save()
    words = report(attributes={"displayName": ["Ada"]})
    assert "it works, by a fallback" in words
    assert (
        "The connection's Email attribute http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress is not "
        "in the IdP's answer: the email came from the NameID instead." in words
    )


def test_an_email_from_an_attribute_nobody_named_is_a_fallback(report):
    words = report(name_id="opaque-1", name_id_format=NAMEID_FORMAT_PERSISTENT, attributes={MAIL: ["ada@acme.test"]})
    assert "it works, by a fallback" in words
    # pysaml2 names the attribute by its friendly name
    assert "The email came from the mail attribute, one of the attributes KloudSSO tries when none is named" in words


def test_a_transient_nameid_is_a_fallback_to_the_email(report, connection):  # noqa: F811
    connection.saml.email_attribute = MAIL
    connection.saml.save()
    words = report(name_id="_tr4ns13nt", name_id_format=NAMEID_FORMAT_TRANSIENT, attributes={MAIL: ["ada@acme.test"]})
    assert "it works, by a fallback" in words
    assert "The IdP sent a transient NameID, which changes at every sign-in by design" in words


def test_a_nameid_of_another_format_than_asked_is_reported(report, connection):  # noqa: F811
    connection.saml.nameid_format = NAMEID_FORMAT_PERSISTENT
    connection.saml.save()
    words = report()
    assert "The connection asks for a persistent NameID" in words and "the IdP sent an email NameID" in words


def test_a_non_entra_oidc_email_without_email_verified_is_a_fallback(acme):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    plain = oidc_connection(acme, issuer="https://idp.example.test")
    vouched = Vouched(
        plain, "https://idp.example.test|s", "ada@acme.test", {"email": "ada@acme.test"}, "the email claim"
    )
    assert "The ID token does not say whether ada@acme.test is verified" in fallback_warnings(vouched, {})[0]
    verified = Vouched(
        plain, "x|s", "ada@acme.test", {"email": "ada@acme.test", "email_verified": True}, "the email claim"
    )
    assert fallback_warnings(verified, {}) == []
    tenant = "https://login.microsoftonline.com/8f0c2a55-1c7e-4b1a-9d3e-2f6a1b0c9d8e/v2.0"
    entra = oidc_connection(acme, display_name="Entra", issuer=tenant)
    assert entra.oidc.entra_tenant_id  # Entra ID sends no email_verified: nothing to warn of
    assert fallback_warnings(Vouched(entra, "e", "ada@acme.test", {"email": "a"}, "the email claim"), {}) == []


@pytest.mark.django_db(transaction=True)
def test_an_oidc_email_from_preferred_username_is_a_fallback(live_server, settings, oidc_idp, alice, acme):
    words = html.unescape(real_idp_report(live_server, settings, oidc_idp, acme, "ada"))
    assert "it works, by a fallback" in words
    assert "the email came from the preferred_username claim, the user's principal name" in words
    assert "Add the optional email claim" in words


@pytest.mark.django_db(transaction=True)
def test_an_oidc_email_from_userinfo_is_a_fallback(live_server, settings, oidc_idp, alice, acme):
    words = html.unescape(real_idp_report(live_server, settings, oidc_idp, acme, "uma"))
    assert "it works, by a fallback" in words
    assert "The ID token carries no email: it came from the UserInfo endpoint" in words


@pytest.mark.django_db(transaction=True)
def test_an_oidc_email_claim_needs_no_fallback(live_server, settings, oidc_idp, alice, acme):
    words = html.unescape(real_idp_report(live_server, settings, oidc_idp, acme, "bea"))
    assert "it works" in words and "fallback" not in words
