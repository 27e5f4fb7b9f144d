"""An IdP that changes how it names people: told apart from a reused address, and the owners' re-link (one member
from the refused sign-in's event, or everyone on the connection at their next sign-in)."""

from datetime import timedelta

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from connections.models import SignInEvent, SSOIdentity, SubjectChange
from domains.models import Domain
from kloudsso.audit.models import AuditEvent
from kloudsso.tenancy.models import Membership, Role
from signin import event_log
from signin.complete import Vouched, complete_sign_in
from signin.errors import SignInError
from tests.support.factories import oidc_connection, saml_connection


@pytest.fixture
def acme_saml(acme):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    acme.provisioning_mode = "jit"
    acme.save()
    return saml_connection(acme)


def refused(vouched) -> SignInEvent:
    """The refusal, recorded as the sign-in pages do."""
    with pytest.raises(SignInError) as caught:
        complete_sign_in(vouched)
    request = RequestFactory().get("/sso/saml/finish/x")
    return event_log.record_failure(request, caught.value, connection=vouched.connection, email=vouched.email)


def relink_url(name, event, org_slug="acme"):
    return reverse(f"connections:{name}", kwargs={"org_slug": org_slug, "public_id": event.public_id})


@pytest.fixture
def ada_by_email(acme_saml):
    """Ada, a member who signs in through the connection with an email NameID."""
    return complete_sign_in(Vouched(acme_saml, "nameid:ada@acme.test", "ada@acme.test"))


def test_a_new_kind_of_subject_for_a_member_is_a_format_change_naming_both_kinds(acme_saml, ada_by_email):
    event = refused(Vouched(acme_saml, "persistent:4f0c9a1e77b2c3d4e5f6", "ada@acme.test"))
    assert event.code == "subject_format_changed"
    assert "an email NameID (ada@acme.test)" in event.detail
    assert "a persistent NameID (4f0c9a1e…)" in event.detail  # a pairwise identifier is not quoted whole
    assert "77b2c3d4" not in event.detail
    change = SubjectChange.objects.get(event=event)
    assert (change.identity.user, change.subject) == (ada_by_email, "persistent:4f0c9a1e77b2c3d4e5f6")


def test_a_transient_nameid_with_an_email_attribute_is_a_format_change_too(acme_saml, ada_by_email):
    assert refused(Vouched(acme_saml, "email:ada@acme.test", "ada@acme.test")).code == "subject_format_changed"


def test_the_same_kind_of_subject_is_still_a_reused_address_with_a_single_relink_offered(acme_saml):
    complete_sign_in(Vouched(acme_saml, "persistent:old", "ada@acme.test"))
    event = refused(Vouched(acme_saml, "persistent:new", "ada@acme.test"))
    assert event.code == "email_reused"
    assert SubjectChange.objects.filter(event=event, subject="persistent:new").exists()


def test_an_oidc_connection_that_becomes_entra_keyed_is_a_format_change(acme_saml):
    connection = oidc_connection(acme_saml.organization)
    complete_sign_in(Vouched(connection, "https://idp.test|sub-1", "bob@acme.test"))
    assert refused(Vouched(connection, "entra:t:oid-1", "bob@acme.test")).code == "subject_format_changed"


def test_the_owner_relinks_one_member_and_their_next_sign_in_works(client, alice, acme_saml, ada_by_email):
    event = refused(Vouched(acme_saml, "persistent:abcdef123456", "ada@acme.test"))
    client.force_login(alice)
    page = client.get(relink_url("event", event)).content.decode()
    assert relink_url("relink", event) in page and relink_url("relink_everyone", event) in page
    confirm = client.get(relink_url("relink", event)).content.decode()
    assert "Re-link ada@acme.test?" in confirm and "a persistent NameID (abcdef12…)" in confirm
    assert client.post(relink_url("relink", event)).status_code == 302
    assert complete_sign_in(Vouched(acme_saml, "persistent:abcdef123456", "ada@acme.test")) == ada_by_email
    assert SSOIdentity.objects.get(user=ada_by_email).subject == "persistent:abcdef123456"
    audit = AuditEvent.objects.get(action="identity.relinked")
    assert (audit.organization, audit.actor, audit.actor_kind) == (acme_saml.organization, alice, "owner")
    assert audit.changes["subject"] == ["an email NameID (ada@acme.test)", "a persistent NameID (abcdef12…)"]
    assert not SubjectChange.objects.exists()  # used up: posting again is a 404
    assert client.post(relink_url("relink", event)).status_code == 404


