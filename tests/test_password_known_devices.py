"""Known devices and the waiting line: strangers who keep an account's shared count locked cannot keep its owner
out, neither of a browser she signed in with before nor, after a minute's wait, of a new one."""

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from kloudsso.accounts import known_device
from kloudsso.accounts.models import PasswordThrottleEvent
from tests.support.redis_server import redis_cache, redis_server  # noqa: F401 (fixtures)
from tests.test_password_signin import PAGES, THROTTLED, fail, sign_in, signed_in

COOKIE = known_device.COOKIE_NAME
ATTACKER, HOME, OFFICE = "203.0.113.66", "198.51.100.7", "192.0.2.40"


@pytest.fixture
def staff_alice(alice):
    alice.is_staff = alice.is_superuser = True
    alice.save()
    return alice


def known_browser(page: str = "login", ip: str = HOME) -> Client:
    """Alice's browser after she signed in with her password there and signed out (which keeps the cookie)."""
    browser = Client()
    assert sign_in(browser, page, "alice@acme.test", REMOTE_ADDR=ip).status_code == 302
    browser.post(reverse("logout"))
    assert not signed_in(browser) and COOKIE in browser.cookies
    return browser


def test_a_password_sign_in_sets_the_known_device_cookie(client, alice):
    response = sign_in(client, "login", "alice@acme.test", secure=True)
    cookie = response.cookies[COOKIE]
    assert (cookie["httponly"], cookie["samesite"], cookie["secure"]) == (True, "Lax", True)
    assert cookie["max-age"] == 180 * 86_400
    entries = signing.loads(cookie.value, salt=known_device.SALT)
    assert len(entries) == 1 and "alice" not in str(entries)  # a keyed hash of the account, a nonce, a time
    assert not sign_in(Client(), "login", "alice@acme.test", "wrong").cookies.get(COOKIE)


def test_over_http_the_cookie_is_not_marked_secure(client, alice):
    assert sign_in(client, "login", "alice@acme.test").cookies[COOKIE]["secure"] == ""


@pytest.mark.parametrize("page", PAGES)
def test_strangers_locking_the_account_do_not_lock_out_a_known_device(client, staff_alice, page):
    browser = known_browser(page)
    fail(client, page, "alice@acme.test", 5, REMOTE_ADDR=ATTACKER)
    assert THROTTLED in sign_in(client, page, "alice@acme.test", REMOTE_ADDR=ATTACKER).content.decode()
    assert sign_in(browser, page, "alice@acme.test", REMOTE_ADDR=HOME).status_code == 302


def test_a_known_device_is_spared_its_networks_count(client, alice, bob, settings):
    settings.PASSWORD_THROTTLE_IP_FAILURES = 3  # an office behind one NAT address, with a guesser in it
    browser = known_browser(ip=OFFICE)
    fail(client, "login", "bob@acme.test", 3, REMOTE_ADDR=OFFICE)
    assert "from your network" in sign_in(client, "login", "bob@acme.test", REMOTE_ADDR=OFFICE).content.decode()
    assert sign_in(browser, "login", "alice@acme.test", REMOTE_ADDR=OFFICE).status_code == 302


def test_a_known_device_is_locked_by_its_own_failures_only(client, alice):
    browser = known_browser()
    fail(browser, "login", "alice@acme.test", 5)
    assert sign_in(browser, "login", "alice@acme.test").context["form"].non_field_errors() == [THROTTLED]
    event = PasswordThrottleEvent.objects.get()
    assert (event.scope, event.email) == ("device", "alice@acme.test")
    assert sign_in(client, "login", "alice@acme.test").status_code == 302  # the shared count was untouched


def test_the_cookie_counts_only_for_its_own_account(client, alice, bob):
    browser = known_browser()
    fail(browser, "login", "bob@acme.test", 5)
    assert THROTTLED in sign_in(client, "login", "bob@acme.test").content.decode()  # bob's shared count


def test_a_browser_is_a_known_device_of_its_last_five_accounts(db, acme):
    from tests.conftest import _person

    people = [_person(f"p{n}@acme.test", acme, "member") for n in range(6)]
    browser = Client()
    for person in people:
        assert sign_in(browser, "login", person.email).status_code == 302
        browser.post(reverse("logout"))
    for stranger in range(5):
        fail(Client(), "login", "p0@acme.test", 1, REMOTE_ADDR=f"203.0.113.{stranger}")
        fail(Client(), "login", "p1@acme.test", 1, REMOTE_ADDR=f"203.0.113.{stranger}")
    assert THROTTLED in sign_in(browser, "login", "p0@acme.test").content.decode()  # the oldest, forgotten
    assert sign_in(browser, "login", "p1@acme.test").status_code == 302


@pytest.mark.parametrize("cookie", ["altered", "expired"])
def test_an_altered_or_expired_cookie_makes_no_known_device(client, alice, clock, cookie):
    browser = known_browser()
    if cookie == "altered":
        value = browser.cookies[COOKIE].value
        browser.cookies[COOKIE] = value[:-2] + ("AA" if value[-2:] != "AA" else "BB")
    else:
        clock.advance(181 * 86_400)
    fail(client, "login", "alice@acme.test", 5, REMOTE_ADDR=ATTACKER)
    assert THROTTLED in sign_in(browser, "login", "alice@acme.test", REMOTE_ADDR=ATTACKER).content.decode()


@pytest.mark.usefixtures("redis_cache")
def test_known_devices_hold_on_redis(client, alice):
    browser = known_browser()
    fail(client, "login", "alice@acme.test", 5, REMOTE_ADDR=ATTACKER)
    assert THROTTLED in sign_in(client, "login", "alice@acme.test", REMOTE_ADDR=ATTACKER).content.decode()
    assert sign_in(browser, "login", "alice@acme.test").status_code == 302


# Two accounts whose emails the throttle counts as one (Python folds ß to ss; the database does not) must not share
# a known device: signing in to one's own account must not mint a cookie that spares guesses at the other.
def test_a_device_known_to_a_colliding_account_gives_no_guesses_at_another(db):
    from kloudsso.accounts.models import User

    User.objects.create_user("ceo@stra\u00dfe.example", "victim-secret-pw")
    User.objects.create_user("ceo@strasse.example", "attacker-pw")
    attacker = Client()
    sign = {"REMOTE_ADDR": "203.0.113.66"}
    for round_ in range(3):
        assert attacker.post(reverse("login"), {"username": "ceo@strasse.example", "password": "attacker-pw"}, **sign)[
            "Location"
        ]
        attacker.post(reverse("logout"))
        answers = [
            attacker.post(
                reverse("login"), {"username": "ceo@stra\u00dfe.example", "password": f"g-{round_}-{i}"}, **sign
            ).content.decode()
            for i in range(4)
        ]
        if any(THROTTLED in answer for answer in answers):
            return
    pytest.fail("12 guesses at another account were checked: the attacker's own known device spared them")
