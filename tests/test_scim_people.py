"""A SCIM user is a person of the organization: linking (SSO's rules), email changes, and deprovisioning that ends
every session at once, refuses SSO and password sign-in, keeps the record, and never touches an owner."""

import pytest
from django.core import mail

from directory.models import SCIMUser
from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Membership, Role
from signin.complete import Vouched, complete_sign_in
from signin.errors import SignInError
from tests.support.factories import oidc_connection
from tests.support.scim import SCIMClient, scim_directory, verified_domain

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
PASSWORD = "correct-horse-battery"


def user(name: str, **extra) -> dict:
    return {"schemas": [CORE], "userName": name, "emails": [{"value": name, "type": "work", "primary": True}], **extra}


def deactivate():
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }


def activate():
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": True}],
    }


@pytest.fixture
def scim(acme):
    from django.test import Client

    verified_domain(acme, "acmecorp.com")
    directory, token = scim_directory(acme)
    return SCIMClient(Client(), directory, token)  # its own client: the person's browser is another


@pytest.fixture
def dave(acme):
    """A member of Acme with a password, at acmecorp.com."""
    person = User.objects.create_user("dave@acmecorp.com", PASSWORD)
    Membership.objects.create(user=person, organization=acme, role=Role.MEMBER)
    return person


def test_a_new_person_becomes_a_member_without_a_password(scim, acme):
    scim_id = scim.post("/Users", user("erin@acmecorp.com")).json()["id"]
    person = SCIMUser.objects.get(public_id=scim_id).user
    assert person.email == "erin@acmecorp.com" and not person.has_usable_password()
    assert Membership.objects.get(user=person, organization=acme).role == Role.MEMBER


def test_an_existing_member_is_linked_not_duplicated(scim, dave):
    scim_id = scim.post("/Users", user("Dave@AcmeCorp.com")).json()["id"]
    assert SCIMUser.objects.get(public_id=scim_id).user == dave
    assert User.objects.filter(email__iexact="dave@acmecorp.com").count() == 1


def test_an_account_that_also_belongs_elsewhere_is_never_taken_over(scim, dave, globex):
    Membership.objects.create(user=dave, organization=globex, role=Role.MEMBER)
    response = scim.post("/Users", user("dave@acmecorp.com"))
    assert response.status_code == 409 and response.json()["scimType"] == "uniqueness"
    assert "used outside Acme" in response.json()["detail"]


def test_a_person_outside_the_verified_domains_is_refused_with_a_scim_error_saying_so(scim):
    response = scim.post("/Users", user("mallory@elsewhere.com"))
    assert response.status_code == 400 and response.json()["scimType"] == "invalidValue"
    assert "elsewhere.com" in response.json()["detail"] and "acmecorp.com" in response.json()["detail"]
    assert not User.objects.filter(email="mallory@elsewhere.com").exists()


def test_an_email_change_at_the_idp_changes_the_person(scim, dave):
    scim_id = scim.post("/Users", user("dave@acmecorp.com")).json()["id"]
    body = {**user("dave@acmecorp.com"), "emails": [{"value": "david@acmecorp.com", "primary": True}]}
    assert scim.put(f"/Users/{scim_id}", body).status_code == 200
    dave.refresh_from_db()
    assert dave.email == "david@acmecorp.com" and User.objects.count() == 1


