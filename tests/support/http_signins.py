"""SSO sign-ins over plain HTTP, step by step, each step sent to the app server (or load balancer) the test names.

The IdPs are the benchmark's stand-ins (bench/idp.py): the SAML response is signed here, the OIDC code is one the
stand-in's token endpoint redeems. The requests a browser and an IdP would make:

    SAML  start: GET /sso/login, POST the email -> the IdP   acs: the IdP's cross-site POST (no session cookie)
          finish: GET /sso/saml/finish/<key> -> /orgs/<slug>/
    OIDC  start: as above                                    callback: GET /sso/oidc?code&state -> /orgs/<slug>/

Every request is kept as a Hop, with the server that answered (X-Served-By, set by tests/support/haproxy.py).
A 5xx ends the sign-in with Cut, as an error page would end it for a person; any other surprise is Refused.
A request on a kept-alive connection that closes without an answer is sent once more, as a browser does; it is
kept as a Hop with status 0, and the sign-in is Cut if what follows goes wrong (the dying server may have done the
first one's work).
"""

import http.client
import re
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import requests

from bench.flows import CSRF_FIELD, browser
from bench.idp import authn_request_id, oidc_code
from bench.site import CLIENT_IP_HEADER


@dataclass(frozen=True)
class Site:
    public_url: str  # PUBLIC_BASE_URL: the ACS URL and Redirect URI the IdPs answer to
    saml_slug: str
    oidc_slug: str
    sp_entity_id: str
    saml_idp: object  # bench.idp.SAMLIdP


@dataclass(frozen=True)
class Hop:
    step: str
    began: float  # time.monotonic()
    ended: float
    status: int
    served_by: str


class Cut(Exception):
    pass


class Refused(Exception):
    pass


@dataclass
class SignIn:
    site: Site
    email: str
    hops: list[Hop] = field(default_factory=list)

    def __post_init__(self):
        self.browser = browser()  # a fresh browser with a client address of its own
        self.idp_side = requests.Session()  # the IdP's page posting to the ACS: another site, no cookies
        self.idp_side.headers[CLIENT_IP_HEADER] = self.browser.headers[CLIENT_IP_HEADER]

    @property
    def slug(self) -> str:
        raise NotImplementedError

    def home(self, base: str) -> requests.Response:
        return self.browser.get(f"{base}/orgs/{self.slug}/", allow_redirects=False, timeout=30)

    @property
    def resent(self) -> bool:
        return any(hop.status == 0 for hop in self.hops)

    def _send(self, session, step: str, method: str, url: str, expect: int, **kwargs) -> requests.Response:
        began = time.monotonic()
        try:
            response = session.request(method, url, allow_redirects=False, timeout=30, **kwargs)
        except requests.ConnectionError as exc:
            if not _closed_without_answer(exc):
                raise
            self.hops.append(Hop(step, began, time.monotonic(), 0, "-"))
            began = time.monotonic()
            response = session.request(method, url, allow_redirects=False, timeout=30, **kwargs)
        served_by = response.headers.get("X-Served-By", urlsplit(url).netloc)  # direct to a server: its address
        self.hops.append(Hop(step, began, time.monotonic(), response.status_code, served_by))
        if response.status_code >= 500:
            raise Cut(f"{step}: HTTP {response.status_code} from {served_by}")
        if response.status_code != expect:
            where = response.headers.get("Location", "")
            body = " ".join(re.sub(r"<[^>]+>", " ", response.text).split())[:300]  # the page's text
            problem = f"{self.email} {step}: HTTP {response.status_code} at {url} -> {where} {body}"
            raise Cut(problem) if self.resent else Refused(problem)
        return response

    def _start(self, base: str) -> dict:
        page = self._send(self.browser, "start", "GET", f"{base}/sso/login", 200)
        token = CSRF_FIELD.search(page.text)
        if not token:
            raise Refused(f"{self.email}: the Sign in with SSO page has no CSRF token")
        data = {"csrfmiddlewaretoken": token.group(1), "email": self.email}
        to_idp = self._send(self.browser, "start", "POST", f"{base}/sso/login", 302, data=data)
        return {k: v[0] for k, v in parse_qs(urlsplit(to_idp.headers["Location"]).query).items()}

    def _landed(self, response: requests.Response) -> None:
        if response.headers.get("Location") != f"/orgs/{self.slug}/":
            problem = f"{self.email} landed at {response.headers.get('Location')!r}"
            raise Cut(problem) if self.resent else Refused(problem)


def _closed_without_answer(exc: requests.ConnectionError) -> bool:
    reason = exc.args[0] if exc.args else None  # urllib3's ProtocolError("Connection aborted.", the cause)
    causes = getattr(reason, "args", ())
    return bool(causes) and isinstance(causes[-1], http.client.RemoteDisconnected)


class SAMLSignIn(SignIn):
    steps = ("start", "acs", "finish")

    @property
    def slug(self) -> str:
        return self.site.saml_slug

    def run(self, start: str, acs: str, finish: str) -> None:
        """Each step on the base URL given for it."""
        query = self._start(start)
        answer = self.site.saml_idp.response(
            request_id=authn_request_id(query["SAMLRequest"], deflated=True),
            acs=self.site.public_url + "/sso/saml",
            audience=self.site.sp_entity_id,
            email=self.email,
        )
        posted = self._send(self.idp_side, "acs", "POST", f"{acs}/sso/saml", 303, data={"SAMLResponse": answer})
        self._landed(self._send(self.browser, "finish", "GET", finish + posted.headers["Location"], 302))


class OIDCSignIn(SignIn):
    steps = ("start", "callback")

    @property
    def slug(self) -> str:
        return self.site.oidc_slug

    def run(self, start: str, callback: str) -> None:
        query = self._start(start)
        code = oidc_code(nonce=query["nonce"], challenge=query["code_challenge"], sub=self.email, email=self.email)
        params = {"code": code, "state": query["state"]}
        self._landed(self._send(self.browser, "callback", "GET", f"{callback}/sso/oidc", 302, params=params))
