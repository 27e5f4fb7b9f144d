"""Every catalogue entry's explanation names the values a person needs to act on it (issue 12, last item).

One row per place a refusal is raised: the refusal is provoked through the real check (a sign-in with a crafted
response or token, or the checking function itself where the flow adds nothing), and its detail, the explanation
stored on the SignInEvent the owners read, must name each of the row's values. A meta-test holds the table to the
catalogue: a new code without a row fails the suite. Beside it: every fix a page shows has its placeholders filled,
and the owners' event page shows what an attacker put in a response escaped.
"""

import html
import json
import re
import socket
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from saml2.saml import NAMEID_FORMAT_PERSISTENT

from connections.events import SignInEvent
from connections.identity import SSOIdentity
from connections.saml.certificates import load_certificate
from connections.sp import fix_values, oidc_redirect_uri, saml_acs_url, sp_metadata_xml
from domains.models import Domain
from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Membership
from signin.catalogue import CATALOGUE, ENTRIES
from signin.errors import SignInError
from signin.oidc.id_token import validate_id_token
from signin.subject_kind import described
from tests import test_oidc_entra_organizations_tokens as entra_tokens
from tests.support.factories import oidc_connection
from tests.support.oidc import CraftedIdP
from tests.support.saml_craft import PREFIX as SAML
from tests.support.saml_craft import CraftingIdP, substitute
from tests.test_catalogue import oidc_state
from tests.test_oidc_callback import connect, jit, sign_in  # noqa: F401 -- jit is a fixture
from tests.test_oidc_id_token import CLIENT_ID, jwk, keys, refused, token  # noqa: F401 -- keys is a fixture
from tests.test_saml_acs import connection, idp, post, sp, start  # noqa: F401 -- fixtures and helpers
from tests.test_saml_acs_encrypted import XENC, b64_edit, encrypted_response
from tests.test_saml_idp_initiated import another_connection
from tests.test_saml_pinpoint import ENTRA_A, answer, b64, unb64
from tests.test_saml_slo_tenancy import logout_request, send

# Fixtures: a /organizations/ connection allowing one tenant, and the key that signs its tokens.
entra_oidc, key = entra_tokens.oidc, entra_tokens.key
LISTED, OTHER = entra_tokens.LISTED, entra_tokens.OTHER
NOW = 1_800_000_000  # 2027-01-15T08:00:00Z
AT_NOW = "2027-01-15T08:00:00Z"
TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


@dataclass
class Seen:
    """What a provocation saw: the refusal's code and detail, the values that detail must name (`names`) and must
    not show (`hides`), and the event recorded for the owners, when the flow records one."""

    code: str
    detail: str
    names: list
    event: SignInEvent | None = None
    hides: tuple = ()


@dataclass(frozen=True)
class Row:
    code: str
    provoke: Callable[[Callable], Seen]  # given pytest's getfixturevalue
    place: str = ""  # which raise site, when a code is raised from several places
    reason: str = ""  # why a row names no value at all


@pytest.fixture
def sign_out_refusals(monkeypatch):
    """Every SignInError a sign-out ends on: the person sees its code, the servers' log its detail."""
    from signin import logout
    from signin.saml import slo

    seen = []
    for module in (logout, slo):

        def spy(request, *args, _original=module.signed_out_page, error=None, **kwargs):
            if error is not None:
                seen.append(error)
            return _original(request, *args, error=error, **kwargs)

        monkeypatch.setattr(module, "signed_out_page", spy)
    return seen


@pytest.fixture
def refusals(monkeypatch):
    """Every SignInError a sign-in view ends on, as it is handed to the failure page: the detail of a refusal that
    records no event (no organization to tell) is still what its code explains."""
    from signin import home_realm
    from signin.oidc import views as oidc_views
    from signin.saml import idp_initiated
    from signin.saml import views as saml_views

    seen = []
    for module in (home_realm, oidc_views, saml_views, idp_initiated):

        def spy(request, error, *args, _original=module.signin_failed, **kwargs):
            seen.append(error)
            return _original(request, error, *args, **kwargs)

        monkeypatch.setattr(module, "signin_failed", spy)
    return seen


def in_flow(f, landed, names, *, hides=()) -> Seen:
    assert landed.status_code == 400, landed.status_code
    error = f("refusals")[-1]
    page = landed.content.decode()
    assert f"<code>{error.code}</code>" in page
    assert escape(error.detail) not in page  # the owners' explanation, never the person's page
    event = SignInEvent.objects.filter(code=error.code, outcome="failure").order_by("-pk").first()
    return Seen(error.code, error.detail, names, event, hides)


def raised(call, *args, **kwargs) -> SignInError:
    with pytest.raises(SignInError) as caught:
        call(*args, **kwargs)
    return caught.value


def direct(error: SignInError, names, *, hides=()) -> Seen:
    return Seen(error.code, error.detail, names, None, hides)


# -- OIDC: the ID token, checked by the real validator against keys on a local server -----------------------------


@pytest.fixture
def jwt_idp(http_server, keys):  # noqa: F811
    def publish():
        http_server.serve("/keys", json.dumps({"keys": [jwk(k, kid) for kid, k in keys.items()]}))

    publish()
    oidc = SimpleNamespace(
        issuer=http_server.url("/tenant/v2.0"),
        client_id=CLIENT_ID,
        jwks_uri=http_server.url("/keys"),
        entra_tenant_id="",
        id_token_signing_alg="jwks",
        entra_multi_tenant=False,
        get_client_secret=lambda: HS_SECRET,
    )
    return SimpleNamespace(server=http_server, publish=publish, oidc=oidc)


HS_SECRET = "lemonldap-client-secret-of-48-bytes-0123456789ab"


def id_token_on_hs(f, chosen: str, **claims) -> SignInError:
    """The refusal of an ID token on a connection whose owner chose the HS algorithm `chosen`."""
    idp_ = f("jwt_idp")
    idp_.oidc.id_token_signing_alg = chosen
    return refused(idp_, token(idp_, f("keys"), **claims), nonce="n-1")


def id_token(f, **claims) -> SignInError:
    """The refusal of an ID token with these claims, in a sign-in that kept the nonce n-1."""
    idp_, keys_ = f("jwt_idp"), f("keys")
    return refused(idp_, token(idp_, keys_, **claims), nonce="n-1")


def issuer_of_another_tenant(f):
    sent = "https://login.microsoftonline.com/{tenantid}/v2.0"
    return direct(id_token(f, iss=sent), [repr(sent), repr(f("jwt_idp").oidc.issuer)])


def audience_of_another_app(f):
    return direct(id_token(f, aud="another-app"), ["'another-app'", repr(CLIENT_ID)])


def azp_of_another_party(f):
    return direct(id_token(f, aud=[CLIENT_ID, "other-party"], azp="other-party"), ["'other-party'", CLIENT_ID])


def expired(f):
    with time_machine.travel(NOW, tick=False):
        error = id_token(f, iat=NOW - 3600, exp=NOW - 600)
    return direct(error, ["600 s", "2027-01-15T07:50:00Z", "2027-01-15T07:00:00Z", AT_NOW, "120 s"])


def not_before_ahead(f):
    with time_machine.travel(NOW, tick=False):
        error = id_token(f, nbf=NOW + 600)
    return direct(error, ["600 s", "2027-01-15T08:10:00Z", AT_NOW])


def issued_ahead(f):
    with time_machine.travel(NOW, tick=False):
        error = id_token(f, iat=NOW + 900, exp=NOW + 1800)
    return direct(error, ["900 s", "2027-01-15T08:15:00Z", AT_NOW])


def signed_by_another_key(f):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return direct(id_token(f, key=forger), ["RS256", "'k1'", f("jwt_idp").oidc.jwks_uri])


def kid_not_published(f):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return direct(id_token(f, kid="made-up", key=stranger), ["'made-up'", "RS256", f("jwt_idp").oidc.jwks_uri])


