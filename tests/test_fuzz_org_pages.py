"""Fuzz the organization's pages: domains (add, verify, delete), members (invite, change role, remove, revoke an
invitation), SSO settings, notifications and the organization switcher. Acting as the owner, an admin or a member,
with any body and any UUID (random ones and Globex's real ones)."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from domains.models import Domain, Status
from kloudsso.tenancy.models import Invitation, ProvisioningMode, Role
from tests.support import strategies
from tests.support.fuzzing import check, client_for, example_scope, fuzz, redirected, rows, send

DOMAIN_NAMES = ["acme.test", "new.acme.test", "ACME.test.", "https://acme.test/login", "bob@acme.test", "bücher.test"]


@pytest.fixture
def org(acme, globex, alice, ada, bob, charlie, dns):
    pending = Domain.objects.create(organization=acme, name="pending.acme.test")
    dns.add_txt(pending.record_name, pending.record_value)  # so Verify can succeed
    Domain.objects.create(organization=acme, name="acme.test", status=Status.VERIFIED)
    foreign = Domain.objects.create(organization=globex, name="globex.test", status=Status.VERIFIED)
    invitation = Invitation.objects.create(organization=acme, email="dana@acme.test", role=Role.OWNER)
    foreign_invitation = Invitation.objects.create(organization=globex, email="erin@globex.test")
    return {
        "people": {"alice": alice, "ada": ada, "bob": bob},
        "domains": [str(pending.public_id), str(Domain.objects.get(name="acme.test").public_id)],
        "foreign_domains": [str(foreign.public_id)],
        "memberships": [str(m.public_id) for m in acme.memberships.all()],
        "foreign_memberships": [str(m.public_id) for m in globex.memberships.all()],
        "invitations": [str(invitation.public_id)],
        "foreign_invitations": [str(foreign_invitation.public_id)],
    }


def ids(own, foreign):
    return st.one_of(st.sampled_from(own), st.sampled_from(own + foreign), strategies.uuids())


def person(org):
    return st.sampled_from(["alice", "alice", "alice", "ada", "bob"])  # mostly the owner, who gets furthest


@fuzz()
@given(data=st.data())
def test_the_domains_page_never_answers_500(org, data):
    who = data.draw(person(org), "as")
    action = data.draw(st.sampled_from(["add", "verify", "delete"]), "action")
    body = data.draw(strategies.form_bodies(("name",), valid={"name": "new.acme.test"}, values={"name": DOMAIN_NAMES}))
    if action == "add":
        path = reverse("domains:list", kwargs={"org_slug": "acme"})
    else:
        public_id = data.draw(ids(org["domains"], org["foreign_domains"]), "domain")
        path = reverse(f"domains:{action}", kwargs={"org_slug": "acme", "public_id": public_id})
    with example_scope():
        client = client_for(org["people"][who])
        before = rows()
        response = send(client, "POST", path, body)
        check(response, before, may_change={"domains.Domain"} if redirected(response) else ())


@fuzz()
@given(data=st.data())
def test_the_members_page_never_answers_500(org, data):
    who = data.draw(person(org), "as")
    action = data.draw(st.sampled_from(["invite", "role", "remove", "revoke"]), "action")
    roles = {"role": [*Role.values, "OWNER", "superuser", ""]}
    if action == "invite":
        path = reverse("members:list", kwargs={"org_slug": "acme"})
        fields, valid = ("email", "role"), {"email": "erin@acme.test", "role": Role.MEMBER}
    elif action == "revoke":
        public_id = data.draw(ids(org["invitations"], org["foreign_invitations"]), "invitation")
        path = reverse("members:revoke", kwargs={"org_slug": "acme", "public_id": public_id})
        fields, valid = ("confirm",), {}
    else:
        public_id = data.draw(ids(org["memberships"], org["foreign_memberships"]), "membership")
        path = reverse(f"members:{action}", kwargs={"org_slug": "acme", "public_id": public_id})
        fields, valid = ("role",), {"role": Role.ADMIN}
    body = data.draw(strategies.form_bodies(fields, valid=valid or None, values=roles | {"email": ["x@acme.test"]}))
    method = data.draw(st.sampled_from(["POST", "POST", "GET"]), "method")
    with example_scope():
        client = client_for(org["people"][who])
        before = rows()
        response = send(client, method, path, body if method == "POST" else "")
        may_change = {"tenancy.Membership", "tenancy.Invitation"} if redirected(response) else ()
        check(response, before, may_change=may_change)


@fuzz()
@given(data=st.data())
def test_the_sso_settings_page_never_answers_500(org, data):
    who = data.draw(person(org), "as")
    body = data.draw(
        strategies.form_bodies(
            ("provisioning_mode", "enforce_sso"),
            valid={"provisioning_mode": ProvisioningMode.JUST_IN_TIME},
            values={"provisioning_mode": ProvisioningMode.values, "enforce_sso": ["on", "true", "1", "off", ""]},
        )
    )
    with example_scope():
        client = client_for(org["people"][who])
        before = rows()
        response = send(client, "POST", reverse("sso_settings", kwargs={"org_slug": "acme"}), body)
        check(response, before, may_change={"tenancy.Organization"} if redirected(response) else ())


@fuzz()
@given(data=st.data())
def test_the_notifications_page_never_answers_500(org, data):
    who = data.draw(person(org), "as")
    addresses = ["it@acme.test", "IT@Acme.test ", "it@", "it team@acme.test", "x" * 250 + "@acme.test", ""]
    body = data.draw(
        strategies.form_bodies(
            ("notification_email", "receives_reminders"),
            valid={"notification_email": "it@acme.test"},
            values={"notification_email": addresses, "receives_reminders": ["on", "true", "1", "off", ""]},
        )
    )
    with example_scope():
        client = client_for(org["people"][who])
        before = rows()
        response = send(client, "POST", reverse("notification_settings", kwargs={"org_slug": "acme"}), body)
        changed = {"tenancy.Organization", "tenancy.Membership"} if redirected(response) else ()
        check(response, before, may_change=changed)


@fuzz(share=0.5)
@given(data=st.data())
def test_the_organization_switcher_never_answers_500(org, data):
    who = data.draw(st.one_of(st.none(), person(org)), "as")
    method = data.draw(st.sampled_from(["POST", "GET"]), "method")
    slugs = {"org": ["acme", "globex", "ACME", "acme/", "", "acme\x00"]}
    with example_scope():
        client = client_for(org["people"][who] if who else None)
        before = rows()
        if method == "POST":
            response = send(
                client, "POST", reverse("switch_org"), data.draw(strategies.form_bodies(("org",), values=slugs))
            )
        else:
            response = send(
                client, "GET", reverse("switch_org"), data.draw(strategies.query_strings(("org",), values=slugs))
            )
        check(response, before)
        assert response.status_code in (302, 400)  # 400: a body Django cannot parse
        assert "globex" not in response.get("Location", "")  # never into an organization one is not in
