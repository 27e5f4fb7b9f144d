"""The session store (kloudsso/sessions.py): Django's database sessions, each write one statement."""

import pytest
from django.contrib.sessions.models import Session

from kloudsso import sessions
from kloudsso.sessions import SessionStore
from tests.support.queries import assert_queries


def test_a_new_session_is_one_insert(db):
    store = SessionStore()
    store["k"] = "v"
    with assert_queries(1):
        store.save()
    assert SessionStore(store.session_key).load() == {"k": "v"}


def test_a_key_already_taken_is_never_reused(db, monkeypatch):
    taken = SessionStore()
    taken["owner"] = "someone else"
    taken.save()
    keys = iter([taken.session_key, "b" * 32])
    monkeypatch.setattr(sessions, "get_random_string", lambda length, chars: next(keys))
    store = SessionStore()
    store["owner"] = "me"
    store.save()
    assert store.session_key == "b" * 32
    assert SessionStore(taken.session_key).load() == {"owner": "someone else"}


def test_cycling_the_key_moves_the_row_to_a_new_key_in_one_update(db):
    store = SessionStore()
    store["k"] = "v"
    store.save()
    old = store.session_key
    with assert_queries(0):
        store.cycle_key()
    store["signed_in"] = True  # as login() does after cycling the key
    with assert_queries(1):
        store.save()
    assert store.session_key != old
    assert list(Session.objects.values_list("session_key", flat=True)) == [store.session_key]
    assert SessionStore(store.session_key).load() == {"k": "v", "signed_in": True}
    assert SessionStore(old).load() == {}  # the old key names nothing: no session fixation


def test_a_cycled_session_whose_row_is_gone_gets_a_new_row(db):
    store = SessionStore()
    store["k"] = "v"
    store.save()
    store.cycle_key()
    Session.objects.all().delete()  # expired and cleared meanwhile, or signed out in another tab
    store["signed_in"] = True
    store.save()
    assert SessionStore(store.session_key).load() == {"k": "v", "signed_in": True}


def test_a_new_key_taken_meanwhile_gives_a_fresh_row_and_the_old_one_goes(db, monkeypatch):
    taken = SessionStore()
    taken["owner"] = "someone else"
    taken.save()
    store = SessionStore()
    store["k"] = "v"
    store.save()
    old = store.session_key
    store.cycle_key()
    keys = iter([taken.session_key, "c" * 32])
    monkeypatch.setattr(sessions, "get_random_string", lambda length, chars: next(keys))
    store.save()
    assert store.session_key == "c" * 32
    assert SessionStore(taken.session_key).load() == {"owner": "someone else"}
    assert not Session.objects.filter(session_key=old).exists()


def test_a_login_then_a_logout_in_one_request_leaves_no_row(db):
    store = SessionStore()
    store["k"] = "v"
    store.save()
    store.cycle_key()
    store.flush()
    assert not Session.objects.exists()


def test_a_sign_in_through_the_middleware_leaves_one_session_with_a_new_key(client, alice):
    session = client.session  # an anonymous visitor's session, with a row
    session["note"] = "kept through the sign-in"
    session.save()
    anonymous = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=anonymous).exists()
    signed_in = client.post("/login/", {"username": "alice@acme.test", "password": "correct-horse-battery"})
    assert signed_in.status_code == 302
    key = client.cookies["sessionid"].value
    assert key != anonymous
    assert list(Session.objects.values_list("session_key", flat=True)) == [key]
    assert client.session["note"] == "kept through the sign-in"
    assert client.get("/").wsgi_request.user == alice


def test_deleting_a_session_that_is_gone_is_quiet(db):
    SessionStore().delete("a" * 32)
    store = SessionStore()
    store.save()
    store.delete()
    assert not Session.objects.exists()


@pytest.mark.parametrize("then", ["cycled again", "saved async", "flushed async", "created"])
def test_after_a_cycle_no_path_leaves_the_old_row(db, then):
    """The old key must name nothing afterwards, whichever way the request goes on (it may hold a signed-in user)."""
    from asgiref.sync import async_to_sync

    store = SessionStore()
    store["_auth_user_id"] = "1"
    store.save()
    old = store.session_key
    store.cycle_key()
    if then == "cycled again":
        store.cycle_key()
        store.save()
    elif then == "saved async":
        async_to_sync(store.asave)()
    elif then == "flushed async":
        async_to_sync(store.aflush)()
    else:
        store.create()
    assert not Session.objects.filter(session_key=old).exists()
    assert Session.objects.count() == (0 if then == "flushed async" else 1)