def no_kid_among_several_keys(f):
    f("keys")["k2"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    f("jwt_idp").publish()
    return direct(id_token(f, kid=None, key=f("keys")["k2"]), ["2 keys", "RS256", f("jwt_idp").oidc.jwks_uri])


def keys_answer_404(f):
    f("jwt_idp").server.httpd.routes.pop("/keys")
    return direct(id_token(f), ["HTTP 404", f("jwt_idp").oidc.jwks_uri])


def keys_answer_not_a_key_set(f):
    f("jwt_idp").server.serve("/keys", '{"keys": "none"}')
    return direct(id_token(f), ["not a JSON key set", f("jwt_idp").oidc.jwks_uri])


def keys_unreachable(f):
    f("jwt_idp").oidc.jwks_uri = f"http://127.0.0.1:{closed_port()}/keys"
    return direct(id_token(f), [f("jwt_idp").oidc.jwks_uri, "Could not connect to 127.0.0.1"])


def token_of_another_tenant(f):
    f("jwt_idp").oidc.entra_tenant_id = TENANT
    other = "99999999-0000-0000-0000-000000000000"
    return direct(id_token(f, tid=other), [repr(other), TENANT])


def signed_with_a_shared_secret(f):
    error = id_token(f, alg="HS256", key="a-shared-secret-of-enough-length-0123456789")
    return direct(error, ["HS256", "public keys"])


def entra_token_of(f, **claims) -> SignInError:
    oidc_, key_ = f("entra_oidc"), f("key")
    return raised(validate_id_token, entra_tokens.token(oidc_, key_, **claims), oidc=oidc_, nonce="n")


def a_tenant_not_on_the_list(f):
    error = entra_token_of(f, tid=OTHER)
    return direct(error, [OTHER, "'ada@acme.test'", f"{LISTED} (Acme)"])


def a_multi_tenant_token_with_an_unproven_email(f):
    from signin.oidc.backend import multi_tenant_email

    claims = {"tid": LISTED, "email": "ceo@acme.test", "preferred_username": "guest", "xms_edov": False}
    return direct(raised(multi_tenant_email, claims), [LISTED, "xms_edov false", "preferred_username"])


def a_token_without_its_tenant(f):
    return direct(entra_token_of(f, tid=None, iss="https://login.example.test/x/v2.0"), ["no tid", "{tenantid}"])


def role_of(f, claims: dict):
    """The groups -> roles decision for a member signing in through a connection mapping `it` to admin."""
    from connections.role_mapping import RoleMapping
    from signin.complete import Vouched
    from signin.person import groups_of
    from signin.roles import decide

    connection_ = oidc_connection(f("acme"))
    mapping = RoleMapping(connection=connection_, rules_data=[{"group": "it", "role": "admin"}], unmatched="refuse")
    groups = groups_of(Vouched(connection_, "s", "p@acme.test", claims))
    return raised(decide, mapping, groups, "member", org_name="Acme")


def in_no_mapped_group(f):
    return direct(role_of(f, {"groups": ["staff", "sales"]}), ["staff", "sales", "it → admin", "groups"])


def groups_too_many_for_the_token(f):
    graph = "https://graph.microsoft.com/v1.0/users/u-1/getMemberObjects"
    claims = {"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": graph}}}
    return direct(role_of(f, claims), [graph, "it → admin"])


def signed_with_public_keys_on_an_hs_connection(f):
    return direct(id_token_on_hs(f, "HS256"), ["RS256", "HS256"])


def signed_with_another_secret(f):
    error = id_token_on_hs(f, "HS256", alg="HS256", key="another-clients-secret-also-32-bytes-long")
    return direct(error, ["HS256", "client secret"], hides=[HS_SECRET])


def signed_with_a_secret_too_short(f):
    error = id_token_on_hs(f, "HS512", alg="HS512", key=HS_SECRET)
    return direct(error, ["48 bytes", "HS512", "64 bytes"], hides=[HS_SECRET])


def unsigned_token(f):
    raw = jwt.encode({"iss": f("jwt_idp").oidc.issuer, "aud": CLIENT_ID}, None, algorithm="none")
    return direct(refused(f("jwt_idp"), raw), ["'none'"])


def not_a_jwt(f):
    try:
        jwt.get_unverified_header("not.a.jwt")
    except jwt.InvalidTokenError as exc:
        reason = str(exc)
    return direct(refused(f("jwt_idp"), "not.a.jwt"), [reason])


def token_without_sub(f):
    return direct(id_token(f, sub=None), ["the sub claim"])


def token_with_an_empty_sub(f):
    return direct(id_token(f, sub=""), ["sub is empty"])


def token_with_a_text_iat(f):
    from tests.test_oidc_id_token import hand_made

    idp_ = f("jwt_idp")
    claims = {
        "iss": idp_.oidc.issuer,
        "aud": CLIENT_ID,
        "sub": "s",
        "iat": "soon",
        "exp": 9_999_999_999,
        "nonce": "n-1",
    }
    return direct(refused(idp_, hand_made({"alg": "RS256", "kid": "k1"}, claims, f("keys")["k1"])), ["iat"])


def entra_token_with_a_numeric_oid(f):
    f("jwt_idp").oidc.entra_tenant_id = TENANT
    return direct(id_token(f, tid=TENANT, oid=42), ["oid is 42"])


def no_token_at_all(f):
    return direct(raised(validate_id_token, None, oidc=None, nonce=""), ["openid"])


def token_endpoint_answers_without_an_id_token(f):
    connection_ = token_endpoint(f, {"access_token": "at-0123456789", "token_type": "Bearer", "scope": "email profile"})
    names = [
        connection_.oidc.token_endpoint,
        "access_token, scope, token_type",
        "'email profile'",
        "'openid email profile'",
    ]
    return in_flow(f, callback(f, connection_, code="c"), names, hides=("at-0123456789",))


def token_endpoint_answers_html(f):
    connection_ = token_endpoint(f, "<html>Sign in</html>", content_type="text/html; charset=utf-8")
    names = [connection_.oidc.token_endpoint, "HTTP 200", "'text/html; charset=utf-8'"]
    return in_flow(f, callback(f, connection_, code="c"), names)


def token_endpoint_answers_a_number_as_id_token(f):
    connection_ = token_endpoint(f, {"id_token": 42})
    names = [connection_.oidc.token_endpoint, "id_token that is a JSON int"]
    return in_flow(f, callback(f, connection_, code="c"), names)


def token_without_nonce(f):
    return direct(id_token(f, nonce=None), ["no nonce claim"])


def token_of_another_sign_in(f):
    error = raised(
        validate_id_token,
        token(f("jwt_idp"), f("keys"), nonce="sent-by-another-tab"),
        oidc=f("jwt_idp").oidc,
        nonce="kept-in-this-session",
    )
    return direct(error, [], hides=("sent-by-another-tab", "kept-in-this-session"))


def no_nonce_kept(f):
    return direct(raised(validate_id_token, token(f("jwt_idp"), f("keys")), oidc=f("jwt_idp").oidc, nonce=None), [])


def callback_iss_of_another_idp(f):
    from signin.oidc.backend import check_response_issuer

    oidc = SimpleNamespace(issuer="https://idp.example.test/realm", discovery_document={}, entra_multi_tenant=False)
    error = raised(check_response_issuer, "https://mix-up.example.test/", oidc)
    return direct(error, ["'https://mix-up.example.test/'", "'https://idp.example.test/realm'"])


def callback_without_the_promised_iss(f):
    from signin.oidc.backend import check_response_issuer

    document = {"authorization_response_iss_parameter_supported": True}
    oidc = SimpleNamespace(
        issuer="https://idp.example.test/realm", discovery_document=document, entra_multi_tenant=False
    )
    return direct(raised(check_response_issuer, None, oidc), ["no iss parameter", "'https://idp.example.test/realm'"])


def userinfo(f, body=None, *, status=200, content_type="application/json", tokens=None, url=None):
    from signin.oidc.userinfo import userinfo_claims

    server = f("http_server")
    if body is not None:
        server.serve("/userinfo", body, status=status, content_type=content_type)
    oidc = SimpleNamespace(userinfo_endpoint=url or server.url("/userinfo"))
    return raised(userinfo_claims, oidc, tokens or {"access_token": "at-0123456789"}, subject="sub-1"), oidc


