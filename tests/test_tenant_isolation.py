"""Every owner-console URL: another organization's owner gets 404, a member or admin of the organization 403,
an owner on the free plan the plan explanation, and nobody signed out gets in."""

import pytest
from django.urls import reverse

from connections.models import Connection
from tests.support.factories import oidc_connection, saml_connection

CONNECTION_URLS = [
    "connections:edit",
    "connections:toggle",
    "connections:delete",
    "connections:idp_initiated",
    "connections:groups",
    "connections:groups_settings",
    "connections:groups_remove",
]
ORG_URLS = [
    "connections:list",
    "connections:add",
    "connections:add_oidc",
    "connections:add_saml",
    "connections:sp_metadata",
    "connections:sp_key",
    "directory:list",
    "audit:log",
]


@pytest.fixture(params=["oidc", "saml"])
def acme_connection(request, acme):
    return oidc_connection(acme) if request.param == "oidc" else saml_connection(acme)


def connection_url(name, connection, org_slug="acme"):
    return reverse(name, kwargs={"org_slug": org_slug, "public_id": connection.public_id})


@pytest.mark.parametrize("name", CONNECTION_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organizations_owner_gets_404_on_every_connection_url(client, charlie, acme_connection, name, method):
    client.force_login(charlie)
    # Through Acme's slug (charlie is not a member) and through Globex's own slug (the connection is not Globex's).
    assert getattr(client, method)(connection_url(name, acme_connection, "acme")).status_code == 404
    assert getattr(client, method)(connection_url(name, acme_connection, "globex")).status_code == 404
    acme_connection.refresh_from_db()
    assert acme_connection.enabled and acme_connection.display_name in {"Entra ID", "Okta"}


@pytest.mark.parametrize("name", ORG_URLS)
def test_another_organizations_owner_gets_404_on_every_organization_url(client, charlie, acme, name):
    client.force_login(charlie)
    assert client.get(reverse(name, kwargs={"org_slug": "acme"})).status_code == 404


@pytest.mark.parametrize("persona", ["bob", "ada"])
@pytest.mark.parametrize("name", CONNECTION_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_members_and_admins_get_403_on_every_connection_url(client, request, acme_connection, persona, name, method):
    client.force_login(request.getfixturevalue(persona))
    assert getattr(client, method)(connection_url(name, acme_connection)).status_code == 403
    assert Connection.objects.filter(pk=acme_connection.pk, enabled=True).exists()


@pytest.mark.parametrize("persona", ["bob", "ada"])
@pytest.mark.parametrize("name", ORG_URLS)
def test_members_and_admins_get_403_on_every_organization_url(client, request, acme, persona, name):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse(name, kwargs={"org_slug": "acme"})).status_code == 403


@pytest.mark.parametrize("name", ORG_URLS)
def test_signed_out_visitors_are_sent_to_sign_in(client, acme, name):
    response = client.get(reverse(name, kwargs={"org_slug": "acme"}))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("name", ORG_URLS)
def test_free_plan_owners_see_what_sso_needs(client, frank, name):
    client.force_login(frank)
    response = client.get(reverse(name, kwargs={"org_slug": "freeco"}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Single sign-on needs a paid plan" in html
    assert "contact KloudSSO support" in html
    assert "<h1>Connections</h1>" not in html or name.startswith("connections:")


def test_the_free_plans_page_is_headed_with_the_page_clicked(client, frank):
    client.force_login(frank)
    html = client.get(reverse("directory:list", kwargs={"org_slug": "freeco"})).content.decode()
    assert "<h1>Directory sync</h1>" in html and "Directory sync (SCIM) provisions people only on a paid plan" in html
    html = client.get(reverse("domains:list", kwargs={"org_slug": "freeco"})).content.decode()
    assert "<h1>Domains</h1>" in html


def test_free_plan_owners_cannot_add_a_connection_by_posting(client, frank, http_server):
    client.force_login(frank)
    url = reverse("connections:add_saml", kwargs={"org_slug": "freeco"})
    response = client.post(url, {"display_name": "x", "source": "manual"})
    assert "Single sign-on needs a paid plan" in response.content.decode()
    assert not Connection.objects.exists()


def test_a_downgraded_organizations_connections_are_out_of_reach(client, alice, acme):
    connection = oidc_connection(acme)
    acme.plan = "free"
    acme.save()
    client.force_login(alice)
    response = client.post(connection_url("connections:delete", connection))
    assert "needs a paid plan" in response.content.decode()
    assert Connection.objects.filter(pk=connection.pk).exists()


def test_the_org_home_page_is_404_for_outsiders(client, charlie, acme):
    client.force_login(charlie)
    assert client.get(reverse("org_home", kwargs={"org_slug": "acme"})).status_code == 404


# Domains, SSO settings and members.

from domains.models import Domain  # noqa: E402
from kloudsso.tenancy.models import Invitation, Membership  # noqa: E402


@pytest.fixture
def acme_objects(acme, bob):
    return {
        "domain": Domain.objects.create(organization=acme, name="acme.com"),
        "membership": Membership.objects.get(user=bob),
        "invitation": Invitation.objects.create(organization=acme, email="dana@acme.com"),
    }


SSO_OBJECT_URLS = [("domains:verify", "domain"), ("domains:delete", "domain")]
MEMBER_OBJECT_URLS = [
    ("members:role", "membership"),
    ("members:remove", "membership"),
    ("members:revoke", "invitation"),
]
SSO_ORG_URLS = ["domains:list", "sso_settings", "notification_settings"]


def object_url(name, obj, org_slug="acme"):
    return reverse(name, kwargs={"org_slug": org_slug, "public_id": obj.public_id})


@pytest.mark.parametrize(("name", "kind"), SSO_OBJECT_URLS + MEMBER_OBJECT_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_outsiders_get_404_on_every_domain_and_member_url(client, charlie, acme_objects, name, kind, method):
    client.force_login(charlie)
    obj = acme_objects[kind]
    assert getattr(client, method)(object_url(name, obj, "acme"), {"role": "owner"}).status_code == 404
    assert getattr(client, method)(object_url(name, obj, "globex"), {"role": "owner"}).status_code == 404
    assert Domain.objects.count() == 1 and Invitation.objects.count() == 1
    assert Membership.objects.get(pk=acme_objects["membership"].pk).role == "member"


@pytest.mark.parametrize("name", [*SSO_ORG_URLS, "members:list"])
def test_outsiders_get_404_on_every_new_organization_url(client, charlie, acme, name):
    client.force_login(charlie)
    assert client.get(reverse(name, kwargs={"org_slug": "acme"})).status_code == 404


@pytest.mark.parametrize(("name", "kind"), SSO_OBJECT_URLS + MEMBER_OBJECT_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_members_get_403_on_every_domain_and_member_url(client, bob, acme_objects, name, kind, method):
    client.force_login(bob)
    assert getattr(client, method)(object_url(name, acme_objects[kind]), {"role": "owner"}).status_code == 403
    assert Membership.objects.get(user=bob).role == "member"


@pytest.mark.parametrize("name", [*SSO_ORG_URLS, "members:list"])
def test_members_get_403_on_every_new_organization_url(client, bob, acme, name):
    client.force_login(bob)
    assert client.get(reverse(name, kwargs={"org_slug": "acme"})).status_code == 403


@pytest.mark.parametrize("name", SSO_ORG_URLS)
def test_admins_get_403_on_domains_and_sso_settings(client, ada, acme, name):
    client.force_login(ada)
    assert client.get(reverse(name, kwargs={"org_slug": "acme"})).status_code == 403


@pytest.mark.parametrize("name", SSO_ORG_URLS)
def test_free_plan_owners_see_what_domains_and_sso_settings_need(client, frank, name):
    client.force_login(frank)
    assert (
        "Single sign-on needs a paid plan" in client.get(reverse(name, kwargs={"org_slug": "freeco"})).content.decode()
    )


def test_free_plan_owners_manage_their_members(client, frank):
    client.force_login(frank)
    assert client.get(reverse("members:list", kwargs={"org_slug": "freeco"})).status_code == 200


# Directories (directory sync).

from directory.models import SCIMDirectory  # noqa: E402
from tests.support.scim import scim_directory  # noqa: E402

DIRECTORY_URLS = ["directory:detail", "directory:rotate", "directory:revoke", "directory:delete", "directory:roles"]
NAMED = {"name": "Entra ID"}  # what the delete page asks for: a refusal is then the access check's, not the form's


@pytest.fixture
def acme_directory(acme):
    return scim_directory(acme)[0]


def untouched(directory) -> bool:
    found = SCIMDirectory.objects.filter(pk=directory.pk).first()
    return (
        found is not None
        and found.revoked_at is None
        and found.token_hash == directory.token_hash
        and found.role_connection_id is None
    )


@pytest.mark.parametrize("name", DIRECTORY_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organizations_owner_gets_404_on_every_directory_url(client, charlie, acme_directory, name, method):
    client.force_login(charlie)
    for slug in ("acme", "globex"):
        assert getattr(client, method)(object_url(name, acme_directory, slug), NAMED).status_code == 404
    assert untouched(acme_directory)


@pytest.mark.parametrize("persona", ["bob", "ada"])
@pytest.mark.parametrize("name", DIRECTORY_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_members_and_admins_get_403_on_every_directory_url(client, request, acme_directory, persona, name, method):
    client.force_login(request.getfixturevalue(persona))
    assert getattr(client, method)(object_url(name, acme_directory), NAMED).status_code == 403
    assert untouched(acme_directory)


@pytest.mark.parametrize("name", DIRECTORY_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_free_plan_owners_cannot_reach_their_directories(client, frank, freeco, name, method):
    directory = scim_directory(freeco)[0]  # made while on a paid plan, say
    client.force_login(frank)
    response = getattr(client, method)(object_url(name, directory, "freeco"), NAMED)
    assert "Single sign-on needs a paid plan" in response.content.decode()
    assert untouched(directory)


@pytest.mark.parametrize("name", DIRECTORY_URLS)
def test_signed_out_visitors_are_sent_to_sign_in_from_every_directory_url(client, acme_directory, name):
    response = client.post(object_url(name, acme_directory), NAMED)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert untouched(acme_directory)
