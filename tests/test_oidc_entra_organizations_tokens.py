"""Crafted ID tokens through Entra ID's /organizations/ endpoint: the issuer is the template filled with the token's
tid, the verified tid must be listed, and the callback's iss (RFC 9207) must name the same tenant."""

import json
import time
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from connections.oidc.discovery import discover
from connections.oidc.entra_tenants import AllowedTenant
from connections.oidc.services import oidc_connection_save
from connections.role_mapping import RoleMapping
from signin.errors import SignInError
from signin.oidc.backend import check_response_issuer, check_same_tenant, entra_tenant, multi_tenant_email
from signin.oidc.id_token import validate_id_token
from signin.person import groups_of
from signin.roles import decide

LISTED = "aaaaaaaa-0000-4000-8000-00000000000a"
OTHER = "cccccccc-0000-4000-8000-00000000000c"
CLIENT_ID = "multi-client"


@pytest.fixture
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def oidc(acme, http_server, key):
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    base = http_server.url("")
    http_server.serve(
        "/organizations/v2.0/.well-known/openid-configuration",
        json.dumps(
            {
                "issuer": f"{base}/{{tenantid}}/v2.0",
                "authorization_endpoint": f"{base}/organizations/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/organizations/oauth2/v2.0/token",
                "jwks_uri": f"{base}/organizations/discovery/v2.0/keys",
            }
        ),
    )
    http_server.serve("/organizations/discovery/v2.0/keys", json.dumps({"keys": [{**public, "kid": "k1"}]}))
    connection = oidc_connection_save(
        org=acme,
        display_name="Entra ID",
        discovery=discover(http_server.url("/organizations/v2.0/.well-known/openid-configuration")),
        client_id=CLIENT_ID,
        client_secret="s",
        scopes="openid profile",
        allowed_tenants=[AllowedTenant(LISTED, "Acme")],
    )
    return connection.oidc


def token(oidc, key, *, tid=LISTED, **overrides) -> str:
    now = int(time.time())
    claims = {
        "iss": oidc.issuer.replace("{tenantid}", str(tid)),
        "aud": CLIENT_ID,
        "sub": "s-1",
        "iat": now,
        "exp": now + 600,
        "nonce": "n",
        "tid": tid,
        "oid": "o-1",
        "preferred_username": "ada@acme.test",
        **overrides,
    }
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


def refused(oidc, raw) -> SignInError:
    with pytest.raises(SignInError) as caught:
        validate_id_token(raw, oidc=oidc, nonce="n")
    return caught.value


def test_a_listed_tenants_token_is_accepted_and_keyed_by_its_tid(oidc, key):
    claims = validate_id_token(token(oidc, key, tid=LISTED.upper()), oidc=oidc, nonce="n")
    assert claims["iss"].endswith(f"/{LISTED.upper()}/v2.0")
    assert entra_tenant(claims, oidc) == LISTED


def test_a_tenant_not_listed_is_refused_naming_its_tid(oidc, key):
    error = refused(oidc, token(oidc, key, tid=OTHER))
    assert error.code == "entra_tenant_not_allowed"
    assert OTHER in error.detail and "'ada@acme.test' signed in" in error.detail and "1 allowed" in error.detail


@pytest.mark.parametrize("tid", [None, "", "not-a-guid", 42])
def test_a_token_without_a_tenant_id_is_refused(oidc, key, tid):
    error = refused(oidc, token(oidc, key, tid=tid, iss=oidc.issuer.replace("{tenantid}", LISTED)))
    assert error.code == "entra_tid_missing"


def test_a_listed_tid_in_another_tenants_token_is_refused(oidc, key):
    """The tid picks the issuer the signed iss must be: another tenant's token cannot borrow a listed tid."""
    error = refused(oidc, token(oidc, key, tid=LISTED, iss=oidc.issuer.replace("{tenantid}", OTHER)))
    assert error.code == "issuer_mismatch"
    assert (
        OTHER in error.detail
        and f"its {{tenantid}} template filled with the token's tid: '{oidc.issuer.replace('{tenantid}', LISTED)}'"
        in error.detail
    )


def test_the_template_itself_is_no_issuer(oidc, key):
    assert refused(oidc, token(oidc, key, iss=oidc.issuer)).code == "issuer_mismatch"