def userinfo_about_someone_else(f):
    error, _ = userinfo(f, json.dumps({"sub": "someone-else", "email": "eve@acme.test"}))
    return direct(error, ["'someone-else'", "'sub-1'"], hides=("at-0123456789",))


def userinfo_without_an_access_token(f):
    error, oidc = userinfo(f, tokens={"token_type": "Bearer"})
    return direct(error, [oidc.userinfo_endpoint, "no usable access_token"])


def userinfo_unreachable(f):
    error, oidc = userinfo(f, url=f"http://127.0.0.1:{closed_port()}/userinfo")
    return direct(error, [oidc.userinfo_endpoint, "Could not connect to 127.0.0.1"], hides=("at-0123456789",))


def userinfo_answers_500(f):
    error, oidc = userinfo(f, "oops", status=500, content_type="text/plain")
    return direct(error, [oidc.userinfo_endpoint, "HTTP 500"], hides=("at-0123456789",))


def userinfo_answers_a_jwt(f):
    error, oidc = userinfo(f, "eyJ.eyJ.sig", content_type="application/jwt")
    return direct(error, [oidc.userinfo_endpoint, "application/jwt"])


def userinfo_answers_html(f):
    error, oidc = userinfo(f, "<html></html>", content_type="text/html")
    return direct(error, [oidc.userinfo_endpoint, "not a JSON object"])


# -- OIDC: the callback and the token endpoint, through the real callback view --------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def token_endpoint(f, body, *, status=200, content_type="application/json", secret="a-secret-value-0123456789"):
    """An OIDC connection of Acme whose token endpoint, on the local server, answers `body`."""
    acme, server = f("acme"), f("http_server")
    Domain.objects.get_or_create(organization=acme, name="acme.test", defaults={"status": "verified"})
    made = oidc_connection(acme, issuer=server.url("/t/v2.0"), secret=secret)
    text = body if isinstance(body, str) else json.dumps(body)
    server.serve("/t/v2.0/oauth2/v2.0/token", text, status=status, content_type=content_type)
    return made


def callback(f, connection_, **params):
    client = f("client")
    return client.get("/sso/oidc", {"state": oidc_state(client, connection_), **params})


def refused_by_token_endpoint(f, description: str, *, error: str, status: int, names, **connection_):
    made = token_endpoint(f, {"error": error, "error_description": description}, status=status, **connection_)
    return in_flow(f, callback(f, made, code="c"), names(made), hides=("a-secret-value-0123456789",))


def state_this_browser_did_not_start(f):
    return in_flow(f, f("client").get("/sso/oidc", {"code": "c", "state": "forged"}), ["session: 0"])


def code_used_twice(f):
    description = "AADSTS70008: The provided authorization code expired."
    return refused_by_token_endpoint(
        f, description, error="invalid_grant", status=400, names=lambda _: [description, oidc_redirect_uri()]
    )


def token_endpoint_answers_502(f):
    made = token_endpoint(f, "<html>502 Bad Gateway</html>", status=502, content_type="text/html")
    return in_flow(f, callback(f, made, code="c"), [made.oidc.token_endpoint, "HTTP 502"])


def wrong_client_secret(f):
    description = "AADSTS7000215: Invalid client secret provided."
    return refused_by_token_endpoint(
        f,
        description,
        error="invalid_client",
        status=401,
        names=lambda _: [description, "'client-1'", "client_secret_basic", "client_secret_post"],
    )


def expired_client_secret(f):
    description = "AADSTS7000222: The provided client secret keys are expired."
    made = token_endpoint(f, {"error": "invalid_client", "error_description": description}, status=401)
    made.oidc.client_secret_expires_on = date(2026, 11, 30)
    made.oidc.save()
    names = [description, "'client-1'", "2026-11-30"]
    return in_flow(f, callback(f, made, code="c"), names, hides=("a-secret-value-0123456789",))


def redirect_uri_refused_by_the_token_endpoint(f):
    description = "AADSTS50011: The redirect URI specified does not match."
    return refused_by_token_endpoint(
        f, description, error="invalid_grant", status=400, names=lambda _: [description, oidc_redirect_uri()]
    )


def redirect_uri_refused_at_the_authorize_step(f):
    made = token_endpoint(f, {})
    description = "AADSTS50011: The redirect URI 'http://x/sso/oidc' does not match."
    landed = callback(f, made, error="invalid_request", error_description=description)
    return in_flow(f, landed, ["invalid_request", repr(description), oidc_redirect_uri(), "'client-1'"])


def token_endpoint_port_closed(f):
    acme = f("acme")
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    made = oidc_connection(acme, issuer=f"http://127.0.0.1:{closed_port()}/t/v2.0")
    return in_flow(f, callback(f, made, code="c"), [made.oidc.token_endpoint, "Could not connect to 127.0.0.1"])


def idp_says_not_assigned(f):
    made = token_endpoint(f, {})
    landed = callback(f, made, error="access_denied", error_description="AADSTS50105: not assigned")
    return in_flow(f, landed, ["access_denied", "'AADSTS50105: not assigned'", oidc_redirect_uri(), "'client-1'"])


def callback_with_neither_code_nor_error(f):
    made = token_endpoint(f, {})
    return in_flow(f, callback(f, made, session_state="x"), ["'session_state'", "'state'"])


def callback_with_an_error_of_no_code(f):
    made = token_endpoint(f, {})
    return in_flow(f, callback(f, made, error="<>!"), ["'<>!'"])


# -- SAML: crafted responses through the ACS and the finish step --------------------------------------------------


def saml_response(f, *, request_id: str | None = "", edit=None, **kwargs) -> str:
    client, connection_, idp_, sp_ = f("client"), f("connection"), f("idp"), f("sp")
    if request_id == "":
        request_id = start(client, connection_)
    arguments = {**answer(sp_, request_id), **kwargs}
    return idp_.edited(edit, **arguments) if edit else idp_.response(**arguments)


def posted(f, response: str, names, **kwargs) -> Seen:
    return in_flow(f, post(f("client"), response), names, **kwargs)


def after_signing(response: str, pattern: str, replacement: str) -> str:
    xml = unb64(response)
    assert re.search(pattern, xml), pattern
    return b64(re.sub(pattern, replacement, xml, count=1))


def fingerprint_of(pem: str) -> str:
    return load_certificate(pem).sha256_fingerprint


def signed_by_a_certificate_not_on_file(f):
    impostor = CraftingIdP(f("tmp_path"), sp_metadata=sp_metadata_xml(f("sp")), stem="other-app")
    response = impostor.response(**answer(f("sp"), start(f("client"), f("connection"))))
    on_file = f("connection").saml.certificates.get().sha256_fingerprint
    today, until = f"{datetime.now(UTC):%Y-%m-%d}", f"{datetime.now(UTC) + timedelta(days=30):%Y-%m-%d}"
    names = ["'CN=other-app'", fingerprint_of(impostor.certificate_pem), "'CN=idp'", on_file, today, until]
    return posted(f, response, names)


def changed_after_signing(f):
    response = after_signing(saml_response(f), ">ada@acme.test<", ">eve@acme.test<")
    return posted(f, response, ["'CN=idp'", f("connection").saml.certificates.get().sha256_fingerprint])


def refused_by_pysaml2_without_the_response(f):
    from saml2.sigver import SignatureError

    from signin.saml.pysaml2_errors import refusal_of

    certificate = f("connection").saml.certificates.get()
    error = refusal_of(SignatureError("bad"), connection=f("connection"), request_id="", saml_response="")
    return direct(error, ["CN=idp", certificate.sha256_fingerprint, f"expires {certificate.not_after:%Y-%m-%d}"])


def nothing_signed(f):
    return posted(f, saml_response(f, sign_assertion=False), ["Response", "Assertion"])


def response_signed_assertion_not(f):
    return posted(f, saml_response(f, sign_assertion=False, sign_response=True), ["Response is signed", "Assertion"])


def audience_of_another_sp(f):
    response = saml_response(f, audience="https://someone.else/sp")
    return posted(f, response, ["'https://someone.else/sp'", repr(f("sp").entity_id)])


