"""Sign-out that reaches the IdP over OIDC (RP-Initiated Logout 1.0), end to end against oidc-provider."""

import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.sessions.models import Session

from connections.oidc.discovery import discover
from connections.oidc.services import oidc_connection_save
from domains.models import Domain
from kloudsso.tenancy.models import Organization, Plan
from signin.sso_session import SESSION_KEY
from tests.support.sso_browser import CSRF, oidc_sign_in, onward, start_sso

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def idp(live_server):
    from tests.support.oidc_idp import OIDCIdP, available

    reason = available()
    if reason:
        pytest.skip(f"the OIDC test IdP cannot run: {reason}")
    with OIDCIdP(
        client_id="kloudsso-test",
        client_secret="idp-client-secret-1",
        redirect_uris=[f"{live_server.url}/sso/oidc"],
        post_logout_redirect_uris=[f"{live_server.url}/sso/logout/done"],
    ) as running:
        yield running


@pytest.fixture
def site(live_server, settings, idp):
    settings.PUBLIC_BASE_URL = live_server.url
    org = Organization.objects.create(name="Acme", slug="acme", plan=Plan.PAID, provisioning_mode="jit")
    Domain.objects.create(organization=org, name="acme.test", status="verified")
    connection = save(org, idp, single_logout=True)
    return live_server.url, org, connection


def save(org, idp, *, single_logout: bool, connection=None):
    return oidc_connection_save(
        org=org,
        connection=connection,
        display_name="Entra ID",
        discovery=discover(idp.discovery_url),
        client_id=idp.client_id,
        client_secret=idp.client_secret,
        scopes="openid email profile",
        single_logout=single_logout,
    )


def sign_out(browser, base_url) -> requests.Response:
    page = browser.get(f"{base_url}/orgs/acme/")
    token = CSRF.search(page.text).group(1)
    return browser.post(
        f"{base_url}/logout/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": f"{base_url}/orgs/acme/"},
        allow_redirects=False,
    )


def idp_asks_to_sign_in(browser, base_url) -> bool:
    """A new sign-in shows the IdP's login form (no session there), rather than coming straight back."""
    to_idp = start_sso(browser, base_url, "bea@acme.test")
    page = browser.get(to_idp.headers["Location"], allow_redirects=True)
    return page.url.startswith(to_idp.headers["Location"].split("/oauth2/")[0]) and 'name="login"' in page.text


def test_signing_out_signs_out_at_the_idp_too(site, idp):
    from tests.support.oidc_idp import confirm_logout

    base_url, _, _ = site
    browser = requests.Session()
    assert oidc_sign_in(browser, base_url, "bea@acme.test", "bea").url == f"{base_url}/orgs/acme/"
    leaving = sign_out(browser, base_url)
    assert leaving.status_code == 200 and "Now signing you out at" in leaving.text
    location = onward(leaving)
    assert location.startswith(f"{idp.issuer}/oauth2/v2.0/logout?")
    query = parse_qs(urlsplit(location).query)
    assert query["post_logout_redirect_uri"] == [f"{base_url}/sso/logout/done"]
    assert query["client_id"] == ["kloudsso-test"]
    assert query["id_token_hint"][0].count(".") == 2 and query["state"][0]
    assert "/login/" in browser.get(f"{base_url}/orgs/acme/").url  # our session ended before the IdP was asked
    back = confirm_logout(browser, location)
    assert back == f"{base_url}/sso/logout/done?state={query['state'][0]}"
    done = browser.get(back)
    assert done.status_code == 200
    assert "You are signed out of KloudSSO and of" in done.text and "Entra ID" in done.text
    assert idp_asks_to_sign_in(browser, base_url)


def test_with_the_switch_off_only_our_session_ends(site, idp):
    base_url, org, connection = site
    save(org, idp, single_logout=False, connection=connection)
    browser = requests.Session()
    oidc_sign_in(browser, base_url, "bea@acme.test", "bea")
    out = sign_out(browser, base_url)
    assert out.status_code == 302 and out.headers["Location"] == "/login/"
    assert not idp_asks_to_sign_in(browser, base_url)  # still signed in at the IdP: straight back


def test_the_id_token_is_kept_encrypted_and_never_logged(site, caplog):
    base_url, _, connection = site
    caplog.set_level(logging.DEBUG)
    browser = requests.Session()
    oidc_sign_in(browser, base_url, "bea@acme.test", "bea")
    (row,) = Session.objects.all()
    kept = row.get_decoded()[SESSION_KEY]
    assert kept["kind"] == "oidc" and kept["connection"] == str(connection.public_id)
    assert not re.search(r"eyJ[\w-]+\.", kept["id_token"])
    token = parse_qs(urlsplit(onward(sign_out(browser, base_url))).query)["id_token_hint"][0]
    assert token not in caplog.text and "eyJ" not in caplog.text


def test_a_return_without_this_browsers_state_says_so(site):
    base_url, _, _ = site
    page = requests.get(f"{base_url}/sso/logout/done?state=made-up")
    assert page.status_code == 400
    assert "logout_state_mismatch" in page.text and "You are signed out of KloudSSO" in page.text


def test_a_get_does_not_sign_anyone_out(site):
    base_url, _, _ = site
    browser = requests.Session()
    oidc_sign_in(browser, base_url, "bea@acme.test", "bea")
    assert browser.get(f"{base_url}/logout/").status_code == 405
    assert browser.get(f"{base_url}/orgs/acme/").url == f"{base_url}/orgs/acme/"
