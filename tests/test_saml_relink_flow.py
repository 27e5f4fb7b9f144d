"""The IdP switches its NameID format mid-life (email → persistent) against the real SimpleSAMLphp: members are
refused with the real cause, and the owner's re-link (one member, or everyone) lets them in again."""

import re

import pytest
import requests
from django.urls import reverse

from connections.models import SignInEvent, SSOIdentity
from kloudsso.audit.models import AuditEvent
from kloudsso.tenancy.models import Membership, Role
from tests.support.sso_browser import saml_sign_in
from tests.test_saml_signin_flow import site  # noqa: F401 -- the fixture

pytestmark = pytest.mark.django_db(transaction=True)

PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"


@pytest.fixture
def switched(site, client):  # noqa: F811
    """Ada signed in once with an email NameID; then the IdP was set to persistent NameIDs; Alice, the owner, is
    signed in to the console."""
    base_url, org, connection = site
    org.provisioning_mode = "jit"
    org.save()
    assert saml_sign_in(requests.Session(), base_url, "ada@acme.test", "ada").url == f"{base_url}/orgs/acme/"
    assert SSOIdentity.objects.get().subject == "nameid:ada@acme.test"
    connection.saml.nameid_format = PERSISTENT
    connection.saml.save()
    refused = saml_sign_in(requests.Session(), base_url, "ada@acme.test", "ada")
    assert refused.status_code == 400
    assert "Your identity provider now identifies you differently" in refused.text
    from kloudsso.accounts.models import User

    alice = User.objects.create_user("alice@acme.test", "correct-horse-battery")
    Membership.objects.create(user=alice, organization=org, role=Role.OWNER)
    client.force_login(alice)
    return base_url, connection, SignInEvent.objects.get(code="subject_format_changed"), alice


def url(name, event):
    return reverse(f"connections:{name}", kwargs={"org_slug": "acme", "public_id": event.public_id})


def test_the_event_names_the_format_change_and_both_fixes(switched, client):
    _, _, event, _ = switched
    assert "an email NameID (ada@acme.test)" in event.detail
    assert re.search(r"a persistent NameID \([0-9a-f]{8}…\)", event.detail)
    page = client.get(url("event", event)).content.decode()
    assert "The IdP changed how it identifies people" in page
    assert "Unique User Identifier" in page and "revert" in page
    assert "reused" not in page.lower()  # the old, wrong cause


def test_the_owner_relinks_ada_and_her_next_sign_in_works(switched, client):
    base_url, connection, event, alice = switched
    assert client.post(url("relink", event)).status_code == 302
    landed = saml_sign_in(requests.Session(), base_url, "ada@acme.test", "ada")
    assert landed.url == f"{base_url}/orgs/acme/"
    assert re.fullmatch(r"persistent:[0-9a-f]{40}", SSOIdentity.objects.get(connection=connection).subject)
    audit = AuditEvent.objects.get(action="identity.relinked")
    assert audit.actor == alice and audit.target_label == "ada@acme.test · SimpleSAMLphp"


def test_relinking_everyone_lets_ada_in_at_her_next_sign_in(switched, client):
    base_url, connection, event, _alice = switched
    page = client.get(url("relink_everyone", event)).content.decode()
    assert "1 member covered" in page and "ada@acme.test" in page
    shown = page.split('name="shown" value="', 1)[1].split('"', 1)[0]
    client.post(url("relink_everyone", event), {"shown": shown})
    landed = saml_sign_in(requests.Session(), base_url, "ada@acme.test", "ada")
    assert landed.url == f"{base_url}/orgs/acme/"
    identity = SSOIdentity.objects.get(connection=connection)
    assert identity.subject.startswith("persistent:") and identity.relink_until is None
    assert list(
        AuditEvent.objects.filter(action__startswith="identity.").order_by("pk").values_list("action", "actor_kind")
    ) == [
        ("identity.relink_window_opened", "owner"),
        ("identity.relinked", "system"),
    ]
