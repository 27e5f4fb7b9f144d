"""The SCIM API as a careless or hostile IdP hits it: text no column holds, and requests racing each other.

PostgreSQL refuses NUL in text and jsonb where SQLite stores it; a lone surrogate has no UTF-8 at all. The races
(row locks, waits on unique keys) are PostgreSQL's; SQLite's IMMEDIATE transactions run writers one after the other.
"""

import contextlib
import json
import threading

import pytest
from django.conf import settings
from django.db import connection as db_connection
from django.test import Client

from directory.models import SCIMGroup, SCIMGroupMember, SCIMRequest, SCIMUser, SCIMUserEmail
from directory.scim import groups as scim_groups
from directory.scim import users as scim_users
from kloudsso.accounts.models import User
from tests.support.scim import SCIMClient, patch, scim_directory, verified_domain

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]
postgresql_only = pytest.mark.skipif(not ON_POSTGRESQL, reason="a race of row locks: PostgreSQL only")


def user(user_name: str, **extra) -> dict:
    emails = [{"value": user_name, "type": "work", "primary": True}]
    return {"schemas": [CORE], "userName": user_name, "emails": emails, **extra}


@pytest.fixture
def scim(client, acme):
    verified_domain(acme, "acmecorp.com")
    directory, token = scim_directory(acme)
    return SCIMClient(client, directory, token)


def error(response) -> tuple[int, str | None, str]:
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    return response.status_code, body.get("scimType"), body["detail"]


def last_logged() -> SCIMRequest:
    return SCIMRequest.objects.order_by("-pk").first()


# Text no column holds.

NUL_BODIES = {
    "userName": user("ada\u0000@acmecorp.com"),
    "displayName": user("ada@acmecorp.com", displayName="Ada\u0000"),
    "externalId": user("ada@acmecorp.com", externalId="id\u0000"),
    "name.givenName": user("ada@acmecorp.com", name={"givenName": "A\u0000da"}),
    "an email's type": user("ada@acmecorp.com", emails=[{"value": "ada@acmecorp.com", "type": "w\u0000rk"}]),
    "an extension attribute": user("ada@acmecorp.com", **{ENTERPRISE: {"department": "R\u0000D"}}),
    "an attribute no schema has": user("ada@acmecorp.com", nickname2="x\u0000"),
    "a key": user("ada@acmecorp.com", **{"x\u0000": "y"}),
}


@pytest.mark.parametrize("where", NUL_BODIES)
def test_a_nul_character_anywhere_in_a_new_user_is_a_400_that_says_so_and_nothing_is_stored(scim, where):
    response = scim.post("/Users", NUL_BODIES[where])
    status, scim_type, detail = error(response)
    assert (status, scim_type) == (400, "invalidValue")
    assert "NUL character (\\u0000)" in detail
    assert not SCIMUser.objects.exists() and not User.objects.filter(email="ada@acmecorp.com").exists()
    assert last_logged().status == 400 and "NUL" in last_logged().error


def test_a_lone_surrogate_in_a_body_is_a_400_not_a_500(scim):
    body = json.dumps(user("ada@acmecorp.com")).replace('"userName"', '"displayName": "Ada \\ud800", "userName"')
    status, scim_type, detail = error(scim.post("/Users", body))
    assert (status, scim_type) == (400, "invalidValue") and "lone surrogate" in detail
    assert not SCIMUser.objects.exists()


def test_a_nul_character_in_a_group_or_a_member_id_is_a_400(scim):
    assert error(scim.post("/Groups", {"schemas": [GROUP], "displayName": "Eng\u0000"}))[:2] == (400, "invalidValue")
    members = [{"value": "00000000-0000-0000-0000-000000000000\u0000"}]
    response = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Eng", "members": members})
    assert error(response)[:2] == (400, "invalidValue")
    assert not SCIMGroup.objects.exists()


def test_a_patch_adding_a_nul_character_changes_nothing(scim):
    created = scim.post("/Users", user("ada@acmecorp.com")).json()
    response = scim.patch(f"/Users/{created['id']}", patch({"op": "replace", "path": "displayName", "value": "\u0000"}))
    assert error(response)[:2] == (400, "invalidValue")
    assert SCIMUser.objects.get().display_name == ""


