"""The owners' directory pages: add (token shown once), the directory page, rotate and revoke; each audited, each
a 404 for another organization's owner."""

import pytest

from directory.models import SCIMDirectory
from directory.tokens import token_matches
from kloudsso.audit.models import AuditEvent
from tests.support.scim import scim_directory


@pytest.fixture
def directory(acme):
    return scim_directory(acme)[0]


def test_an_owner_adds_a_directory_and_sees_its_token_once(as_alice, acme):
    response = as_alice.post("/orgs/acme/directories/", {"display_name": "Entra ID", "idp_kind": "entra"})
    assert response.status_code == 201
    directory = SCIMDirectory.objects.get(organization=acme)
    token = response.context["token"]
    page = response.content.decode()
    assert token in page and f"http://testserver/scim/v2/{directory.public_id}" in page
    assert token_matches(directory, token) and token not in directory.token_hash
    assert "Secret Token" in page  # Entra's setup steps, with our values
    again = as_alice.get(f"/orgs/acme/directories/{directory.public_id}/").content.decode()
    assert token not in again and "shown only when it was made" in again
    event = AuditEvent.objects.get(organization=acme, action="directory.added")
    assert event.changes["token"] == "changed" and token not in str(event.changes)


def test_the_form_refuses_a_blank_name(as_alice):
    response = as_alice.post("/orgs/acme/directories/", {"display_name": "   ", "idp_kind": "okta"})
    assert response.status_code == 200 and not SCIMDirectory.objects.exists()


def test_rotate_shows_the_new_token_and_keeps_the_old_one_for_the_overlap(as_alice, directory):
    old_hash = directory.token_hash
    response = as_alice.post(f"/orgs/acme/directories/{directory.public_id}/rotate/")
    directory.refresh_from_db()
    assert token_matches(directory, response.context["token"])
    assert directory.previous_token_hash == old_hash and directory.previous_token_expires_at is not None
    assert AuditEvent.objects.filter(action="directory.token_rotated").exists()


def test_revoke_stops_every_token(as_alice, directory):
    response = as_alice.post(f"/orgs/acme/directories/{directory.public_id}/revoke/")
    assert response.status_code == 302
    directory.refresh_from_db()
    assert directory.revoked_at is not None and not directory.token_hash
    assert AuditEvent.objects.filter(action="directory.revoked").exists()


def test_revoke_asks_first_and_a_get_changes_nothing(as_alice, directory):
    token_hash = directory.token_hash
    response = as_alice.get(f"/orgs/acme/directories/{directory.public_id}/revoke/")
    assert response.status_code == 200
    page = " ".join(response.content.decode().split())
    assert "Revoke every token of Entra ID?" in page
    assert "What stops working:</strong> every token of this directory, at once" in page
    assert "provisioning requests are refused until you make a new token" in page
    assert "its 0 people and 0 groups, as they are" in page and "nobody is signed out" in page
    assert '<button class="btn danger" type="submit">Revoke token</button>' in page
    directory.refresh_from_db()
    assert directory.revoked_at is None and directory.token_hash == token_hash
    assert not AuditEvent.objects.filter(action="directory.revoked").exists()


def test_the_revoke_page_of_a_revoked_directory_says_so_and_offers_no_button(as_alice, directory):
    as_alice.post(f"/orgs/acme/directories/{directory.public_id}/revoke/")
    page = as_alice.get(f"/orgs/acme/directories/{directory.public_id}/revoke/").content.decode()
    assert "Its token was already revoked on" in page and ">Revoke token</button>" not in page
    as_alice.post(f"/orgs/acme/directories/{directory.public_id}/revoke/")  # a second click, from an old tab
    assert AuditEvent.objects.filter(action="directory.revoked").count() == 1


def test_the_directory_page_links_to_the_revoke_and_delete_pages_instead_of_posting(as_alice, directory):
    page = as_alice.get(f"/orgs/acme/directories/{directory.public_id}/").content.decode()
    base = f"/orgs/acme/directories/{directory.public_id}"
    assert f'<a class="btn danger" href="{base}/revoke/">Revoke token</a>' in page
    assert f'<a class="btn danger" href="{base}/delete/">Delete directory</a>' in page
    assert f'action="{base}/revoke/"' not in page


