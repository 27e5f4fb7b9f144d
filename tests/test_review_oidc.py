"""Review of issue 8 (OIDC items): cases the implementation gets wrong. Each test fails today."""

import json

import jwt
import pytest
from django.test import Client

from connections.events import SignInEvent
from tests.test_oidc_callback import connect, jit, refused_with, sign_in, start  # noqa: F401 (jit is a fixture)


def nested(depth: int):
    value = []
    for _ in range(depth):
        value = [value]
    return value


# Product rule "never a 500": the UserInfo answer is not signed, so anyone who can answer for the endpoint (a careless
# IdP, a proxy) controls its shape. json.loads accepts ~990 levels; redact() recurses two frames per list level.
@pytest.mark.parametrize("with_email", [False, True], ids=["refused", "signed-in"])
def test_a_deeply_nested_userinfo_answer_is_not_a_500(jit, http_server, with_email):  # noqa: F811
    from tests.support.oidc import CraftedIdP

    client = Client(raise_request_exception=False)
    idp = CraftedIdP(http_server)
    userinfo = {"sub": "sub-1", "groups": nested(600), **({"email": "ada@acme.test"} if with_email else {})}
    landed = sign_in(client, connect(jit, idp), idp, userinfo=userinfo)
    assert landed.status_code != 500
    assert SignInEvent.objects.count() == 1


# Item 2: "When the IdP says email_verified: false, that address must not become the person's email by another route."
# The ID token says the End-User's email is not verified (Core §5.1); the address then arrives from UserInfo, which
# omits email_verified, and is taken as verified.
def test_an_id_token_saying_email_verified_false_keeps_the_userinfo_email_out(client, jit, http_server):  # noqa: F811
    from tests.support.oidc import CraftedIdP

    idp = CraftedIdP(http_server)
    landed = sign_in(
        client, connect(jit, idp), idp, email_verified=False, userinfo={"sub": "sub-1", "email": "ada@acme.test"}
    )
    refused_with(landed, "email_not_verified")


# Item 5: "A JWKS refetch on an unknown kid must never block a real rotation." The unknown-kid marker is keyed by the
# JWKS URL and kid only, not by issuer, so another organization's IdP whose discovery document points its jwks_uri
# at Acme's IdP's keys can mark Acme's next kid unknown, and Acme's first sign-in after the rotation is refused.
def test_another_organizations_idp_cannot_block_acmes_key_rotation(client, jit, globex, http_server):  # noqa: F811
    from connections.events import SignInEvent as Event
    from domains.models import Domain
    from tests.support.oidc import CraftedIdP

    acme_idp = CraftedIdP(http_server)
    acme = connect(jit, acme_idp)
    evil = CraftedIdP(http_server, prefix="/evil", jwks_uri=http_server.url(acme_idp.path("keys")))
    Domain.objects.create(organization=globex, name="globex.test", status="verified")
    evil_connection = connect(globex, evil)
    assert sign_in(client, acme, acme_idp, email="ada@acme.test").status_code == 302  # keys cached
    client.logout()

    # Globex's IdP sends a token naming the kid Acme's IdP will roll to (kids are often predictable: dates, counters)
    params = start(client, evil_connection)
    token = jwt.encode(
        {"iss": evil.issuer, "aud": evil.client_id, "sub": "x", "iat": 0, "exp": 2**31, "nonce": params["nonce"]},
        evil.key,
        algorithm="RS256",
        headers={"kid": "2027-01"},
    )
    http_server.serve(evil.path("token"), json.dumps({"id_token": token}))
    refused_with(client.get("/sso/oidc", {"code": "c", "state": params["state"]}), "unknown_key")

    # Acme's IdP rotates to 2027-01 (published now) and signs with it; the first sign-in must succeed
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(acme_idp.key.public_key()))
    http_server.serve(acme_idp.path("keys"), json.dumps({"keys": [{**public, "kid": "2027-01", "use": "sig"}]}))
    params = start(client, acme)
    token = acme_idp.id_token(params["nonce"], email="ada@acme.test")
    token = jwt.encode(
        jwt.decode(token, options={"verify_signature": False}), acme_idp.key, "RS256", headers={"kid": "2027-01"}
    )
    http_server.serve(acme_idp.path("token"), json.dumps({"id_token": token, "access_token": "a"}))
    landed = client.get("/sso/oidc", {"code": "c", "state": params["state"]})
    assert landed.status_code == 302, Event.objects.order_by("-id").first().detail


# Product rule "secrets never in events, errors or pages": _refusal() masks the secret as sent in the body, but with
# client_secret_basic (now the default) what an IdP echoes back is the Authorization header: base64 of
# "client_id:secret", which decodes straight to the secret. It lands in the event's detail, shown to owners.
def test_a_token_endpoint_echoing_the_basic_credentials_does_not_put_them_in_the_event(client, jit, http_server):  # noqa: F811
    from signin.oidc.tokens import basic_authorization
    from tests.support.oidc import CraftedIdP

    idp = CraftedIdP(http_server)
    connection = connect(jit, idp)
    assert connection.oidc.token_endpoint_auth_method == "client_secret_basic"
    params = start(client, connection)
    echoed = basic_authorization(idp.client_id, idp.client_secret)
    body = {"error": "invalid_client", "error_description": f"Client authentication failed: {echoed}"}
    http_server.serve(idp.path("token"), json.dumps(body), status=401)
    event = refused_with(client.get("/sso/oidc", {"code": "c", "state": params["state"]}), "invalid_client")
    assert echoed.split()[1] not in event.detail