def no_audience_restriction(f):
    edit = substitute(rf"<{SAML}AudienceRestriction>.*?</{SAML}AudienceRestriction>", "")
    return posted(f, saml_response(f, edit=edit), ["no AudienceRestriction", f("sp").entity_id])


def destination_of_another_app(f):
    response = saml_response(f, destination="https://app.example.test/saml/acs")
    return posted(f, response, ["'https://app.example.test/saml/acs'", saml_acs_url()])


def signed_response_without_destination(f):
    edit = substitute(r' Destination="[^"]*"', "")
    return posted(f, saml_response(f, edit=edit, sign_response=True), ["no Destination", saml_acs_url()])


def recipient_of_another_app(f):
    edit = substitute(r'Recipient="[^"]*"', 'Recipient="https://evil.test/acs"')
    return posted(f, saml_response(f, edit=edit), ["'https://evil.test/acs'", saml_acs_url()])


def issuer_of_another_idp(f):
    stranger = CraftingIdP(
        f("tmp_path"), sp_metadata=sp_metadata_xml(f("sp")), entity_id="https://stranger.test/idp", stem="s"
    )
    response = stranger.response(**answer(f("sp"), start(f("client"), f("connection"))))
    return posted(f, response, ["'https://stranger.test/idp'", repr(f("connection").saml.idp_entity_id)])


def issuer_refused_by_djangosaml2(f):
    from signin.saml.backend import ConnectionSAMLBackend

    # The second check, after the precheck compared the same Issuers: unreachable but by a bug, so it is stubbed.
    f("monkeypatch").setattr(ConnectionSAMLBackend, "is_authorized", lambda *args, **kwargs: False)
    return posted(f, saml_response(f), [repr(f("idp").entity_id), "IdP Entity ID on file"])


def issue_instant(response: str) -> datetime:
    value = re.search(r'IssueInstant="([^"]+)"', unb64(response)).group(1)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def posted_an_hour_late(f):
    response = saml_response(f)
    issued = issue_instant(response)
    later = issued + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        seen = posted(f, response, ["3300 s", f"{later:%Y-%m-%dT%H:%M:%SZ}", f"{issued:%Y-%m-%dT%H:%M:%SZ}", "120 s"])
    return seen


def expired_by_pysaml2s_check(f):
    from saml2.validate import ResponseLifetimeExceed, validate_on_or_after

    from signin.saml.pysaml2_errors import refusal_of

    with time_machine.travel(NOW, tick=False), pytest.raises(ResponseLifetimeExceed) as caught:
        validate_on_or_after("2027-01-15T07:00:00Z", 180)
    error = refusal_of(caught.value, connection=None, request_id="")
    return direct(error, ["2027-01-15T07:00:00Z", AT_NOW])


def posted_before_the_idps_clock(f):
    response = saml_response(f)
    earlier = issue_instant(response) - timedelta(seconds=600)
    with time_machine.travel(earlier, tick=False):
        seen = posted(f, response, ["600 s ahead", f"{earlier:%Y-%m-%dT%H:%M:%SZ}", "+600 s"])
    return seen


def too_early_by_pysaml2s_check(f):
    from saml2.validate import ToEarly, validate_before

    from signin.saml.pysaml2_errors import refusal_of

    with time_machine.travel(NOW, tick=False), pytest.raises(ToEarly) as caught:
        validate_before("2027-01-15T09:00:00Z", 180)
    return direct(refusal_of(caught.value, connection=None, request_id=""), ["2027-01-15T09:00:00Z", AT_NOW])


def the_same_idp_initiated_answer_twice(f):
    connection_, client = f("connection"), f("client")
    connection_.saml.allow_idp_initiated = True
    connection_.saml.save()
    response = saml_response(f, request_id=None)
    assert post(client, response)["Location"] == "/orgs/acme/"
    client.logout()
    assertion_id = re.search(rf'<{SAML}Assertion [^>]*?ID="([^"]+)"', unb64(response)).group(1)
    return posted(f, response, [repr(assertion_id)])


def idp_initiated_while_not_allowed(f):
    return posted(f, saml_response(f, request_id=None), [repr(f("idp").entity_id)])


def idp_initiated_allowed_by_two_connections(f):
    twin = another_connection(f("acme"), f("idp"), "Twin")
    f("connection").saml.__class__.objects.filter(connection__in=[f("connection"), twin]).update(
        allow_idp_initiated=True
    )
    return posted(f, saml_response(f, request_id=None), [repr(f("idp").entity_id), "'Crafted'", "'Twin'"])


# -- encrypted assertions ------------------------------------------------------------------------------------------


def fingerprint_of_ours(f) -> str:
    return load_certificate(f("sp").encryption_certificate_pem).sha256_fingerprint


def clear_assertion_where_encryption_is_required(f):
    f("connection").saml.__class__.objects.filter(connection=f("connection")).update(require_encryption=True)
    return posted(f, saml_response(f), ["requires encrypted assertions", fingerprint_of_ours(f)])


def encrypted_for_another_certificate(f):
    from connections.sp import generate_key_pair

    stranger, _key = generate_key_pair(common_name="another SP")
    response = encrypted_response(f("idp"), f("sp"), start(f("client"), f("connection")), certificate=stranger)
    return posted(f, response, ["Assertion", fingerprint_of_ours(f)])


def encrypted_with_rsa_1_5(f):
    import xmlsec

    response = encrypted_response(
        f("idp"), f("sp"), start(f("client"), f("connection")), transport=xmlsec.constants.TransformRsaPkcs1
    )
    return posted(f, response, ["rsa-1_5"])


def encrypted_with_a_key_wrap_algorithm(f):
    response = encrypted_response(f("idp"), f("sp"), start(f("client"), f("connection")))
    return posted(f, b64_edit(response, f"{XENC}rsa-oaep-mgf1p", f"{XENC}kw-aes256"), ["kw-aes256"])


def ciphertext_changed_after_encryption(f):
    xml = unb64(encrypted_response(f("idp"), f("sp"), start(f("client"), f("connection"))))
    value = xml.rsplit("<xenc:CipherValue>", 1)[1].split("</xenc:CipherValue>", 1)[0]
    flipped = ("B" if value[40] == "A" else "A").join((value[:40], value[41:]))
    return posted(f, b64(xml.replace(value, flipped)), ["EncryptedAssertion"])


# -- signing out ----------------------------------------------------------------------------------------------------


def sign_out_refused(f, landed, names) -> Seen:
    assert landed.status_code == 400, landed.status_code
    error = f("sign_out_refusals")[-1]
    assert f"<code>{error.code}</code>" in landed.content.decode()
    return Seen(error.code, error.detail, names, None, ())


def slo_connection(f):
    """The crafted IdP's connection with single logout on: its LogoutRequests and answers are signed by its key."""
    saml = f("connection").saml
    saml.slo_redirect_url = saml.slo_post_url = "https://idp.crafted.test/slo"
    saml.single_logout = True
    saml.save()
    return f("connection")


def returned_with_a_state_never_sent(f):
    landed = Client().get("/sso/logout/done", {"state": "st-forged"})
    return sign_out_refused(f, landed, ["'st-forged'"])


def returned_without_a_state(f):
    return sign_out_refused(f, Client().get("/sso/logout/done"), ["no state parameter"])


def slo_given_text(f):
    landed = Client().get("/sso/saml/slo", {"SAMLRequest": "bm90IHNhbWw="})
    return sign_out_refused(f, landed, ["SAMLRequest", "DEFLATE"])


def slo_given_nothing(f):
    return sign_out_refused(f, Client().get("/sso/saml/slo", {"page": "1"}), ["page", "SAMLRequest"])


def slo_from_an_idp_without_single_logout(f):
    f("connection")  # single logout off
    info = logout_request(f("idp"), "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect")
    landed = send(info, "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect")
    return sign_out_refused(f, landed, [repr(f("connection").saml.idp_entity_id)])


