"""ID token validation with crafted tokens: everything mozilla-django-oidc leaves out, and the shared JWKS cache."""

import base64
import json
import time
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from signin.errors import SignInError
from signin.oidc import jwks
from signin.oidc.claims import email_from_claims, email_from_userinfo, identity_subject
from signin.oidc.id_token import validate_id_token

CLIENT_ID = "client-123"
TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


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
        oidc=SimpleNamespace(
            issuer=issuer,
            client_id=CLIENT_ID,
            jwks_uri=http_server.url("/keys"),
            entra_tenant_id="",
            id_token_signing_alg="jwks",
            entra_multi_tenant=False,
        ),
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
    header = {**({"kid": kid} if kid is not None else {}), **(headers or {})}
    return jwt.encode(claims, key or keys.get(kid) or keys["k1"], algorithm=alg, headers=header or None)


def hand_made(header: dict, claims: dict, key) -> str:
    """A JWT signed with `key` whose header PyJWT's encoder would refuse to write (a kid that is not a string)."""

    def b64(data: dict) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")

    signing_input = b64(header) + b"." + b64(claims)
    signature = jwt.algorithms.RSAAlgorithm(jwt.algorithms.RSAAlgorithm.SHA256).sign(signing_input, key)
    return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


def check(idp, raw, nonce="n-1"):
    return validate_id_token(raw, oidc=idp.oidc, nonce=nonce)


def refused(idp, raw, nonce="n-1") -> SignInError:
    with pytest.raises(SignInError) as caught:
        check(idp, raw, nonce)
    return caught.value


def test_a_valid_token_gives_its_claims(idp, keys):
    claims = check(idp, token(idp, keys))
    assert claims["sub"] == "sub-1"


class FromNow(int):
    """Seconds from the moment the test runs, not from collection: a long run would carry a past time into the
    allowed clock skew."""

    def resolve(self) -> int:
        return int(time.time()) + self


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"iss": "https://login.microsoftonline.com/{tenantid}/v2.0"}, "issuer_mismatch"),
        ({"aud": "someone-else"}, "aud_mismatch"),
        ({"aud": [CLIENT_ID, "other"]}, "azp_mismatch"),
        ({"aud": [CLIENT_ID, "other"], "azp": "other"}, "azp_mismatch"),
        ({"exp": FromNow(-600)}, "token_expired"),
        ({"nbf": FromNow(600)}, "token_not_yet_valid"),
        ({"iat": FromNow(600)}, "token_issued_in_future"),
        ({"iat": FromNow(600), "nbf": FromNow(600)}, "token_not_yet_valid"),
        ({"sub": None}, "bad_token"),
        ({"sub": ""}, "bad_token"),
        ({"sub": 42}, "bad_token"),
        ({"aud": 42}, "aud_mismatch"),
        ({"nonce": "other"}, "nonce_mismatch"),
        ({"nonce": 123}, "nonce_mismatch"),
        ({"nonce": None}, "nonce_missing"),
    ],
)
def test_it_refuses(idp, keys, overrides, code):
    claims = {name: value.resolve() if isinstance(value, FromNow) else value for name, value in overrides.items()}
    error = refused(idp, token(idp, keys, **claims))
    assert error.code == code
    assert error.message and error.detail


def test_several_audiences_pass_when_azp_is_this_client(idp, keys):
    assert check(idp, token(idp, keys, aud=[CLIENT_ID, "other"], azp=CLIENT_ID))["azp"] == CLIENT_ID


def test_a_small_clock_skew_is_tolerated(idp, keys):
    assert check(idp, token(idp, keys, exp=int(time.time()) - 30, iat=int(time.time()) - 700))


def test_it_refuses_a_signature_by_another_key(idp, keys):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert refused(idp, token(idp, keys, key=forger)).code == "bad_signature"


