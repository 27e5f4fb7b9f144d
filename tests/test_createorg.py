"""`manage.py createorg`: creates an organization with its owner; running it twice changes nothing."""

import pytest
from django.core.management import CommandError, call_command

from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Membership, Organization


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("createorg", *args, stdout=out)
    return out.getvalue()


ARGS = ["--name", "Acme", "--owner-email", "Owner@Acme.test", "--password", "a-long-demo-password", "--plan", "paid"]


def test_it_creates_the_organization_and_its_owner(db):
    output = run(*ARGS)
    org = Organization.objects.get()
    assert (org.name, org.slug, org.plan) == ("Acme", "acme", "paid")
    owner = User.objects.get()
    assert owner.email == "owner@acme.test"
    assert owner.check_password("a-long-demo-password")
    assert Membership.objects.get().role == "owner"
    assert "Created organization 'Acme'" in output and "Created owner owner@acme.test" in output


def test_running_it_twice_duplicates_nothing(db):
    run(*ARGS)
    output = run(*ARGS)
    assert (Organization.objects.count(), User.objects.count(), Membership.objects.count()) == (1, 1, 1)
    assert "Found existing organization" in output
    assert "password left unchanged" in output


def test_it_changes_the_plan_of_an_existing_organization(db):
    run(*ARGS)
    output = run(*ARGS[:-1], "free")
    assert Organization.objects.get().plan == "free"
    assert "Changed its plan to free" in output


def test_an_existing_owner_can_own_a_second_organization(db):
    run(*ARGS)
    run("--name", "Globex", "--owner-email", "owner@acme.test", "--plan", "free")
    assert User.objects.count() == 1
    assert sorted(Membership.objects.values_list("organization__slug", flat=True)) == ["acme", "globex"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--name", "Acme", "--owner-email", "not-an-email", "--password", "a-long-demo-password"],
            "not a valid email",
        ),
        (["--name", "Acme", "--owner-email", "new@acme.test"], "give a password"),
        (["--name", "Acme", "--owner-email", "new@acme.test", "--password", "123"], "too short"),
        (
            ["--name", "   ", "--owner-email", "new@acme.test", "--password", "a-long-demo-password"],
            "must not be empty",
        ),
        (["--name", "!!!", "--owner-email", "new@acme.test", "--password", "a-long-demo-password"], "--slug"),
    ],
)
def test_it_explains_bad_input_and_creates_nothing(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not Organization.objects.exists()
    assert not User.objects.exists()


def test_it_refuses_an_unknown_plan(db):
    with pytest.raises(CommandError, match="invalid choice: 'gold'"):
        run("--name", "Acme", "--owner-email", "o@acme.test", "--password", "a-long-demo-password", "--plan", "gold")
