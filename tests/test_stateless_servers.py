"""A sign-in started on one app server finishes on another: nothing lives in one process's memory."""

from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from domains.models import Domain
from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Organization, Plan
from tests.support.factories import oidc_connection_for_idp
from tests.support.oidc_idp import complete_login
from tests.support.second_server import SecondServer
from tests.support.sso_browser import start_sso

pytestmark = pytest.mark.django_db(transaction=True)


def on(server_url: str, url: str) -> str:
    """The same URL, sent to another app server (as a load balancer might)."""
    target = urlsplit(server_url)
    return urlunsplit(urlsplit(url)._replace(scheme=target.scheme, netloc=target.netloc))


def test_an_oidc_sign_in_started_on_one_server_finishes_on_another(live_server, settings, oidc_idp):
    settings.PUBLIC_BASE_URL = live_server.url
    org = Organization.objects.create(name="Acme", slug="acme", plan=Plan.PAID, provisioning_mode="jit")
    Domain.objects.create(organization=org, name="acme.test", status="verified")
    oidc_connection_for_idp(org, oidc_idp, display_name="Entra ID")
    second = SecondServer(public_base_url=live_server.url)
    try:
        browser = requests.Session()
        to_idp = start_sso(browser, live_server.url, "ada@acme.test")  # server A: email prompt, state, nonce
        callback = complete_login(browser, to_idp.headers["Location"], "ada")
        landed = browser.get(on(second.url, callback), allow_redirects=False)  # server B: the callback
        assert landed.status_code == 302, landed.text[landed.text.find("errorbox") :][:400]
        assert landed.headers["Location"] == "/orgs/acme/"
        home = browser.get(f"{live_server.url}/orgs/acme/")  # back on server A, signed in
        assert home.status_code == 200 and "ada@acme.test" in home.text
    finally:
        second.close()
    assert User.objects.filter(email="ada@acme.test").exists()
