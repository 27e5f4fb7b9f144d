"""The SCIM API's protocol and safety: tokens, tenant isolation, errors with scimType, filters, pages, limits and
pinned statement counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from directory.models import SCIMRequest
from directory.services import directory_token_revoke, directory_token_rotate
from kloudsso.audit.record import SYSTEM
from tests.support.queries import assert_queries
from tests.support.scim import SCIMClient, assert_no_content, patch, scim_directory, verified_domain

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


def user(name: str, **extra) -> dict:
    return {"schemas": [CORE], "userName": name, "emails": [{"value": name, "type": "work", "primary": True}], **extra}


@pytest.fixture
def scim(client, acme):
    verified_domain(acme, "acmecorp.com")
    directory, token = scim_directory(acme)
    return SCIMClient(client, directory, token)


@pytest.fixture
def globex_scim(client, globex):
    verified_domain(globex, "globexcorp.com")
    directory, token = scim_directory(globex, name="Globex Okta", idp_kind="okta")
    return SCIMClient(client, directory, token)


def error(response) -> tuple[int, str | None]:
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(response.status_code)
    return response.status_code, body.get("scimType")


def test_it_refuses_a_missing_a_wrong_and_a_revoked_token(client, scim):
    assert error(client.get(f"{scim.base}/Users")) == (401, None)
    scim.token = "kscim_wrong"
    assert error(scim.get("/Users")) == (401, None)


def test_a_rotated_token_keeps_working_during_the_overlap_and_a_revoked_one_stops_at_once(scim, client):
    old = scim.token
    scim.token = directory_token_rotate(directory=scim.directory, actor=SYSTEM)
    assert scim.get("/Users").status_code == 200
    assert SCIMClient(client, scim.directory, old).get("/Users").status_code == 200
    scim.directory.previous_token_expires_at = timezone.now() - timedelta(seconds=1)
    scim.directory.save()
    assert SCIMClient(client, scim.directory, old).get("/Users").status_code == 401
    directory_token_revoke(directory=scim.directory, actor=SYSTEM)
    assert scim.get("/Users").status_code == 401


def test_a_token_of_directory_a_never_reads_directory_b(scim, globex_scim, client):
    theirs = globex_scim.post("/Users", user("gina@globexcorp.com")).json()["id"]
    # Acme's token at Globex's URL, and Globex's user's id at Acme's URL.
    assert SCIMClient(client, globex_scim.directory, scim.token).get("/Users").status_code == 401
    assert error(scim.get(f"/Users/{theirs}")) == (404, None)
    assert scim.get('/Users?filter=userName eq "gina@globexcorp.com"').json()["totalResults"] == 0
    assert scim.patch(f"/Users/{theirs}", patch({"op": "replace", "path": "active", "value": False})).status_code == 404
    assert scim.delete(f"/Users/{theirs}").status_code == 404
    assert globex_scim.get(f"/Users/{theirs}").json().get("active", True) is True


def test_an_organization_never_provisions_another_organizations_domain(scim, globex_scim):
    status, scim_type = error(globex_scim.post("/Users", user("dave@acmecorp.com")))
    assert (status, scim_type) == (400, "invalidValue")
    assert "outside Globex's verified domains" in globex_scim.post("/Users", user("dave@acmecorp.com")).json()["detail"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", (400, "invalidSyntax")),
        (b"[1, 2]", (400, "invalidSyntax")),
        (b'{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}', (400, "invalidValue")),
        (b'{"userName": 5}', (400, "invalidValue")),
        (b'{"userName": "a@acmecorp.com", "emails": "nope"}', (400, "invalidValue")),
        (b"", (400, "invalidSyntax")),
    ],
)
def test_bad_bodies_are_scim_errors(scim, body, expected):
    assert error(scim.post("/Users", body)) == expected


def test_a_second_user_with_the_same_user_name_is_a_uniqueness_conflict(scim):
    assert scim.post("/Users", user("dave@acmecorp.com")).status_code == 201
    assert error(scim.post("/Users", user("DAVE@acmecorp.com"))) == (409, "uniqueness")


@pytest.mark.parametrize(
    "text",
    [
        "userName eq",
        'nickName eq "x"',
        'userName gt "a"',
        'emails.display eq "x"',
        'emails[display eq "Dave"]',
        'phoneNumbers[type eq "work"]',
        'emails.value gt "a"',
        "emails.primary eq 1",
        'active eq "yes"',
    ],
)
def test_filters_we_cannot_answer_are_invalid_filter_errors(scim, text):
    assert error(scim.get(f"/Users?filter={text}")) == (400, "invalidFilter")


def test_filters_on_user_name_external_id_emails_and_display_name(scim):
    scim.post("/Users", user("dave@acmecorp.com", externalId="ext-1", displayName="Dave"))
    scim.post("/Users", user("erin@acmecorp.com", externalId="ext-2", displayName="Erin"))
    scim.post("/Groups", {"displayName": "Engineering"})

    def names(text):
        return [u["userName"] for u in scim.get(f"/Users?filter={text}").json()["Resources"]]

    assert names('userName eq "DAVE@acmecorp.com"') == ["dave@acmecorp.com"]
    assert names('externalId eq "ext-2"') == ["erin@acmecorp.com"]
    assert names('emails.value eq "erin@acmecorp.com"') == ["erin@acmecorp.com"]
    assert names('emails[value eq "dave@acmecorp.com"]') == ["dave@acmecorp.com"]
    assert names('userName eq "dave@acmecorp.com" and externalId eq "ext-2"') == []
    assert names('displayName eq "Erin" or externalId eq "ext-1"') == ["dave@acmecorp.com", "erin@acmecorp.com"]
    assert names('externalId eq "EXT-1"') == []  # caseExact
    groups = scim.get('/Groups?filter=displayName eq "engineering"').json()
    assert [g["displayName"] for g in groups["Resources"]] == ["Engineering"]


def test_pages_with_start_index_and_count(scim):
    for i in range(5):
        scim.post("/Users", user(f"p{i}@acmecorp.com"))
    page = scim.get("/Users?startIndex=2&count=2").json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [u["userName"] for u in page["Resources"]] == ["p1@acmecorp.com", "p2@acmecorp.com"]
    assert scim.get("/Users?startIndex=0&count=-1").json()["itemsPerPage"] == 0
    assert error(scim.get("/Users?count=many")) == (400, "invalidValue")


def test_a_body_over_the_limit_is_413(scim, settings):
    settings.SCIM_MAX_BODY_BYTES = 100
    assert error(scim.post("/Users", user("x" * 200 + "@acmecorp.com"))) == (413, None)


def test_requests_beyond_the_directorys_rate_limit_are_429(scim, settings):
    settings.SCIM_RATE_LIMIT_PER_MINUTE = 2
    assert scim.get("/Users").status_code == 200
    assert scim.get("/Users").status_code == 200
    assert error(scim.get("/Users")) == (429, None)


def test_unknown_endpoints_and_methods(scim):
    assert error(scim.get("/Pets")) == (404, None)
    assert error(scim.delete("/Schemas")) == (405, None)
    assert error(scim.get("/Users/not-a-uuid")) == (404, None)


def test_every_request_is_logged_with_what_it_touched_and_its_error(scim):
    scim.post("/Users", user("dave@acmecorp.com"))
    scim.post("/Users", user("dave@elsewhere.com"))
    ok, refused = SCIMRequest.objects.filter(directory=scim.directory).order_by("pk")
    assert (ok.method, ok.status, ok.resource_kind) == ("POST", 201, "User")
    assert ok.resource_label == "dave@acmecorp.com"
    assert refused.status == 400 and "outside Acme's verified domains" in refused.error


def test_the_discovery_endpoints(scim):
    config = scim.get("/ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = scim.get("/ResourceTypes").json()["Resources"]
    assert {t["name"] for t in types} == {"User", "Group"}
    schemas = {s["id"] for s in scim.get("/Schemas").json()["Resources"]}
    assert "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" in schemas


def test_statement_counts_of_list_filter_and_patch(scim):
    ids = [scim.post("/Users", user(f"q{i}@acmecorp.com")).json()["id"] for i in range(30)]
    group = scim.post("/Groups", {"displayName": "All"}).json()["id"]
    # The directory, then the total, the page, the page's group memberships, then the request log and the
    # directory's last request (to the minute: no write within the same minute).
    with assert_queries(5):
        assert scim.get("/Users?count=30").json()["itemsPerPage"] == 30
    with assert_queries(5):
        assert scim.get('/Users?filter=userName eq "q3@acmecorp.com"').json()["totalResults"] == 1
    # Adding 30 members: the directory, the group, its member count, the users' ids (one batch), one INSERT, the count
    # again, the audit event (members: 0 -> 30), the log. A 204: no page of members is read for the answer.
    body = patch({"op": "add", "path": "members", "value": [{"value": i} for i in ids]})
    with assert_queries(8):
        response = scim.patch(f"/Groups/{group}", body)
    assert_no_content(response)
    members = scim.get(f"/Groups/{group}").json()["members"]
    assert len(members) == 30 and {m["value"] for m in members} == set(ids)


def test_a_large_group_is_added_in_batches(scim):
    from directory.models import SCIMGroupMember, SCIMUser

    directory = scim.directory
    SCIMUser.objects.bulk_create(
        [
            SCIMUser(directory=directory, organization=directory.organization, user_name=f"b{i}", user_name_key=f"b{i}")
            for i in range(1200)
        ]
    )
    ids = [str(u) for u in SCIMUser.objects.values_list("public_id", flat=True)]
    group = scim.post("/Groups", {"displayName": "Everyone"}).json()["id"]
    body = patch({"op": "add", "path": "members", "value": [{"value": i} for i in ids]})
    response = scim.patch(f"/Groups/{group}?excludedAttributes=members", body)
    assert response.status_code == 200 and "members" not in response.json()
    assert SCIMGroupMember.objects.filter(group__public_id=group).count() == 1200


def test_a_user_name_longer_than_the_column_is_refused(scim):
    assert error(scim.post("/Users", {"userName": "u" * 513})) == (400, "invalidValue")


def test_statement_count_of_a_user_patch(scim):
    user_id = scim.post("/Users", user("dave@acmecorp.com")).json()["id"]
    body = patch({"op": "Replace", "path": "name.familyName", "value": "Smith"})
    # The directory, the user with its person, whether the userName is taken, the user's row locked (still as read:
    # no other write in between), the verified domain routing the email, the membership, the UPDATE, the user's
    # groups, the log (no audited field changed: no audit event).
    with assert_queries(9):
        assert scim.patch(f"/Users/{user_id}", body).json()["name"]["familyName"] == "Smith"


def test_statement_count_of_a_group_put_that_renames_every_member(scim):
    ids = [scim.post("/Users", user(f"r{i}@acmecorp.com")).json()["id"] for i in range(30)]
    members = [{"value": i, "display": f"Person {n}"} for n, i in enumerate(ids)]
    group = scim.post("/Groups", {"displayName": "All", "members": members}).json()["id"]
    renamed = [{"value": i, "display": f"Renamed {n}"} for n, i in enumerate(ids)]
    # The directory, the group, its member count, whether the name is taken, the group's UPDATE, the users' ids,
    # the current members, one UPDATE of every display (one batch), the count again, the audit event, the group's
    # page (its members with their users), the log.
    with assert_queries(12):
        response = scim.put(f"/Groups/{group}", {"displayName": "All", "members": renamed})
    assert {m["display"] for m in response.json()["members"]} == {f"Renamed {n}" for n in range(30)}


def test_removing_an_empty_list_of_members_removes_nobody_and_no_value_removes_all(scim):
    from directory.models import SCIMGroupMember

    ids = [scim.post("/Users", user(f"m{i}@acmecorp.com")).json()["id"] for i in range(3)]
    group = scim.post("/Groups", {"displayName": "Team", "members": [{"value": i} for i in ids]}).json()["id"]
    assert_no_content(scim.patch(f"/Groups/{group}", patch({"op": "remove", "path": "members", "value": []})))
    assert SCIMGroupMember.objects.filter(group__public_id=group).count() == 3
    assert_no_content(scim.patch(f"/Groups/{group}", patch({"op": "remove", "path": "members"})))
    assert SCIMGroupMember.objects.filter(group__public_id=group).count() == 0


def test_a_urn_qualified_members_path_is_applied(scim):
    from directory.models import SCIMGroupMember

    members_path = "urn:ietf:params:scim:schemas:core:2.0:Group:members"
    ids = [scim.post("/Users", user(f"u{i}@acmecorp.com")).json()["id"] for i in range(2)]
    group = scim.post("/Groups", {"displayName": "Team"}).json()["id"]
    body = patch({"op": "add", "path": members_path, "value": [{"value": i} for i in ids]})
    assert_no_content(scim.patch(f"/Groups/{group}", body))
    assert SCIMGroupMember.objects.filter(group__public_id=group).count() == 2
    body = patch({"op": "remove", "path": f'{members_path}[value eq "{ids[0]}"]'})
    assert_no_content(scim.patch(f"/Groups/{group}", body))
    assert [
        str(m) for m in SCIMGroupMember.objects.filter(group__public_id=group).values_list("user__public_id", flat=True)
    ] == [ids[1]]


def test_a_urn_qualified_user_path_is_applied(scim):
    user_id = scim.post("/Users", user("dave@acmecorp.com")).json()["id"]
    body = patch({"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:displayName", "value": "Dave"})
    assert scim.patch(f"/Users/{user_id}", body).json()["displayName"] == "Dave"


@pytest.mark.parametrize("body", ['{"count": 1e999}', '{"startIndex": -1e999}', '{"count": NaN}'])
def test_a_search_with_a_number_no_integer_holds_is_invalid_value(scim, body):
    assert error(scim.post("/Users/.search", body)) == (400, "invalidValue")
    assert error(scim.post("/Groups/.search", body)) == (400, "invalidValue")


def test_a_start_index_beyond_every_page_is_an_empty_page(scim):
    scim.post("/Users", user("dave@acmecorp.com"))
    for start in (2, 2**63 + 1, 10**30):
        page = scim.get(f"/Users?startIndex={start}").json()
        assert page["totalResults"] == 1 and page["Resources"] == [] and page["itemsPerPage"] == 0
        page = scim.post("/Groups/.search", {"startIndex": start, "count": 10**30}).json()
        assert page["totalResults"] == 0 and page["Resources"] == []


def test_a_flood_of_wrong_tokens_leaves_a_few_log_rows_and_the_real_requests_stay_visible(scim, client, monkeypatch):
    from directory import selectors
    from directory.scim import endpoint

    monkeypatch.setattr(endpoint, "_minute", lambda: 1000, raising=False)
    guesser = SCIMClient(client, scim.directory, "kscim_guess")
    assert all(guesser.get("/Users").status_code == 401 for _ in range(40))
    assert (
        SCIMRequest.objects.filter(directory=scim.directory, status=401).count() == endpoint.REFUSED_LOGGED_PER_MINUTE
    )
    assert scim.get("/Users").status_code == 200
    latest = selectors.scim_request_list(directory=scim.directory, limit=50)[0]
    assert (latest.method, latest.status) == ("GET", 200)
    monkeypatch.setattr(endpoint, "_minute", lambda: 1001)
    assert guesser.get("/Users").status_code == 401
    summary = SCIMRequest.objects.filter(directory=scim.directory, status=401).first()
    assert "35 more requests refused like this one were not logged" in summary.error


def test_a_client_guessing_tokens_is_rate_limited_without_using_up_the_idps_limit(scim, client, settings):
    settings.SCIM_RATE_LIMIT_PER_MINUTE = 3
    guesser = SCIMClient(client, scim.directory, "kscim_guess")
    assert [guesser.get("/Users", REMOTE_ADDR="203.0.113.9").status_code for _ in range(4)] == [401, 401, 401, 429]
    assert scim.get("/Users", REMOTE_ADDR="198.51.100.7").status_code == 200


def test_the_directorys_limit_holds_across_clients(scim, settings):
    settings.SCIM_RATE_LIMIT_PER_MINUTE = 2
    statuses = [scim.get("/Users", REMOTE_ADDR=f"198.51.100.{i}").status_code for i in range(3)]
    assert statuses == [200, 200, 429]


# A search at the root (POST /.search, RFC 7644 §3.4.3): Users, then Groups, in one list.


def root_search(scim, **body) -> dict:
    response = scim.post("/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], **body})
    assert response.status_code == 200, response.content
    return response.json()


def labels(page: dict) -> list[str]:
    return [r.get("userName") or r.get("displayName") for r in page["Resources"]]


def test_a_search_at_the_root_pages_across_users_then_groups_with_one_total(scim):
    for name in ("p1", "p2", "p3"):
        scim.post("/Users", user(f"{name}@acmecorp.com"))
    for name in ("Engineering", "Sales"):
        scim.post("/Groups", {"displayName": name})
    page = root_search(scim, startIndex=2, count=3)
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 3)
    assert labels(page) == ["p2@acmecorp.com", "p3@acmecorp.com", "Engineering"]
    assert [r["meta"]["resourceType"] for r in page["Resources"]] == ["User", "User", "Group"]
    assert labels(root_search(scim, startIndex=4, count=10)) == ["Engineering", "Sales"]
    assert labels(root_search(scim, startIndex=5, count=1)) == ["Sales"]
    everything = root_search(scim)
    assert everything["totalResults"] == 5 and everything["itemsPerPage"] == 5
    beyond = root_search(scim, startIndex=6, count=10)
    assert beyond["totalResults"] == 5 and beyond["Resources"] == []
    assert root_search(scim, count=0)["Resources"] == []


def test_a_root_filter_on_an_attribute_one_type_lacks_matches_none_of_that_type(scim):
    scim.post("/Users", user("dave@acmecorp.com", displayName="Engineering", externalId="e-1"))
    scim.post("/Users", user("erin@acmecorp.com", displayName="Erin"))
    scim.post("/Groups", {"displayName": "Engineering", "externalId": "e-1"})
    scim.post("/Groups", {"displayName": "Sales"})

    def found(text):
        return labels(root_search(scim, filter=text))

    assert found('userName sw "d"') == ["dave@acmecorp.com"]  # groups have no userName
    assert found('emails[value eq "erin@acmecorp.com"]') == ["erin@acmecorp.com"]
    assert found('displayName eq "engineering"') == ["dave@acmecorp.com", "Engineering"]
    assert found('externalId eq "e-1"') == ["dave@acmecorp.com", "Engineering"]
    assert found('userName eq "erin@acmecorp.com" or displayName eq "Sales"') == ["erin@acmecorp.com", "Sales"]
    # The comparison is false on a group, so its negation holds for every group.
    assert found('not (userName eq "dave@acmecorp.com")') == ["erin@acmecorp.com", "Engineering", "Sales"]


@pytest.mark.parametrize(
    "text",
    [
        'nickName eq "x"',
        'emails.display eq "x"',
        'emails[display eq "x"]',
        'userName gt "a"',
        "members pr",
        "displayName eq",
    ],
)
def test_a_root_filter_neither_type_can_answer_is_invalid_filter(scim, text):
    response = scim.post("/.search", {"filter": text})
    assert error(response) == (400, "invalidFilter")


def test_a_root_filter_unknown_to_both_types_names_the_attribute(scim):
    detail = scim.post("/.search", {"filter": 'userName eq "a" or nickName eq "x"'}).json()["detail"]
    assert detail.startswith("Filtering on nickName is not supported on Users or Groups; filter on: ")


def test_a_root_search_never_finds_another_directorys_resources(scim, globex_scim, client, acme):
    scim.post("/Users", user("dave@acmecorp.com"))
    scim.post("/Groups", {"displayName": "Acme team"})
    globex_scim.post("/Users", user("gina@globexcorp.com"))
    globex_scim.post("/Groups", {"displayName": "Globex team"})
    directory, token = scim_directory(acme, name="Okta", idp_kind="okta")  # the same organization's other one
    okta = SCIMClient(client, directory, token)
    okta.post("/Users", user("olga@acmecorp.com"))
    okta.post("/Groups", {"displayName": "Okta team"})
    page = root_search(scim)
    assert (page["totalResults"], labels(page)) == (2, ["dave@acmecorp.com", "Acme team"])
    assert (
        root_search(scim, filter='userName eq "gina@globexcorp.com" or userName eq "olga@acmecorp.com"')["totalResults"]
        == 0
    )
    assert root_search(scim, filter='displayName ew "team"')["totalResults"] == 1
    assert labels(root_search(globex_scim)) == ["gina@globexcorp.com", "Globex team"]
    # Acme's token at Globex's root is refused like at any other endpoint.
    assert error(SCIMClient(client, globex_scim.directory, scim.token).post("/.search", {})) == (401, None)


def test_a_root_search_honours_attributes_and_excluded_attributes_on_each_type(scim):
    dave = scim.post("/Users", user("dave@acmecorp.com", displayName="Dave")).json()["id"]
    scim.post("/Groups", {"displayName": "Team", "members": [{"value": dave}]})
    dave_, team = root_search(scim, attributes=["displayName"])["Resources"]
    assert dave_["displayName"] == "Dave" and "userName" not in dave_ and "emails" not in dave_
    assert team["displayName"] == "Team" and "members" not in team
    dave_, team = root_search(scim, excludedAttributes="members,emails")["Resources"]
    assert dave_["userName"] == "dave@acmecorp.com" and "emails" not in dave_
    assert "members" not in team and team["displayName"] == "Team"
    # An attribute only users have: a group shows only what is always returned.
    _, team = root_search(scim, attributes=["userName"])["Resources"]
    assert "displayName" not in team and team["id"]
    _, team = root_search(scim)["Resources"]
    assert [m["value"] for m in team["members"]] == [dave]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"filter": 5}', (400, "invalidValue")),
        ('{"count": 1e999}', (400, "invalidValue")),
        ('{"startIndex": "x"}', (400, "invalidValue")),
        ('{"filter": "userName eq"}', (400, "invalidFilter")),
        ("{not json", (400, "invalidSyntax")),
        ("[1, 2]", (400, "invalidSyntax")),
    ],
)
def test_a_bad_root_search_is_a_scim_error(scim, body, expected):
    assert error(scim.post("/.search", body)) == expected


def test_a_root_search_is_a_post(scim):
    assert error(scim.get("/.search")) == (405, None)


@pytest.mark.parametrize(("users", "groups"), [(2, 1), (30, 5)])
def test_statement_count_of_a_root_search_across_both_types(scim, users, groups):
    ids = [scim.post("/Users", user(f"s{i}@acmecorp.com")).json()["id"] for i in range(users)]
    for i in range(groups):
        scim.post("/Groups", {"displayName": f"Group {i}", "members": [{"value": v} for v in ids]})
    # The directory, the users' total, the groups' total, the users of the page, their group memberships, the
    # groups of the page, their members (with their users), then the request log: whatever the page holds.
    with assert_queries(8):
        page = root_search(scim, startIndex=2, count=users + groups)
    assert page["totalResults"] == users + groups and page["itemsPerPage"] == users + groups - 1
    assert page["Resources"][-1]["displayName"] == f"Group {groups - 1}"
    # A filter only users can match sends no statement for the groups: the directory, the users' total, their page,
    # their memberships, the log.
    with assert_queries(5):
        assert root_search(scim, filter='userName eq "s1@acmecorp.com"')["totalResults"] == 1


def test_a_method_an_endpoint_refuses_is_a_405_whatever_its_body(scim):
    # Okta's SCIM 2.0 spec test POSTs the text "test" to the discovery endpoints and expects 405.
    assert error(scim.post("/ServiceProviderConfig", "test\r\n\r\n")) == (405, None)
    user_id = scim.post("/Users", user("dave@acmecorp.com")).json()["id"]
    assert error(scim.post(f"/Users/{user_id}", b"{not json")) == (405, None)
    # Where the method is taken, the body is read: not JSON is still invalidSyntax.
    assert error(scim.put(f"/Users/{user_id}", b"{not json")) == (400, "invalidSyntax")
    assert error(scim.post("/Users/.search", b"{not json")) == (400, "invalidSyntax")


@pytest.mark.django_db(transaction=True)  # committed as in production, where the foreign key is checked at once
def test_a_request_whose_directory_is_deleted_meanwhile_is_answered_without_its_log(scim, monkeypatch):
    from directory.models import SCIMDirectory
    from directory.scim import endpoint, views

    @endpoint.scim_endpoint
    def deleting(request, call):
        SCIMDirectory.objects.filter(pk=call.directory.pk).delete()  # the owner's delete, committed meanwhile
        return views.scim_json({"schemas": []})

    monkeypatch.setattr(views, "service_provider_config", deleting)
    response = scim.get("/ServiceProviderConfig")
    assert response.status_code == 200
    assert not SCIMRequest.objects.exists() and not SCIMDirectory.objects.exists()


# A group PATCH answers 204 No Content unless the client asks for attributes; a user PATCH always has its body.

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def team_of_two(scim) -> tuple[str, list[str]]:
    ids = [scim.post("/Users", user(f"t{i}@acmecorp.com")).json()["id"] for i in range(2)]
    group = scim.post("/Groups", {"displayName": "Team"}).json()["id"]
    return group, ids


def test_a_group_patch_excluding_members_answers_200_with_the_group_and_no_members(scim):
    from directory.models import SCIMGroupMember

    group, ids = team_of_two(scim)
    body = patch({"op": "add", "path": "members", "value": [{"value": i} for i in ids]})
    response = scim.patch(f"/Groups/{group}?excludedAttributes=members", body)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    got = response.json()
    assert (got["schemas"], got["id"], got["displayName"], got["meta"]["resourceType"]) == (
        [GROUP],
        group,
        "Team",
        "Group",
    )
    assert "members" not in got
    assert {
        str(u) for u in SCIMGroupMember.objects.filter(group__public_id=group).values_list("user__public_id", flat=True)
    } == set(ids)


def test_a_group_patch_asking_for_display_name_answers_200_with_it(scim):
    group, ids = team_of_two(scim)
    body = patch(
        {"op": "replace", "path": "displayName", "value": "Renamed team"},
        {"op": "add", "path": "members", "value": [{"value": ids[0]}]},
    )
    response = scim.patch(f"/Groups/{group}?attributes=displayName", body)
    assert response.status_code == 200, response.content
    # id and schemas are always returned (RFC 7643 §7); nothing else was asked for.
    assert response.json() == {"schemas": [GROUP], "id": group, "displayName": "Renamed team"}
    stored = scim.get(f"/Groups/{group}").json()
    assert stored["displayName"] == "Renamed team" and [m["value"] for m in stored["members"]] == [ids[0]]


def test_a_user_patch_still_answers_200_with_the_user(scim):
    user_id = scim.post("/Users", user("dave@acmecorp.com")).json()["id"]
    group = scim.post("/Groups", {"displayName": "Team", "members": [{"value": user_id}]}).json()["id"]
    response = scim.patch(f"/Users/{user_id}", patch({"op": "replace", "path": "displayName", "value": "Dave"}))
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    got = response.json()
    assert (got["schemas"], got["id"], got["userName"], got["displayName"]) == (
        [CORE],
        user_id,
        "dave@acmecorp.com",
        "Dave",
    )
    assert got["meta"]["resourceType"] == "User" and [g["value"] for g in got["groups"]] == [group]


@pytest.mark.parametrize(
    ("operation", "status", "scim_type"),
    [
        ({"op": "replace", "path": "displayName", "value": ""}, 400, "invalidValue"),
        ({"op": "replace", "path": "displayName", "value": "Other"}, 409, "uniqueness"),
        ({"op": "add", "path": "members", "value": [{"value": "not-a-uuid"}]}, 400, "invalidValue"),
        ({"op": "bogus", "path": "displayName", "value": "x"}, 400, "invalidValue"),
        (None, 400, "invalidSyntax"),  # no Operations: not a PatchOp
    ],
)
def test_a_group_patch_that_fails_still_answers_its_scim_error_and_changes_nothing(scim, operation, status, scim_type):
    from directory.models import SCIMGroup, SCIMGroupMember

    group, ids = team_of_two(scim)
    scim.post("/Groups", {"displayName": "Other"})
    # A valid operation first: a refused request applies none of its operations.
    add = {"op": "add", "path": "members", "value": [{"value": ids[0]}]}
    body = patch(add, operation) if operation else {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}
    assert error(scim.patch(f"/Groups/{group}", body)) == (status, scim_type)
    assert SCIMGroup.objects.get(public_id=group).display_name == "Team"
    assert not SCIMGroupMember.objects.filter(group__public_id=group).exists()
    assert SCIMRequest.objects.filter(directory=scim.directory, method="PATCH").get().status == status


def test_a_patch_of_an_unknown_group_is_404(scim):
    body = patch({"op": "replace", "path": "displayName", "value": "x"})
    assert error(scim.patch("/Groups/00000000-0000-0000-0000-000000000000", body)) == (404, None)


@pytest.mark.parametrize(
    ("query", "scim_type"),
    [
        ("?attributes=members[value", "invalidPath"),
        ("?attributes=displayName&excludedAttributes=members", "invalidValue"),
    ],
)
@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_group_put_or_patch_refused_for_its_attributes_parameter_changes_nothing(scim, query, scim_type, method):
    from directory.models import SCIMGroup, SCIMGroupMember

    group, ids = team_of_two(scim)
    if method == "patch":
        body = patch({"op": "replace", "value": {"displayName": "Renamed", "members": [{"value": ids[0]}]}})
    else:
        body = {"schemas": [GROUP], "displayName": "Renamed", "members": [{"value": ids[0]}]}
    assert error(getattr(scim, method)(f"/Groups/{group}{query}", body)) == (400, scim_type)
    assert SCIMGroup.objects.get(public_id=group).display_name == "Team"
    assert not SCIMGroupMember.objects.filter(group__public_id=group).exists()


@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_user_put_or_patch_refused_for_its_attributes_parameter_changes_nothing(scim, method):
    from directory.models import SCIMUser

    user_id = scim.post("/Users", user("dave@acmecorp.com", displayName="Dave")).json()["id"]
    if method == "patch":
        body = patch({"op": "replace", "path": "displayName", "value": "David"})
    else:
        body = user("dave@acmecorp.com", displayName="David")
    assert error(getattr(scim, method)(f"/Users/{user_id}?attributes=name[given", body)) == (400, "invalidPath")
    assert SCIMUser.objects.get(public_id=user_id).display_name == "Dave"
