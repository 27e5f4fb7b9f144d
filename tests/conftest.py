"""Personas across two organizations, and real servers on 127.0.0.1.

alice: owner of Acme (paid) · bob: member of Acme · ada: admin of Acme · charlie: owner of Globex (paid)
· frank: owner of Freeco (free plan)
"""

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Membership, Organization, Plan, Role
from tests.support.http_server import LocalServer

FIXTURES = Path(__file__).parent / "fixtures"

# Property-based tests (tests/test_fuzz_*.py). "ci", the default, is bounded and repeatable: derandomized, so a run
# draws the same examples every time and a failure in CI fails the same way on a laptop (no example database needed;
# the failing example and a reproduce_failure blob are printed). HYPOTHESIS_PROFILE=thorough draws fresh random
# examples, twenty times as many, and replays the failures it found first on the next run (its example database
# lives in the temporary directory, not in the repository).
_SLOW_MACHINE = [HealthCheck.too_slow]  # a shared CI runner must not fail a test because drawing data was slow
settings.register_profile(
    "ci",
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=_SLOW_MACHINE,
    # No explain phase: tracing every line while shrinking a deep-recursion failure takes minutes.
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
)
settings.register_profile(
    "thorough",
    max_examples=240,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_MACHINE,
    database=DirectoryBasedExampleDatabase(Path(tempfile.gettempdir()) / "kloudsso-hypothesis"),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _person(email: str, org: Organization, role: str) -> User:
    user = User.objects.create_user(email, "correct-horse-battery")
    Membership.objects.create(user=user, organization=org, role=role)
    return user


@pytest.fixture
def acme(db):
    return Organization.objects.create(name="Acme", slug="acme", plan=Plan.PAID)


@pytest.fixture
def globex(db):
    return Organization.objects.create(name="Globex", slug="globex", plan=Plan.PAID)


@pytest.fixture
def freeco(db):
    return Organization.objects.create(name="Freeco", slug="freeco", plan=Plan.FREE)


@pytest.fixture
def alice(acme):
    return _person("alice@acme.test", acme, Role.OWNER)


@pytest.fixture
def bob(acme):
    return _person("bob@acme.test", acme, Role.MEMBER)


@pytest.fixture
def ada(acme):
    return _person("ada@acme.test", acme, Role.ADMIN)


@pytest.fixture
def charlie(globex):
    return _person("charlie@globex.test", globex, Role.OWNER)


@pytest.fixture
def frank(freeco):
    return _person("frank@freeco.test", freeco, Role.OWNER)


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def http_server():
    server = LocalServer()
    yield server
    server.close()


@pytest.fixture
def https_server(tmp_path):
    server = LocalServer(tls=True, tmp_path=tmp_path)
    yield server
    server.close()


@pytest.fixture
def secure_idp_mode(settings):
    """Production rules for IdP URLs: https only, no private or loopback addresses."""
    settings.SSO_ALLOW_INSECURE_IDP = False


def metadata_fixture(name: str) -> bytes:
    return (FIXTURES / "metadata" / name).read_bytes()


@pytest.fixture
def dns(settings):
    """The real DNS server the verification code resolves through (DNS_NAMESERVERS)."""
    from tests.support.dns_server import LocalDNS

    server = LocalDNS()
    settings.DNS_NAMESERVERS = [server.address]
    settings.DNS_TIMEOUT_SECONDS = 2.0
    yield server
    server.close()


@pytest.fixture
def silent_dns(settings):
    from tests.support.dns_server import SilentPort

    port = SilentPort()
    settings.DNS_NAMESERVERS = [port.address]
    settings.DNS_TIMEOUT_SECONDS = 0.5
    yield port
    port.close()


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1 that Django sends through (pytest-django's locmem outbox otherwise)."""
    from tests.support.smtp_server import LocalSMTP

    server = LocalSMTP()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and other cached state must not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(scope="session")
def oidc_idp(live_server):
    """oidc-provider on 127.0.0.1, shaped like an Entra tenant, with this site's redirect URI registered."""
    from tests.support.oidc_idp import OIDCIdP, available

    reason = available()
    if reason:
        pytest.skip(f"the OIDC test IdP cannot run: {reason}")
    with OIDCIdP(
        client_id="kloudsso-test", client_secret="idp-client-secret-1", redirect_uris=[f"{live_server.url}/sso/oidc"]
    ) as idp:
        yield idp


HS_CLIENT_SECRET = "lemonldap-style-client-secret-0123456789"  # 40 bytes: enough for HS256 (RFC 7518 §3.2)


@pytest.fixture(scope="session")
def hs_oidc_idp(live_server):
    """The same IdP signing its ID tokens with HS256 and the client secret, as LemonLDAP::NG does by default."""
    from tests.support.oidc_idp import OIDCIdP, available

    reason = available()
    if reason:
        pytest.skip(f"the OIDC test IdP cannot run: {reason}")
    with OIDCIdP(
        client_id="kloudsso-hs",
        client_secret=HS_CLIENT_SECRET,
        redirect_uris=[f"{live_server.url}/sso/oidc"],
        id_token_alg="HS256",
    ) as idp:
        yield idp


@pytest.fixture
def clock(monkeypatch):
    """time.time() moved on by the test (tests/support/clock.py)."""
    from tests.support.clock import Clock

    return Clock(monkeypatch)


@pytest.fixture
def browser():
    """Debian's Chromium through Playwright, headless, with the flags this machine needs."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import CHROMIUM, FLAGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def owner_page(browser, live_server, settings, alice):
    """A Chromium page signed in as alice, Acme's owner, on the live server (the browser tests' starting point)."""
    settings.PUBLIC_BASE_URL = live_server.url
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "alice@acme.test")
    page.fill("#id_password", "correct-horse-battery")
    page.click("main button[type=submit]")
    page.wait_for_url("**/orgs/acme/")
    return page