@pytest.mark.parametrize(("alg", "code"), [("none", "bad_alg"), ("HS256", "hs_alg_not_chosen")])
def test_it_refuses_alg_none_and_symmetric_algorithms(idp, keys, alg, code):
    raw = (
        jwt.encode({"iss": idp.oidc.issuer, "aud": CLIENT_ID}, None, algorithm="none")
        if alg == "none"
        else jwt.encode(
            {"iss": idp.oidc.issuer, "aud": CLIENT_ID}, "the-client-secret-used-as-hmac-key!", algorithm=alg
        )
    )
    assert refused(idp, raw).code == code


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
    ("entra", "claims", "email"),
    [
        (True, {"email": "Bea@acme.test", "preferred_username": "x@acme.test"}, "Bea@acme.test"),
        (True, {"preferred_username": "ada@acme.test"}, "ada@acme.test"),
        (True, {"preferred_username": "ada", "upn": "ada@acme.test"}, "ada@acme.test"),
        (True, {"email": "not-an-email", "preferred_username": "live.com#ada@acme.test"}, None),
        (False, {"preferred_username": "ada@acme.test"}, None),  # outside Entra, preferred_username is anyone's
        (False, {"tid": "t", "oid": "o", "preferred_username": "ada@acme.test"}, None),  # a claim does not make Entra
        (False, {"email": "bob@acme.test", "email_verified": False}, None),
        (False, {"email": "bob@acme.test", "email_verified": "false"}, None),
        (False, {"email": "bob@acme.test", "email_verified": True}, "bob@acme.test"),
        (False, {"email": "bob@acme.test", "email_verified": "true"}, "bob@acme.test"),
        (False, {"email": ["bob@acme.test"]}, None),
        (False, {}, None),
        # An address the IdP says is unverified does not come in by another claim...
        (True, {"email": "bob@acme.test", "email_verified": False, "preferred_username": "bob@acme.test"}, None),
        (True, {"email": "bob@acme.test", "email_verified": False, "upn": "BOB@acme.test"}, None),
        # ...but the tenant's own UPN, another address, does.
        (True, {"email": "vera@mailbox.test", "email_verified": False, "upn": "vera@acme.test"}, "vera@acme.test"),
    ],
)
def test_the_email_comes_from_email_then_preferred_username_then_upn(entra, claims, email):
    assert email_from_claims(claims, entra=entra).address == email


def test_the_email_source_names_the_claim_it_really_came_from():
    same = {"email": "bob@acme.test", "email_verified": False, "preferred_username": "bob@acme.test"}
    refused = email_from_claims(same, entra=True)
    assert refused.unverified == "bob@acme.test"
    assert "the email claim" in refused.source and "email_verified false" in refused.source
    assert "looked for: email, preferred_username, upn" in refused.source
    other = {"email": "vera@mailbox.test", "email_verified": False, "preferred_username": "vera@acme.test"}
    assert email_from_claims(other, entra=True).source == "the preferred_username claim"
    assert email_from_claims({"email": "bea@acme.test", "upn": "bea@acme.test"}, entra=True).source == (
        "the email claim"
    )


def test_a_userinfo_email_is_named_so_and_an_address_refused_in_the_id_token_stays_refused():
    first = email_from_claims({"email": "bob@acme.test", "email_verified": False}, entra=False)
    again = email_from_userinfo({"sub": "s", "email": "Bob@acme.test"}, id_token_email=first, id_token_claims={})
    assert again.address is None and again.unverified == "bob@acme.test"
    found = email_from_userinfo({"sub": "s", "email": "uma@acme.test"}, id_token_email=first, id_token_claims={})
    assert (found.address, found.source) == ("uma@acme.test", "the email claim of the UserInfo response")
    unverified = email_from_userinfo(
        {"email": "uma@acme.test", "email_verified": False}, id_token_email=first, id_token_claims={}
    )
    assert unverified.address is None and unverified.unverified == "uma@acme.test"


def test_the_identity_is_tid_and_oid_for_an_entra_connection_and_iss_and_sub_otherwise():
    claims = {"tid": TENANT, "oid": "o", "iss": "https://idp.example", "sub": "s"}
    assert identity_subject(claims, entra_tenant_id=TENANT) == f"entra:{TENANT}:o"
    # tid and oid from an IdP that is not Entra are unchecked claims: they never become the key
    assert identity_subject(claims, entra_tenant_id="") == "https://idp.example|s"
    assert identity_subject({"iss": "https://idp.example", "sub": "s"}, entra_tenant_id="") == "https://idp.example|s"


@pytest.mark.parametrize(
    ("tid", "received"),
    [("99999999-0000-0000-0000-000000000000", "'99999999-0000-0000-0000-000000000000'"), (None, "no tid"), (7, "7")],
)
def test_an_entra_token_for_another_tenant_is_refused(idp, keys, tid, received):
    idp.oidc.entra_tenant_id = TENANT
    error = refused(idp, token(idp, keys, tid=tid))
    assert error.code == "entra_tenant_mismatch"
    assert received in error.detail and TENANT in error.detail


