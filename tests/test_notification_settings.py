"""Notifications page: the organization's notification address, and each owner's own choice about reminders."""

import pytest
from django.urls import reverse

from kloudsso.tenancy.models import Membership, Role
from tests.conftest import _person

URL = reverse("notification_settings", kwargs={"org_slug": "acme"})


@pytest.fixture
def olivia(acme):
    return _person("olivia@acme.test", acme, Role.OWNER)


def save(client, url=URL, **data):
    data.setdefault("receives_reminders", "on")
    data.setdefault("notification_email", "")
    return client.post(url, data)


def test_the_page_lists_who_receives_the_organizations_mail(as_alice, olivia):
    html = as_alice.get(URL).content.decode()
    assert 'alice@acme.test <span class="muted">(owner, you)</span>' in html
    assert 'olivia@acme.test <span class="muted">(owner)</span>' in html
    assert "bob@acme.test" not in html  # members get no mail
    assert 'name="receives_reminders" id="id_receives_reminders" checked' in html


def test_an_owner_sets_the_notification_address(as_alice, acme):
    response = save(as_alice, notification_email="  IT-Team@Acme.com ")
    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.notification_email == "it-team@acme.com"
    html = as_alice.get(URL).content.decode()
    assert "Notification settings saved." in html
    assert 'it-team@acme.com <span class="muted">(notification address)</span>' in html
    save(as_alice, notification_email="")
    acme.refresh_from_db()
    assert acme.notification_email == ""


@pytest.mark.parametrize("address", ["it-team", "it-team@", "it team@acme.com", "a@b@acme.com"])
def test_an_address_that_is_not_one_is_refused_and_nothing_is_saved(as_alice, acme, alice, address):
    response = save(as_alice, notification_email=address, receives_reminders="")
    assert response.status_code == 200
    assert "Enter a whole email address, such as it-team@acme.com." in response.content.decode()
    acme.refresh_from_db()
    assert acme.notification_email == ""
    assert Membership.objects.get(user=alice).receives_reminders  # not half-saved


def test_an_owner_turns_off_their_own_reminders_only(client, as_alice, alice, olivia):
    save(as_alice, receives_reminders="")
    assert not Membership.objects.get(user=alice).receives_reminders
    assert Membership.objects.get(user=olivia).receives_reminders
    client.force_login(olivia)
    html = client.get(URL).content.decode()
    assert (
        'alice@acme.test <span class="muted">(owner)</span></td><td>Yes</td><td><span class="muted">Turned off' in html
    )
    save(client)  # olivia saving her page leaves alice's choice alone
    assert not Membership.objects.get(user=alice).receives_reminders


def test_a_member_cannot_change_anything(client, bob, acme):
    client.force_login(bob)
    assert save(client, notification_email="attacker@evil.test").status_code == 403
    acme.refresh_from_db()
    assert acme.notification_email == ""


def test_another_organizations_owner_gets_404_and_changes_nothing(client, charlie, acme, alice, globex):
    client.force_login(charlie)
    assert save(client, notification_email="attacker@evil.test", receives_reminders="").status_code == 404
    acme.refresh_from_db()
    assert acme.notification_email == "" and Membership.objects.get(user=alice).receives_reminders
    # Through Globex's own page, charlie changes Globex only.
    save(client, reverse("notification_settings", kwargs={"org_slug": "globex"}), notification_email="it@globex.test")
    acme.refresh_from_db()
    globex.refresh_from_db()
    assert (acme.notification_email, globex.notification_email) == ("", "it@globex.test")
