"""Drive Sign in with SSO over real HTTP, the way a browser does: our pages, the IdP's login form, back."""

import html
import re
from urllib.parse import urljoin

import requests

from tests.support.oidc_idp import complete_login

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def start_sso(session: requests.Session, base_url: str, email: str) -> requests.Response:
    """The email prompt, submitted; returns the response after our own redirects (up to the IdP)."""
    page = session.get(f"{base_url}/sso/login")
    token = CSRF.search(page.text).group(1)
    response = session.post(
        f"{base_url}/sso/login",
        data={"csrfmiddlewaretoken": token, "email": email},
        headers={"Referer": f"{base_url}/sso/login"},
        allow_redirects=False,
    )
    while response.is_redirect and response.headers["Location"].startswith(("/", base_url)):
        response = session.get(urljoin(base_url, response.headers["Location"]), allow_redirects=False)
    return response


def oidc_sign_in(session: requests.Session, base_url: str, email: str, login: str) -> requests.Response:
    """From the email prompt to wherever the callback lands (the home page, or a failure page)."""
    to_idp = start_sso(session, base_url, email)
    assert to_idp.is_redirect, to_idp.text[:500]
    callback = complete_login(session, to_idp.headers["Location"], login)
    return session.get(callback)


def saml_sign_in(session: requests.Session, base_url: str, email: str, login: str) -> requests.Response:
    """From the email prompt, through SimpleSAMLphp's login form, to where the ACS and finish step land."""
    from tests.support.saml_idp import complete_login as saml_login

    to_idp = start_sso(session, base_url, email)
    assert to_idp.is_redirect, to_idp.text[:500]
    form = saml_login(session, to_idp.headers["Location"], login)
    fields = {k: v for k, v in form.items() if k in ("SAMLResponse", "RelayState")}
    return session.post(form["action"], data=fields)  # the IdP's auto-submitted form; our 303 is followed


def onward(leaving) -> str:
    """Where the signing-out page sends the browser (its refresh, and its Continue link)."""
    link = html.unescape(re.search(r'id="continue-sign-out" href="([^"]+)"', leaving.text).group(1))
    refresh = html.unescape(re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', leaving.text).group(1))
    assert link == refresh
    return link
