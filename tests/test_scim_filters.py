"""Filters on a user's emails, every one of them (SCIMUserEmail), and the email an active user needs."""

import importlib
from urllib.parse import urlencode

import pytest
from django.apps import apps

from directory.models import SCIMUser, SCIMUserEmail
from kloudsso.accounts.models import User
from tests.support.queries import assert_queries
from tests.support.scim import SCIMClient, patch, scim_directory, verified_domain

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


def user(name: str, *emails, **extra) -> dict:
    emails = emails or ({"value": name, "type": "work", "primary": True},)
    return {"schemas": [CORE], "userName": name, "emails": list(emails), **extra}


@pytest.fixture
def scim(client, acme):
    verified_domain(acme, "acmecorp.com")
    directory, token = scim_directory(acme)
    return SCIMClient(client, directory, token)


@pytest.fixture
def people(scim):
    """Dave: work dave@, home dave.home@; Erin: work erin@ only; Frank: a userName that is his address, no emails."""
    scim.post(
        "/Users",
        user(
            "dave@acmecorp.com",
            {"value": "dave@acmecorp.com", "type": "work", "primary": True},
            {"value": "Dave.Home@Example.org", "type": "home"},
        ),
    )
    scim.post("/Users", user("erin@acmecorp.com"))
    scim.post("/Users", {"schemas": [CORE], "userName": "frank@acmecorp.com"})
    return scim


def names(scim, text: str) -> list[str]:
    response = scim.get("/Users?" + urlencode({"filter": text}))
    assert response.status_code == 200, response.content
    return [u["userName"] for u in response.json()["Resources"]]


def error(response) -> tuple[int, str | None, str]:
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    return response.status_code, body.get("scimType"), body["detail"]


def test_a_secondary_email_finds_its_user(people):
    assert names(people, 'emails.value eq "dave.home@example.org"') == ["dave@acmecorp.com"]
    assert names(people, 'emails eq "DAVE.HOME@example.org"') == ["dave@acmecorp.com"]  # not caseExact
    assert names(people, 'emails.value ew "@example.org"') == ["dave@acmecorp.com"]
    assert names(people, 'emails.value sw "erin"') == ["erin@acmecorp.com"]
    assert names(people, 'emails.value co "home"') == ["dave@acmecorp.com"]


def test_a_value_path_holds_for_one_and_the_same_email(people):
    assert names(people, 'emails[type eq "work" and value eq "dave@acmecorp.com"]') == ["dave@acmecorp.com"]
    assert names(people, 'emails[type eq "Home" and value eq "dave.home@example.org"]') == ["dave@acmecorp.com"]
    # Dave has a home email and has dave@acmecorp.com, but not as his home email.
    assert names(people, 'emails[type eq "home" and value eq "dave@acmecorp.com"]') == []
    assert names(people, 'emails[type eq "work" and value eq "dave.home@example.org"]') == []
    assert names(people, 'emails[type eq "work"]') == ["dave@acmecorp.com", "erin@acmecorp.com"]
    assert names(people, 'emails[primary eq true and value sw "erin"]') == ["erin@acmecorp.com"]


def test_not_and_or_inside_the_brackets(people):
    assert names(people, 'emails[not (type eq "work")]') == ["dave@acmecorp.com"]
    assert names(people, 'emails[type eq "home" or value eq "erin@acmecorp.com"]') == [
        "dave@acmecorp.com",
        "erin@acmecorp.com",
    ]
    assert names(people, 'emails[type ne "work"]') == ["dave@acmecorp.com"]
    assert names(people, 'emails[value eq "nobody@acmecorp.com" or (type eq "home" and primary pr)]') == []
    assert names(people, 'not (emails[type eq "home"]) and userName ne "frank@acmecorp.com"') == ["erin@acmecorp.com"]


def test_ne_and_pr_on_the_multi_valued_attribute(people):
    # ne: no email of the user is that value (scim2-models' reading), so Frank, without any, is in.
    assert names(people, 'emails.value ne "dave.home@example.org"') == ["erin@acmecorp.com", "frank@acmecorp.com"]
    assert names(people, "emails pr") == ["dave@acmecorp.com", "erin@acmecorp.com"]
    assert names(people, "emails.type pr") == ["dave@acmecorp.com", "erin@acmecorp.com"]
    assert names(people, "emails.primary eq false") == []  # Dave's home email does not say
    assert names(people, "emails.primary ne true") == ["frank@acmecorp.com"]
    assert names(people, 'emails.type eq "home" or userName eq "frank@acmecorp.com"') == [
        "dave@acmecorp.com",
        "frank@acmecorp.com",
    ]