def slo_request(f, edit_query=None):
    from urllib.parse import parse_qsl, urlsplit

    slo_connection(f)
    info = logout_request(f("idp"), "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect")
    query = dict(parse_qsl(urlsplit(dict(info["headers"])["Location"]).query))
    return Client().get("/sso/saml/slo", edit_query(query) if edit_query else query)


def slo_without_its_signature(f):
    landed = slo_request(f, lambda q: {k: v for k, v in q.items() if k != "Signature"})
    return sign_out_refused(f, landed, ["HTTP-Redirect", "Signature"])


def slo_signed_with_sha1(f):
    sha1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    return sign_out_refused(f, slo_request(f, lambda q: {**q, "SigAlg": sha1}), [repr(sha1)])


def slo_signed_by_another_key(f):
    landed = slo_request(f, lambda q: {**q, "Signature": q["Signature"][:-8] + "AAAAAAA="})
    return sign_out_refused(f, landed, ["Crafted", "signing certificates"])


def slo_addressed_elsewhere(f):
    from urllib.parse import parse_qsl, urlsplit

    from django.conf import settings

    slo_connection(f)
    info = logout_request(f("idp"), "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect")
    query = dict(parse_qsl(urlsplit(dict(info["headers"])["Location"]).query))
    assert settings.PUBLIC_BASE_URL != "https://another.example.test"
    f("settings").PUBLIC_BASE_URL = "https://another.example.test"  # the IdP still has the old address
    return sign_out_refused(f, Client().get("/sso/saml/slo", query), ["https://another.example.test/sso/saml/slo"])


def logout_response(f, in_response_to: str, status=None):
    from saml2.saml import Issuer
    from saml2.samlp import LogoutRequest
    from saml2.xmldsig import SIG_RSA_SHA256

    redirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
    ours = LogoutRequest(id=in_response_to, issuer=Issuer(text=f("sp").entity_id))
    response = f("idp").server.create_logout_response(ours, [redirect], status=status)
    info = f("idp").server.apply_binding(
        redirect, str(response), response.destination, sign=True, sigalg=SIG_RSA_SHA256, response=True
    )
    return "?" + dict(info["headers"])["Location"].split("?", 1)[1]


def slo_answer_to_nothing_sent(f):
    slo_connection(f)
    return sign_out_refused(f, Client().get("/sso/saml/slo" + logout_response(f, "_never-sent")), ["'_never-sent'"])


def slo_answer_that_the_idp_refused(f):
    from django.core.cache import cache
    from saml2.s_utils import status_message_factory
    from saml2.samlp import STATUS_RESPONDER

    from signin.saml.logout import OUTSTANDING_SECONDS, _outstanding_key

    connection_ = slo_connection(f)
    cache.set(_outstanding_key("_ours-1"), connection_.pk, OUTSTANDING_SECONDS)
    status = status_message_factory("no session here", STATUS_RESPONDER)
    landed = Client().get("/sso/saml/slo" + logout_response(f, "_ours-1", status))
    return sign_out_refused(f, landed, [STATUS_RESPONDER, "no session here"])


def deprovisioned_by_directory_sync(f):
    from directory.models import SCIMDirectory, SCIMUser

    ada = User.objects.create_user("ada@acme.test")
    Membership.objects.create(user=ada, organization=f("acme"))
    directory = SCIMDirectory.objects.create(organization=f("acme"), display_name="Entra ID (employees)")
    SCIMUser.objects.create(
        directory=directory, organization=f("acme"), user_name="ada@acme.test", user_name_key="ada@acme.test",
        email="ada@acme.test", active=False, user=ada,
    )  # fmt: skip
    return posted(f, saml_response(f), ["ada@acme.test", "Acme", "active to false"])


def answer_to_another_browsers_request(f):
    theirs = start(Client(), f("connection"))
    return posted(f, saml_response(f, request_id=theirs), [repr(theirs)])


def answer_to_a_request_dropped_from_the_session(f):
    client, connection_ = f("client"), f("connection")
    first = start(client, connection_)
    for _ in range(10):
        start(client, connection_)
    return posted(f, saml_response(f, request_id=first), [repr(first), "10"])


def answer_for_a_deleted_connection(f):
    request_id = start(f("client"), f("connection"))
    response = saml_response(f, request_id=request_id)
    f("connection").delete()
    return posted(f, response, [repr(request_id)])


def answer_to_a_request_never_sent(f):
    start(f("client"), f("connection"))
    return posted(f, saml_response(f, request_id="id-we-never-sent-this"), ["'id-we-never-sent-this'"])


def confirmation_answers_another_request(f):
    ours = start(f("client"), f("connection"))
    edit = substitute(r'(SubjectConfirmationData[^>]*InResponseTo=")[^"]*', r"\1id-another-request")
    return posted(f, saml_response(f, request_id=ours, edit=edit), [repr(ours), "'id-another-request'"])


def pysaml2_finds_the_request_missing(f):
    from saml2.response import UnsolicitedResponse

    from signin.saml.pysaml2_errors import refusal_of

    error = refusal_of(UnsolicitedResponse("Unsolicited response: id-x"), connection=None, request_id="id-ours-123")
    return direct(error, ["id-ours-123"])


def sha1_signature(f):
    from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA1

    response = saml_response(f, algorithms=(SIG_RSA_SHA1, DIGEST_SHA256))
    return posted(f, response, ["'http://www.w3.org/2000/09/xmldsig#rsa-sha1'", "SHA-1"])


def rsa_pss_signature(f):
    pss = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
    response = after_signing(
        saml_response(f), r'Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"', f'Algorithm="{pss}"'
    )
    return posted(f, response, [repr(pss)])


def tenantid_of_another_tenant(f):
    from signin.saml.subject import ENTRA_OBJECT_ID, ENTRA_TENANT_ID, subject_of

    other = "bbbbbbbb-1111-2222-3333-444444444444"
    attributes = {ENTRA_OBJECT_ID: ["oid-1"], ENTRA_TENANT_ID: [other]}
    name_id = SimpleNamespace(format=NAMEID_FORMAT_PERSISTENT, text="p-1")
    error = raised(subject_of, name_id, attributes, email="ada@acme.test", idp_entity_id=ENTRA_A)
    return direct(error, [repr(other), "aaaaaaaa-1111-2222-3333-444444444444", ENTRA_A])


def empty_name_id(f):
    edit = substitute(rf"(<{SAML}NameID[^>]*>)[^<]*(</{SAML}NameID>)", r"\1\2")
    response = saml_response(
        f, edit=edit, name_id="p-1", name_id_format=NAMEID_FORMAT_PERSISTENT, attributes={"mail": ["ada@acme.test"]}
    )
    return posted(f, response, ["an empty NameID", NAMEID_FORMAT_PERSISTENT])


def no_name_id(f):
    edit = substitute(rf"<{SAML}NameID[^>]*>[^<]*</{SAML}NameID>", "")
    return posted(f, saml_response(f, edit=edit, attributes={"mail": ["ada@acme.test"]}), ["no NameID"])


def encrypted_name_id(f):
    from tests.test_saml_acs_refusals import ENCRYPTED_DATA

    edit = substitute(rf"<({SAML})NameID .*?</{SAML}NameID>", rf"<\1EncryptedID>{ENCRYPTED_DATA}</\1EncryptedID>")
    return posted(f, saml_response(f, edit=edit, attributes={"mail": ["ada@acme.test"]}), ["no xenc:EncryptedKey"])


def idp_answers_responder(f):
    response = f("idp").error_response(
        in_response_to=start(f("client"), f("connection")),
        destination=saml_acs_url(),
        status="urn:oasis:names:tc:SAML:2.0:status:Responder",
        message="AADSTS50105: user not assigned",
    )
    return posted(f, response, ["'urn:oasis:names:tc:SAML:2.0:status:Responder'", "'AADSTS50105: user not assigned'"])


def pysaml2_status_error(f):
    from saml2.response import StatusError

    from signin.saml.pysaml2_errors import refusal_of

    error = refusal_of(StatusError("AADSTS50105: user not assigned"), connection=None, request_id="")
    return direct(error, ["AADSTS50105: user not assigned"])


