"""The audit log records each change an owner or admin makes in the console: who, from which address, what, and
each field before → after, in the change's own transaction; a secret only as "changed"."""

import json

import pytest
from django.db import IntegrityError
from django.urls import reverse

from connections.models import Connection, OIDCSettings
from domains.models import Domain
from kloudsso.audit.models import AuditEvent
from kloudsso.audit.record import SECRET_CHANGED, SYSTEM, actor_from_request, audit_diff
from kloudsso.tenancy.models import Invitation, Membership
from tests.support.factories import CLIENT_SECRET, oidc_connection, saml_connection
from tests.support.metadata import sample
from tests.support.oidc import serve_idp

IP = "203.0.113.7"
NEW_SECRET = "rotated-secret-456-never-logged"


def org_url(name, **kwargs):
    return reverse(name, kwargs={"org_slug": "acme", **kwargs})


def post(client, url, data=None):
    response = client.post(url, data or {}, REMOTE_ADDR=IP)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


@pytest.fixture
def idp(http_server):
    serve_idp(http_server, "/t2/v2.0")
    return http_server


def oidc_form(idp, **overrides):
    return {
        "display_name": "Entra ID",
        "discovery_url": idp.url("/t2/v2.0/.well-known/openid-configuration"),
        "client_id": "client-2",
        "client_secret": "",
        "scopes": "openid email profile",
        **overrides,
    }


# Each case: what the owner (alice) does through the console, and the event it must leave: its action, target
# label, and some of its changes.


def add_oidc(client, acme, idp):
    post(client, org_url("connections:add_oidc"), oidc_form(idp, client_secret=NEW_SECRET))
    return "connection.added", "Entra ID", {"client_id": [None, "client-2"], "client_secret": SECRET_CHANGED}


def edit_oidc_with_a_new_secret(client, acme, idp):
    connection = oidc_connection(acme)
    edit = org_url("connections:edit", public_id=connection.public_id)
    post(client, edit, oidc_form(idp, display_name="Entra", client_secret=NEW_SECRET))
    return "connection.edited", "Entra", {"display_name": ["Entra ID", "Entra"], "client_secret": SECRET_CHANGED}


def disable(client, acme, idp):
    connection = oidc_connection(acme)
    post(client, org_url("connections:toggle", public_id=connection.public_id))
    return "connection.disabled", "Entra ID", {"enabled": [True, False]}


def enable(client, acme, idp):
    connection = oidc_connection(acme)
    Connection.objects.filter(pk=connection.pk).update(enabled=False)
    post(client, org_url("connections:toggle", public_id=connection.public_id))
    return "connection.enabled", "Entra ID", {"enabled": [False, True]}


def delete(client, acme, idp):
    connection = saml_connection(acme)
    post(client, org_url("connections:delete", public_id=connection.public_id))
    assert not Connection.objects.exists()
    return "connection.deleted", "Okta", {}


def add_saml(client, acme, idp):
    post(
        client,
        org_url("connections:add_saml"),
        {"display_name": "Okta", "source": "xml", "metadata_xml": sample("okta_metadata.xml")},
    )
    return "connection.added", "Okta", {"idp_entity_id": [None, "http://www.okta.com/exkh52ytxrJeMH5140h7"]}


def add_domain(client, acme, idp):
    post(client, org_url("domains:list"), {"name": "Acme.com"})
    return "domain.added", "acme.com", {}


def delete_domain(client, acme, idp):
    domain = Domain.objects.create(organization=acme, name="acme.com")
    post(client, org_url("domains:delete", public_id=domain.public_id))
    return "domain.deleted", "acme.com", {"status": ["pending", None]}


def change_sso_settings(client, acme, idp):
    post(client, org_url("sso_settings"), {"provisioning_mode": "jit"})
    return "sso_settings.changed", "Acme", {"provisioning_mode": ["invite_only", "jit"]}


def invite(client, acme, idp):
    post(client, org_url("members:list"), {"email": "Dana@Acme.test", "role": "admin"})
    return "invitation.created", "dana@acme.test", {"email": [None, "dana@acme.test"], "role": [None, "admin"]}


def revoke(client, acme, idp):
    invitation = Invitation.objects.create(organization=acme, email="dana@acme.test")
    post(client, org_url("members:revoke", public_id=invitation.public_id))
    assert not Invitation.objects.exists()
    return "invitation.revoked", "dana@acme.test", {"email": ["dana@acme.test", None]}


def change_role(client, acme, idp):
    bob = Membership.objects.get(user__email="bob@acme.test")
    post(client, org_url("members:role", public_id=bob.public_id), {"role": "admin"})
    return "member.role_changed", "bob@acme.test", {"role": ["member", "admin"]}


def remove_member(client, acme, idp):
    bob = Membership.objects.get(user__email="bob@acme.test")
    post(client, org_url("members:remove", public_id=bob.public_id))
    return "member.removed", "bob@acme.test", {"role": ["member", None]}


CASES = [
    add_oidc,
    edit_oidc_with_a_new_secret,
    disable,
    enable,
    delete,
    add_saml,
    add_domain,
    delete_domain,
    change_sso_settings,
    invite,
    revoke,
    change_role,
    remove_member,
]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_each_owner_change_is_recorded_with_who_where_and_what(as_alice, alice, bob, acme, idp, case):
    AuditEvent.objects.all().delete()  # the fixtures' own saves (factories act as the system)
    action, label, changes = case(as_alice, acme, idp)

    event = AuditEvent.objects.get(action=action)
    assert (event.organization, event.actor, event.actor_label, event.actor_kind) == (acme, alice, alice.email, "owner")
    assert event.ip == IP
    assert event.target_label == label
    assert changes.items() <= event.changes.items()


