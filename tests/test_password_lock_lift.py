"""Support lifts a password sign-in lock from the admin's list of locks: the counts behind it are forgotten."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from kloudsso.accounts.models import PasswordThrottleEvent, User
from tests.test_password_signin import THROTTLED, fail, sign_in

CHANGELIST = "admin:accounts_passwordthrottleevent_changelist"
ATTACKER = "203.0.113.66"


@pytest.fixture
def support(db):
    return User.objects.create_superuser("support@kloudsso.test", "support-password-1")


def lift(client, *events):
    return client.post(
        reverse(CHANGELIST), {"action": "lift_locks", "_selected_action": [e.pk for e in events]}, follow=True
    )


def test_lifting_an_account_lock_lets_every_browser_try_again(client, alice, support, caplog):
    fail(client, "login", "alice@acme.test", 5, REMOTE_ADDR=ATTACKER)
    staff = Client()
    staff.force_login(support)
    response = lift(staff, PasswordThrottleEvent.objects.get())
    assert "Lifted 1 lock(s)" in response.content.decode()
    assert sign_in(Client(), "login", "alice@acme.test", REMOTE_ADDR=ATTACKER).status_code == 302
    entry = LogEntry.objects.get()
    assert (entry.user, entry.change_message) == (support, "Lifted the lock.")
    assert any("lock lifted by support@kloudsso.test" in r.getMessage() for r in caplog.records)


def test_lifting_an_account_lock_lifts_its_known_devices_too(client, alice, support):
    assert sign_in(client, "login", "alice@acme.test").status_code == 302
    client.post(reverse("logout"))
    fail(client, "login", "alice@acme.test", 5)
    assert THROTTLED in sign_in(client, "login", "alice@acme.test").content.decode()
    support_browser = Client()
    support_browser.force_login(support)
    lift(support_browser, PasswordThrottleEvent.objects.get(scope="device"))
    assert sign_in(client, "login", "alice@acme.test").status_code == 302


def test_lifting_an_address_lock_forgets_that_networks_count(client, alice, bob, support, settings):
    settings.PASSWORD_THROTTLE_IP_FAILURES = 3
    for email in ["x@acme.test", "y@acme.test", "z@acme.test"]:
        fail(client, "login", email, 1, REMOTE_ADDR=ATTACKER)
    assert "from your network" in sign_in(client, "login", "bob@acme.test", REMOTE_ADDR=ATTACKER).content.decode()
    staff = Client()
    staff.force_login(support)
    lift(staff, PasswordThrottleEvent.objects.get(scope="ip"))
    assert sign_in(client, "login", "bob@acme.test", REMOTE_ADDR=ATTACKER).status_code == 302


def test_lifting_needs_its_own_permission(client, alice, db):
    fail(client, "login", "alice@acme.test", 5, REMOTE_ADDR=ATTACKER)
    viewer = User.objects.create_user("viewer@kloudsso.test", "viewer-password-1", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_passwordthrottleevent"))
    staff = Client()
    staff.force_login(viewer)
    assert "lift_locks" not in staff.get(reverse(CHANGELIST)).content.decode()
    lift(staff, PasswordThrottleEvent.objects.get())
    assert THROTTLED in sign_in(Client(), "login", "alice@acme.test", REMOTE_ADDR=ATTACKER).content.decode()
    viewer.user_permissions.add(Permission.objects.get(codename="lift_passwordthrottleevent"))
    assert "lift_locks" in staff.get(reverse(CHANGELIST)).content.decode()


def test_the_record_of_the_lock_is_kept(client, alice, support):
    fail(client, "login", "alice@acme.test", 5, REMOTE_ADDR=ATTACKER)
    staff = Client()
    staff.force_login(support)
    lift(staff, PasswordThrottleEvent.objects.get())
    assert PasswordThrottleEvent.objects.filter(email="alice@acme.test", scope="account").count() == 1