def test_deactivation_ends_the_persons_sessions_at_their_next_request(scim, dave, client):
    scim_id = scim.post("/Users", user("dave@acmecorp.com")).json()["id"]
    client.force_login(dave)
    assert client.get("/orgs/acme/").status_code == 200
    assert scim.patch(f"/Users/{scim_id}", deactivate()).status_code == 200
    response = client.get("/orgs/acme/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_deprovisioned_person_cannot_sign_in_with_their_password_until_reactivated(scim, dave, client):
    scim_id = scim.post("/Users", user("dave@acmecorp.com")).json()["id"]
    scim.patch(f"/Users/{scim_id}", deactivate())
    response = client.post("/login/", {"username": "dave@acmecorp.com", "password": PASSWORD})
    assert response.status_code == 200
    assert "Your access to Acme has been removed by its identity provider" in response.content.decode()
    assert scim.get(f"/Users/{scim_id}").json()["active"] is False  # the record is kept
    scim.patch(f"/Users/{scim_id}", activate())
    response = client.post("/login/", {"username": "dave@acmecorp.com", "password": PASSWORD})
    assert response.status_code == 302


def test_a_deprovisioned_person_is_refused_sso_with_its_catalogue_code(scim, dave, acme):
    connection = oidc_connection(acme)
    complete_sign_in(Vouched(connection, "s-dave", "dave@acmecorp.com"))  # linked by a first sign-in
    scim_id = scim.post("/Users", user("dave@acmecorp.com")).json()["id"]
    scim.patch(f"/Users/{scim_id}", deactivate())
    with pytest.raises(SignInError) as caught:
        complete_sign_in(Vouched(connection, "s-dave", "dave@acmecorp.com"))
    assert caught.value.code == "deprovisioned"
    scim.patch(f"/Users/{scim_id}", activate())
    assert complete_sign_in(Vouched(connection, "s-dave", "dave@acmecorp.com")) == dave


def test_a_deleted_person_stays_deprovisioned_and_a_new_assignment_starts_afresh(scim, dave, client):
    scim_id = scim.post("/Users", user("dave@acmecorp.com")).json()["id"]
    assert scim.delete(f"/Users/{scim_id}").status_code == 204
    response = client.post("/login/", {"username": "dave@acmecorp.com", "password": PASSWORD})
    assert response.status_code == 200  # refused
    again = scim.post("/Users", user("dave@acmecorp.com"))
    assert again.status_code == 201 and SCIMUser.objects.get(public_id=again.json()["id"]).user == dave
    assert client.post("/login/", {"username": "dave@acmecorp.com", "password": PASSWORD}).status_code == 302


def test_an_owner_is_never_deprovisioned_and_the_owners_are_alerted(scim, acme, alice):
    owner = User.objects.create_user("olivia@acmecorp.com", PASSWORD)
    Membership.objects.create(user=owner, organization=acme, role=Role.OWNER)
    scim_id = scim.post("/Users", user("olivia@acmecorp.com")).json()["id"]
    response = scim.patch(f"/Users/{scim_id}", deactivate())
    assert response.status_code == 403 and "is an owner of Acme" in response.json()["detail"]
    assert scim.delete(f"/Users/{scim_id}").status_code == 403
    assert SCIMUser.objects.get(public_id=scim_id).active is True
    owner.refresh_from_db()
    assert owner.session_generation == 0
    subjects = [m.subject for m in mail.outbox]
    assert "Directory sync tried to deactivate an owner of Acme" in subjects
    assert "Directory sync tried to delete an owner of Acme" in subjects


def test_a_person_known_by_sso_is_found_by_the_idps_immutable_id_before_the_email(scim, dave, acme):
    connection = oidc_connection(acme)  # an Entra ID connection: subjects entra:<tenant>:<oid>
    oid = "6f3c8a2e-1d4b-4c9a-9e7f-2b5d8c1a0e34"
    dave.sso_identities.create(connection=connection, subject=f"entra:tid-1:{oid}", email=dave.email)
    # Entra maps objectId to externalId; the mailbox it sends is a new one.
    body = {**user("dave.new@acmecorp.com"), "externalId": oid}
    scim_id = scim.post("/Users", body).json()["id"]
    assert SCIMUser.objects.get(public_id=scim_id).user == dave
    dave.refresh_from_db()
    assert dave.email == "dave.new@acmecorp.com" and User.objects.filter(email__startswith="dave").count() == 1


def test_a_short_external_id_is_no_immutable_id(scim, dave, acme):
    connection = oidc_connection(acme)
    dave.sso_identities.create(connection=connection, subject="https://idp|42", email=dave.email)
    scim_id = scim.post("/Users", {**user("erin@acmecorp.com"), "externalId": "42"}).json()["id"]
    assert SCIMUser.objects.get(public_id=scim_id).user.email == "erin@acmecorp.com"


def test_a_person_who_joined_another_organization_since_keeps_it_not_this_one(scim, dave, globex, client):
    scim_id = scim.post("/Users", user("dave@acmecorp.com")).json()["id"]
    Membership.objects.create(user=dave, organization=globex, role=Role.MEMBER)  # invited there later
    scim.patch(f"/Users/{scim_id}", deactivate())
    assert client.post("/login/", {"username": "dave@acmecorp.com", "password": PASSWORD}).status_code == 302
    assert client.get("/").url == "/orgs/globex/"
    page = client.get("/orgs/globex/").content.decode()
    assert 'value="globex"' in page and 'value="acme"' not in page  # the organization picker
    assert client.get("/orgs/acme/").status_code == 404


def test_the_session_hash_is_djangos_own_until_a_generation_is_raised(dave):
    from django.contrib.auth.base_user import AbstractBaseUser

    assert dave.get_session_auth_hash() == AbstractBaseUser._get_session_auth_hash(dave)  # existing sessions stay
    before = dave.get_session_auth_hash()
    dave.session_generation = 1
    assert dave.get_session_auth_hash() != before


@pytest.fixture
def olivia(acme):
    """An owner of Acme at acmecorp.com."""
    owner = User.objects.create_user("olivia@acmecorp.com", PASSWORD)
    Membership.objects.create(user=owner, organization=acme, role=Role.OWNER)
    return owner


def assert_owner_untouched(owner, response):
    assert response.status_code == 403 and "is an owner of Acme" in response.json()["detail"]
    owner.refresh_from_db()
    assert owner.session_generation == 0 and owner.email == "olivia@acmecorp.com"
    assert not SCIMUser.objects.filter(user=owner, active=False).exists()
    assert "Directory sync tried to deactivate an owner of Acme" in [m.subject for m in mail.outbox]


def test_an_owner_is_not_deprovisioned_by_a_creation_that_is_inactive(scim, olivia):
    assert_owner_untouched(olivia, scim.post("/Users", user("olivia@acmecorp.com", active=False)))
    assert not SCIMUser.objects.exists()


def unlinked_record(scim, *, stored_before_emails_were_required: bool) -> str:
    """An active record without an email is refused now (people.email_missing): one stored before that rule, or an
    inactive one, is linked to nobody."""
    if not stored_before_emails_were_required:
        return scim.post("/Users", {"schemas": [CORE], "userName": "olivia", "active": False}).json()["id"]
    directory = scim.directory
    record = SCIMUser.objects.create(
        directory=directory,
        organization=directory.organization,
        user_name="olivia",
        user_name_key="olivia",
        attributes={"schemas": [CORE], "userName": "olivia"},
    )
    return str(record.public_id)


@pytest.mark.parametrize("stored_before", [True, False])
def test_an_owner_is_not_deprovisioned_by_a_patch_that_links_an_unlinked_record(scim, olivia, stored_before):
    scim_id = unlinked_record(scim, stored_before_emails_were_required=stored_before)
    assert SCIMUser.objects.get(public_id=scim_id).user is None
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "add", "path": "emails", "value": [{"value": "olivia@acmecorp.com", "primary": True}]},
            {"op": "replace", "path": "active", "value": False},
        ],
    }
    assert_owner_untouched(olivia, scim.patch(f"/Users/{scim_id}", body))
    assert SCIMUser.objects.get(public_id=scim_id).user is None