def test_an_admin_is_recorded_as_an_admin(client, ada, bob, acme):
    client.force_login(ada)
    post(client, org_url("members:role", public_id=Membership.objects.get(user=bob).public_id), {"role": "admin"})
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_label, event.actor_kind) == ("member.role_changed", "ada@acme.test", "admin")


def test_the_client_secret_is_never_stored_only_that_it_changed(as_alice, acme, idp):
    connection = oidc_connection(acme)
    post(
        as_alice, org_url("connections:edit", public_id=connection.public_id), oidc_form(idp, client_secret=NEW_SECRET)
    )

    stored = json.dumps(list(AuditEvent.objects.values("changes", "target_label")))
    encrypted = OIDCSettings.objects.get().client_secret_encrypted
    assert NEW_SECRET not in stored and CLIENT_SECRET not in stored and encrypted not in stored
    assert AuditEvent.objects.get(action="connection.edited").changes["client_secret"] == "changed"


def test_a_blank_secret_on_edit_records_no_secret_change(as_alice, acme, idp):
    connection = oidc_connection(acme)
    post(as_alice, org_url("connections:edit", public_id=connection.public_id), oidc_form(idp))
    changes = AuditEvent.objects.get(action="connection.edited").changes
    assert "client_secret" not in changes and changes["client_id"] == ["client-1", "client-2"]


def test_an_edit_that_changes_nothing_records_nothing(as_alice, acme):
    form = {"display_name": "Okta", "source": "xml", "metadata_xml": sample("okta_metadata.xml")}
    post(as_alice, org_url("connections:add_saml"), form)
    AuditEvent.objects.all().delete()
    post(as_alice, org_url("connections:edit", public_id=Connection.objects.get().public_id), form)
    assert not AuditEvent.objects.exists()


def test_saml_certificates_added_and_retired_are_recorded_by_fingerprint(as_alice, acme):
    post(
        as_alice,
        org_url("connections:add_saml"),
        {"display_name": "Okta", "source": "xml", "metadata_xml": sample("okta_metadata.xml")},
    )
    okta = AuditEvent.objects.get(action="certificate.added")
    assert okta.target_kind == "certificate" and okta.target_label == "Okta's, expiring 2028-11-01"
    assert okta.changes["sha256_fingerprint"][0] is None and okta.target_id == okta.changes["sha256_fingerprint"][1]

    connection = Connection.objects.get()
    edit = org_url("connections:edit", public_id=connection.public_id)
    post(as_alice, edit, {"display_name": "Okta", "source": "xml", "metadata_xml": sample("keycloak_idp_metadata.xml")})
    retired = AuditEvent.objects.get(action="certificate.retired")
    assert retired.target_id == okta.target_id
    assert retired.changes["sha256_fingerprint"] == [okta.target_id, None]
    added = AuditEvent.objects.filter(action="certificate.added").exclude(pk=okta.pk).get()
    assert added.changes["subject"] == [None, "CN=sven-matthias-anta"] and added.target_label.startswith("Okta's")


def test_a_verified_domain_is_recorded_once_it_is_verified(as_alice, acme, dns):
    domain = Domain.objects.create(organization=acme, name="acme.com")
    verify = org_url("domains:verify", public_id=domain.public_id)
    post(as_alice, verify)  # no record yet: nothing changed
    assert not AuditEvent.objects.exists()
    dns.add_txt(domain.record_name, domain.record_value)
    post(as_alice, verify)
    post(as_alice, verify)  # already verified: only re-checked
    event = AuditEvent.objects.get()
    assert (event.action, event.target_label, event.changes) == (
        "domain.verified",
        "acme.com",
        {"status": ["pending", "verified"]},
    )


def test_the_address_comes_from_the_trusted_proxys_header(as_alice, acme, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    as_alice.post(org_url("sso_settings"), {"provisioning_mode": "jit"}, HTTP_X_FORWARDED_FOR="198.51.100.1, 192.0.2.9")
    assert AuditEvent.objects.get().ip == "192.0.2.9"


def test_a_change_and_its_event_are_one_transaction(as_alice, acme, monkeypatch):
    """An event that cannot be written undoes the change it records: nothing is changed unrecorded."""
    from kloudsso.audit import record

    def refuse(**kwargs):
        raise IntegrityError("the audit log refused the event")

    monkeypatch.setattr(record.AuditEvent.objects, "create", refuse)
    domain = Domain.objects.create(organization=acme, name="acme.com")
    with pytest.raises(IntegrityError):
        as_alice.post(org_url("domains:delete", public_id=domain.public_id))
    assert Domain.objects.filter(pk=domain.pk).exists()


def test_a_member_is_no_actor_of_an_audited_change(rf, bob, acme):
    request = rf.post("/")
    request.user, request.membership = bob, Membership.objects.get(user=bob)
    with pytest.raises(ValueError, match="owners and admins"):
        actor_from_request(request)


def test_services_called_by_code_record_the_system(acme):
    oidc_connection(acme)
    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_label, event.actor_kind, event.ip) == (None, "system", "system", None)
    assert SYSTEM.label == "system"


def test_the_diff_keeps_changed_fields_only_and_hides_secrets():
    before = {"name": "a", "same": 1, "secret": "x", "gone": True}
    after = {"name": "b", "same": 1, "secret": "y", "new": [1]}
    assert audit_diff(before, after, secret_fields=["secret"]) == {
        "name": ["a", "b"],
        "secret": "changed",
        "gone": [True, None],
        "new": [None, [1]],
    }
    assert audit_diff({"secret": "x"}, {"secret": "x"}, secret_fields=["secret"]) == {}
