"""The error catalogue: every entry complete, and the failures not triggered elsewhere triggered here, each with
the person's message on the page and the owner's entry on the recorded event."""

import base64
import re
import socket

import pytest
from django.urls import reverse

from connections.events import SignInEvent
from connections.sp import saml_acs_url
from domains.models import Domain
from signin.catalogue import CATALOGUE, ENTRIES
from signin.errors import SignInError
from tests.support.factories import oidc_connection
from tests.test_saml_acs import connection, idp, post, sp, start  # noqa: F401 -- fixtures and helpers


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.code)
def test_every_entry_says_what_to_tell_the_person_the_cause_and_the_fix(entry):
    assert entry.title and entry.person and entry.cause and entry.fix
    assert entry.protocol in {"oidc", "saml", "email", "any"}
    assert "Traceback" not in entry.person and "{" not in entry.person.replace("{domain}", "")


def test_a_code_outside_the_catalogue_is_a_bug():
    with pytest.raises(KeyError):
        SignInError("not_in_the_catalogue")


def shown(response, code: str, *, org=None):
    """The person sees the entry's code and a message; the owners get an event naming the same entry."""
    page = response.content.decode()
    assert response.status_code == 400
    assert f"<code>{code}</code>" in page
    assert CATALOGUE[code].person in page or "errorbox" in page
    if org is not None:
        event = SignInEvent.objects.get(organization=org, code=code)
        assert event.outcome == "failure"
    return page


def edit_and_post(client, response_b64, old, new):
    xml = base64.b64decode(response_b64).decode()
    assert re.search(old, xml)
    return post(client, base64.b64encode(re.sub(old, new, xml, count=1).encode()).decode())


def test_recipient_mismatch(client, connection, idp, sp, acme):  # noqa: F811
    response = idp.response(in_response_to=start(client, connection), destination=saml_acs_url(), audience=sp.entity_id)
    landed = edit_and_post(client, response, r'Recipient="[^"]*"', 'Recipient="https://evil.test/acs"')
    shown(landed, "recipient_mismatch", org=acme)


def test_response_not_yet_valid(client, connection, idp, sp, acme):  # noqa: F811
    response = idp.response(in_response_to=start(client, connection), destination=saml_acs_url(), audience=sp.entity_id)
    landed = edit_and_post(client, response, r'NotBefore="[^"]*"', 'NotBefore="2999-01-01T00:00:00Z"')
    shown(landed, "response_not_yet_valid", org=acme)


def test_bad_identity(client, connection, idp, sp, acme):  # noqa: F811
    from saml2.saml import NAMEID_FORMAT_PERSISTENT

    response = idp.response(
        in_response_to=start(client, connection),
        destination=saml_acs_url(),
        audience=sp.entity_id,
        name_id="x" * 600,
        name_id_format=NAMEID_FORMAT_PERSISTENT,
        attributes={"mail": ["ada@acme.test"]},
    )
    shown(post(client, response), "bad_identity", org=acme)


def test_account_disabled(client, connection, idp, sp, acme):  # noqa: F811
    from kloudsso.accounts.models import User
    from kloudsso.tenancy.models import Membership

    ada = User.objects.create_user("ada@acme.test", is_active=False)
    Membership.objects.create(user=ada, organization=acme)
    response = idp.response(in_response_to=start(client, connection), destination=saml_acs_url(), audience=sp.entity_id)
    shown(post(client, response), "account_disabled", org=acme)
    from connections.models import SSOIdentity

    assert not SSOIdentity.objects.exists()  # refused before anything is written


def test_saml_stash_expired(client, db):
    shown(client.get(f"/sso/saml/finish/{'a' * 43}"), "saml_stash_expired")


@pytest.fixture
def oidc(acme):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    return oidc_connection(acme, issuer=f"http://127.0.0.1:{closed_port}/t/v2.0")


def oidc_state(client, oidc_connection) -> str:
    started = client.post(reverse("sso_start", kwargs={"public_id": oidc_connection.public_id}))
    return started["Location"].split("state=", 1)[1].split("&", 1)[0]


def test_token_endpoint_unreachable(client, oidc, acme):
    landed = client.get("/sso/oidc", {"code": "c", "state": oidc_state(client, oidc)})
    shown(landed, "token_endpoint_unreachable", org=acme)
    assert "Connection refused" in SignInEvent.objects.get().detail


def test_idp_error(client, oidc, acme):
    landed = client.get("/sso/oidc", {"error": "access_denied", "state": oidc_state(client, oidc)})
    shown(landed, "idp_error", org=acme)


def test_unknown_when_the_callback_carries_neither_code_nor_error(client, oidc, acme):
    shown(client.get("/sso/oidc", {"state": oidc_state(client, oidc)}), "unknown", org=acme)


def test_plan_not_paid_at_the_prompt(client, oidc, acme):
    acme.plan = "free"
    acme.save()
    shown(client.post("/sso/login", {"email": "ada@acme.test"}), "plan_not_paid", org=acme)


def test_no_connection_at_the_prompt(client, oidc, acme):
    oidc.enabled = False
    oidc.save()
    shown(client.post("/sso/login", {"email": "ada@acme.test"}), "no_connection", org=acme)


def test_unknown_domain_at_the_prompt_tells_a_stranger_nothing_more(client, db):
    page = client.post("/sso/login", {"email": "ada@nowhere.test"}).content.decode()
    assert CATALOGUE["unknown_domain"].person.format(domain="nowhere.test") in page
    assert not SignInEvent.objects.exists()  # strangers' typing is not recorded


@pytest.mark.parametrize(
    ("status", "answer", "code"),
    [
        (
            401,
            {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."},
            "invalid_client",
        ),
        (
            401,
            {
                "error": "invalid_client",
                "error_description": "AADSTS7000222: The provided client secret keys are expired.",
            },
            "client_secret_expired",
        ),
        (
            400,
            {"error": "invalid_grant", "error_description": "AADSTS50011: The redirect URI specified does not match."},
            "redirect_uri_mismatch",
        ),
        (400, {"error": "invalid_grant", "error_description": "AADSTS70008: The code has expired."}, "token_error"),
    ],
)
def test_token_endpoint_refusals_are_told_apart(client, acme, http_server, status, answer, code):
    import json

    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    entra = oidc_connection(acme, issuer=http_server.url("/t/v2.0"))
    http_server.serve("/t/v2.0/oauth2/v2.0/token", json.dumps(answer), status=status)
    landed = client.get("/sso/oidc", {"code": "c", "state": oidc_state(client, entra)})
    shown(landed, code, org=acme)
    assert answer["error_description"] in SignInEvent.objects.get().detail  # quoted for the owner


def test_a_redirect_uri_error_at_the_authorize_step(client, oidc, acme):
    landed = client.get(
        "/sso/oidc",
        {
            "error": "invalid_request",
            "error_description": "AADSTS50011: redirect URI mismatch",
            "state": oidc_state(client, oidc),
        },
    )
    page = shown(landed, "redirect_uri_mismatch", org=acme)
    assert "troubleshooting" not in page  # a stranger does not learn which organization this is


def test_the_failure_page_links_the_organizations_own_admins_to_the_fix(client, oidc, acme, alice):
    client.force_login(alice)  # an owner trying the sign-in
    landed = client.get("/sso/oidc", {"code": "c", "state": oidc_state(client, oidc)})
    assert "/orgs/acme/connections/troubleshooting/#token_endpoint_unreachable" in landed.content.decode()
