"""The owners' audit log page: who, when, from where and what, before → after; filtered, paginated, isolated."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from kloudsso.audit.models import AuditEvent
from kloudsso.audit.record import Actor, Target, audit_record

LIST = reverse("audit:log", kwargs={"org_slug": "acme"})


def event(org, user, action="connection.disabled", *, at=None, label="Entra ID", changes=None, kind="owner"):
    with time_machine.travel(at or datetime(2026, 11, 2, 9, 30, tzinfo=UTC), tick=False):
        return audit_record(
            org=org,
            actor=Actor(user=user, kind=kind, ip="203.0.113.7"),
            action=action,
            target=Target("connection", "c-1", label),
            changes=changes if changes is not None else {"enabled": [True, False]},
        )


def rows(html: str) -> list[str]:
    """Each event's text: its line, then its changes."""
    events = re.findall(r'<tbody class="event">(.*?)</tbody>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", e).split()) for e in events]


def test_a_row_shows_who_when_where_what_and_before_after(as_alice, alice, acme):
    event(acme, alice, changes={"enabled": [True, False], "client_secret": "changed"})
    html = as_alice.get(LIST).content.decode()
    assert rows(html) == [
        "2026-11-02 09:30:00 alice@acme.test Owner 203.0.113.7 Connection disabled · Entra ID "
        "enabled yes → no client secret not shown → changed"
    ]


def test_the_nav_links_to_the_page_for_owners(as_alice, alice, acme):
    html = as_alice.get(reverse("org_home", kwargs={"org_slug": "acme"})).content.decode()
    assert f'href="{LIST}"' in html


def test_newest_first_fifty_a_page(as_alice, alice, acme):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(51):
        event(acme, alice, at=start + timedelta(minutes=i), label=f"conn {i}")
    first = as_alice.get(LIST).content.decode()
    assert "Page 1 of 2" in first and len(rows(first)) == 50
    assert rows(first)[0].startswith("2026-01-01 00:50:00") and "conn 50" in rows(first)[0]
    second = as_alice.get(LIST, {"page": 2}).content.decode()
    assert len(rows(second)) == 1 and "conn 0 " in rows(second)[0]
    assert "Page 1 of 2" in as_alice.get(LIST, {"page": "not-a-number"}).content.decode()


def test_the_pager_keeps_the_filters(as_alice, alice, acme):
    for _ in range(51):
        event(acme, alice, action="domain.added")
    html = as_alice.get(LIST, {"what": "domain"}).content.decode()
    assert 'href="?what=domain&page=2"' in html


@pytest.fixture
def history(alice, ada, acme):
    event(acme, alice, "connection.disabled", at=datetime(2026, 10, 1, 12, tzinfo=UTC))
    event(acme, alice, "connection.added", at=datetime(2026, 10, 15, 12, tzinfo=UTC))
    event(acme, ada, "member.role_changed", at=datetime(2026, 10, 31, 23, 59, tzinfo=UTC), kind="admin")
    event(acme, None, "domain.unverified", at=datetime(2026, 11, 1, 0, 0, tzinfo=UTC), kind="system")


@pytest.mark.parametrize(
    "filters, actions",
    [
        ({}, ["domain.unverified", "member.role_changed", "connection.added", "connection.disabled"]),
        ({"who": "ADA@"}, ["member.role_changed"]),
        ({"who": "system"}, ["domain.unverified"]),
        ({"what": "connection"}, ["connection.added", "connection.disabled"]),
        ({"what": "connection.added"}, ["connection.added"]),
        ({"since": "2026-10-15"}, ["domain.unverified", "member.role_changed", "connection.added"]),
        ({"until": "2026-10-31"}, ["member.role_changed", "connection.added", "connection.disabled"]),
        ({"since": "2026-10-02", "until": "2026-10-31", "what": "member"}, ["member.role_changed"]),
        ({"who": "alice", "since": "2026-11-01"}, []),
    ],
)
def test_filters_by_who_what_and_when(as_alice, history, filters, actions):
    response = as_alice.get(LIST, filters)
    assert [e.action for e in response.context["page"]] == actions
    if not actions:
        assert "No change recorded yet matches these filters." in response.content.decode()


@pytest.mark.parametrize(
    "filters, message",
    [
        ({"since": "2026-13-40"}, "From: Enter a valid date. This filter was not applied."),
        ({"until": "yesterday"}, "To: Enter a valid date. This filter was not applied."),
        ({"since": "2026-11-02", "until": "2026-11-01"}, "To: To (2026-11-01) is before From (2026-11-02)."),
        ({"what": "connection.hacked"}, "What: Select a valid choice. connection.hacked is not one of the"),
        ({"who": "x" * 255}, "Who: Ensure this value has at most 254 characters (it has 255)."),
        ({"who": "a\x00b"}, "Who: Null characters are not allowed."),
    ],
)
def test_bad_filters_are_explained_and_left_out(as_alice, history, filters, message):
    response = as_alice.get(LIST, filters)
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")


@pytest.mark.parametrize("until", ["9999-12-31", "0001-01-01"])
def test_the_ends_of_the_calendar_are_no_500(as_alice, history, until):
    assert as_alice.get(LIST, {"since": "0001-01-01", "until": until}).status_code == 200


def test_another_organizations_events_never_appear(client, alice, charlie, acme, globex):
    event(globex, charlie, label="Globex secret IdP")
    event(acme, alice)
    client.force_login(alice)
    for filters in [{}, {"who": "charlie"}, {"what": "connection"}, {"since": "2000-01-01"}]:
        html = client.get(LIST, filters).content.decode()
        assert "Globex secret IdP" not in html and "charlie@globex.test" not in html
    client.force_login(charlie)
    assert client.get(LIST).status_code == 404  # not a member of Acme
    html = client.get(reverse("audit:log", kwargs={"org_slug": "globex"})).content.decode()
    assert "Globex secret IdP" in html and "alice@acme.test" not in html


def test_only_owners_see_it(client, bob, ada, frank, acme):
    for person in (bob, ada):
        client.force_login(person)
        assert client.get(LIST).status_code == 403
    client.force_login(frank)
    free = client.get(reverse("audit:log", kwargs={"org_slug": "freeco"}))
    assert free.status_code == 200 and "audit/log.html" not in [t.name for t in free.templates]
    client.logout()
    assert client.get(LIST).status_code == 302


def test_the_page_takes_a_constant_number_of_queries(as_alice, alice, acme, django_assert_num_queries):
    for i in range(60):
        event(acme, alice, changes={"display_name": ["a", f"b{i}"], "client_secret": "changed"})
    # session, user, membership+organization, count, the page of events, header menu
    with django_assert_num_queries(6):
        as_alice.get(LIST, {"what": "connection", "who": "alice"})
    assert AuditEvent.objects.count() == 60