@pytest.mark.parametrize("suffix", ["", "rotate/", "revoke/", "delete/"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organizations_owner_gets_a_404(client, charlie, directory, suffix, method):
    client.force_login(charlie)
    # Through Acme's slug (not a member) and through their own organization's slug (not their directory).
    body = {"name": "Entra ID"}
    assert getattr(client, method)(f"/orgs/acme/directories/{directory.public_id}/{suffix}", body).status_code == 404
    assert getattr(client, method)(f"/orgs/globex/directories/{directory.public_id}/{suffix}", body).status_code == 404
    directory.refresh_from_db()
    assert directory.revoked_at is None


@pytest.mark.parametrize("suffix", ["revoke/", "delete/"])
@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_the_confirmation_pages_take_get_and_post_only(as_alice, directory, suffix, method):
    response = getattr(as_alice, method)(f"/orgs/acme/directories/{directory.public_id}/{suffix}")
    assert response.status_code == 405 and response["Allow"] == "GET, POST"
    directory.refresh_from_db()
    assert directory.revoked_at is None


@pytest.mark.parametrize("suffix", ["revoke/", "delete/"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_members_and_admins_get_403_on_the_confirmation_pages(client, request, directory, suffix, method):
    for persona in ("bob", "ada"):
        client.force_login(request.getfixturevalue(persona))
        response = getattr(client, method)(
            f"/orgs/acme/directories/{directory.public_id}/{suffix}", {"name": "Entra ID"}
        )
        assert response.status_code == 403
    directory.refresh_from_db()
    assert directory.revoked_at is None


def test_members_cannot_see_directories(client, bob, directory):
    client.force_login(bob)
    assert client.get("/orgs/acme/directories/").status_code == 403
    assert client.get(f"/orgs/acme/directories/{directory.public_id}/").status_code == 403


def test_the_list_names_the_organizations_directories_only(as_alice, directory, globex):
    scim_directory(globex, name="Globex Okta")
    page = as_alice.get("/orgs/acme/directories/").content.decode()
    assert "Entra ID" in page and "Globex Okta" not in page


def test_the_directory_page_links_to_what_it_changed_in_the_audit_log(as_alice, directory):
    page = as_alice.get(f"/orgs/acme/directories/{directory.public_id}/").content.decode()
    assert "/orgs/acme/audit-log/?who=Directory%20sync%3A%20Entra%20ID" in page


def test_support_sees_directories_and_their_people_but_never_a_token_hash(client, directory):
    from django.urls import reverse

    from kloudsso.accounts.models import User

    client.force_login(User.objects.create_superuser("support@kloudsso.test", "support-password-1"))
    assert client.get(reverse("admin:directory_scimuser_changelist")).status_code == 200
    assert client.get(reverse("admin:directory_scimdirectory_changelist")).status_code == 200
    page = client.get(reverse("admin:directory_scimdirectory_change", args=[directory.pk])).content.decode()
    assert directory.display_name in page and directory.token_hash not in page


def test_the_pages_that_show_a_token_are_never_stored_by_a_cache(as_alice, directory):
    added = as_alice.post("/orgs/acme/directories/", {"display_name": "Okta", "idp_kind": "okta"})
    rotated = as_alice.post(f"/orgs/acme/directories/{directory.public_id}/rotate/")
    shown = as_alice.get(f"/orgs/acme/directories/{directory.public_id}/")
    for response in (added, rotated, shown):
        assert "no-store" in response["Cache-Control"]
    assert rotated.context["token"] in rotated.content.decode()


def test_after_a_revoke_the_message_names_the_button_that_makes_a_new_token(as_alice, directory):
    response = as_alice.post(f"/orgs/acme/directories/{directory.public_id}/revoke/", follow=True)
    page = response.content.decode()
    assert "Make a new token to sync again." in page
    assert ">Make a new token</button>" in page and "Rotate to make" not in page
    assert "shown when it is made; make a new one" in page and "rotate for a new one" not in page


# Deleting a directory: the people it deprovisioned lose their membership, the others stay.

from django.db import connection as db_connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from directory.models import SCIMGroup, SCIMGroupMember, SCIMRequest, SCIMUser  # noqa: E402
from directory.services import directory_delete  # noqa: E402
from kloudsso.accounts.models import User  # noqa: E402
from kloudsso.audit.record import SYSTEM  # noqa: E402
from kloudsso.tenancy.models import Membership, Role  # noqa: E402
from signin.complete import Vouched, complete_sign_in  # noqa: E402
from signin.errors import SignInError  # noqa: E402
from tests.support.factories import oidc_connection  # noqa: E402
from tests.support.scim import SCIMClient, verified_domain  # noqa: E402

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PASSWORD = "correct-horse-battery"
DEACTIVATE = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "value": {"active": False}}],
}


def scim_user(email: str) -> dict:
    return {"schemas": [CORE], "userName": email, "emails": [{"value": email, "type": "work", "primary": True}]}


@pytest.fixture
def synced(acme, alice):
    """Entra ID provisioned dave (a member with a password, deprovisioned since), erin (active, a new account
    without a password), fred (deprovisioned, a new account) and a group of the three; Okta's directory is another."""
    verified_domain(acme, "acmecorp.com")
    directory, token = scim_directory(acme)
    scim = SCIMClient(Client(), directory, token)
    dave = User.objects.create_user("dave@acmecorp.com", PASSWORD)
    Membership.objects.create(user=dave, organization=acme, role=Role.MEMBER)
    ids = {
        name: scim.post("/Users", scim_user(f"{name}@acmecorp.com")).json()["id"] for name in ("dave", "erin", "fred")
    }
    members = [{"value": scim_id} for scim_id in ids.values()]
    assert scim.post("/Groups", {"schemas": [GROUP], "displayName": "Staff", "members": members}).status_code == 201
    for name in ("dave", "fred"):
        assert scim.patch(f"/Users/{ids[name]}", DEACTIVATE).status_code == 200
    okta, okta_token = scim_directory(acme, name="Okta", idp_kind="okta")
    return {"directory": directory, "scim": scim, "ids": ids, "okta": SCIMClient(Client(), okta, okta_token)}


def delete_url(directory) -> str:
    return f"/orgs/acme/directories/{directory.public_id}/delete/"


def member_emails(org) -> set[str]:
    return set(Membership.objects.filter(organization=org).values_list("user__email", flat=True))


def test_the_delete_page_says_what_goes_and_who_loses_their_membership(as_alice, synced):
    response = as_alice.get(delete_url(synced["directory"]))
    assert response.status_code == 200
    page = " ".join(response.content.decode().split())
    assert "Delete the directory Entra ID?" in page and "This cannot be undone." in page
    assert "<strong>Its token stops working</strong> at once" in page
    assert "<strong>Its records are removed:</strong> 3 people, 1 group and the request log" in page
    assert "<strong>2 people it deprovisioned lose their membership of Acme.</strong>" in page
    assert "dave@acmecorp.com, fred@acmecorp.com." in page
    assert "<strong>1 active person stays a member</strong>" in page and "/orgs/acme/members/" in page
    assert "<strong>Owners are never removed</strong>, whatever the directory says of them." in page
    assert "just in time" not in page  # Acme is invite only
    assert "Type “Entra ID” to confirm" in page and '<button class="btn danger" type="submit">Delete' in page
    assert SCIMUser.objects.filter(directory=synced["directory"]).count() == 3  # a GET changes nothing


def test_the_delete_page_warns_that_just_in_time_provisioning_lets_them_back(as_alice, synced, acme):
    acme.provisioning_mode = "jit"
    acme.save()
    page = " ".join(as_alice.get(delete_url(synced["directory"])).content.decode().split())
    assert "becomes a member again at that sign-in. Invite only" in page


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("", "Type “Entra ID” to delete the directory, or cancel."),
        ("entra id", "That is not this directory&#x27;s name (letters&#x27; case counts): type “Entra ID” exactly"),
        ("Okta", "That is not this directory&#x27;s name: type “Entra ID” exactly to delete it, or cancel."),
    ],
)
def test_a_wrong_name_is_refused_and_nothing_is_deleted(as_alice, synced, acme, typed, error):
    before = member_emails(acme)
    response = as_alice.post(delete_url(synced["directory"]), {"name": typed})
    assert response.status_code == 200 and error in response.content.decode()
    assert SCIMDirectory.objects.filter(pk=synced["directory"].pk).exists()
    assert SCIMUser.objects.filter(directory=synced["directory"]).count() == 3
    assert SCIMGroup.objects.filter(directory=synced["directory"]).count() == 1
    assert member_emails(acme) == before
    assert not AuditEvent.objects.filter(action__in=["directory.deleted", "member.removed_with_directory"]).exists()