def test_a_nul_character_spelled_in_a_patch_paths_filter_is_a_400_and_changes_nothing(scim):
    # The body is clean JSON; the filter's own escape makes the NUL, and the library would create that email.
    created = scim.post("/Users", user("ada@acmecorp.com")).json()
    operation = {"op": "replace", "path": 'emails[type eq "\\u0000"].value', "value": "ada2@acmecorp.com"}
    status, scim_type, detail = error(scim.patch(f"/Users/{created['id']}", patch(operation)))
    assert (status, scim_type) == (400, "invalidValue") and "NUL character" in detail
    assert SCIMUser.objects.get().attributes["emails"] == created["emails"]
    assert list(SCIMUserEmail.objects.values_list("value_key", flat=True)) == ["ada@acmecorp.com"]


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"])
@pytest.mark.parametrize("path", ["/Users/.search", "/Groups/.search", "/.search"])
def test_a_filter_value_spelling_text_no_column_holds_is_an_invalid_filter(scim, escape, path):
    attribute = "displayName" if path.startswith("/Groups") else "userName"
    status, scim_type, detail = error(scim.post(path, {"filter": f'{attribute} eq "a{escape}"'}))
    assert (status, scim_type) == (400, "invalidFilter")
    assert "NUL character" in detail or "lone surrogate" in detail


def test_an_emails_filter_spelling_a_nul_character_is_an_invalid_filter(scim):
    response = scim.get("/Users", data={"filter": 'emails[value eq "\\u0000"]'})
    assert error(response)[:2] == (400, "invalidFilter")


@pytest.mark.parametrize("resource", ["Users", "Groups"])
def test_an_id_with_a_nul_character_is_a_404_and_its_log_line_is_written(scim, resource):
    response = scim.get(f"/{resource}/abc%00def")
    assert error(response)[0] == 404
    logged = last_logged()
    assert (logged.status, logged.path) == (404, f"/{resource}/abc%00def")
    assert "abc\\u0000def" in logged.error


# Requests racing each other (two IdP workers, a retry while the first request still runs).

WAIT = 3  # seconds a paused request waits for the other; with a row lock, the other waits for it instead


def at_once(*calls):
    """Run each call in a thread of its own, with its own client and database connection; their answers in order."""
    answers = [None] * len(calls)

    def run(i, call):
        try:
            answers[i] = call()
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def own(scim) -> SCIMClient:
    return SCIMClient(Client(), scim.directory, scim.token)


def paused_after(monkeypatch, module, name, *, reached: threading.Event, go_on: threading.Event, times: int = 1):
    """module.name signals `reached` once it has run, then waits (at most WAIT seconds) for `go_on`, `times` times."""
    real, left = getattr(module, name), [times]

    def wrapped(*args, **kwargs):
        result = real(*args, **kwargs)
        if left[0] > 0:
            left[0] -= 1
            reached.set()
            go_on.wait(timeout=WAIT)
        return result

    monkeypatch.setattr(module, name, wrapped)


@pytest.mark.django_db(transaction=True)
@postgresql_only
def test_two_posts_of_one_username_at_once_make_one_user_and_a_409(scim, monkeypatch):
    barrier, real = threading.Barrier(2), scim_users.people.person_link

    def person_link(**kwargs):
        # Both checked the userName before either wrote it.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=WAIT)
        return real(**kwargs)

    monkeypatch.setattr(scim_users.people, "person_link", person_link)
    answers = at_once(*[lambda: own(scim).post("/Users", user("ada@acmecorp.com"))] * 2)
    assert sorted(a.status_code for a in answers) == [201, 409]
    refused = next(a for a in answers if a.status_code == 409)
    assert error(refused)[:2] == (409, "uniqueness")
    assert SCIMUser.objects.count() == 1 and User.objects.filter(email="ada@acmecorp.com").count() == 1


@pytest.mark.django_db(transaction=True)
@postgresql_only
def test_a_user_deleted_while_a_group_patch_adds_them_is_no_member_after_both(scim, monkeypatch):
    member = scim.post("/Users", user("ada@acmecorp.com")).json()["id"]
    group = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Eng"}).json()["id"]
    found, deleted = threading.Event(), threading.Event()
    paused_after(monkeypatch, scim_groups, "_users", reached=found, go_on=deleted)

    def delete():
        found.wait(timeout=WAIT)  # the PATCH found the user, and has not added them yet
        answer = own(scim).delete(f"/Users/{member}")
        deleted.set()
        return answer

    add = patch({"op": "add", "path": "members", "value": [{"value": member}]})
    added, removed = at_once(lambda: own(scim).patch(f"/Groups/{group}", add), delete)
    assert removed.status_code == 204 and added.status_code in (204, 400)
    assert not SCIMGroupMember.objects.exists()
    assert "members" not in scim.get(f"/Groups/{group}").json()


@pytest.mark.django_db(transaction=True)
@postgresql_only
def test_two_replaces_of_a_groups_members_at_once_end_with_one_of_them(scim, monkeypatch):
    ids = [scim.post("/Users", user(f"{n}@acmecorp.com")).json()["id"] for n in ("ada", "bea", "cy", "dee")]
    group = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Eng"}).json()["id"]
    barrier, real = threading.Barrier(2), scim_groups._users

    def users(*args):
        found = real(*args)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=WAIT)  # both read the group's members before either changed them
        return found

    monkeypatch.setattr(scim_groups, "_users", users)
    sets = [ids[:2], ids[2:]]

    def replace(wanted):
        value = [{"value": i} for i in wanted]
        return lambda: own(scim).patch(f"/Groups/{group}", patch({"op": "replace", "path": "members", "value": value}))

    answers = at_once(*[replace(s) for s in sets])
    assert [a.status_code for a in answers] == [204, 204]
    members = sorted(m["value"] for m in scim.get(f"/Groups/{group}").json()["members"])
    assert members in [sorted(s) for s in sets]