def test_a_relink_is_refused_for_someone_no_longer_a_member(client, alice, acme_saml, ada_by_email):
    event = refused(Vouched(acme_saml, "persistent:abc", "ada@acme.test"))
    Membership.objects.filter(user=ada_by_email).delete()
    client.force_login(alice)
    response = client.post(relink_url("relink", event), follow=True)
    assert "ada@acme.test is no longer a member of Acme." in response.content.decode()
    assert SSOIdentity.objects.get(user=ada_by_email).subject == "nameid:ada@acme.test"
    assert not AuditEvent.objects.filter(action="identity.relinked").exists()


def test_a_reused_address_confirmation_warns_to_check_it_is_the_same_person(client, alice, acme_saml):
    complete_sign_in(Vouched(acme_saml, "persistent:old", "ada@acme.test"))
    event = refused(Vouched(acme_saml, "persistent:new", "ada@acme.test"))
    client.force_login(alice)
    assert "checked at the IdP that it is the same person" in client.get(relink_url("relink", event)).content.decode()
    everyone = client.get(relink_url("relink_everyone", event)).content.decode()
    assert "only" in everyone and "this member alone" in everyone and 'name="shown"' not in everyone
    client.post(relink_url("relink_everyone", event), {"shown": "x"})
    assert not SSOIdentity.objects.exclude(relink_until=None).exists()  # a window never opens for a reused address


@pytest.fixture
def three_members(acme_saml, ada_by_email):
    """Ada, Grace (email NameIDs) and Linus (already persistent), members of Acme through the connection."""
    grace = complete_sign_in(Vouched(acme_saml, "nameid:grace@acme.test", "grace@acme.test"))
    linus = complete_sign_in(Vouched(acme_saml, "persistent:linus", "linus@acme.test"))
    return ada_by_email, grace, linus


def test_everyone_is_relinked_at_their_next_sign_in_after_a_confirmation_listing_them(
    client, alice, acme_saml, three_members
):
    ada, grace, _linus = three_members
    event = refused(Vouched(acme_saml, "persistent:ada-new", "ada@acme.test"))
    client.force_login(alice)
    page = client.get(relink_url("relink_everyone", event)).content.decode()
    assert "2 members covered" in page and "ada@acme.test" in page and "grace@acme.test" in page
    assert "linus@acme.test" not in page  # already persistent: not covered
    shown = page.split('name="shown" value="', 1)[1].split('"', 1)[0]
    assert client.post(relink_url("relink_everyone", event), {"shown": shown}).status_code == 302
    opened = AuditEvent.objects.get(action="identity.relink_window_opened")
    assert opened.changes["members"] == [None, 2] and opened.actor == alice

    assert complete_sign_in(Vouched(acme_saml, "persistent:grace-new", "grace@acme.test")) == grace
    assert complete_sign_in(Vouched(acme_saml, "persistent:ada-new", "ada@acme.test")) == ada
    relinked = AuditEvent.objects.filter(action="identity.relinked").order_by("pk")
    assert [(e.actor_kind, e.target_label) for e in relinked] == [
        ("system", "grace@acme.test · Okta"),
        ("system", "ada@acme.test · Okta"),
    ]
    # Once each: a further new subject for Grace is refused again, and Linus's persistent subject was never open.
    assert refused(Vouched(acme_saml, "persistent:grace-third", "grace@acme.test")).code == "email_reused"
    assert refused(Vouched(acme_saml, "persistent:linus-2", "linus@acme.test")).code == "email_reused"


def test_a_window_takes_only_the_new_kind_and_the_identitys_own_email(acme_saml, three_members):
    ada, grace, _ = three_members
    until = timezone.now() + timedelta(days=7)
    SSOIdentity.objects.filter(user__in=[ada, grace]).update(relink_kind="persistent", relink_until=until)
    assert refused(Vouched(acme_saml, "email:ada@acme.test", "ada@acme.test")).code == "subject_format_changed"
    SSOIdentity.objects.filter(user=grace).update(email="grace.old@acme.test")
    assert refused(Vouched(acme_saml, "persistent:g", "grace@acme.test")).code == "subject_format_changed"


def test_a_window_expires_by_itself(settings, acme_saml, ada_by_email):
    SSOIdentity.objects.filter(user=ada_by_email).update(
        relink_kind="persistent", relink_until=timezone.now() + timedelta(days=settings.SSO_RELINK_WINDOW_DAYS)
    )
    with time_machine.travel(timezone.now() + timedelta(days=settings.SSO_RELINK_WINDOW_DAYS, minutes=1)):
        assert refused(Vouched(acme_saml, "persistent:late", "ada@acme.test")).code == "subject_format_changed"


