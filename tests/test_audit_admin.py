"""Support's changes in the Django admin are in the audit log (actor kind support, the fields changed, secrets as
"changed"); the log itself is read-only there."""

import json

import pytest
from django.urls import reverse

from connections.models import Connection, SAMLCertificate
from domains.models import Domain
from kloudsso.accounts.models import User
from kloudsso.audit.models import AuditEvent
from kloudsso.tenancy.models import Invitation, Membership
from tests.support.factories import oidc_connection, saml_connection

SUPPORT = "support@kloudsso.test"
IP = "198.51.100.20"


@pytest.fixture
def support_user(db):
    return User.objects.create_superuser(SUPPORT, "support-password-1")


@pytest.fixture
def staff(client, support_user):
    client.force_login(support_user)
    AuditEvent.objects.all().delete()
    return client


def fresh():
    AuditEvent.objects.all().delete()


def only(action) -> AuditEvent:
    event = AuditEvent.objects.get(action=action)
    assert (event.actor_label, event.actor_kind, event.ip) == (SUPPORT, "support", IP)
    return event


def organization_form(acme, alice, **overrides):
    membership = acme.memberships.get(user=alice)
    return {
        "name": "Acme",
        "slug": "acme",
        "plan": "paid",
        "provisioning_mode": "invite_only",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-0-id": membership.pk,
        "memberships-0-organization": acme.pk,
        "memberships-0-user": alice.pk,
        "memberships-0-role": "owner",
        "memberships-0-receives_reminders": "on",
        **overrides,
    }


def test_an_organizations_change_records_the_fields_support_changed(staff, alice, acme):
    url = reverse("admin:tenancy_organization_change", args=[acme.pk])
    response = staff.post(url, organization_form(acme, alice, plan="free", enforce_sso="on"), REMOTE_ADDR=IP)
    assert response.status_code == 302
    event = only("organization.changed")
    assert event.organization == acme and event.target_label == "Acme"
    assert event.changes == {"plan": ["paid", "free"], "enforce_sso": [False, True]}
    assert AuditEvent.objects.count() == 1  # the unchanged membership row records nothing


def test_an_inline_membership_change_is_an_event_of_its_own(staff, alice, bob, acme):
    bob_membership = Membership.objects.get(user=bob)
    form = organization_form(
        acme,
        alice,
        **{
            "memberships-TOTAL_FORMS": "2",
            "memberships-INITIAL_FORMS": "2",
            "memberships-1-id": bob_membership.pk,
            "memberships-1-organization": acme.pk,
            "memberships-1-user": bob.pk,
            "memberships-1-role": "admin",
            "memberships-1-receives_reminders": "on",
        },
    )
    staff.post(reverse("admin:tenancy_organization_change", args=[acme.pk]), form, REMOTE_ADDR=IP)
    event = only("member.changed")
    assert event.organization == acme and event.target_label == "bob@acme.test"
    assert event.changes == {"role": ["member", "admin"]}


def test_a_membership_added_and_deleted_in_the_admin(staff, charlie, acme):
    add = reverse("admin:tenancy_membership_add")
    staff.post(add, {"user": charlie.pk, "organization": acme.pk, "role": "admin"}, REMOTE_ADDR=IP)
    added = only("member.added")
    assert added.organization == acme and added.target_label == "charlie@globex.test"
    assert added.changes["role"] == [None, "admin"] and added.changes["organization"] == [None, "Acme"]

    membership = Membership.objects.get(user=charlie, organization=acme)
    staff.post(reverse("admin:tenancy_membership_delete", args=[membership.pk]), {"post": "yes"}, REMOTE_ADDR=IP)
    removed = only("member.removed")
    assert removed.organization == acme and removed.target_id == str(membership.public_id)


def test_a_bulk_delete_records_each_row(staff, acme):
    invitations = [Invitation.objects.create(organization=acme, email=f"p{i}@acme.test") for i in range(2)]
    staff.post(
        reverse("admin:tenancy_invitation_changelist"),
        {"action": "delete_selected", "_selected_action": [i.pk for i in invitations], "post": "yes"},
        REMOTE_ADDR=IP,
    )
    assert not Invitation.objects.exists()
    events = AuditEvent.objects.filter(action="invitation.revoked", actor_kind="support", organization=acme)
    assert sorted(events.values_list("target_label", flat=True)) == ["p0@acme.test", "p1@acme.test"]