def no_status(f):
    response = after_signing(saml_response(f), rf"<{SAML}Status>.*?</{SAML}Status>", "")
    return posted(f, response, ["no Status"])


def response_of_another_version(f):
    response = after_signing(saml_response(f), r'(<\w+:Response [^>]*?)Version="2.0"', r'\1Version="1.1"')
    return posted(f, response, ["'1.1'"])


def two_assertions(f):
    from tests.test_saml_acs_refusals import duplicate_assertion

    return posted(f, saml_response(f, edit=duplicate_assertion), ["2 assertions"])


def issued_two_days_ago(f):
    response = saml_response(f)
    issued = issue_instant(response)
    later = issued + timedelta(days=2)
    with time_machine.travel(later, tick=False):
        seen = posted(f, response, [f"'{issued:%Y-%m-%dT%H:%M:%SZ}'", "-172800 s", f"{later:%Y-%m-%dT%H:%M:%SZ}"])
    return seen


def unreadable_not_before(f):
    response = after_signing(saml_response(f), r'NotBefore="[^"]*"', 'NotBefore="soon-ish"')
    return posted(f, response, ["'soon-ish'"])


def session_not_on_or_after_past(f):
    edit = substitute(rf"<({SAML})AuthnStatement ", r'<\1AuthnStatement SessionNotOnOrAfter="2020-01-01T00:00:00Z" ')
    return posted(f, saml_response(f, edit=edit), ["'2020-01-01T00:00:00Z'"])


def confirmation_valid_forever(f):
    edit = substitute(r'(<\w+:SubjectConfirmationData[^>]*?) NotOnOrAfter="[^"]*"', r"\1")
    return posted(f, saml_response(f, edit=edit), ["SubjectConfirmationData has no NotOnOrAfter"])


def sender_vouches_only(f):
    edit = substitute(
        r'Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"', 'Method="urn:oasis:names:tc:SAML:2.0:cm:sender-vouches"'
    )
    return posted(f, saml_response(f, edit=edit), ["bearer"])


def assertion_outside_the_schema(f):
    edit = substitute(rf"<{SAML}AuthnContext[ >/].*?</{SAML}AuthnContext>", "")
    return posted(f, saml_response(f, edit=edit), ["SAML schema"])


def posted_to_the_acs(f, saml_response_b64: str, names) -> Seen:
    landed = f("client").post("/sso/saml", {"SAMLResponse": saml_response_b64})
    assert not SignInEvent.objects.exists()  # anonymous junk: nobody's to read
    return in_flow(f, landed, names)


def a_web_page_posted(f):
    return posted_to_the_acs(f, b64("<html><body>Sign in</body></html>"), ["'html'", "Response"])


def nothing_posted(f):
    return posted_to_the_acs(f, "", ["nothing was posted"])


def text_posted(f):
    return posted_to_the_acs(f, b64("just some text"), ["not XML", "ParseError"])


def too_much_posted(f):
    return posted_to_the_acs(f, "A" * 1_400_000, ["1400000 characters", "1000 kB"])


def nested_too_deep(f):
    deep = "<x:e xmlns:x='urn:x'>" * 40 + "</x:e>" * 40
    xml = f'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">{deep}</samlp:Response>'
    return posted_to_the_acs(f, b64(xml), ["32 levels"])


def unreadable_at_the_finish_step(f):
    from signin.saml.views import _peek

    return direct(raised(_peek, b64("<a/>")), ["'a'"])


def finish_link_used_up(f):
    return in_flow(f, f("client").get(f"/sso/saml/finish/{'a' * 43}"), ["5 minutes"])


def the_same_answer_after_signing_out(f):
    client = f("client")
    request_id = start(client, f("connection"))
    response = saml_response(f, request_id=request_id)
    assert post(client, response)["Location"] == "/orgs/acme/"
    client.logout()
    return posted(f, response, [repr(request_id)])


# -- who may come in: the email, the domain, the account ----------------------------------------------------------


def member(f, *, subject: str = "", **user):
    ada = User.objects.create_user("ada@acme.test", **user)
    Membership.objects.create(user=ada, organization=f("acme"))
    if subject:
        SSOIdentity.objects.create(connection=f("connection"), subject=subject, user=ada, email=ada.email)
    return ada


def persistent_name_id_and_no_email_attribute(f):
    response = saml_response(
        f, name_id="p-1", name_id_format=NAMEID_FORMAT_PERSISTENT, attributes={"givenName": ["Ada"]}
    )
    return posted(f, response, ["an email NameID", "mail", "Received: givenName"])


def email_verified_false(f):
    idp_ = CraftedIdP(f("http_server"), prefix="/okta")
    made = connect(f("jit"), idp_)
    landed = sign_in(f("client"), made, idp_, email="bob@acme.test", email_verified=False)
    return in_flow(f, landed, ["bob@acme.test", "email_verified false"])


def entras_initial_domain(f):
    response = saml_response(f, name_id="ada@acme.onmicrosoft.com")
    return posted(f, response, ["acme.onmicrosoft.com", "ada@acme.onmicrosoft.com", "verified domains: acme.test"])


def invite_only(f):
    f("sp")
    f("acme").provisioning_mode = "invite_only"
    f("acme").save()
    return posted(f, saml_response(f), ["ada@acme.test"])


def email_name_id_became_persistent(f):
    f("sp")
    member(f, subject="nameid:ada@acme.test")
    response = saml_response(
        f, name_id="p-new", name_id_format=NAMEID_FORMAT_PERSISTENT, attributes={"mail": ["ada@acme.test"]}
    )
    return posted(f, response, ["ada@acme.test", described("nameid:ada@acme.test"), described("persistent:p-new")])


def address_given_to_someone_new(f):
    f("sp")
    member(f, subject="persistent:p-old")
    response = saml_response(
        f, name_id="p-new", name_id_format=NAMEID_FORMAT_PERSISTENT, attributes={"mail": ["ada@acme.test"]}
    )
    return posted(f, response, ["ada@acme.test", described("persistent:p-old"), described("persistent:p-new")])


def account_of_another_organization(f):
    f("sp")
    ada = User.objects.create_user("ada@acme.test")
    Membership.objects.create(user=ada, organization=f("globex"))
    return posted(f, saml_response(f), ["ada@acme.test", "Acme"])


def deactivated_account(f):
    f("sp")
    member(f, is_active=False)
    return posted(f, saml_response(f), ["ada@acme.test"])


def name_id_too_long(f):
    response = saml_response(
        f, name_id="x" * 600, name_id_format=NAMEID_FORMAT_PERSISTENT, attributes={"mail": ["ada@acme.test"]}
    )
    return posted(f, response, ["611 characters", "512", "13", "254"])


# -- any connection: the start and the email prompt ---------------------------------------------------------------


def sso_start(f):
    return f("client").post(reverse("sso_start", kwargs={"public_id": f("connection").public_id}))


def disabled_connection(f):
    f("connection").enabled = False
    f("connection").save()
    return in_flow(f, sso_start(f), ["Crafted"])


def free_plan_at_the_start(f):
    f("connection")
    f("acme").plan = "free"
    f("acme").save()
    return in_flow(f, sso_start(f), ["Acme", "Free plan"])


def free_plan_at_the_prompt(f):
    f("sp")
    f("acme").plan = "free"
    f("acme").save()
    return in_flow(f, f("client").post("/sso/login", {"email": "ada@acme.test"}), ["Acme", "Free plan"])


def every_connection_disabled(f):
    f("connection").enabled = False
    f("connection").save()
    landed = f("client").post("/sso/login", {"email": "ada@acme.test"})
    return in_flow(f, landed, ["acme.test", "Acme", "all disabled: Crafted"])


def no_connection_at_all(f):
    f("sp")
    return in_flow(
        f, f("client").post("/sso/login", {"email": "ada@acme.test"}), ["acme.test", "Acme", "no connection"]
    )


def a_domain_nobody_verified(f):
    # Not a refusal but a form error: a stranger's typo is recorded nowhere; what the page says names the domain.
    page = html.unescape(f("client").post("/sso/login", {"email": "ada@nowhere.test"}).content.decode())
    said = CATALOGUE["unknown_domain"].person.format(domain="nowhere.test")
    assert said in page
    return Seen("unknown_domain", said, ["nowhere.test"])


