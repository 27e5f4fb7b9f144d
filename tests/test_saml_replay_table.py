"""The replay table (signin/saml/replay): expired records swept by one accepted assertion in SWEEP_ONE_IN, and an
expired record not swept yet is no replay."""
# ruff: noqa: F811 -- the fixtures of tests.test_saml_acs are taken as arguments

from datetime import timedelta

import pytest
from django.utils import timezone

from connections.saml.models import UsedAssertion
from connections.sp import saml_acs_url
from signin.saml import replay
from tests.test_saml_acs import connection, idp, post, refused, sp  # noqa: F401 -- fixtures and helpers

pytestmark = pytest.mark.skipif(
    not __import__("shutil").which("xmlsec1"), reason="the crafting IdP signs with xmlsec1 (apt-get install xmlsec1)"
)


@pytest.fixture
def unsolicited(connection):
    connection.saml.allow_idp_initiated = True
    connection.saml.save()
    return connection


def an_old_record(key="0" * 64):
    return UsedAssertion.objects.create(key=key, expires_at=timezone.now() - timedelta(minutes=1))


def test_a_sweep_deletes_the_expired_records(client, unsolicited, idp, sp, monkeypatch):
    monkeypatch.setattr(replay, "SWEEP_ONE_IN", 1)
    an_old_record()
    assert post(client, idp.response(in_response_to=None, destination=saml_acs_url(), audience=sp.entity_id))
    assert UsedAssertion.objects.count() == 1  # this assertion's, live
    assert UsedAssertion.objects.get().expires_at > timezone.now()


def test_without_a_sweep_expired_records_stay_until_one_comes(client, unsolicited, idp, sp, monkeypatch):
    monkeypatch.setattr(replay, "SWEEP_ONE_IN", 10**18)
    an_old_record()
    post(client, idp.response(in_response_to=None, destination=saml_acs_url(), audience=sp.entity_id))
    assert UsedAssertion.objects.count() == 2


def test_an_expired_record_of_the_same_assertion_is_taken_over_not_called_a_replay(
    client, unsolicited, idp, sp, monkeypatch
):
    """An IdP that reuses an assertion ID after its record expired: accepted, as before the record was swept."""
    monkeypatch.setattr(replay, "SWEEP_ONE_IN", 10**18)
    response = idp.response(in_response_to=None, destination=saml_acs_url(), audience=sp.entity_id)
    assert post(client, response)["Location"] == "/orgs/acme/"
    UsedAssertion.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.logout()
    assert post(client, response)["Location"] == "/orgs/acme/"
    assert UsedAssertion.objects.get().expires_at > timezone.now()  # live again, for this use
    client.logout()
    refused(client, post(client, response), "replayed_assertion")  # and now it is a replay
