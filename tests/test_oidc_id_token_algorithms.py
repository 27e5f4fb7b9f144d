"""Which key checks an ID token is the connection's choice, never the token header's: HS tokens only on a connection
set to that HS algorithm (checked with the client secret), public-key tokens only on one set to the IdP's keys.
Every confusion between the two is refused with its own code, and none is ever accepted."""

import base64
import hashlib
import hmac
import json
import time
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from signin.errors import SignInError
from signin.oidc.id_token import validate_id_token

CLIENT_ID = "client-hs"
SECRET = "lemonldap-client-secret-of-48-bytes-0123456789ab"  # 48 bytes: enough for HS256 and HS384
LONG_SECRET = "s" * 64


@pytest.fixture
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def idp(http_server, rsa_key):
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    oct_key = {"kty": "oct", "kid": "oct-1", "k": base64.urlsafe_b64encode(b"k" * 32).decode().rstrip("=")}
    http_server.serve(
        "/keys", json.dumps({"keys": [{**public, "kid": "rsa-1", "use": "sig", "alg": "RS256"}, oct_key]})
    )
    return http_server


def connection(idp, alg: str, secret: str = SECRET):
    return SimpleNamespace(
        issuer=idp.url("/issuer"),
        client_id=CLIENT_ID,
        jwks_uri=idp.url("/keys"),
        entra_tenant_id="",
        id_token_signing_alg=alg,
        entra_multi_tenant=False,
        get_client_secret=lambda: secret,
    )


def claims(oidc) -> dict:
    now = int(time.time())
    return {"iss": oidc.issuer, "aud": CLIENT_ID, "sub": "uma-sub", "iat": now, "exp": now + 600, "nonce": "n-1"}


def hmac_token(oidc, key: bytes, alg: str = "HS256", header: dict | None = None) -> str:
    """An HMAC-signed JWT made by hand, so any bytes can be the key (PyJWT refuses to sign with a PEM key)."""

    def b64(data) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")

    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    signing_input = b64({"alg": alg, "typ": "JWT", **(header or {})}) + b"." + b64(claims(oidc))
    signature = hmac.new(key, signing_input, digest).digest()
    return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


def unsigned(oidc, alg: str = "none") -> str:
    def b64(data) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")

    return (b64({"alg": alg, "typ": "JWT"}) + b"." + b64(claims(oidc)) + b".").decode()


