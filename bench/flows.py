"""Sign-ins over HTTP, as a browser and an IdP would make them, in three steps each:

prepare: the start (the email prompt, the redirect to the IdP), over HTTP: worker time counted as "start";
make:    what the IdP would answer, made in the bench process (a signed SAML response, an authorization code);
finish:  the answer sent back to the site (SAML: ACS POST + finish GET; OIDC: the callback): the measured step.

Each sign-in is a fresh requests.Session (a new browser) with its own client address (site.CLIENT_IP_HEADER).
Anything but the expected redirect raises Failure, with the start of the page the site answered.
"""

import itertools
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import requests

from bench.idp import authn_request_id, oidc_code
from bench.site import CLIENT_IP_HEADER

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_addresses = itertools.count(1)


class Failure(Exception):
    pass


def _fail(what: str, response: requests.Response) -> Failure:
    body = " ".join(re.sub(r"<[^>]+>", " ", response.text).split())[:600]
    where = response.headers.get("Location", "")
    return Failure(f"{what}: HTTP {response.status_code} {response.request.method} {response.url} -> {where}\n{body}")


def browser() -> requests.Session:
    n = next(_addresses)
    session = requests.Session()
    session.headers[CLIENT_IP_HEADER] = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
    return session


def email_prompt(base: str, session: requests.Session) -> str:
    """GET Sign in with SSO: the CSRF token its form carries."""
    page = session.get(base + "/sso/login", timeout=30)
    match = CSRF_FIELD.search(page.text)
    if page.status_code != 200 or not match:
        raise _fail("the Sign in with SSO page", page)
    return match.group(1)


def submit_email(base: str, session: requests.Session, token: str, email: str) -> str:
    """POST the email (home-realm discovery): the Location of the redirect to the IdP."""
    response = session.post(
        base + "/sso/login", data={"csrfmiddlewaretoken": token, "email": email}, allow_redirects=False, timeout=30
    )
    if response.status_code != 302:
        raise _fail("home-realm discovery", response)
    return response.headers["Location"]


@dataclass
class Started:
    session: requests.Session
    email: str
    query: dict = field(default_factory=dict)


# ---- KloudSSO SAML


class KloudSAML:
    name = "SAML sign-in"

    def __init__(self, base: str, idp, *, sp_entity_id: str, org_slug: str, domain: str, users: int):
        self.base, self.idp, self.sp_entity_id, self.org_slug = base, idp, sp_entity_id, org_slug
        self.domain, self.users = domain, users

    def prepare(self, n: int) -> Started:
        session = browser()
        email = f"person{n % self.users}@{self.domain}"
        location = submit_email(self.base, session, email_prompt(self.base, session), email)
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        if "SAMLRequest" not in query:
            raise Failure(f"the SAML start did not redirect with a SAMLRequest: {location[:300]}")
        return Started(session, email, query)

    def make(self, started: Started) -> str:
        request_id = authn_request_id(started.query["SAMLRequest"], deflated=True)
        return self.idp.response(
            request_id=request_id, acs=self.base + "/sso/saml", audience=self.sp_entity_id, email=started.email
        )

    def finish(self, started: Started, saml_response: str) -> None:
        # The IdP's POST is cross-site: a SameSite=Lax session cookie does not come with it.
        posted = requests.post(
            self.base + "/sso/saml",
            data={"SAMLResponse": saml_response},
            headers={CLIENT_IP_HEADER: started.session.headers[CLIENT_IP_HEADER]},
            allow_redirects=False,
            timeout=60,
        )
        if posted.status_code != 303 or not posted.headers.get("Location", "").startswith("/sso/saml/finish/"):
            raise _fail("the ACS", posted)
        done = started.session.get(self.base + posted.headers["Location"], allow_redirects=False, timeout=60)
        if done.status_code != 302 or done.headers.get("Location") != f"/orgs/{self.org_slug}/":
            raise _fail("the SAML finish step", done)


# ---- KloudSSO OIDC


class KloudOIDC:
    name = "OIDC callback"

    def __init__(self, base: str, *, org_slug: str, domain: str, users: int):
        self.base, self.org_slug, self.domain, self.users = base, org_slug, domain, users

    def prepare(self, n: int) -> Started:
        session = browser()
        email = f"person{n % self.users}@{self.domain}"
        location = submit_email(self.base, session, email_prompt(self.base, session), email)
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        if not {"state", "nonce", "code_challenge"} <= set(query):
            raise Failure(f"the OIDC start did not redirect with state, nonce and PKCE: {location[:300]}")
        return Started(session, email, query)

    def make(self, started: Started) -> str:
        q = started.query
        return oidc_code(nonce=q["nonce"], challenge=q["code_challenge"], sub=started.email, email=started.email)

    def finish(self, started: Started, code: str) -> None:
        done = started.session.get(
            self.base + "/sso/oidc",
            params={"code": code, "state": started.query["state"]},
            allow_redirects=False,
            timeout=60,
        )
        if done.status_code != 302 or done.headers.get("Location") != f"/orgs/{self.org_slug}/":
            raise _fail("the OIDC callback", done)


# ---- Home-realm discovery alone: the email POST is the measured step


class Discovery:
    name = "home-realm discovery"

    def __init__(self, base: str, *, domain: str, users: int):
        self.base, self.domain, self.users = base, domain, users

    def prepare(self, n: int) -> Started:
        session = browser()
        return Started(session, f"person{n % self.users}@{self.domain}", {"token": email_prompt(self.base, session)})

    def make(self, started: Started) -> None:
        return None

    def finish(self, started: Started, _payload) -> None:
        submit_email(self.base, started.session, started.query["token"], started.email)


# ---- The phase runner


@dataclass
class Phase:
    count: int = 0
    seconds: float = 0.0  # worker CPU of the measured step
    start_seconds: float = 0.0  # worker CPU of the starts
    latencies: list = field(default_factory=list)  # of the measured step, seconds
    start_latencies: list = field(default_factory=list)
    wall: float = 0.0

    @property
    def per_cpu_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


def _timed(call, *args) -> float:
    began = time.perf_counter()
    call(*args)
    return time.perf_counter() - began


def run(flow, workers, *, total: int, seconds: float, clients: int, offset: int = 0, chunk: int = 100) -> Phase:
    """Sign-ins in chunks: a chunk's starts, then its answers made, then its finishes under the CPU meter; until
    `total` are done or `seconds` of wall time have passed (then fewer, and the phase says how many)."""
    phase = Phase()
    began = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        while phase.count < total and time.monotonic() - began < seconds:
            numbers = range(offset + phase.count, offset + min(total, phase.count + chunk))
            before = workers.snapshot()
            starts = list(pool.map(_start_timed, [flow] * len(numbers), numbers))
            phase.start_seconds += workers.snapshot().seconds_since(before)
            phase.start_latencies += [t for _, t in starts]
            payloads = [flow.make(s) for s, _ in starts]
            before = workers.snapshot()
            phase.latencies += pool.map(_timed, [flow.finish] * len(starts), [s for s, _ in starts], payloads)
            phase.seconds += workers.snapshot().seconds_since(before)
            phase.count += len(starts)
    phase.wall = time.monotonic() - began
    return phase


def _start_timed(flow, n: int):
    began = time.perf_counter()
    started = flow.prepare(n)
    return started, time.perf_counter() - began