@pytest.mark.django_db(transaction=True)
@postgresql_only
def test_two_patches_adding_members_to_one_group_at_once_add_them_all(scim, monkeypatch):
    ids = [scim.post("/Users", user(f"{n}@acmecorp.com")).json()["id"] for n in ("ada", "bea", "cy")]
    group = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Eng"}).json()["id"]
    add = [patch({"op": "add", "path": "members", "value": [{"value": i} for i in ids[:2]]})]
    add.append(patch({"op": "add", "path": "members", "value": [{"value": i} for i in ids[1:]]}))
    answers = at_once(*[lambda body=body: own(scim).patch(f"/Groups/{group}", body) for body in add])
    assert [a.status_code for a in answers] == [204, 204]
    assert sorted(m["value"] for m in scim.get(f"/Groups/{group}").json()["members"]) == sorted(ids)
    assert SCIMGroupMember.objects.count() == 3


@pytest.mark.django_db(transaction=True)
@postgresql_only
def test_a_patch_racing_a_delete_of_its_user_never_brings_the_user_back(scim, monkeypatch):
    member = scim.post("/Users", user("ada@acmecorp.com")).json()["id"]
    read, deleted = threading.Event(), threading.Event()
    paused_after(monkeypatch, scim_users, "user_model", reached=read, go_on=deleted)

    def delete():
        read.wait(timeout=WAIT)  # the PATCH read the user before the delete
        answer = own(scim).delete(f"/Users/{member}")
        deleted.set()
        return answer

    rename = patch({"op": "replace", "path": "displayName", "value": "Ada L."})
    renamed, removed = at_once(lambda: own(scim).patch(f"/Users/{member}", rename), delete)
    assert removed.status_code == 204
    assert error(renamed)[0] == 404
    assert scim.get(f"/Users/{member}").status_code == 404
    assert SCIMUser.objects.get().deleted_at is not None


@pytest.mark.django_db(transaction=True)
@postgresql_only
def test_two_patches_of_one_user_at_once_keep_both_changes(scim, monkeypatch):
    member = scim.post("/Users", user("ada@acmecorp.com")).json()["id"]
    barrier, real = threading.Barrier(2), scim_users.user_model

    def user_model(scim_user):
        model = real(scim_user)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=WAIT)  # both read the user before either wrote
        return model

    monkeypatch.setattr(scim_users, "user_model", user_model)
    bodies = [
        patch({"op": "replace", "path": "displayName", "value": "Ada L."}),
        patch({"op": "replace", "path": "title", "value": "Engineer"}),
    ]
    answers = at_once(*[lambda body=body: own(scim).patch(f"/Users/{member}", body) for body in bodies])
    assert [a.status_code for a in answers] == [200, 200]
    found = scim.get(f"/Users/{member}").json()
    assert (found.get("displayName"), found.get("title")) == ("Ada L.", "Engineer")


# Very long strings: PostgreSQL enforces a column's length (SQLite does not), and lower-casing can lengthen text
# ("İ" is two characters lower-cased), so a value within the limit can make a key beyond it.

LENGTHENS = "\u0130"  # İ: "i" and a combining dot once lower-cased


def test_a_user_name_whose_lower_case_is_longer_than_the_column_is_a_400(scim):
    body = user("ada@acmecorp.com", userName=LENGTHENS * 300)
    status, scim_type, detail = error(scim.post("/Users", body))
    assert (status, scim_type) == (400, "invalidValue") and "userName" in detail
    assert not SCIMUser.objects.exists()


def test_an_email_type_whose_lower_case_is_longer_than_the_column_is_a_400(scim):
    body = user("ada@acmecorp.com", emails=[{"value": "ada@acmecorp.com", "type": LENGTHENS * 40}])
    status, scim_type, detail = error(scim.post("/Users", body))
    assert (status, scim_type) == (400, "invalidValue") and "type" in detail
    assert not SCIMUser.objects.exists()


@pytest.mark.parametrize("name", ["g" * 513, LENGTHENS * 300])
def test_a_group_name_longer_than_the_column_is_a_400_not_cut_short(scim, name):
    # Cut short, the group would never be found by the name the IdP filters on: it would POST it again and again.
    status, scim_type, detail = error(scim.post("/Groups", {"schemas": [GROUP], "displayName": name}))
    assert (status, scim_type) == (400, "invalidValue") and "displayName has at most 512 characters" in detail
    assert not SCIMGroup.objects.exists()


