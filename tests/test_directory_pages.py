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
    assert as_alice.get(f"/orgs/acme/directories/{directory.public_id}/revoke/").status_code == 405


@pytest.mark.parametrize("suffix", ["", "rotate/", "revoke/"])
def test_another_organizations_owner_gets_a_404(client, charlie, directory, suffix):
    client.force_login(charlie)
    # Through Acme's slug (not a member) and through their own organization's slug (not their directory).
    assert client.post(f"/orgs/acme/directories/{directory.public_id}/{suffix}").status_code == 404
    assert client.post(f"/orgs/globex/directories/{directory.public_id}/{suffix}").status_code == 404
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