def test_a_window_is_not_opened_when_the_members_changed_since_the_page(client, alice, acme_saml, three_members):
    event = refused(Vouched(acme_saml, "persistent:ada-new", "ada@acme.test"))
    client.force_login(alice)
    page = client.get(relink_url("relink_everyone", event)).content.decode()
    shown = page.split('name="shown" value="', 1)[1].split('"', 1)[0]
    complete_sign_in(Vouched(acme_saml, "nameid:new@acme.test", "new@acme.test"))  # a third member meanwhile
    response = client.post(relink_url("relink_everyone", event), {"shown": shown}, follow=True)
    assert "changed since the page was shown" in response.content.decode()
    assert not SSOIdentity.objects.exclude(relink_until=None).exists()


def test_the_owner_closes_a_window_early(client, alice, acme_saml, three_members):
    event = refused(Vouched(acme_saml, "persistent:ada-new", "ada@acme.test"))
    client.force_login(alice)
    page = client.get(relink_url("relink_everyone", event)).content.decode()
    shown = page.split('name="shown" value="', 1)[1].split('"', 1)[0]
    client.post(relink_url("relink_everyone", event), {"shown": shown})
    assert "2 members not yet re-linked" in client.get(relink_url("relink_everyone", event)).content.decode()
    client.post(relink_url("relink_close", event))
    assert not SSOIdentity.objects.exclude(relink_until=None).exists()
    assert AuditEvent.objects.filter(action="identity.relink_window_closed").exists()
    assert refused(Vouched(acme_saml, "persistent:ada-new", "ada@acme.test")).code == "subject_format_changed"


@pytest.mark.parametrize("name", ["relink", "relink_everyone", "relink_close"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organizations_owner_gets_404(client, charlie, acme_saml, ada_by_email, name, method):
    event = refused(Vouched(acme_saml, "persistent:abc", "ada@acme.test"))
    client.force_login(charlie)
    for slug in ("acme", "globex"):
        assert getattr(client, method)(relink_url(name, event, slug), {"shown": "x"}).status_code == 404
    assert SSOIdentity.objects.get(user=ada_by_email).subject == "nameid:ada@acme.test"
    assert not SSOIdentity.objects.exclude(relink_until=None).exists()


def test_globex_cannot_relink_an_acme_identity_through_its_own_event(client, charlie, globex, acme_saml, ada_by_email):
    """A Globex event that somehow pointed at an Acme identity is a 404 for Globex's owner."""
    event = SignInEvent.objects.create(organization=globex, outcome="failure", code="subject_format_changed")
    SubjectChange.objects.create(
        event=event, identity=SSOIdentity.objects.get(user=ada_by_email), subject="persistent:x"
    )
    client.force_login(charlie)
    assert client.post(relink_url("relink", event, "globex")).status_code == 404
    assert SSOIdentity.objects.get(user=ada_by_email).subject == "nameid:ada@acme.test"


@pytest.mark.parametrize("persona", ["bob", "ada"])
def test_members_and_admins_get_403(client, request, acme_saml, ada_by_email, persona):
    event = refused(Vouched(acme_saml, "persistent:abc", "ada@acme.test"))
    user = request.getfixturevalue(persona) if persona == "bob" else None
    if user is None:  # the fixture's admin ada is another account than the SSO member ada: make ada@acme.test admin
        Membership.objects.filter(user=ada_by_email).update(role=Role.ADMIN)
        user = ada_by_email
    client.force_login(user)
    assert client.post(relink_url("relink", event)).status_code == 403
    assert SSOIdentity.objects.get(user=ada_by_email).subject == "nameid:ada@acme.test"


def test_an_event_without_a_new_subject_offers_no_relink(client, alice, acme_saml):
    event = refused(Vouched(acme_saml, "nameid:nobody@acme.test", "nobody@elsewhere.test"))
    client.force_login(alice)
    assert "Re-link" not in client.get(relink_url("event", event)).content.decode()
    assert client.get(relink_url("relink", event)).status_code == 404


def test_an_offered_relink_goes_with_its_event_at_the_retention(settings, acme_saml, ada_by_email):
    from connections.tasks import prune_signin_events

    refused(Vouched(acme_saml, "persistent:abc", "ada@acme.test"))
    with time_machine.travel(timezone.now() + timedelta(days=settings.SIGNIN_EVENT_RETENTION_DAYS + 1)):
        assert prune_signin_events.call() == 1  # the events, not the rows that went with them
    assert not SubjectChange.objects.exists()


def test_no_relink_is_offered_for_someone_no_longer_a_member(acme_saml, ada_by_email):
    Membership.objects.filter(user=ada_by_email).delete()
    event = refused(Vouched(acme_saml, "persistent:abc", "ada@acme.test"))
    assert event.code == "subject_format_changed" and not SubjectChange.objects.exists()
