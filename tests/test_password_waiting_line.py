"""The waiting line: a new browser of the owner, on a network that has not guessed wrong, gets in after a minute's
wait while a guesser keeps the account's shared count locked; the guesser's networks do not."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.test_password_signin import PAGES, THROTTLED, fail, sign_in, signed_in

ATTACKER, HOME = "203.0.113.66", "198.51.100.7"
LOCKED = "Too many attempts for this account"


@pytest.fixture
def staff_alice(alice):
    alice.is_staff = alice.is_superuser = True
    alice.save()
    return alice


@pytest.mark.parametrize("page", PAGES)
def test_a_new_browser_waits_a_minute_then_gets_in_though_the_account_stays_locked(client, staff_alice, page, clock):
    fail(client, page, "alice@acme.test", 5, REMOTE_ADDR=ATTACKER)
    clock.advance(61)
    fail(client, page, "alice@acme.test", 1, REMOTE_ADDR=ATTACKER)  # locked again, for 2 minutes
    browser = Client()
    assert sign_in(browser, page, "alice@acme.test", REMOTE_ADDR=HOME).context["form"].non_field_errors() == [THROTTLED]
    clock.advance(61)
    assert "1 minute" in sign_in(client, page, "alice@acme.test", REMOTE_ADDR=ATTACKER).content.decode()
    assert sign_in(browser, page, "alice@acme.test", REMOTE_ADDR=HOME).status_code == 302
    assert signed_in(browser)


def test_a_network_that_guessed_wrong_cannot_use_the_line(client, alice, clock):
    fail(client, "login", "alice@acme.test", 5, REMOTE_ADDR=ATTACKER)
    other_browser = Client()
    assert THROTTLED in sign_in(other_browser, "login", "alice@acme.test", REMOTE_ADDR=ATTACKER).content.decode()
    clock.advance(30)
    assert "1 minute" in sign_in(other_browser, "login", "alice@acme.test", REMOTE_ADDR=ATTACKER).content.decode()


def test_arriving_fresh_gives_no_check_during_a_lock(client, alice):
    fail(client, "login", "alice@acme.test", 5, REMOTE_ADDR=ATTACKER)
    for n in range(20):
        response = sign_in(Client(), "login", "alice@acme.test", REMOTE_ADDR=f"192.0.2.{n}")
        assert response.context["form"].non_field_errors() == [THROTTLED]


def test_the_networks_in_the_line_share_its_count(client, alice, clock):
    fail(client, "login", "alice@acme.test", 5, REMOTE_ADDR=ATTACKER)
    waiting = [f"192.0.2.{n}" for n in range(7)]
    for ip in waiting:
        sign_in(Client(), "login", "alice@acme.test", REMOTE_ADDR=ip)  # refused: each joins the line
    clock.advance(61)
    fail(client, "login", "alice@acme.test", 1, REMOTE_ADDR=ATTACKER)  # the shared count, locked again
    for ip in waiting[:5]:
        fail(Client(), "login", "alice@acme.test", 1, REMOTE_ADDR=ip)  # five wrong passwords in the line
    for ip in waiting[5:]:  # the line is locked too, and each network that failed there is out of it
        assert LOCKED in sign_in(Client(), "login", "alice@acme.test", REMOTE_ADDR=ip).content.decode()
    assert LOCKED in sign_in(Client(), "login", "alice@acme.test", REMOTE_ADDR=waiting[0]).content.decode()
    clock.advance(61)  # the line's lock has passed, not the shared count's: waiting[0] guessed wrong, waiting[5] not
    assert LOCKED in sign_in(Client(), "login", "alice@acme.test", REMOTE_ADDR=waiting[0]).content.decode()
    assert sign_in(Client(), "login", "alice@acme.test", REMOTE_ADDR=waiting[5]).status_code == 302


def trickle(clock, page: str, guesser: Client, owner: Client) -> tuple[int, list[bool]]:
    """Two hours of a guesser striking whenever the lock ends, and the owner trying every 5 minutes."""
    from django.test import RequestFactory

    from kloudsso.accounts import password_throttle

    strikes, tries = 0, []
    fail(guesser, page, "alice@acme.test", 5, REMOTE_ADDR=ATTACKER)
    for _ in range(24):
        clock.advance(5 * 60)
        if password_throttle.refusal(RequestFactory().post("/"), email="alice@acme.test") is None:
            fail(guesser, page, "alice@acme.test", 1, REMOTE_ADDR=ATTACKER)
            strikes += 1
        tries.append(sign_in(owner, page, "alice@acme.test", REMOTE_ADDR=HOME).status_code == 302)
        owner.post(reverse("logout"))  # and signs out again, keeping her browser's cookie
    return strikes, tries


@pytest.mark.parametrize("page", PAGES)
def test_a_known_device_gets_in_at_every_try_during_a_trickle(client, staff_alice, page, clock):
    owner = Client()
    assert sign_in(owner, page, "alice@acme.test", REMOTE_ADDR=HOME).status_code == 302
    owner.post(reverse("logout"))
    strikes, tries = trickle(clock, page, client, owner)
    assert all(tries) and strikes <= 10


def test_a_new_browser_gets_in_within_ten_minutes_of_a_trickle_on_the_admin_page(client, staff_alice, clock):
    strikes, tries = trickle(clock, "admin:login", client, Client())
    assert tries.index(True) <= 1 and strikes <= 10
