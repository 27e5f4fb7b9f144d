"""Redis stopped under a running app server (gunicorn as users run it, CACHE_URL on a private redis-server, the test
database): the pages still answer, OIDC sign-ins still complete, what needs the cache is the 503 page and never a
500, and when Redis is back the very next request works, without restarting anything."""

import contextlib
import re
import time
from dataclasses import dataclass

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from connections.saml.metadata import parse_idp_metadata
from connections.saml.services import saml_connection_save
from connections.sp import service_provider_get_or_create
from domains.models import Domain
from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Membership, Organization, Plan, Role
from tests.support import oidc_idp, saml_idp
from tests.support.factories import oidc_connection_for_idp
from tests.support.gunicorn_server import GunicornServer, free_port, manage, production_env
from tests.support.redis_server import LocalRedis, available
from tests.support.second_server import database_url
from tests.support.sso_browser import CSRF, oidc_sign_in, saml_sign_in

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(available()), reason=available() or ""),
]
UNAVAILABLE = "KloudSSO is temporarily unavailable"
PASSWORD = "correct-horse-battery"


@dataclass
class Site:
    url: str
    redis: LocalRedis
    server: GunicornServer
    oidc: oidc_idp.OIDCIdP | None


@pytest.fixture(scope="module")
def site(django_db_setup, tmp_path_factory):
    folder = tmp_path_factory.mktemp("redis-outage")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with contextlib.ExitStack() as cleanup:  # whatever fails in setting up, nothing started is left running
        redis = LocalRedis()
        cleanup.callback(redis.close)
        oidc = None
        if not oidc_idp.available():
            oidc = oidc_idp.OIDCIdP(client_id="kloudsso", client_secret="s3cret", redirect_uris=[f"{url}/sso/oidc"])
            cleanup.callback(oidc.stop)
            oidc.start()
        env = production_env(
            database_url=database_url(),
            public_base_url=url,
            static_root=folder / "static",
            CACHE_URL=redis.url,
            SSO_ALLOW_INSECURE_IDP="true",
        )
        manage(env, "collectstatic", "--no-input")
        server = GunicornServer(env, folder / "gunicorn.log", port=port)
        cleanup.callback(server.kill)
        yield Site(url, redis, server.start(), oidc)


@pytest.fixture
def acme(site):
    """Acme (just-in-time) with its domain verified, and Redis running again at the end, whatever happened."""
    org = Organization.objects.create(name="Acme", slug="acme", plan=Plan.PAID, provisioning_mode="jit")
    Domain.objects.create(organization=org, name="acme.test", status="verified")
    yield org
    if not site.redis.running:
        site.redis.start()
    assert not re.findall(r'" 500 ', site.server.log.read_text()), "the server answered 500"


def ready(site) -> requests.Response:
    return requests.get(f"{site.url}/readyz", timeout=10)


def assert_unavailable_page(response: requests.Response) -> None:
    assert response.status_code == 503, response.text[:500]
    assert UNAVAILABLE in response.text
    assert "Traceback" not in response.text and "Redis" not in response.text


def password_sign_in(site, email: str) -> requests.Response:
    browser = requests.Session()
    token = CSRF.search(browser.get(f"{site.url}/login/", timeout=10).text).group(1)
    form = {"csrfmiddlewaretoken": token, "username": email, "password": PASSWORD}
    return browser.post(f"{site.url}/login/", data=form, headers={"Referer": f"{site.url}/login/"}, timeout=10)


def test_with_redis_stopped_the_pages_answer_and_an_oidc_sign_in_completes(site, acme):
    if site.oidc is None:
        pytest.skip(f"the OIDC test IdP cannot run: {oidc_idp.available()}")
    oidc_connection_for_idp(acme, site.oidc)
    site.redis.stop()
    assert ready(site).json()["failing"] == {"cache": "the cache does not answer"}
    for page in ("/healthz", "/login/", "/sso/login"):
        assert requests.get(site.url + page, timeout=10).status_code == 200, page
    browser = requests.Session()
    started = time.monotonic()
    landed = oidc_sign_in(browser, site.url, "bea@acme.test", "bea")
    assert landed.status_code == 200 and landed.url == f"{site.url}/orgs/acme/", landed.text[:500]
    assert "bea@acme.test" in landed.text
    assert time.monotonic() - started < 10  # no request waited on the dead cache
    site.redis.start()
    assert ready(site).status_code == 200  # the first request after it is back


def test_with_redis_stopped_a_saml_sign_in_is_the_503_page_and_the_next_one_completes(site, acme):
    if saml_idp.available():
        pytest.skip(f"the SAML test IdP cannot run: {saml_idp.available()}")
    sp = service_provider_get_or_create(org=acme)
    with saml_idp.SimpleSAMLphpIdP(sp.entity_id, f"{site.url}/sso/saml", sp.certificate_pem) as idp:
        saml_connection_save(org=acme, display_name="SAML", source="xml", idp=parse_idp_metadata(idp.metadata_xml()))
        site.redis.stop()
        landed = saml_sign_in(requests.Session(), site.url, "ada@acme.test", "ada")
        assert landed.url == f"{site.url}/sso/saml"  # the ACS could not stash the IdP's answer
        assert_unavailable_page(landed)
        site.redis.start()
        landed = saml_sign_in(requests.Session(), site.url, "ada@acme.test", "ada")
        assert landed.status_code == 200 and landed.url == f"{site.url}/orgs/acme/", landed.text[:500]
    assert User.objects.filter(email="ada@acme.test").exists()


def test_with_redis_stopped_password_sign_in_is_the_503_page_until_redis_returns(site, acme):
    user = User.objects.create_user("alice@acme.test")
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "outagesalt")  # the app server's hasher, not the tests'
    user.save()
    Membership.objects.create(user=user, organization=acme, role=Role.OWNER)
    site.redis.stop()
    assert_unavailable_page(password_sign_in(site, "alice@acme.test"))  # the throttle cannot count the guess
    site.redis.start()
    landed = password_sign_in(site, "alice@acme.test")
    assert landed.status_code == 200 and landed.url == f"{site.url}/orgs/acme/", landed.text[:500]
