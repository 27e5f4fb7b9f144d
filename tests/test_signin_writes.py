"""What a sign-in writes, now that it writes it in fewer statements: last_login, the identity, the membership."""
# ruff: noqa: F811 -- a shared fixture is taken as an argument

from datetime import timedelta

from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connections.models import SSOIdentity
from kloudsso.accounts import last_login
from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Membership
from signin import complete
from signin.complete import Vouched, complete_sign_in
from tests.test_signin_linking import acme_idp  # noqa: F401 -- a fixture


def test_a_new_account_has_its_last_login_from_its_first_sign_in(client, acme_idp):
    before = timezone.now()
    user = complete_sign_in(Vouched(acme_idp, "s-ada", "ada@acme.test"))
    with CaptureQueriesContext(connection) as login:
        client.force_login(user)
    assert not [q for q in login.captured_queries if q["sql"].startswith('UPDATE "accounts_user"')]
    user.refresh_from_db()
    assert before <= user.last_login <= timezone.now()
    assert Membership.objects.get(user=user).role == "member"


def test_every_other_login_still_writes_last_login(client, alice):
    assert alice.last_login is None
    client.force_login(alice)  # a password sign-in logs in the same way
    alice.refresh_from_db()
    assert alice.last_login is not None


def test_a_user_marked_saved_skips_one_write_only(client, alice):
    last_login.mark_saved(alice)
    client.force_login(alice)
    alice.refresh_from_db()
    assert alice.last_login is None  # marked: the login trusted the mark
    client.force_login(alice)
    alice.refresh_from_db()
    assert alice.last_login is not None


def test_a_returning_person_has_their_identity_updated(acme_idp):
    user = complete_sign_in(Vouched(acme_idp, "s-ada", "ada@acme.test"))
    SSOIdentity.objects.update(last_login_at=timezone.now() - timedelta(days=1))
    assert complete_sign_in(Vouched(acme_idp, "s-ada", "Ada@Acme.test")) == user
    identity = SSOIdentity.objects.get()
    assert identity.user == user and identity.email == "ada@acme.test"
    assert identity.last_login_at > timezone.now() - timedelta(minutes=1)


def test_a_rekeyed_identity_moves_to_the_new_subject_with_this_sign_ins_values(acme_idp):
    user = complete_sign_in(Vouched(acme_idp, "old-key", "ada@acme.test"))
    assert complete_sign_in(Vouched(acme_idp, "new-key", "ada@acme.test", former_subject="old-key")) == user
    identity = SSOIdentity.objects.get()
    assert identity.subject == "new-key" and identity.last_login_at > timezone.now() - timedelta(minutes=1)


def test_an_identity_another_sign_in_inserted_meanwhile_takes_this_sign_ins_values(acme_idp, bob, monkeypatch):
    """Two tabs' first sign-ins of one subject: both looked and found no identity; the other tab inserted it first."""
    Membership.objects.filter(user=bob).delete()  # bob, known by email only: linked at his first SSO sign-in
    other_tab = SSOIdentity.objects.create(
        connection=acme_idp, subject="s-bob", user=bob, email="bob@acme.test", last_login_at=None
    )
    monkeypatch.setattr(complete, "_known_identity", lambda vouched, org: None)  # as seen before the other tab's insert
    monkeypatch.setattr(complete, "_refuse_unsafe_link", lambda *args: None)  # which passed then, for the same reason
    assert complete_sign_in(Vouched(acme_idp, "s-bob", "bob@acme.test")) == bob
    other_tab.refresh_from_db()
    assert other_tab.last_login_at is not None
    assert SSOIdentity.objects.count() == 1
    assert Membership.objects.filter(user=bob, organization=acme_idp.organization).count() == 1
    assert User.objects.filter(email="bob@acme.test").count() == 1


def test_the_connections_last_successful_sign_in_is_kept_to_the_minute(acme_idp):
    complete_sign_in(Vouched(acme_idp, "s-ada", "ada@acme.test"))
    acme_idp.refresh_from_db()
    first = acme_idp.last_successful_signin_at
    assert first is not None  # the first one is always written
    complete_sign_in(Vouched(acme_idp, "s-bea", "bea@acme.test"))
    acme_idp.refresh_from_db()
    assert acme_idp.last_successful_signin_at == first  # a second one within the minute is not
    type(acme_idp).objects.filter(pk=acme_idp.pk).update(last_successful_signin_at=first - timedelta(seconds=61))
    acme_idp.refresh_from_db()
    complete_sign_in(Vouched(acme_idp, "s-cy", "cy@acme.test"))
    acme_idp.refresh_from_db()
    assert acme_idp.last_successful_signin_at > first  # one a minute later is


def test_a_last_sign_in_recorded_in_the_future_is_corrected(acme_idp):
    """A server whose clock ran ahead wrote it: the next sign-in puts it right instead of waiting for that time."""
    later = timezone.now() + timedelta(hours=1)
    type(acme_idp).objects.filter(pk=acme_idp.pk).update(last_successful_signin_at=later)
    acme_idp.refresh_from_db()
    complete_sign_in(Vouched(acme_idp, "s-ada", "ada@acme.test"))
    acme_idp.refresh_from_db()
    assert acme_idp.last_successful_signin_at < later


def test_a_first_sign_in_that_loses_a_race_looks_again_and_succeeds(acme_idp, monkeypatch):
    """On PostgreSQL the loser of two concurrent first sign-ins of one person meets the winner's committed account
    as a unique violation at its insert: its transaction is rolled back and the sign-in asked again."""
    real = complete._user_for
    calls = []

    def racing(*args):
        calls.append(1)
        if len(calls) == 1:
            real(*args)  # this attempt's inserts happen, then the database refuses one
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(*args)

    monkeypatch.setattr(complete, "_user_for", racing)
    user = complete_sign_in(Vouched(acme_idp, "s-ada", "ada@acme.test"))
    assert len(calls) == 2
    assert User.objects.filter(email="ada@acme.test").count() == 1  # the first attempt left nothing behind
    assert SSOIdentity.objects.get(connection=acme_idp, subject="s-ada").user == user


def test_an_identity_removed_since_the_lookup_is_made_again(acme_idp, monkeypatch):
    complete_sign_in(Vouched(acme_idp, "s-ada", "ada@acme.test"))
    real = complete._known_identity

    def removed_meanwhile(vouched, org):
        identity = real(vouched, org)
        SSOIdentity.objects.filter(pk=identity.pk).delete()  # an owner's click, between lookup and update
        return identity

    monkeypatch.setattr(complete, "_known_identity", removed_meanwhile)
    user = complete_sign_in(Vouched(acme_idp, "s-ada", "ada@acme.test"))
    assert SSOIdentity.objects.get(connection=acme_idp, subject="s-ada").user == user