def test_an_entra_token_of_the_connections_tenant_passes_whatever_the_case_of_its_tid(idp, keys):
    idp.oidc.entra_tenant_id = TENANT
    assert check(idp, token(idp, keys, tid=TENANT.upper()))["sub"] == "sub-1"


@pytest.mark.parametrize("oid", [42, "", ["o"]])
def test_an_entra_oid_that_is_not_a_string_is_refused(idp, keys, oid):
    idp.oidc.entra_tenant_id = TENANT
    error = refused(idp, token(idp, keys, tid=TENANT, oid=oid))
    assert error.code == "bad_token" and "oid" in error.detail


def test_a_token_without_kid_is_refused_when_the_idp_publishes_several_keys(idp, keys):
    keys["k2"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    idp.publish()
    error = refused(idp, token(idp, keys, kid=None, key=keys["k2"]))
    assert error.code == "kid_missing"
    assert "no kid" in error.detail and "2 keys" in error.detail


def test_a_token_without_kid_is_accepted_when_the_idp_publishes_one_key(idp, keys):
    assert check(idp, token(idp, keys, kid=None, key=keys["k1"]))["sub"] == "sub-1"


@pytest.mark.parametrize("header", [{"alg": "RS256", "kid": 5}, {"alg": "RS256", "kid": "k1", "crit": ["exp"]}])
def test_a_malformed_header_is_a_bad_token_not_a_crash(idp, keys, header):
    now = int(time.time())
    claims = {"iss": idp.oidc.issuer, "aud": CLIENT_ID, "sub": "s", "iat": now, "exp": now + 60, "nonce": "n-1"}
    assert refused(idp, hand_made(header, claims, keys["k1"])).code == "bad_token"


@pytest.mark.parametrize(("claim", "value", "code"), [("iss", ["x"], "issuer_mismatch"), ("iat", "soon", "bad_token")])
def test_claims_of_the_wrong_type_are_refused(idp, keys, claim, value, code):
    now = int(time.time())
    claims = {"iss": idp.oidc.issuer, "aud": CLIENT_ID, "sub": "s", "iat": now, "exp": now + 60, "nonce": "n-1"}
    assert refused(idp, hand_made({"alg": "RS256", "kid": "k1"}, {**claims, claim: value}, keys["k1"])).code == code


def test_unreachable_signing_keys_are_told_apart_from_an_unknown_key(idp, keys):
    idp.server.httpd.routes.pop("/keys")
    error = refused(idp, token(idp, keys))
    assert error.code == "jwks_unreachable"
    assert "HTTP 404" in error.detail and idp.oidc.jwks_uri in error.detail


def test_two_rotations_within_a_minute_both_work_at_once(idp, keys):
    check(idp, token(idp, keys))
    for kid in ("k2", "k3"):
        keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        idp.publish()  # the IdP rolls over, twice within the minute
        assert check(idp, token(idp, keys, kid=kid))["sub"] == "sub-1"
    assert idp.server.requests.count("/keys") == 3


def test_a_flood_of_made_up_kids_causes_a_bounded_number_of_fetches(idp, keys):
    check(idp, token(idp, keys))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for n in range(40):
        assert refused(idp, token(idp, keys, kid=f"made-up-{n}", key=stranger)).code == "unknown_key"
    assert idp.server.requests.count("/keys") == 1 + jwks.REFETCHES_PER_MINUTE


def test_a_flood_through_one_connection_does_not_block_a_rotation_for_another_on_the_same_keys(idp, keys):
    check(idp, token(idp, keys))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for n in range(20):
        refused(idp, token(idp, keys, kid=f"made-up-{n}", key=stranger))
    keys["k2"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    idp.publish()
    # Another connection whose IdP publishes its keys at the same URL (a shared JWKS, as Google's is).
    other = SimpleNamespace(
        issuer="https://other.example",
        client_id=CLIENT_ID,
        jwks_uri=idp.oidc.jwks_uri,
        entra_tenant_id="",
        id_token_signing_alg="jwks",
        entra_multi_tenant=False,
    )
    claims = validate_id_token(token(idp, keys, kid="k2", iss="https://other.example"), oidc=other, nonce="n-1")
    assert claims["sub"] == "sub-1"


def test_issuer_and_audience_errors_name_both_values(idp, keys):
    error = refused(idp, token(idp, keys, iss="https://login.microsoftonline.com/{tenantid}/v2.0"))
    assert "{tenantid}" in error.detail and idp.oidc.issuer in error.detail
    error = refused(idp, token(idp, keys, aud="other-app"))
    assert "'other-app'" in error.detail and CLIENT_ID in error.detail
