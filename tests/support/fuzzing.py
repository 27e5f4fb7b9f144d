"""Run hypothesis examples against the site: each isolated, sent as drawn, checked for 5xx and half-saved rows.

pytest-django's fixtures (personas, the database transaction) are set up once per test, not per example, so each
example runs inside `example_scope()`: a cleared cache (rate limits, stashed SAML responses) and a savepoint that is
rolled back afterwards, with a fresh Client. That is why `fuzz()` may silence hypothesis' function-scoped-fixture
health check: nothing an example does outlives it.

The test client re-raises a view's exception, so a 500 fails the example with its traceback; `check()` also fails
on an explicit 5xx response, on rows left behind by a refused request, and on objects saved only in part.
"""

from contextlib import contextmanager
from urllib.parse import quote

from django.core.cache import cache
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, event, settings

from connections.connection import Connection, Kind
from connections.events import SignInEvent
from connections.identity import SSOIdentity
from connections.oidc.models import OIDCSettings
from connections.role_mapping import RoleMapping
from connections.saml.models import SAMLCertificate, SAMLSettings, Source, UsedAssertion
from connections.saml.refresh_state import MetadataRefresh
from connections.service_provider import ServiceProvider
from domains.models import Domain, Status
from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Invitation, Membership, Organization, Role
from tests.support.strategies import Body, Upload

TRACKED = (
    Organization,
    User,
    Membership,
    Invitation,
    Domain,
    ServiceProvider,
    Connection,
    OIDCSettings,
    SAMLSettings,
    SAMLCertificate,
    MetadataRefresh,
    SSOIdentity,
    SignInEvent,
    UsedAssertion,
    RoleMapping,
)
CONNECTION_TABLES = frozenset(
    {
        "connections.Connection",
        "connections.OIDCSettings",
        "connections.SAMLSettings",
        "connections.SAMLCertificate",
        "connections.MetadataRefresh",
    }
)
SIGNIN_TABLES = frozenset(
    {
        "accounts.User",
        "tenancy.Membership",
        "tenancy.Invitation",
        "connections.Connection",  # last_successful_signin_at
        "connections.SSOIdentity",
        "connections.SignInEvent",
        "connections.UsedAssertion",
        "connections.SAMLCertificate",  # last_signed_at: which certificate signed the last sign-in
    }
)


def fuzz(*, share: float = 1.0, **overrides) -> settings:
    """The loaded profile's settings (tests/conftest.py), with `share` of its examples for the slow tests."""
    base = settings.default
    return settings(
        max_examples=max(2, round(base.max_examples * share)),
        suppress_health_check=[*base.suppress_health_check, HealthCheck.function_scoped_fixture],
        **overrides,
    )


@contextmanager
def example_scope():
    cache.clear()
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)  # before rows(): it updates last_login
    return client


def rows() -> dict[str, list[tuple]]:
    return {model._meta.label: list(model.objects.order_by("pk").values_list()) for model in TRACKED}


def send(client: Client, method: str, path: str, body: Body | str | None = None):
    """`body` is a Body for POST, a query string for GET."""
    if method == "GET":
        return client.get(path, QUERY_STRING=body or "")
    body = body or Body(pairs=())
    if body.encoding == "multipart":
        data = {}
        for key, value in body.pairs:
            data.setdefault(key, []).append(_as_file(value) if isinstance(value, Upload) else value)
        return client.post(path, data)
    if body.encoding == "raw":
        return client.generic("POST", path, body.raw, content_type=body.content_type)
    pairs = [(key, _as_text(value)) for key, value in body.pairs]
    if body.encoding == "json":
        merged = {}
        for key, value in pairs:
            merged[key] = [*merged[key], value] if key in merged else value
        return client.post(path, merged, content_type="application/json")
    if body.encoding == "text":
        return client.generic("POST", path, "\n".join(f"{k}={v}" for k, v in pairs).encode(), content_type="text/plain")
    encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs).encode("ascii")
    return client.generic(
        "POST", path, encoded, content_type=f"application/x-www-form-urlencoded; charset={body.charset}"
    )


def _as_file(upload: Upload) -> SimpleUploadedFile:
    try:
        return SimpleUploadedFile(upload.name, upload.content, content_type=upload.content_type or None)
    except SuspiciousFileOperation:  # the test client cannot send "", "." or ".."; raw bodies in strategies do
        return SimpleUploadedFile("upload.bin", upload.content, content_type=upload.content_type or None)


def _as_text(value) -> str:
    return value.content.decode("latin-1") if isinstance(value, Upload) else str(value)


def check(response, before: dict, *, may_change=frozenset()) -> dict:
    """No 5xx; only the tables in `may_change` changed; every object whole. Returns the rows after."""
    assert response.status_code < 500, f"HTTP {response.status_code}"
    after = rows()
    changed = {label for label in after if after[label] != before[label]}
    event(f"HTTP {response.status_code}" + (f", changed {', '.join(sorted(changed))}" if changed else ""))
    assert changed <= set(may_change), f"HTTP {response.status_code} changed {sorted(changed - set(may_change))}"
    assert_whole()
    return after


def added(before: dict, after: dict, label: str) -> int:
    return len(after[label]) - len(before[label])


def redirected(response, to: str | None = None) -> bool:
    return response.status_code in (302, 303) and (to is None or response["Location"] == to)


def assert_whole() -> None:
    """Every object in the database is complete: no connection without its settings, no SAML IdP without a
    certificate, no organization without an owner."""
    for connection in Connection.objects.select_related("oidc", "saml"):
        has_oidc, has_saml = hasattr(connection, "oidc"), hasattr(connection, "saml")
        assert connection.kind in Kind.values and connection.display_name.strip(), connection
        assert (has_oidc, has_saml) == (connection.kind == Kind.OIDC, connection.kind == Kind.SAML), connection
    for oidc in OIDCSettings.objects.all():
        assert all([oidc.issuer, oidc.authorization_endpoint, oidc.token_endpoint, oidc.jwks_uri, oidc.client_id])
        assert oidc.get_client_secret(), "an OIDC connection without a client secret"
    for saml in SAMLSettings.objects.all():
        assert saml.source in Source.values and saml.idp_entity_id, saml
        assert saml.sso_redirect_url or saml.sso_post_url, "a SAML connection without an SSO URL"
        assert saml.certificates.exists(), "a SAML connection without a signing certificate"
    assert not SAMLCertificate.objects.filter(sha256_fingerprint="").exists()
    for org in Organization.objects.all():
        assert org.memberships.filter(role=Role.OWNER).exists(), f"{org} has no owner"
    for domain in Domain.objects.all():
        assert domain.name and domain.token and domain.status in Status.values, domain
    assert not Invitation.objects.filter(email="").exists()
    assert not SSOIdentity.objects.filter(subject="").exists()