def test_another_directorys_user_with_the_same_email_is_not_found(people, acme, globex, client):
    # The same organization's second directory provisions Dave too; Globex's user carries his home address.
    directory, token = scim_directory(acme, name="Okta", idp_kind="okta")
    okta = SCIMClient(client, directory, token)
    assert (
        okta.post(
            "/Users", user("dave@acmecorp.com", {"value": "dave@acmecorp.com"}, {"value": "dave.home@example.org"})
        ).status_code
        == 201
    )
    verified_domain(globex, "globexcorp.com")
    theirs, their_token = scim_directory(globex, name="Globex Okta", idp_kind="okta")
    globex_scim = SCIMClient(client, theirs, their_token)
    gina = user(
        "gina@globexcorp.com", {"value": "gina@globexcorp.com", "primary": True}, {"value": "dave@acmecorp.com"}
    )
    assert globex_scim.post("/Users", gina).status_code == 201

    found = people.get("/Users?" + urlencode({"filter": 'emails.value eq "dave.home@example.org"'})).json()["Resources"]
    assert [u["id"] for u in found] == [
        str(SCIMUser.objects.get(directory=people.directory, user_name="dave@acmecorp.com").public_id)
    ]
    assert names(people, 'emails[value eq "dave@acmecorp.com"]') == ["dave@acmecorp.com"]
    assert names(globex_scim, 'emails[value eq "dave@acmecorp.com"]') == ["gina@globexcorp.com"]
    assert names(globex_scim, 'emails.value eq "erin@acmecorp.com"') == []


def test_a_filter_on_emails_is_still_one_statement_per_page(people):
    # The directory, the total, the page, the page's group memberships, the request log: the Exists() is in the
    # total's and the page's statement.
    with assert_queries(5):
        assert names(people, 'emails[type eq "home" or value ew "@acmecorp.com"] and not (emails.primary eq false)')


def test_a_replacement_or_a_patch_rewrites_the_emails_found(people):
    dave = SCIMUser.objects.get(user_name="dave@acmecorp.com")
    body = user("dave@acmecorp.com", {"value": "dave@acmecorp.com", "type": "work"}, {"value": "d@example.net"})
    assert people.put(f"/Users/{dave.public_id}", body).status_code == 200
    assert names(people, 'emails.value eq "dave.home@example.org"') == []
    assert names(people, 'emails.value eq "d@example.net"') == ["dave@acmecorp.com"]
    operation = {"op": "add", "path": "emails", "value": [{"value": "dave.other@example.net", "type": "other"}]}
    assert people.patch(f"/Users/{dave.public_id}", patch(operation)).status_code == 200
    assert names(people, 'emails[type eq "other"]') == ["dave@acmecorp.com"]
    assert SCIMUserEmail.objects.filter(scim_user=dave).count() == 3


def test_a_patch_that_changes_no_email_writes_no_email_row(people):
    dave = SCIMUser.objects.get(user_name="dave@acmecorp.com")
    rows = list(SCIMUserEmail.objects.filter(scim_user=dave).values_list("pk", "value_key", "type", "primary"))
    body = patch({"op": "replace", "path": "displayName", "value": "Dave"})
    assert people.patch(f"/Users/{dave.public_id}", body).status_code == 200
    assert list(SCIMUserEmail.objects.filter(scim_user=dave).values_list("pk", "value_key", "type", "primary")) == rows
    assert rows == [
        (rows[0][0], "dave@acmecorp.com", "work", True),
        (rows[1][0], "dave.home@example.org", "home", None),
    ]


# ---------------------------------------------------------------------------------------------------------------
# An active user needs an email.


def test_a_user_without_any_email_is_refused_saying_what_to_map(scim):
    status, scim_type, detail = error(scim.post("/Users", {"schemas": [CORE], "userName": "olivia"}))
    assert (status, scim_type) == (400, "invalidValue")
    assert detail.startswith("olivia has no email: KloudSSO knows each person by an email on Acme's verified domains")
    assert 'map mail (or userPrincipalName, when it is the mailbox address) to emails[type eq "work"].value' in detail
    assert not SCIMUser.objects.exists() and not SCIMUserEmail.objects.exists()
    # An email without a value is no email either.
    assert error(scim.post("/Users", user("olivia", {"type": "work", "primary": True})))[1] == "invalidValue"
    assert not SCIMUser.objects.exists()


def test_oktas_refusal_names_oktas_mapping(client, acme):
    verified_domain(acme, "acmecorp.com")
    directory, token = scim_directory(acme, name="Okta", idp_kind="okta")
    okta = SCIMClient(client, directory, token)
    detail = error(okta.post("/Users", {"schemas": [CORE], "userName": "olivia", "emails": []}))[2]
    assert "In Okta, give the person an email and keep the profile's email mapped" in detail


def test_a_replacement_without_an_email_is_refused_and_the_person_keeps_theirs(scim):
    scim_id = scim.post("/Users", user("dave@acmecorp.com")).json()["id"]
    status, scim_type, detail = error(scim.put(f"/Users/{scim_id}", {"schemas": [CORE], "userName": "dave"}))
    assert (status, scim_type) == (400, "invalidValue")
    assert "dave has no email" in detail and "dave@acmecorp.com stays the person's email." in detail
    record = SCIMUser.objects.get(public_id=scim_id)
    assert (record.user_name, record.email, record.user.email) == (
        "dave@acmecorp.com",
        "dave@acmecorp.com",
        "dave@acmecorp.com",
    )