def test_an_owner_is_not_deprovisioned_by_a_second_record_with_their_email(scim, olivia):
    assert scim.post("/Users", user("olivia@acmecorp.com")).status_code == 201
    second = {**user("olivia.second"), "emails": [{"value": "olivia@acmecorp.com", "primary": True}], "active": False}
    assert_owner_untouched(olivia, scim.post("/Users", second))
    assert SCIMUser.objects.filter(user=olivia).count() == 1


def test_an_owners_email_is_never_changed_by_directory_sync(scim, olivia):
    scim_id = scim.post("/Users", user("olivia@acmecorp.com")).json()["id"]
    body = {**user("olivia@acmecorp.com"), "emails": [{"value": "mallory@acmecorp.com", "primary": True}]}
    response = scim.put(f"/Users/{scim_id}", body)
    assert response.status_code == 403
    assert "never changes an owner's email" in response.json()["detail"]
    olivia.refresh_from_db()
    assert olivia.email == "olivia@acmecorp.com"


def test_another_directorys_provisioning_does_not_undo_a_delete(scim, acme, dave, client):
    from django.test import Client

    scim_id = scim.post("/Users", user("dave@acmecorp.com")).json()["id"]
    assert scim.delete(f"/Users/{scim_id}").status_code == 204
    directory, token = scim_directory(acme, name="Okta", idp_kind="okta")
    assert SCIMClient(Client(), directory, token).post("/Users", user("dave@acmecorp.com")).status_code == 201
    assert SCIMUser.objects.filter(public_id=scim_id, deleted_at__isnull=False).exists()
    response = client.post("/login/", {"username": "dave@acmecorp.com", "password": PASSWORD})
    assert response.status_code == 200  # still deprovisioned by the first directory


def test_an_inactive_record_linked_later_ends_the_persons_sessions(scim, dave, client):
    scim_id = scim.post("/Users", {"schemas": [CORE], "userName": "dave", "active": False}).json()["id"]
    client.force_login(dave)
    assert client.get("/orgs/acme/").status_code == 200
    body = {**user("dave"), "emails": [{"value": "dave@acmecorp.com", "primary": True}], "active": False}
    assert scim.put(f"/Users/{scim_id}", body).status_code == 200
    assert SCIMUser.objects.get(public_id=scim_id).user == dave
    response = client.get("/orgs/acme/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def failing_link(monkeypatch, times: int):
    from django.db import IntegrityError

    from directory import people

    real, calls = people.person_link, []

    def link(**kwargs):
        calls.append(1)
        if len(calls) <= times:
            raise IntegrityError("UNIQUE constraint failed: accounts_user.email")
        return real(**kwargs)

    monkeypatch.setattr(people, "person_link", link)


def test_a_race_on_the_account_is_retried_once(scim, monkeypatch):
    failing_link(monkeypatch, times=1)
    response = scim.post("/Users", user("erin@acmecorp.com"))
    assert response.status_code == 201
    assert SCIMUser.objects.get(public_id=response.json()["id"]).user.email == "erin@acmecorp.com"


def test_a_race_lost_twice_is_not_called_a_user_name_conflict(scim, monkeypatch):
    failing_link(monkeypatch, times=2)
    response = scim.post("/Users", user("erin@acmecorp.com"))
    assert response.status_code == 409 and response.json()["scimType"] == "uniqueness"
    assert "at the same time" in response.json()["detail"] and "userName" not in response.json()["detail"]
    assert not SCIMUser.objects.exists()