def test_the_name_may_come_with_stray_spaces(as_alice, synced):
    response = as_alice.post(delete_url(synced["directory"]), {"name": "  Entra   ID "})
    assert response.status_code == 302 and not SCIMDirectory.objects.filter(pk=synced["directory"].pk).exists()


def test_delete_removes_its_records_and_the_memberships_of_the_people_it_deprovisioned(as_alice, synced, acme):
    directory = synced["directory"]
    okta_user = synced["okta"].post("/Users", scim_user("gina@acmecorp.com")).json()["id"]
    response = as_alice.post(delete_url(directory), {"name": "Entra ID"}, follow=True)
    assert response.redirect_chain == [("/orgs/acme/directories/", 302)]
    page = " ".join(response.content.decode().split())
    assert (
        "Entra ID deleted: its token stopped working, and its 3 people, 1 group and request log were removed. "
        "2 people it had deprovisioned are no longer members of Acme." in page
    )
    assert not SCIMDirectory.objects.filter(pk=directory.pk).exists()
    for model in (SCIMUser, SCIMGroup, SCIMRequest):
        assert not model.objects.filter(directory_id=directory.pk).exists()
    assert not SCIMGroupMember.objects.exists()
    assert member_emails(acme) == {"alice@acme.test", "erin@acmecorp.com", "gina@acmecorp.com"}
    assert User.objects.filter(email="dave@acmecorp.com").exists()  # the account stays, as for a removed member
    assert SCIMUser.objects.filter(public_id=okta_user).exists()  # another directory is untouched
    assert "Okta" in page and "Entra ID</a>" not in page


