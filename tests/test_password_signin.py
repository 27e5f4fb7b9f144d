"""Password sign-in on /login/ and /admin/login/: bounded inputs, and password guessing throttled per account and
per IP address."""

import io
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kloudsso.accounts.models import PasswordThrottleEvent
from kloudsso.accounts.throttle_keys import account_key
from tests.support.redis_server import redis_cache, redis_server  # noqa: F401 (fixtures)

PAGES = ["login", "admin:login"]
PASSWORD = "correct-horse-battery"


def sign_in(client, page: str, username: str, password: str = PASSWORD, **extra):
    return client.post(reverse(page), {"username": username, "password": password}, **extra)


# SQLite evaluates the LIKE of an iexact lookup against each row and refuses a pattern over 50,000 bytes, once
# escaped ("_" doubles): with alice in the table, either username was a 500.
@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("username", ["a" * 50_001, "_" * 50_000], ids=["50001-letters", "50000-underscores"])
def test_a_50000_character_username_is_a_form_error_without_a_query(
    client, alice, page, username, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = sign_in(client, page, username)
    assert response.status_code == 200
    assert "at most 254 characters" in response.context["form"].errors["username"][0]


@pytest.mark.parametrize("page", PAGES)
def test_a_50000_character_password_is_a_form_error_without_a_query(client, alice, page, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = sign_in(client, page, "alice@acme.test", "p" * 50_000)
    assert response.status_code == 200
    assert "at most 4096 characters" in response.context["form"].errors["password"][0]


@pytest.mark.parametrize("page", PAGES)
def test_an_email_of_254_characters_is_checked_as_usual(client, db, page):
    response = sign_in(client, page, "a" * 242 + "@example.com", "wrong")
    assert response.status_code == 200
    assert "username" not in response.context["form"].errors
    assert "correct" in response.context["form"].non_field_errors()[0]


@pytest.mark.parametrize("page", PAGES)
def test_the_sign_in_pages_tell_the_browser_the_limits(client, db, page):
    html = client.get(reverse(page)).content.decode()
    assert 'maxlength="254"' in html
    assert 'maxlength="4096"' in html


THROTTLED = "Too many attempts for this account; try again in 1 minute."


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, page: str, username: str, times: int, **extra) -> None:
    for _ in range(times):
        response = sign_in(client, page, username, "wrong-password", **extra)
        assert "correct" in response.context["form"].non_field_errors()[0]


@pytest.mark.parametrize("page", PAGES)
def test_after_five_wrong_passwords_even_the_right_one_is_refused_unchecked(
    client, staff_alice, page, django_assert_num_queries
):
    fail(client, page, "alice@acme.test", 5)
    with django_assert_num_queries(0):  # no user looked up, no password checked: no oracle
        response = sign_in(client, page, "alice@acme.test")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [THROTTLED]
    assert THROTTLED in response.content.decode()
    assert not signed_in(client)


@pytest.mark.parametrize("page", PAGES)
def test_the_right_password_works_once_the_lock_has_passed(client, staff_alice, page, clock):
    fail(client, page, "Alice@Acme.test ", 5)
    clock.advance(30)
    assert THROTTLED in sign_in(client, page, "alice@acme.test").content.decode()  # refused, and not counted
    clock.advance(31)
    assert sign_in(client, page, "alice@acme.test").status_code == 302
    assert signed_in(client)


@pytest.mark.usefixtures("redis_cache")
def test_the_throttle_holds_on_redis_as_production_runs_it(client, alice):
    fail(client, "login", "alice@acme.test", 5)
    assert THROTTLED in sign_in(client, "login", "alice@acme.test").content.decode()
    cache.clear()  # what an expired lock leaves
    fail(client, "login", "alice@acme.test", 4)
    assert sign_in(client, "login", "alice@acme.test").status_code == 302
    client.logout()
    fail(client, "login", "alice@acme.test", 1)  # the success reset the count: one failure locks nothing
    assert sign_in(client, "login", "alice@acme.test").status_code == 302


def test_the_site_and_the_admin_share_the_count(client, staff_alice):
    fail(client, "login", "alice@acme.test", 3)
    fail(client, "admin:login", "alice@acme.test", 2)
    assert THROTTLED in sign_in(client, "login", "alice@acme.test").content.decode()


def test_a_successful_sign_in_forgets_the_accounts_failures(client, alice):
    fail(client, "login", "alice@acme.test", 4)
    assert sign_in(client, "login", "alice@acme.test").status_code == 302
    client.logout()
    fail(client, "login", "alice@acme.test", 4)
    assert sign_in(client, "login", "alice@acme.test").status_code == 302


def test_an_email_without_an_account_is_throttled_alike(client, db):
    fail(client, "login", "nobody@acme.test", 5)
    response = sign_in(client, "login", "nobody@acme.test")
    assert response.context["form"].non_field_errors() == [THROTTLED]


@pytest.mark.parametrize("page", PAGES)
def test_one_address_guessing_at_many_accounts_is_throttled(client, staff_alice, bob, page, settings):
    settings.PASSWORD_THROTTLE_IP_FAILURES = 6
    for email in ["bob@acme.test", "carol@acme.test", "dave@acme.test"]:
        fail(client, page, email, 2, REMOTE_ADDR="203.0.113.9")
    response = sign_in(client, page, "alice@acme.test", REMOTE_ADDR="203.0.113.9")
    assert response.context["form"].non_field_errors() == [
        "Too many sign-in attempts from your network; try again in 1 minute."
    ]
    assert sign_in(client, page, "alice@acme.test", REMOTE_ADDR="198.51.100.7").status_code == 302


def test_an_ipv6_guesser_cannot_rotate_through_its_own_64(client, alice, settings):
    settings.PASSWORD_THROTTLE_IP_FAILURES = 3
    for n in range(3):
        fail(client, "login", f"user{n}@acme.test", 1, REMOTE_ADDR=f"2001:db8:1:2::{n + 1}")
    response = sign_in(client, "login", "alice@acme.test", REMOTE_ADDR="2001:db8:1:2:ffff::1")
    assert "from your network" in response.context["form"].non_field_errors()[0]


def test_each_further_failure_doubles_the_lock_up_to_the_cap(client, alice, settings, clock):
    settings.PASSWORD_THROTTLE_MAX_LOCK_SECONDS = 300
    fail(client, "login", "alice@acme.test", 4)
    waits = []
    for _ in range(5):
        fail(client, "login", "alice@acme.test", 1)
        waits.append(sign_in(client, "login", "alice@acme.test").context["form"].non_field_errors()[0])
        clock.advance(300)
    assert [w.split(" in ")[-1] for w in waits] == ["1 minute.", "2 minutes.", "4 minutes.", "5 minutes.", "5 minutes."]


@pytest.fixture
def memory_cache(settings):
    """The local-memory cache, whose expiry reads the clock the test moves (Redis expires keys in real time: how long
    it keeps them is checked in test_rate_limit.py)."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    return cache


def test_failures_are_forgotten_a_window_after_the_last_lock(client, alice, memory_cache, clock):
    fail(client, "login", "alice@acme.test", 5)
    clock.advance(60 + 899)
    fail(client, "login", "alice@acme.test", 1)  # still remembered: the sixth failure locks for 2 minutes
    assert "2 minutes" in sign_in(client, "login", "alice@acme.test").content.decode()
    clock.advance(120 + 901)
    fail(client, "login", "alice@acme.test", 4)  # forgotten: four failures lock nothing
    assert sign_in(client, "login", "alice@acme.test").status_code == 302


def test_a_lock_is_logged_and_recorded_for_support_without_the_password(client, alice, caplog):
    fail(client, "admin:login", "Alice@acme.test", 5, REMOTE_ADDR="203.0.113.9")
    sign_in(client, "login", "alice@acme.test", REMOTE_ADDR="203.0.113.9")
    event = PasswordThrottleEvent.objects.get()
    assert (event.scope, event.email, event.ip, event.page) == ("account", "alice@acme.test", "203.0.113.9", "admin")
    assert 59 <= (event.locked_until - event.created_at).total_seconds() <= 61
    logged = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "kloudsso.accounts.password_throttle"]
    assert logged[0] == (
        "WARNING",
        "Password sign-in locked for 60 seconds (account lock): email=alice@acme.test ip=203.0.113.9",
    )
    assert logged[1][0] == "WARNING" and logged[1][1].startswith("Password sign-in refused, ")
    assert logged[1][1].endswith("s of lock left (account lock): email=alice@acme.test ip=203.0.113.9")
    assert len(logged) == 2
    assert all("wrong-password" not in r.getMessage() and PASSWORD not in r.getMessage() for r in caplog.records)


def test_support_sees_the_locks_read_only(client, staff_alice):
    fail(client, "login", "bob@acme.test", 5)
    client.force_login(staff_alice)
    page = client.get(reverse("admin:accounts_passwordthrottleevent_changelist")).content.decode()
    assert "bob@acme.test" in page
    event = PasswordThrottleEvent.objects.get()
    assert client.get(reverse("admin:accounts_passwordthrottleevent_add")).status_code == 403
    change = client.post(reverse("admin:accounts_passwordthrottleevent_change", args=[event.pk]), {"email": "x"})
    assert change.status_code in (200, 403)
    event.refresh_from_db()
    assert event.email == "bob@acme.test"


def test_old_locks_are_pruned(db, settings):
    settings.SIGNIN_EVENT_RETENTION_DAYS = 90
    old = timezone.now() - timedelta(days=91)
    PasswordThrottleEvent.objects.create(
        scope="account", email="a@b.test", page="site", locked_until=old, created_at=old
    )
    PasswordThrottleEvent.objects.create(scope="ip", email="c@d.test", page="site", locked_until=timezone.now())
    call_command("prune_password_throttle_events", stdout=io.StringIO())
    assert list(PasswordThrottleEvent.objects.values_list("email", flat=True)) == ["c@d.test"]


@pytest.fixture
def staff_alice(alice):
    alice.is_staff = alice.is_superuser = True
    alice.save()
    return alice


# The account is found by email__iexact on what the form cleaned (NFKC): on PostgreSQL, UPPER(email) = UPPER(%s).
@pytest.mark.parametrize(
    "variant",
    [" ALICE@ACME.TEST", "al\u0131ce@acme.test", "\uff41lice@acme.test", "alice@acme.te\u017ft"],
    ids=["upper", "dotless-i", "full-width-a", "long-s"],
)
def test_every_spelling_the_database_may_equate_shares_the_accounts_count(client, alice, variant):
    fail(client, "login", variant, 5)
    assert sign_in(client, "login", "alice@acme.test").context["form"].non_field_errors() == [THROTTLED]


def test_the_key_follows_postgresqls_upper_with_libc_and_icu_collations():
    # Pairs PostgreSQL 15 equates under UPPER(): with C.UTF-8 (libc, simple case mapping) and und-x-icu (full).
    pairs = [("stra\u00dfe", "STRASSE"), ("\u01c5", "\u01c6"), ("\u1fb3", "\u1fbc"), ("\u03c3\u03c2", "ΣΣ")]
    for typed, stored in pairs:
        assert account_key(typed) == account_key(stored)
    assert account_key("alice@acme.test") != account_key("alicia@acme.test")


def test_a_newline_in_the_typed_email_cannot_forge_a_log_line(client, db, caplog):
    forged = "x@acme.test ip=203.0.113.1\nWARNING Password sign-in locked for 0 seconds"
    fail(client, "login", forged, 5)
    sign_in(client, "login", forged)
    lines = [r.getMessage() for r in caplog.records if r.name == "kloudsso.accounts.password_throttle"]
    assert len(lines) == 2
    assert all("\n" not in line and "\\nwarning password" in line for line in lines)


def test_a_right_password_refused_for_staff_status_is_no_failure(client, alice, bob):
    for _ in range(8):
        response = sign_in(client, "admin:login", "bob@acme.test")
        assert "staff account" in response.context["form"].non_field_errors()[0]
    fail(client, "login", "bob@acme.test", 4)
    assert sign_in(client, "login", "bob@acme.test").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_from_one_address_get_no_more_checks_than_its_limit(alice, monkeypatch, settings):
    import threading

    from django.contrib.auth import forms as auth_forms
    from django.test import RequestFactory

    from kloudsso.accounts.forms import EmailAuthenticationForm

    settings.PASSWORD_THROTTLE_IP_FAILURES = 5
    checked, lock = [], threading.Lock()

    def slow_authenticate(request, **credentials):
        with lock:
            checked.append(credentials["username"])
        time.sleep(0.5)
        return None

    monkeypatch.setattr(auth_forms, "authenticate", slow_authenticate)
    monkeypatch.setattr(PasswordThrottleEvent.objects, "create", lambda **kw: None)

    def guess(n):
        request = RequestFactory().post("/login/", REMOTE_ADDR="203.0.113.9")
        EmailAuthenticationForm(request, data={"username": f"user{n}@acme.test", "password": "guess"}).is_valid()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) == 5