def test_a_patch_never_removes_the_last_email_of_an_active_person(scim):
    body = user("dave", {"value": "dave@acmecorp.com", "type": "work"}, {"value": "dave.alias@acmecorp.com"})
    scim_id = scim.post("/Users", body).json()["id"]
    assert scim.patch(f"/Users/{scim_id}", patch({"op": "remove", "path": 'emails[type eq "work"]'})).status_code == 200
    record = SCIMUser.objects.get(public_id=scim_id)
    assert record.email == record.user.email == "dave.alias@acmecorp.com"  # the other email is the person's now
    status, scim_type, detail = error(scim.patch(f"/Users/{scim_id}", patch({"op": "remove", "path": "emails"})))
    assert (status, scim_type) == (400, "invalidValue")
    assert "dave.alias@acmecorp.com stays the person's email." in detail
    record = SCIMUser.objects.get(public_id=scim_id)
    assert record.attributes["emails"] == [{"value": "dave.alias@acmecorp.com"}]
    assert names(scim, 'emails.value eq "dave.alias@acmecorp.com"') == ["dave"]


def test_a_userName_that_is_an_address_stands_in_for_emails(scim):
    scim_id = scim.post("/Users", user("dave@acmecorp.com")).json()["id"]
    response = scim.patch(f"/Users/{scim_id}", patch({"op": "remove", "path": "emails"}))
    assert response.status_code == 200 and "emails" not in response.json()
    assert SCIMUser.objects.get(public_id=scim_id).user.email == "dave@acmecorp.com"
    assert not SCIMUserEmail.objects.exists()


def test_deprovisioning_needs_no_email(scim):
    scim_id = scim.post("/Users", user("dave", {"value": "dave@acmecorp.com"})).json()["id"]
    body = patch({"op": "remove", "path": "emails"}, {"op": "replace", "path": "active", "value": False})
    response = scim.patch(f"/Users/{scim_id}", body)
    assert response.status_code == 200 and response.json()["active"] is False
    record = SCIMUser.objects.get(public_id=scim_id)
    assert record.user.email == "dave@acmecorp.com" and record.email == ""  # the person keeps their email
    # Back to active only with an email.
    again = patch({"op": "replace", "path": "active", "value": True})
    assert error(scim.patch(f"/Users/{scim_id}", again))[1] == "invalidValue"
    assert SCIMUser.objects.get(public_id=scim_id).active is False


def test_an_email_no_column_holds_is_refused(scim):
    long = "a" * 250 + "@example.org"
    body = user("dave@acmecorp.com", {"value": "dave@acmecorp.com", "primary": True}, {"value": long})
    status, scim_type, detail = error(scim.post("/Users", body))  # scim2-models checks every address
    assert (status, scim_type) == (400, "invalidValue") and "The email address is too long" in detail
    body = user("dave@acmecorp.com", {"value": "dave@acmecorp.com", "type": "t" * 65})
    assert "type has at most 64 characters" in error(scim.post("/Users", body))[2]
    many = [{"value": f"d{i}@acmecorp.com"} for i in range(101)]
    assert (
        "at most 100 emails here; this one has 101" in error(scim.post("/Users", user("dave@acmecorp.com", *many)))[2]
    )
    assert not SCIMUser.objects.exists() and not User.objects.filter(email="dave@acmecorp.com").exists()


def test_the_schema_says_an_email_is_required(scim):
    schema = scim.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").json()
    emails = next(a for a in schema["attributes"] if a["name"] == "emails")
    assert emails["required"] is True and "A userName that is an address stands in for it" in emails["description"]
    assert next(s for s in emails["subAttributes"] if s["name"] == "value")["required"] is True
    assert next(s for s in emails["subAttributes"] if s["name"] == "type")["required"] is False


def test_the_migration_fills_the_rows_from_the_stored_resources(scim):
    directory = scim.directory
    stored = SCIMUser.objects.create(
        directory=directory,
        organization=directory.organization,
        user_name="dave@acmecorp.com",
        user_name_key="dave@acmecorp.com",
        attributes={
            "schemas": [CORE],
            "userName": "dave@acmecorp.com",
            "emails": [
                {"value": " Dave@AcmeCorp.com ", "type": "Work", "primary": True},
                {"value": "dave.home@example.org"},
                {"display": "nothing filterable"},
            ],
        },
    )
    migration = importlib.import_module("directory.migrations.0003_fill_scim_user_emails")
    migration.fill(apps, None)
    rows = SCIMUserEmail.objects.filter(scim_user=stored).order_by("pk").values_list("value_key", "type", "primary")
    assert list(rows) == [("dave@acmecorp.com", "work", True), ("dave.home@example.org", "", None)]
    assert names(scim, 'emails[value eq "dave.home@example.org"]') == ["dave@acmecorp.com"]


def test_the_migration_reads_what_no_write_would_store():
    migration = importlib.import_module("directory.migrations.0003_fill_scim_user_emails")
    emails = ["not an object", {"value": 5, "type": ["work"], "primary": "yes"}, {"value": "A@B.org", "type": "x" * 70}]
    assert migration.rows_of({"emails": emails}) == [("a@b.org", "x" * 64, None)]
    assert migration.rows_of({"emails": "nope"}) == migration.rows_of([]) == []