def test_after_the_delete_a_deprovisioned_person_cannot_get_back_in(as_alice, synced, acme):
    connection = oidc_connection(acme)
    dave_client = Client()
    refused = dave_client.post("/login/", {"username": "dave@acmecorp.com", "password": PASSWORD})
    assert "Your access to Acme has been removed by its identity provider" in refused.content.decode()
    as_alice.post(delete_url(synced["directory"]), {"name": "Entra ID"})

    # The password is the account's, and the account stays; it opens no organization.
    assert dave_client.post("/login/", {"username": "dave@acmecorp.com", "password": PASSWORD}).status_code == 302
    assert "You are not in any organization yet" in dave_client.get("/").content.decode()
    assert dave_client.get("/orgs/acme/").status_code == 404
    # fred's account, made by directory sync, has no password at all.
    fred = Client().post("/login/", {"username": "fred@acmecorp.com", "password": ""})
    assert fred.status_code == 200 and not User.objects.get(email="fred@acmecorp.com").has_usable_password()
    # SSO in an invite-only organization: no longer a member, so not let in.
    with pytest.raises(SignInError) as caught:
        complete_sign_in(Vouched(connection, "s-dave", "dave@acmecorp.com"))
    assert caught.value.code == "not_invited"
    # The active person keeps their access.
    erin = User.objects.get(email="erin@acmecorp.com")
    assert complete_sign_in(Vouched(connection, "s-erin", "erin@acmecorp.com")) == erin


def test_the_delete_is_audited_with_each_removed_member(as_alice, synced, acme, alice):
    directory = synced["directory"]
    as_alice.post(delete_url(directory), {"name": "Entra ID"})
    event = AuditEvent.objects.get(organization=acme, action="directory.deleted")
    assert (event.actor, event.target_kind, event.target_id) == (alice, "directory", str(directory.public_id))
    assert event.changes == {
        "display_name": ["Entra ID", None],
        "identity_provider": ["Microsoft Entra ID", None],
        "token": "changed",
        "people": [3, 0],
        "groups": [1, 0],
        "deprovisioned_members_removed": [None, 2],
    }
    removed = AuditEvent.objects.filter(organization=acme, action="member.removed_with_directory")
    assert sorted(removed.values_list("target_label", flat=True)) == ["dave@acmecorp.com", "fred@acmecorp.com"]
    assert {e.actor for e in removed} == {alice}
    assert removed.first().changes == {"role": ["member", None], "deprovisioned_by": ["Entra ID", None]}
    log = as_alice.get("/orgs/acme/audit-log/?what=directory.deleted").content.decode()
    assert "Directory deleted" in log