def test_support_disabling_a_connection_is_recorded_per_connection(staff, acme, globex):
    connections = [oidc_connection(acme), saml_connection(globex)]
    fresh()
    url = reverse("admin:connections_connection_changelist")
    staff.post(url, {"action": "disable", "_selected_action": [c.pk for c in connections]}, REMOTE_ADDR=IP)
    assert not Connection.objects.filter(enabled=True).exists()
    events = AuditEvent.objects.filter(action="connection.disabled", actor_kind="support")
    assert sorted(events.values_list("organization__slug", "target_label")) == [
        ("acme", "Entra ID"),
        ("globex", "Okta"),
    ]


def test_support_editing_a_connection_records_it(staff, acme):
    connection = oidc_connection(acme)
    fresh()
    staff.post(reverse("admin:connections_connection_change", args=[connection.pk]), {}, REMOTE_ADDR=IP)
    event = only("connection.changed")
    assert (event.organization, event.target_label, event.changes) == (acme, "Entra ID", {"enabled": [True, False]})


def test_support_deleting_a_signing_certificate_retires_it(staff, acme):
    saml_connection(acme)
    certificate = SAMLCertificate.objects.get()
    fresh()
    staff.post(
        reverse("admin:connections_samlcertificate_delete", args=[certificate.pk]), {"post": "yes"}, REMOTE_ADDR=IP
    )
    event = only("certificate.retired")
    assert event.organization == acme and event.target_id == certificate.sha256_fingerprint


def test_support_marking_a_domain_unverified_is_recorded(staff, acme):
    domain = Domain.objects.create(organization=acme, name="acme.com", status="verified")
    url = reverse("admin:domains_domain_changelist")
    staff.post(url, {"action": "mark_unverified", "_selected_action": [domain.pk]}, REMOTE_ADDR=IP)
    event = only("domain.unverified")
    assert event.changes["status"] == ["verified", "unverified"]


def test_a_user_account_change_has_no_organization_and_a_password_only_changed(staff, alice):
    url = reverse("admin:accounts_user_change", args=[alice.pk])
    data = {"email": alice.email, "full_name": "Alice Liddell", "is_active": "on"}
    assert staff.post(url, data, REMOTE_ADDR=IP).status_code == 302
    changed = only("user.changed")
    assert changed.organization is None and changed.changes == {"full_name": ["", "Alice Liddell"]}

    password = reverse("admin:auth_user_password_change", args=[alice.pk])
    new = "A-new-password-nobody-logs-42"
    staff.post(password, {"password1": new, "password2": new, "usable_password": "true"}, REMOTE_ADDR=IP)
    event = only("user.password_changed")
    assert event.changes == {"password": "changed"}
    assert new not in json.dumps(list(AuditEvent.objects.values("changes")))


def test_support_adding_a_user_records_the_password_only_as_changed(staff):
    new = "Another-password-nobody-logs-7"
    add = reverse("admin:accounts_user_add")
    data = {"email": "dana@acme.test", "usable_password": "true", "password1": new, "password2": new}
    assert staff.post(add, data, REMOTE_ADDR=IP).status_code == 302
    event = only("user.added")
    assert event.changes["email"] == [None, "dana@acme.test"] and event.changes["password1"] == "changed"
    assert new not in json.dumps(event.changes)


def test_the_audit_log_is_read_only_and_searchable(staff, alice, acme):
    oidc_connection(acme)
    event = AuditEvent.objects.get()
    changelist = reverse("admin:audit_auditevent_changelist")
    for term, found in [("acme", 1), ("connection.added", 1), ("system", 1), ("globex", 0)]:
        assert staff.get(changelist, {"q": term}).context["cl"].result_count == found, term
    detail = staff.get(reverse("admin:audit_auditevent_change", args=[event.pk])).content.decode()
    assert "client secret" in detail and 'name="_save"' not in detail
    assert staff.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert staff.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_an_organization_deleted_by_support_leaves_its_record(staff, acme):
    oidc_connection(acme)
    staff.post(reverse("admin:tenancy_organization_delete", args=[acme.pk]), {"post": "yes"}, REMOTE_ADDR=IP)
    deleted = only("organization.deleted")
    assert deleted.organization is None and deleted.target_label == "Acme"
    assert AuditEvent.objects.get(action="connection.added").organization is None  # kept, no longer anyone's page
