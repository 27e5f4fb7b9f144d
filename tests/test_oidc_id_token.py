"""ID token validation with crafted tokens: everything mozilla-django-oidc leaves out, and the shared JWKS cache."""

import json
import time
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from signin.errors import SignInError
from signin.oidc.id_token import email_from_claims, identity_subject, validate_id_token

CLIENT_ID = "client-123"


def jwk(key, kid):
    data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**data, "kid": kid, "use": "sig", "alg": "RS256"}


@pytest.fixture
def keys():
    return {"k1": rsa.generate_private_key(public_exponent=65537, key_size=2048)}


@pytest.fixture
def idp(http_server, keys):
    issuer = http_server.url("/tenant/v2.0")

    def publish():
        http_server.serve("/keys", json.dumps({"keys": [jwk(k, kid) for kid, k in keys.items()]}))

    publish()
    return SimpleNamespace(
        server=http_server,
        publish=publish,
        oidc=SimpleNamespace(issuer=issuer, client_id=CLIENT_ID, jwks_uri=http_server.url("/keys")),
    )


def token(idp, keys, *, kid="k1", alg="RS256", key=None, headers=None, **overrides):
    now = int(time.time())
    claims = {
        "iss": idp.oidc.issuer,
        "aud": CLIENT_ID,
        "sub": "sub-1",
        "iat": now,
        "exp": now + 600,
        "nonce": "n-1",
        "tid": "t-1",
        "oid": "o-1",
        "preferred_username": "ada@acme.test",
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(
        claims, key or keys.get(kid) or keys["k1"], algorithm=alg, headers={"kid": kid, **(headers or {})}
    )


def check(idp, raw, nonce="n-1"):
    return validate_id_token(raw, oidc=idp.oidc, nonce=nonce)


def refused(idp, raw, nonce="n-1") -> SignInError:
    with pytest.raises(SignInError) as caught:
        check(idp, raw, nonce)
    return caught.value


def test_a_valid_token_gives_its_claims(idp, keys):
    claims = check(idp, token(idp, keys))
    assert claims["sub"] == "sub-1"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"iss": "https://login.microsoftonline.com/{tenantid}/v2.0"}, "issuer_mismatch"),
        ({"aud": "someone-else"}, "aud_mismatch"),
        ({"aud": [CLIENT_ID, "other"]}, "azp_mismatch"),
        ({"aud": [CLIENT_ID, "other"], "azp": "other"}, "azp_mismatch"),
        ({"exp": int(time.time()) - 600}, "token_expired"),
        ({"nbf": int(time.time()) + 600}, "token_not_yet_valid"),
        ({"iat": int(time.time()) + 600}, "token_not_yet_valid"),
        ({"sub": None}, "bad_token"),
        ({"nonce": "other"}, "nonce_mismatch"),
        ({"nonce": None}, "nonce_mismatch"),
    ],
)
def test_it_refuses(idp, keys, overrides, code):
    error = refused(idp, token(idp, keys, **overrides))
    assert error.code == code
    assert error.message and error.detail


def test_several_audiences_pass_when_azp_is_this_client(idp, keys):
    assert check(idp, token(idp, keys, aud=[CLIENT_ID, "other"], azp=CLIENT_ID))["azp"] == CLIENT_ID


def test_a_small_clock_skew_is_tolerated(idp, keys):
    assert check(idp, token(idp, keys, exp=int(time.time()) - 30, iat=int(time.time()) - 700))


def test_it_refuses_a_signature_by_another_key(idp, keys):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert refused(idp, token(idp, keys, key=forger)).code == "bad_signature"


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_it_refuses_alg_none_and_symmetric_algorithms(idp, keys, alg):
    raw = (
        jwt.encode({"iss": idp.oidc.issuer, "aud": CLIENT_ID}, None, algorithm="none")
        if alg == "none"
        else jwt.encode(
            {"iss": idp.oidc.issuer, "aud": CLIENT_ID}, "the-client-secret-used-as-hmac-key!", algorithm=alg
        )
    )
    assert refused(idp, raw).code == "bad_alg"


def test_it_refuses_garbage(idp):
    assert refused(idp, "not.a.jwt").code == "bad_token"
    assert refused(idp, None).code == "no_id_token"


def test_the_jwks_is_fetched_once_then_served_from_the_cache(idp, keys):
    for _ in range(3):
        check(idp, token(idp, keys))
    assert idp.server.requests.count("/keys") == 1


def test_an_unknown_kid_refetches_once_so_key_rotation_works(idp, keys):
    check(idp, token(idp, keys))  # caches a JWKS holding k1 only
    keys["k2"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    idp.publish()  # the IdP rolls over to k2
    assert check(idp, token(idp, keys, kid="k2"))["sub"] == "sub-1"
    assert idp.server.requests.count("/keys") == 2


def test_unknown_kids_cannot_force_a_fetch_on_every_sign_in(idp, keys):
    check(idp, token(idp, keys))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for _ in range(3):
        assert refused(idp, token(idp, keys, kid="nope", key=stranger)).code == "unknown_key"
    assert idp.server.requests.count("/keys") == 2  # the first fill, then one refetch a minute at most


@pytest.mark.parametrize(
    ("claims", "email"),
    [
        ({"email": "Bea@acme.test", "preferred_username": "x@acme.test"}, "Bea@acme.test"),
        ({"tid": "t", "preferred_username": "ada@acme.test"}, "ada@acme.test"),
        ({"tid": "t", "preferred_username": "ada", "upn": "ada@acme.test"}, "ada@acme.test"),
        ({"tid": "t", "email": "not-an-email", "preferred_username": "live.com#ada@acme.test"}, None),
        ({"preferred_username": "ada@acme.test"}, None),  # outside Entra, preferred_username is anyone's choice
        ({"email": "bob@acme.test", "email_verified": False}, None),
        ({"email": "bob@acme.test", "email_verified": True}, "bob@acme.test"),
        ({}, None),
    ],
)
def test_the_email_comes_from_email_then_preferred_username_then_upn(claims, email):
    assert email_from_claims(claims) == email


def test_the_identity_is_tid_and_oid_for_entra_and_iss_and_sub_otherwise():
    assert identity_subject({"tid": "t", "oid": "o", "iss": "i", "sub": "s"}) == "entra:t:o"
    assert identity_subject({"iss": "https://idp.example", "sub": "s"}) == "https://idp.example|s"


def test_issuer_and_audience_errors_name_both_values(idp, keys):
    error = refused(idp, token(idp, keys, iss="https://login.microsoftonline.com/{tenantid}/v2.0"))
    assert "{tenantid}" in error.detail and idp.oidc.issuer in error.detail
    error = refused(idp, token(idp, keys, aud="other-app"))
    assert "'other-app'" in error.detail and CLIENT_ID in error.detail