def test_owners_are_never_removed(as_alice, synced, acme):
    # dave was made an owner after his deprovisioning: he stays, and the page says he gets his access back.
    Membership.objects.filter(user__email="dave@acmecorp.com").update(role=Role.OWNER)
    page = " ".join(as_alice.get(delete_url(synced["directory"])).content.decode().split())
    assert "<strong>1 person it deprovisioned loses their membership of Acme.</strong>" in page
    assert "dave@acmecorp.com: deprovisioned here but an owner, stays and gets access back." in page
    as_alice.post(delete_url(synced["directory"]), {"name": "Entra ID"})
    assert member_emails(acme) == {"alice@acme.test", "dave@acmecorp.com", "erin@acmecorp.com"}


def test_a_person_another_directory_provisions_is_left_to_that_directory(as_alice, synced, acme):
    assert synced["okta"].post("/Users", scim_user("fred@acmecorp.com")).status_code == 201
    page = " ".join(as_alice.get(delete_url(synced["directory"])).content.decode().split())
    assert "1 person it deprovisioned is also provisioned by another directory of Acme" in page
    as_alice.post(delete_url(synced["directory"]), {"name": "Entra ID"})
    assert "fred@acmecorp.com" in member_emails(acme) and "dave@acmecorp.com" not in member_emails(acme)


def test_people_the_idp_deleted_count_as_deprovisioned(as_alice, synced, acme):
    assert synced["scim"].delete(f"/Users/{synced['ids']['erin']}").status_code == 204
    page = " ".join(as_alice.get(delete_url(synced["directory"])).content.decode().split())
    assert "3 people (1 of them deleted by the identity provider and kept deactivated)" in page
    assert "<strong>3 people it deprovisioned lose their membership of Acme.</strong>" in page
    as_alice.post(delete_url(synced["directory"]), {"name": "Entra ID"})
    assert member_emails(acme) == {"alice@acme.test"}


def populated(org, name: str, people: int) -> SCIMDirectory:
    """A directory of `people` linked members, every other one deprovisioned, all in one group."""
    directory = scim_directory(org, name=name)[0]
    group = SCIMGroup.objects.create(directory=directory, organization=org, display_name="All", display_name_key="all")
    for n in range(people):
        person = User.objects.create_user(f"{name}{n}@acmecorp.com".lower())
        Membership.objects.create(user=person, organization=org, role=Role.MEMBER)
        record = SCIMUser.objects.create(
            directory=directory,
            organization=org,
            user=person,
            user_name=person.email,
            user_name_key=person.email,
            active=n % 2 == 0,
        )
        SCIMGroupMember.objects.create(group=group, user=record)
    return directory


def test_its_statements_do_not_grow_with_the_people_it_removes(acme):
    def statements(directory):
        with CaptureQueriesContext(db_connection) as queries:
            directory_delete(directory=directory, actor=SYSTEM)
        return len(queries)

    assert statements(populated(acme, "Small", 4)) == statements(populated(acme, "Big", 60))
    assert not Membership.objects.filter(
        organization=acme, user__email__in=["big1@acmecorp.com", "small3@acmecorp.com"]
    )
    assert Membership.objects.filter(organization=acme, user__email__startswith="big").count() == 30


def test_a_directory_deleted_meanwhile_is_deleted_once(synced, acme):
    directory = synced["directory"]
    assert directory_delete(directory=directory, actor=SYSTEM) is not None
    assert directory_delete(directory=directory, actor=SYSTEM) is None
    assert AuditEvent.objects.filter(action="directory.deleted").count() == 1


def test_a_delete_whose_audit_cannot_be_written_deletes_nothing(as_alice, synced, acme, monkeypatch):
    from django.db import IntegrityError

    def refuse(*args, **kwargs):
        raise IntegrityError("the audit log refused the events")

    # The last write of the delete: everything before it is undone with it.
    monkeypatch.setattr(AuditEvent.objects, "bulk_create", refuse)
    before = member_emails(acme)
    with pytest.raises(IntegrityError):
        as_alice.post(delete_url(synced["directory"]), {"name": "Entra ID"})
    assert SCIMDirectory.objects.filter(pk=synced["directory"].pk).exists()
    assert SCIMUser.objects.filter(directory=synced["directory"]).count() == 3
    assert SCIMGroupMember.objects.filter(group__directory=synced["directory"]).count() == 3
    assert member_emails(acme) == before and "dave@acmecorp.com" in before
    assert not AuditEvent.objects.filter(action="directory.deleted").exists()