# code -> the provocations of each place it is raised (one row each); each returns the values its detail must name
ROWS = [
    Row("issuer_mismatch", issuer_of_another_tenant),
    Row("aud_mismatch", audience_of_another_app),
    Row("azp_mismatch", azp_of_another_party),
    Row("token_expired", expired),
    Row("token_not_yet_valid", not_before_ahead),
    Row("token_issued_in_future", issued_ahead),
    Row("bad_signature", signed_by_another_key),
    Row("unknown_key", kid_not_published),
    Row("kid_missing", no_kid_among_several_keys),
    Row("jwks_unreachable", keys_answer_404, "http-error"),
    Row("jwks_unreachable", keys_answer_not_a_key_set, "not-a-key-set"),
    Row("jwks_unreachable", keys_unreachable, "unreachable"),
    Row("entra_tenant_mismatch", token_of_another_tenant),
    Row("hs_alg_not_chosen", signed_with_a_shared_secret),
    Row("entra_tenant_not_allowed", a_tenant_not_on_the_list),
    Row("no_matching_group", in_no_mapped_group),
    Row("groups_overage", groups_too_many_for_the_token),
    Row("entra_tid_missing", a_token_without_its_tenant),
    Row("entra_email_unproven", a_multi_tenant_token_with_an_unproven_email),
    Row("id_token_alg_mismatch", signed_with_public_keys_on_an_hs_connection),
    Row("secret_signature_mismatch", signed_with_another_secret),
    Row("secret_too_short", signed_with_a_secret_too_short),
    Row("bad_alg", unsigned_token),
    Row("bad_token", not_a_jwt, "not-a-jwt"),
    Row("bad_token", token_without_sub, "missing-claim"),
    Row("bad_token", token_with_an_empty_sub, "empty-sub"),
    Row("bad_token", token_with_a_text_iat, "wrong-type"),
    Row("bad_token", entra_token_with_a_numeric_oid, "entra-oid"),
    Row("no_id_token", no_token_at_all, "validator"),
    Row("no_id_token", token_endpoint_answers_without_an_id_token, "token-endpoint"),
    Row("bad_token_response", token_endpoint_answers_html, "not-json"),
    Row("bad_token_response", token_endpoint_answers_a_number_as_id_token, "id-token-not-a-string"),
    Row("nonce_missing", token_without_nonce),
    Row(
        "nonce_mismatch",
        token_of_another_sign_in,
        "another-nonce",
        reason="the nonces are secrets of the sign-in: the detail says why, not which",
    ),
    Row("nonce_mismatch", no_nonce_kept, "none-kept", reason="no nonce was kept: there is no value to name"),
    Row("response_issuer_mismatch", callback_iss_of_another_idp, "another-iss"),
    Row("response_issuer_mismatch", callback_without_the_promised_iss, "iss-missing"),
    Row("userinfo_sub_mismatch", userinfo_about_someone_else),
    Row("userinfo_error", userinfo_without_an_access_token, "no-access-token"),
    Row("userinfo_error", userinfo_unreachable, "unreachable"),
    Row("userinfo_error", userinfo_answers_500, "http-error"),
    Row("userinfo_error", userinfo_answers_a_jwt, "signed-jwt"),
    Row("userinfo_error", userinfo_answers_html, "not-json"),
    Row("state_mismatch", state_this_browser_did_not_start),
    Row("token_error", code_used_twice, "invalid-grant"),
    Row("token_error", token_endpoint_answers_502, "not-json"),
    Row("invalid_client", wrong_client_secret),
    Row("client_secret_expired", expired_client_secret),
    Row("redirect_uri_mismatch", redirect_uri_refused_by_the_token_endpoint, "token-endpoint"),
    Row("redirect_uri_mismatch", redirect_uri_refused_at_the_authorize_step, "authorize-step"),
    Row("token_endpoint_unreachable", token_endpoint_port_closed),
    Row("idp_error", idp_says_not_assigned),
    Row("unknown", callback_with_neither_code_nor_error, "neither-code-nor-error"),
    Row("unknown", callback_with_an_error_of_no_code, "error-without-a-code"),
    Row("saml_bad_signature", signed_by_a_certificate_not_on_file, "unknown-certificate"),
    Row("saml_bad_signature", changed_after_signing, "changed-after-signing"),
    Row("saml_bad_signature", refused_by_pysaml2_without_the_response, "no-answer-kept"),
    Row("saml_unsigned", nothing_signed),
    Row("saml_assertion_unsigned", response_signed_assertion_not),
    Row("audience_mismatch", audience_of_another_sp, "another-audience"),
    Row("audience_mismatch", no_audience_restriction, "no-audience-restriction"),
    Row("destination_mismatch", destination_of_another_app, "another-destination"),
    Row("destination_mismatch", signed_response_without_destination, "signed-without-destination"),
    Row("recipient_mismatch", recipient_of_another_app),
    Row("unknown_issuer", issuer_of_another_idp, "precheck"),
    Row("unknown_issuer", issuer_refused_by_djangosaml2, "djangosaml2"),
    Row("response_expired", posted_an_hour_late, "precheck"),
    Row("response_expired", expired_by_pysaml2s_check, "pysaml2"),
    Row("response_not_yet_valid", posted_before_the_idps_clock, "precheck"),
    Row("response_not_yet_valid", too_early_by_pysaml2s_check, "pysaml2"),
    Row("replayed_assertion", the_same_idp_initiated_answer_twice),
    Row("unsolicited_response", idp_initiated_while_not_allowed),
    Row("saml_idp_initiated_ambiguous", idp_initiated_allowed_by_two_connections),
    Row("saml_request_unknown", answer_to_another_browsers_request, "another-browser"),
    Row("saml_request_unknown", answer_to_a_request_dropped_from_the_session, "dropped-from-the-latest-ten"),
    Row("saml_request_unknown", answer_for_a_deleted_connection, "connection-deleted"),
    Row("saml_request_never_sent", answer_to_a_request_never_sent),
    Row("saml_in_response_to_mismatch", confirmation_answers_another_request, "route"),
    Row("saml_in_response_to_mismatch", pysaml2_finds_the_request_missing, "pysaml2"),
    Row("saml_weak_algorithm", sha1_signature),
    Row("saml_unsupported_algorithm", rsa_pss_signature),
    Row("saml_entra_tenant_mismatch", tenantid_of_another_tenant),
    Row("saml_no_name_id", empty_name_id, "empty"),
    Row("saml_no_name_id", no_name_id, "missing"),
    Row("saml_encryption_unsupported", encrypted_name_id, "no-encrypted-key"),
    Row("saml_decryption_failed", ciphertext_changed_after_encryption, "changed"),
    Row("saml_encryption_required", clear_assertion_where_encryption_is_required),
    Row("saml_encrypted_for_another_key", encrypted_for_another_certificate),
    Row("saml_encryption_weak", encrypted_with_rsa_1_5),
    Row("saml_encryption_unsupported", encrypted_with_a_key_wrap_algorithm, "key-wrap"),
    Row("deprovisioned", deprovisioned_by_directory_sync),
    Row("logout_state_mismatch", returned_with_a_state_never_sent, "forged"),
    Row("logout_state_mismatch", returned_without_a_state, "none"),
    Row("slo_unreadable", slo_given_text, "not-deflate"),
    Row("slo_unreadable", slo_given_nothing, "no-message"),
    Row("slo_unknown_issuer", slo_from_an_idp_without_single_logout),
    Row("slo_unsigned", slo_without_its_signature),
    Row("slo_bad_signature", slo_signed_with_sha1, "sha1"),
    Row("slo_bad_signature", slo_signed_by_another_key, "forged"),
    Row("slo_invalid", slo_addressed_elsewhere),
    Row("slo_response_unknown", slo_answer_to_nothing_sent),
    Row("slo_idp_refused", slo_answer_that_the_idp_refused),
    Row("saml_idp_status", idp_answers_responder, "precheck"),
    Row("saml_idp_status", pysaml2_status_error, "pysaml2"),
    Row("saml_invalid", no_status, "no-status"),
    Row("saml_invalid", response_of_another_version, "version"),
    Row("saml_invalid", two_assertions, "two-assertions"),
    Row("saml_invalid", issued_two_days_ago, "issue-instant-far"),
    Row("saml_invalid", unreadable_not_before, "unreadable-time"),
    Row("saml_invalid", session_not_on_or_after_past, "session-ended"),
    Row("saml_invalid", confirmation_valid_forever, "confirmation-without-not-on-or-after"),
    Row("saml_invalid", sender_vouches_only, "no-bearer"),
    Row("saml_invalid", assertion_outside_the_schema, "schema"),
    Row("saml_unreadable", a_web_page_posted, "html"),
    Row("saml_unreadable", nothing_posted, "empty"),
    Row("saml_unreadable", text_posted, "not-xml"),
    Row("saml_unreadable", too_much_posted, "too-large"),
    Row("saml_unreadable", nested_too_deep, "too-deep"),
    Row("saml_unreadable", unreadable_at_the_finish_step, "finish-step"),
    Row("saml_stash_expired", finish_link_used_up, "finish-link-unknown"),
    Row("saml_stash_expired", the_same_answer_after_signing_out, "answered-already"),
    Row("no_email", persistent_name_id_and_no_email_attribute),
    Row("email_not_verified", email_verified_false),
    Row("email_domain_not_verified", entras_initial_domain),
    Row("not_invited", invite_only),
    Row("subject_format_changed", email_name_id_became_persistent),
    Row("email_reused", address_given_to_someone_new),
    Row("account_exists", account_of_another_organization),
    Row("account_disabled", deactivated_account),
    Row("bad_identity", name_id_too_long),
    Row("connection_disabled", disabled_connection),
    Row("plan_not_paid", free_plan_at_the_start, "start"),
    Row("plan_not_paid", free_plan_at_the_prompt, "prompt"),
    Row("no_connection", every_connection_disabled, "all-disabled"),
    Row("no_connection", no_connection_at_all, "none"),
    Row("unknown_domain", a_domain_nobody_verified),
]