def test_a_listed_tid_signed_by_someone_else_is_refused(oidc, key):
    forged = jwt.encode(
        jwt.decode(token(oidc, key), options={"verify_signature": False}),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    assert refused(oidc, forged).code == "bad_signature"


def test_the_callbacks_iss_must_be_one_tenants_and_the_tokens(oidc):
    listed = oidc.issuer.replace("{tenantid}", LISTED)
    check_response_issuer(listed, oidc)  # a tenant's issuer: accepted here, held to the token below
    check_response_issuer(None, oidc)
    for returned in (oidc.issuer, oidc.issuer.replace("{tenantid}", "x"), "https://evil.test/a/v2.0"):
        with pytest.raises(SignInError) as caught:
            check_response_issuer(returned, oidc)
        assert caught.value.code == "response_issuer_mismatch"
    check_same_tenant(listed, {"iss": listed}, oidc)
    with pytest.raises(SignInError) as caught:
        check_same_tenant(oidc.issuer.replace("{tenantid}", OTHER), {"iss": listed}, oidc)
    assert caught.value.code == "response_issuer_mismatch" and OTHER in caught.value.detail


# -- the email and the groups any allowed tenant's admins could choose ---------------------------------------------

GROUP_ID = "5f3b1c2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b"


def email_of(oidc, key, **claims):
    return multi_tenant_email(validate_id_token(token(oidc, key, **claims), oidc=oidc, nonce="n"))


@pytest.mark.parametrize("edov", [None, False, "false", 0])
def test_an_email_without_xms_edov_true_is_not_taken(oidc, key, edov):
    email = email_of(oidc, key, email="ceo@acme.test", preferred_username="mal@partner.test", xms_edov=edov)
    assert email.address == "mal@partner.test"
    assert "preferred_username" in email.source and "xms_edov" in email.source


@pytest.mark.parametrize("edov", [True, "true"])
def test_an_email_whose_domain_the_tenant_verified_is_taken(oidc, key, edov):
    email = email_of(oidc, key, email="ada.l@acme.test", preferred_username="ada@acme.test", xms_edov=edov)
    assert email.address == "ada.l@acme.test" and "xms_edov" in email.source and "verified" in email.source


def test_the_upn_claim_follows_preferred_username(oidc, key):
    email = email_of(oidc, key, email="ceo@acme.test", preferred_username="mal", upn="mal@partner.test")
    assert email.address == "mal@partner.test" and "the upn claim" in email.source


def test_neither_a_verified_email_nor_a_upn_is_refused_with_its_own_code(oidc, key):
    with pytest.raises(SignInError) as caught:
        email_of(oidc, key, email="ceo@acme.test", preferred_username="mal")
    assert caught.value.code == "entra_email_unproven"
    assert LISTED in caught.value.detail and "no xms_edov claim" in caught.value.detail


def test_an_email_marked_unverified_stays_the_idps_answer(oidc, key):
    email = email_of(oidc, key, email="ada@acme.test", email_verified=False, xms_edov=True)
    assert email.address is None and email.unverified == "ada@acme.test"


def decided(claims, rules, *, ids_only=True, claim="groups"):
    """complete.py reads only the groups claim on such a connection; decide() holds to it whatever it is given."""
    mapping = RoleMapping(rules_data=[{"group": g, "role": r} for g, r in rules], unmatched="member")
    found = groups_of(SimpleNamespace(claims=claims, connection=None), claim=claim)
    return decide(mapping, found, "member", org_name="Acme", group_ids_only=ids_only)


def test_only_group_object_ids_in_the_groups_claim_match_through_several_tenants():
    rules = [("Admins", "admin"), ("admin", "admin"), (GROUP_ID, "admin")]
    by_name = decided({"groups": ["Admins"]}, rules)
    assert by_name.role == "member" and "only group object IDs" in by_name.words and "Admins" in by_name.words
    assert decided({"roles": ["admin"]}, rules).role == "member"  # an app role: the preset's fallback
    assert decided({"roles": [GROUP_ID]}, rules, claim="roles").role == "member"  # any claim but groups
    by_id = decided({"groups": [GROUP_ID.upper()]}, rules)
    assert by_id.role == "admin" and "only group object IDs" in by_id.words
    assert decided({"groups": ["Admins"]}, rules, ids_only=False).role == "admin"  # one tenant: names count