def public_pem(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def refused(oidc, raw) -> SignInError:
    with pytest.raises(SignInError) as caught:
        validate_id_token(raw, oidc=oidc, nonce="n-1")
    assert SECRET not in caught.value.detail and LONG_SECRET not in caught.value.detail
    return caught.value


@pytest.mark.parametrize(("alg", "secret"), [("HS256", SECRET), ("HS384", SECRET), ("HS512", LONG_SECRET)])
def test_an_hs_token_signed_with_the_client_secret_passes_on_a_connection_set_to_that_algorithm(idp, alg, secret):
    oidc = connection(idp, alg, secret)
    assert validate_id_token(hmac_token(oidc, secret.encode(), alg), oidc=oidc, nonce="n-1")["sub"] == "uma-sub"
    assert idp.requests == []  # the JWKS is never fetched for an HS connection


def test_an_rs_token_still_passes_on_a_connection_set_to_the_idps_keys(idp, rsa_key):
    oidc = connection(idp, "jwks")
    raw = jwt.encode(claims(oidc), rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
    assert validate_id_token(raw, oidc=oidc, nonce="n-1")["sub"] == "uma-sub"


def test_an_hs256_token_signed_with_the_public_key_is_refused_on_an_rs_connection(idp, rsa_key):
    """The classic confusion: the public key's bytes (PEM, or its JWKS entry) used as the HMAC secret."""
    oidc = connection(idp, "jwks")
    for key in (public_pem(rsa_key), json.dumps(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key())).encode()):
        error = refused(oidc, hmac_token(oidc, key, header={"kid": "rsa-1"}))
        assert error.code == "hs_alg_not_chosen"
        assert "HS256" in error.detail and "public keys" in error.detail


def test_an_hs256_token_signed_with_the_public_key_is_refused_on_an_hs_connection(idp, rsa_key):
    oidc = connection(idp, "HS256")
    assert refused(oidc, hmac_token(oidc, public_pem(rsa_key))).code == "secret_signature_mismatch"


def test_an_hs_token_with_the_kid_of_a_published_oct_key_is_refused_on_an_rs_connection(idp):
    oidc = connection(idp, "jwks")
    assert refused(oidc, hmac_token(oidc, b"k" * 32, header={"kid": "oct-1"})).code == "hs_alg_not_chosen"
    assert idp.requests == []  # refused on its header, before any key was looked for


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
@pytest.mark.parametrize("chosen", ["jwks", "HS256"])
def test_an_unsigned_token_is_refused_whatever_the_connection_is_set_to(idp, alg, chosen):
    oidc = connection(idp, chosen)
    error = refused(oidc, unsigned(oidc, alg))
    assert error.code == "bad_alg"
    assert "unsigned" in error.detail


@pytest.mark.parametrize("alg", ["HS1", "RS1", "EdDSA", "", "hs256"])
def test_an_algorithm_never_verified_with_is_refused(idp, alg):
    oidc = connection(idp, "HS256")
    assert refused(oidc, unsigned(oidc, alg) + "c2ln").code == "bad_alg"


def test_an_hs_token_signed_with_the_right_secret_is_still_refused_on_an_rs_connection(idp):
    """The owner did not choose HS: that the HMAC would match the secret is not looked at."""
    oidc = connection(idp, "jwks")
    error = refused(oidc, hmac_token(oidc, SECRET.encode()))
    assert error.code == "hs_alg_not_chosen"


def test_an_rs_token_is_refused_on_an_hs_connection(idp, rsa_key):
    oidc = connection(idp, "HS256")
    raw = jwt.encode(claims(oidc), rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
    error = refused(oidc, raw)
    assert error.code == "id_token_alg_mismatch"
    assert "RS256" in error.detail and "HS256" in error.detail
    assert idp.requests == []


def test_an_es_token_is_refused_on_an_hs_connection(idp):
    oidc = connection(idp, "HS512", LONG_SECRET)
    raw = jwt.encode(claims(oidc), ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")
    assert refused(oidc, raw).code == "id_token_alg_mismatch"


@pytest.mark.parametrize(("chosen", "alg"), [("HS256", "HS384"), ("HS256", "HS512"), ("HS512", "HS256")])
def test_another_hs_hash_than_the_one_chosen_is_refused(idp, chosen, alg):
    oidc = connection(idp, chosen, LONG_SECRET)
    assert refused(oidc, hmac_token(oidc, LONG_SECRET.encode(), alg)).code == "id_token_alg_mismatch"


def test_a_token_signed_with_another_secret_is_refused(idp):
    oidc = connection(idp, "HS256")
    error = refused(oidc, hmac_token(oidc, b"another-clients-secret-also-32-bytes-long"))
    assert error.code == "secret_signature_mismatch"
    assert "client secret" in error.detail


def test_a_stored_secret_too_short_for_the_algorithm_is_not_used(idp):
    """The form refuses it; a secret kept from before is refused at sign-in rather than used as a weak key."""
    oidc = connection(idp, "HS512", SECRET)  # 48 bytes, HS512 needs 64
    error = refused(oidc, hmac_token(oidc, SECRET.encode(), "HS512"))
    assert error.code == "secret_too_short"
    assert "48 bytes long; HS512 needs one of at least 64 bytes" in error.detail


def test_a_client_secret_that_is_a_public_key_is_never_used_as_an_hmac_key(idp, rsa_key):
    """PyJWT refuses a PEM key as an HMAC secret; the refusal is a code, not a 500."""
    pem = public_pem(rsa_key).decode()
    oidc = connection(idp, "HS256", pem)
    error = refused(oidc, hmac_token(oidc, pem.encode()))
    assert error.code == "secret_signature_mismatch"
    assert "asymmetric key" in error.detail
