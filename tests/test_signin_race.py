"""Two first sign-ins of one person at the same moment (a double click; two app servers): both end signed in.

Row locks and waits on unique keys are PostgreSQL's; SQLite's IMMEDIATE transactions run the two one after the
other, so there is no race to test there.
"""

import contextlib
import threading

import pytest
from django.conf import settings
from django.db import connection as db_connection

from domains.models import Domain
from kloudsso.tenancy.models import Invitation, Membership, Organization
from signin import complete
from signin.complete import Vouched, complete_sign_in
from signin.errors import SignInError
from tests.support.factories import oidc_connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="a race of row locks: PostgreSQL only"
    ),
]


@pytest.mark.parametrize("mode", ["invite_only", "jit"])
def test_a_double_clicked_first_sign_in_signs_the_person_in_twice(monkeypatch, mode):
    org = Organization.objects.create(name="Acme", slug="acme", plan="paid", provisioning_mode=mode)
    Domain.objects.create(organization=org, name="acme.test", status="verified")
    connection = oidc_connection(org)
    Invitation.objects.create(organization=org, email="ada@acme.test")
    barrier, real = threading.Barrier(2), complete._provision

    def provision(*args):
        # Both looked the person up and found no one; a second look (after the first sign-in committed) goes on alone.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)
        return real(*args)

    monkeypatch.setattr(complete, "_provision", provision)
    outcomes = []

    def click():
        try:
            outcomes.append(complete_sign_in(Vouched(connection, "s-ada", "ada@acme.test")).email)
        except SignInError as exc:
            outcomes.append(exc.code)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["ada@acme.test", "ada@acme.test"]
    assert Membership.objects.filter(organization=org, user__email="ada@acme.test").count() == 1