def test_a_group_external_id_longer_than_the_column_is_a_400_not_cut_short(scim):
    body = {"schemas": [GROUP], "displayName": "Eng", "externalId": "e" * 513}
    status, scim_type, detail = error(scim.post("/Groups", body))
    assert (status, scim_type) == (400, "invalidValue") and "externalId has at most 512 characters" in detail


def test_a_patch_failing_at_its_last_operation_saves_none_of_the_others(scim):
    member = scim.post("/Users", user("ada@acmecorp.com")).json()["id"]
    group = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Eng"}).json()["id"]
    body = patch(
        {"op": "replace", "path": "displayName", "value": "Engineering"},
        {"op": "add", "path": "members", "value": [{"value": member}]},
        {"op": "add", "path": "members", "value": [{"value": "00000000-0000-0000-0000-000000000000"}]},
    )
    assert error(scim.patch(f"/Groups/{group}", body))[:2] == (400, "invalidValue")
    found = scim.get(f"/Groups/{group}").json()
    assert found["displayName"] == "Eng" and "members" not in found
    user_body = patch(
        {"op": "replace", "path": "displayName", "value": "Ada L."},
        {"op": "replace", "path": "userName", "value": "u" * 513},
    )
    assert error(scim.patch(f"/Users/{member}", user_body))[:2] == (400, "invalidValue")
    assert "displayName" not in scim.get(f"/Users/{member}").json()


@pytest.mark.django_db(transaction=True)
@postgresql_only
def test_two_posts_of_one_group_name_at_once_make_one_group_and_a_409(scim, monkeypatch):
    barrier, real = threading.Barrier(2), scim_groups.SCIMGroup.save

    def save(self, *args, **kwargs):
        # Both checked the name before either wrote it.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=WAIT)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(scim_groups.SCIMGroup, "save", save)
    body = {"schemas": [GROUP], "displayName": "Eng"}
    answers = at_once(*[lambda: own(scim).post("/Groups", body)] * 2)
    assert sorted(a.status_code for a in answers) == [201, 409]
    assert error(next(a for a in answers if a.status_code == 409))[:2] == (409, "uniqueness")
    assert SCIMGroup.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # committed as in production: the foreign keys are checked at commit
@pytest.mark.skipif(not ON_POSTGRESQL, reason="SQLite's one writer makes the owner's delete wait for the write")
@pytest.mark.parametrize("resource", ["Groups", "Users"])
def test_a_write_whose_directory_an_owner_deletes_meanwhile_is_a_404_that_says_so(scim, monkeypatch, resource):
    from directory.models import SCIMDirectory
    from directory.scim import groups, users

    module, audit = (groups, "scim_group_audit") if resource == "Groups" else (users, "scim_user_audit")
    real = getattr(module, audit)

    def audit_then_delete(*args, **kwargs):
        real(*args, **kwargs)  # inside the write's transaction, which commits next
        at_once(lambda: SCIMDirectory.objects.filter(pk=scim.directory.pk).delete())

    monkeypatch.setattr(module, audit, audit_then_delete)
    body = {"schemas": [GROUP], "displayName": "Eng"} if resource == "Groups" else user("ada@acmecorp.com")
    status, _scim_type, detail = error(scim.post(f"/{resource}", body))
    assert status == 404 and "deleted while this request ran" in detail
    assert not SCIMDirectory.objects.exists() and not SCIMGroup.objects.exists() and not SCIMUser.objects.exists()


@pytest.mark.django_db(transaction=True)
@postgresql_only
def test_two_patches_adding_the_same_users_to_two_groups_in_another_order_both_succeed(scim, monkeypatch):
    # Entra sends one operation per member added; two groups' PATCHes may name the same people in another order.
    ids = [scim.post("/Users", user(f"{n}@acmecorp.com")).json()["id"] for n in ("ada", "bea")]
    groups = [scim.post("/Groups", {"schemas": [GROUP], "displayName": n}).json()["id"] for n in ("Eng", "Ops")]
    barrier, real, calls = threading.Barrier(2), scim_groups._users, threading.local()

    def users(*args):
        found = real(*args)
        calls.n = getattr(calls, "n", 0) + 1
        if calls.n == 1:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=WAIT)  # both locked their first users before either went on
        return found

    monkeypatch.setattr(scim_groups, "_users", users)

    def adding(group, order):
        ops = [{"op": "add", "path": "members", "value": [{"value": i}]} for i in order]
        return lambda: own(scim).patch(f"/Groups/{group}", patch(*ops))

    answers = at_once(adding(groups[0], ids), adding(groups[1], ids[::-1]))
    assert [a.status_code for a in answers] == [204, 204]
    assert SCIMGroupMember.objects.count() == 4