# -- the tests ----------------------------------------------------------------------------------------------------


def test_every_catalogue_code_has_a_row_that_provokes_it():
    assert {r.code for r in ROWS} == set(CATALOGUE)


def test_each_row_is_told_apart():
    places = [(r.code, r.place) for r in ROWS]
    assert len(places) == len(set(places))


@pytest.mark.django_db
@pytest.mark.parametrize("case", ROWS, ids=[f"{r.code}-{r.place}" if r.place else r.code for r in ROWS])
def test_the_explanation_names_the_values_involved(request, refusals, sign_out_refusals, case):
    seen = case.provoke(request.getfixturevalue)
    assert seen.code == case.code, seen.detail
    assert seen.detail, f"{case.code} says nothing of what happened"
    missing = [value for value in seen.names if value not in seen.detail]
    assert not missing, f"{case.code}: {seen.detail!r} does not name {missing}"
    assert seen.names or case.reason, f"{case.code} names no value and says not why"
    for secret in seen.hides:
        assert secret not in seen.detail
    if seen.event is not None:  # what the owners read is the detail itself, on the event's own page
        assert seen.event.detail == seen.detail
    if seen.event is not None and seen.event.organization.has_sso:  # on a free plan the console shows the plan
        owner = Client()
        owner.force_login(request.getfixturevalue("alice"))
        page = owner.get(reverse("connections:event", args=[seen.event.organization.slug, seen.event.public_id]))
        assert escape(seen.detail) in page.content.decode()
    assert "Traceback" not in seen.detail and "object at 0x" not in seen.detail


# -- the fix a page shows has every placeholder filled -------------------------------------------------------------


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_placeholder_of_a_fix_is_one_the_pages_fill(acme):
    filled = fix_values(org=acme)
    for entry in ENTRIES:
        assert placeholders(entry.fix) <= filled.keys(), entry.code
        assert not placeholders(entry.fix_with(filled)), entry.code


def test_the_troubleshooting_page_shows_every_fix_filled(as_alice, acme):
    page = html.unescape(as_alice.get(reverse("connections:troubleshooting", args=[acme.slug])).content.decode())
    filled = fix_values(org=acme)
    for entry in ENTRIES:
        assert entry.fix_with(filled) in page, entry.code
    for name in set().union(*(placeholders(e.fix) for e in ENTRIES)):
        assert "{" + name + "}" not in page


@pytest.mark.parametrize("code", ["audience_mismatch", "destination_mismatch"])
def test_the_event_page_shows_the_fix_filled(client, alice, connection, idp, sp, code):  # noqa: F811
    edit = {"audience": "https://someone.else/sp"} if code == "audience_mismatch" else {"destination": "https://x/acs"}
    post(client, idp.response(**{**answer(sp, start(client, connection)), **edit}))
    client.force_login(alice)
    event = SignInEvent.objects.get(code=code)
    page = html.unescape(client.get(reverse("connections:event", args=["acme", event.public_id])).content.decode())
    assert CATALOGUE[code].fix_with(fix_values(org=connection.organization)) in page
    assert "{sp_entity_id}" not in page and "{acs_url}" not in page


def test_a_connection_test_shows_the_fix_filled(client, alice, connection, idp, sp):  # noqa: F811
    from tests.test_test_connection import start_test

    client.force_login(alice)
    response = idp.response(**{**answer(sp, start_test(client, connection)), "audience": "https://someone.else/sp"})
    page = html.unescape(post(client, response).content.decode())
    assert "audience_mismatch" in page
    assert f"Set the IdP's Identifier (Entity ID) to {sp.entity_id}." in page
    assert "{sp_entity_id}" not in page


# -- what an attacker puts in a response reaches the owners' page escaped ------------------------------------------

HOSTILE = "<script>alert(1)</script>\"'&"


def event_page(client, alice, code) -> str:
    client.logout()
    client.force_login(alice)
    event = SignInEvent.objects.get(code=code)
    return client.get(reverse("connections:event", args=["acme", event.public_id])).content.decode()


def hostile_issuer(client, connection, idp, sp, tmp_path):  # noqa: F811
    stranger = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), entity_id=f"https://x.test/{HOSTILE}", stem="h")
    post(client, stranger.response(**answer(sp, start(client, connection))))
    return "unknown_issuer"


def hostile_audience(client, connection, idp, sp, tmp_path):  # noqa: F811
    post(client, idp.response(**{**answer(sp, start(client, connection)), "audience": HOSTILE}))
    return "audience_mismatch"


def hostile_name_id(client, connection, idp, sp, tmp_path):  # noqa: F811
    # Shown among what the IdP sent; the refusal is for the email's domain.
    attributes = {"mail": ["ada@acme.onmicrosoft.com"]}
    response = idp.response(
        **answer(sp, start(client, connection)),
        name_id=HOSTILE,
        name_id_format=NAMEID_FORMAT_PERSISTENT,
        attributes=attributes,
    )
    post(client, response)
    return "email_domain_not_verified"


def hostile_status_message(client, connection, idp, sp, tmp_path):  # noqa: F811
    request_id = start(client, connection)
    refusal = idp.error_response(in_response_to=request_id, destination=saml_acs_url(), status="urn:x", message=HOSTILE)
    post(client, refusal)
    return "saml_idp_status"


@pytest.mark.parametrize("provoke", [hostile_issuer, hostile_audience, hostile_name_id, hostile_status_message])
def test_a_hostile_saml_value_is_shown_escaped(client, alice, connection, idp, sp, tmp_path, provoke):  # noqa: F811
    code = provoke(client, connection, idp, sp, tmp_path)
    page = event_page(client, alice, code)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_hostile_error_description_is_shown_escaped(client, alice, acme, http_server):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    made = oidc_connection(acme, issuer=http_server.url("/t/v2.0"))
    client.get("/sso/oidc", {"state": oidc_state(client, made), "error": "access_denied", "error_description": HOSTILE})
    page = event_page(client, alice, "idp_error")
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
