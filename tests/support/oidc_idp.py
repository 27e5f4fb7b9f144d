"""A real OpenID Connect identity provider on 127.0.0.1, shaped like a Microsoft Entra ID tenant.

It is `tests/idp/oidc/server.mjs`, built on the npm package oidc-provider (OpenID Certified), run
with node. Its issuer is `http://127.0.0.1:<port>/<tenant_id>/v2.0`, Entra's tenant-specific form,
and every endpoint lives under it. Accounts (password "pass"):

    ada     sub ada-sub     name, preferred_username ada@acme.test, NO email claim
    bea     sub bea-sub     email bea@acme.test (email_verified true), preferred_username bea@acme.test
    eve     sub eve-sub     email eve@evil.test, preferred_username eve@evil.test
    nomail  sub nomail-sub  preferred_username "nomail", no email
    cleo    sub cleo-sub    email cleo@acme.test with email_verified FALSE, preferred_username cleo@acme.test
    vera    sub vera-sub    email vera@mailbox.test with email_verified FALSE, preferred_username vera@acme.test
    uma     sub uma-sub     preferred_username "uma"; email uma@acme.test only in the UserInfo response

Each has `oid` and `tid` (= tenant_id) in its ID token. There is no consent screen.
`post_logout_redirect_uris` registers the client's post_logout_redirect_uris for RP-initiated logout
(end_session_endpoint <issuer>/oauth2/v2.0/logout; confirm_logout() answers its "sign me out?" page).
`client_auth_methods` narrows the token endpoint's client authentication
(token_endpoint_auth_methods_supported), e.g. ["client_secret_basic"] for a provider that
refuses the secret in the request body. `id_token_alg` is how the client's ID tokens are signed:
"RS256" (the default) with the IdP's published key, or "HS256", "HS384", "HS512" with the client
secret, as LemonLDAP::NG signs them by default.

`organizations` ({tenant id: email domain}) puts more tenants behind Entra's multi-tenant endpoint:
`organizations_discovery_url` is then http://127.0.0.1:<port>/organizations/v2.0/.well-known/openid-configuration,
whose issuer is http://127.0.0.1:<port>/{tenantid}/v2.0. Its authorize endpoint sends the browser to the tenant whose
domain is login_hint's (else the first listed), and that tenant's tokens carry its own tid and iss. Every tenant has
the accounts above. `tenant_metadata_url(tid)` is a tenant's public OpenID configuration; a GUID that is no tenant
here answers HTTP 400 AADSTS90002, as Entra does.

`accounts` adds accounts (login → the claims of its ID token,
e.g. given_name, family_name, groups, or Entra's group overage: hasgroups, or _claim_names and
_claim_sources naming groups); each gets a sub "<login>-sub", oid, tid and ver. `userinfo` (login → claims)
gives such an account claims sent only in its UserInfo response, never in its ID token.

    reason = available()
    if reason:
        pytest.skip(reason)
    with OIDCIdP(client_id="kloudsso", client_secret="s3cret",
                 redirect_uris=["http://127.0.0.1:8000/sso/oidc"]) as idp:
        callback_url = complete_login(requests.Session(), authorize_url, "ada")
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from tests.support.html_forms import origin as _origin
from tests.support.html_forms import parse as _parse

NODE_DIR = Path(__file__).resolve().parent.parent / "idp" / "oidc"
DEFAULT_TENANT_ID = "11111111-2222-3333-4444-555555555555"
PASSWORD = "pass"
START_TIMEOUT = 20.0


def available() -> str | None:
    """None when the IdP can run here, else why not (a reason fit for pytest.skip)."""
    node = shutil.which("node")
    if node is None:
        return "node is not installed"
    if not (NODE_DIR / "node_modules" / "oidc-provider").is_dir():
        return "oidc-provider is not installed: run: npm ci --prefix tests/idp/oidc"
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
        major = int(version.lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError):
        return "node --version failed"
    if major < 20:
        return f"node {version} is too old: the OIDC test IdP needs node 20 or later"
    return None


class OIDCIdP:
    """The Node IdP as a child process: start() waits for its READY line, stop() ends it."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uris: list[str],
        tenant_id: str = DEFAULT_TENANT_ID,
        client_auth_methods: list[str] | None = None,
        id_token_alg: str = "RS256",
        organizations: dict[str, str] | None = None,
        accounts: dict[str, dict] | None = None,
        userinfo: dict[str, dict] | None = None,
        post_logout_redirect_uris: list[str] | None = None,
    ):
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = list(redirect_uris)
        self.tenant_id = tenant_id
        self.client_auth_methods = list(client_auth_methods or [])
        self.id_token_alg = id_token_alg
        self.organizations = dict(organizations or {})
        self.accounts = dict(accounts or {})
        self.userinfo = dict(userinfo or {})
        self.post_logout_redirect_uris = list(post_logout_redirect_uris or [])
        self.issuer: str | None = None
        self.port: int | None = None
        self._process: subprocess.Popen | None = None
        self._pump: threading.Thread | None = None
        self._stderr = None

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def organizations_discovery_url(self) -> str:
        return f"{self.origin}/organizations/v2.0/.well-known/openid-configuration"

    def tenant_metadata_url(self, tenant_id: str) -> str:
        return f"{self.origin}/{tenant_id}/v2.0/.well-known/openid-configuration"

    def start(self) -> OIDCIdP:
        if self._process is not None:
            raise RuntimeError("the OIDC IdP is already started")
        reason = available()
        if reason:
            raise RuntimeError(f"cannot start the OIDC IdP: {reason}")
        env = {
            **os.environ,
            "PORT": "0",
            "TENANT_ID": self.tenant_id,
            "CLIENT_ID": self.client_id,
            "CLIENT_SECRET": self.client_secret,
            "REDIRECT_URIS": ",".join(self.redirect_uris),
            "CLIENT_AUTH_METHODS": ",".join(self.client_auth_methods),
            "ID_TOKEN_ALG": self.id_token_alg,
            "ORGANIZATIONS": ",".join(f"{tenant}={domain}" for tenant, domain in self.organizations.items()),
            "POST_LOGOUT_REDIRECT_URIS": ",".join(self.post_logout_redirect_uris),
            "NODE_ENV": "test",
            "EXTRA_ACCOUNTS": json.dumps(
                [
                    {"login": login, "claims": c, "userinfo": self.userinfo.get(login, {})}
                    for login, c in self.accounts.items()
                ]
            ),
        }
        self._stderr = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 (closed by stop())
        self._process = subprocess.Popen(
            [shutil.which("node"), "server.mjs"],
            cwd=NODE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        self._pump = threading.Thread(target=_pump, args=(self._process.stdout, lines), daemon=True)
        self._pump.start()
        try:
            line = lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            line = None
            problem = f"no READY line within {START_TIMEOUT:.0f} s"
        else:
            problem = "it exited before it was ready" if line is None else f"unexpected first line {line!r}"
        if line is None or not line.startswith("READY "):
            log = self.stderr_text()
            self.stop()
            raise RuntimeError(f"the OIDC IdP did not start: {problem}\n{log}")
        self.issuer = line.split(" ", 1)[1].strip()
        self.port = urlsplit(self.issuer).port
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        pump, self._pump = self._pump, None
        if pump is not None:
            pump.join(timeout=5)
        if process is not None and process.stdout is not None and not (pump and pump.is_alive()):
            process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def stderr_text(self) -> str:
        """What the IdP wrote to stderr so far (warnings, errors): for failure messages."""
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def __enter__(self) -> OIDCIdP:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _pump(stream, lines: queue.Queue) -> None:
    """Hand stdout lines to `lines` (None at end of file), and keep draining it afterwards."""
    for raw in iter(stream.readline, b""):
        lines.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
    lines.put(None)


# ---------------------------------------------------------------------------------------------------
# Driving the IdP's login form like a browser would.


def _page_text(response: requests.Response) -> str:
    return f"HTTP {response.status_code} at {response.url}: " + " ".join(_parse(response.text).text)


def complete_login(session: requests.Session, authorize_url: str, login: str) -> str:
    """Sign `login` in at the IdP and return the redirect back to the client (with code and state).

    GETs `authorize_url` with `session`, follows the IdP's own redirects to its login form, submits
    the login name (and the password "pass"), follows the redirects that come after, and stops at the
    first one that goes to the client: a Location starting with the authorize URL's redirect_uri, or
    leaving the IdP's origin. That URL is returned without being fetched. If the IdP answers with a
    page instead (an error, or the form again because the login was refused), AssertionError carries
    that page's text. If the session is already signed in at the IdP, no form is shown (single sign-on;
    send prompt=login to be asked again, or use a fresh session).
    """
    redirect_uri = (parse_qs(urlsplit(authorize_url).query).get("redirect_uri") or [""])[0]
    idp_origin = _origin(authorize_url)

    def to_client(url: str) -> bool:
        return bool(redirect_uri and url.startswith(redirect_uri)) or _origin(url) != idp_origin

    def follow(response: requests.Response) -> requests.Response | str:
        for _ in range(20):
            if response.is_redirect:
                location = urljoin(response.url, response.headers["Location"])
                if to_client(location):
                    return location
                response = session.get(location, allow_redirects=False)
                continue
            # A page whose script posts a form of hidden fields back to the IdP by itself (as the
            # IdP's sign-out of the previous account does when another one signs in): submit it
            # like a browser would.
            forms = _parse(response.text).forms if response.status_code == 200 else []
            if (
                len(forms) == 1
                and forms[0]["method"] == "post"
                and all(i["type"] == "hidden" for i in forms[0]["inputs"])
            ):
                action = urljoin(response.url, forms[0]["action"] or response.url)
                if not to_client(action):
                    data = {i["name"]: i["value"] for i in forms[0]["inputs"]}
                    response = session.post(action, data=data, allow_redirects=False)
                    continue
            return response
        raise AssertionError(f"too many redirects at the IdP, last {response.url}")

    result = follow(session.get(authorize_url, allow_redirects=False))
    if isinstance(result, str):
        return result
    page = result
    forms = [form for form in _parse(page.text).forms if any(i["name"] == "login" for i in form["inputs"])]
    if page.status_code != 200 or not forms:
        raise AssertionError(f"the IdP showed no login form: {_page_text(page)}")
    form = forms[0]
    data = {i["name"]: i["value"] for i in form["inputs"] if i["type"] == "hidden"}
    data["login"] = login
    if any(i["type"] == "password" for i in form["inputs"]):
        data[next(i["name"] for i in form["inputs"] if i["type"] == "password")] = PASSWORD
    action = urljoin(page.url, form["action"] or page.url)
    if form["method"] == "post":
        submitted = session.post(action, data=data, allow_redirects=False)
    else:
        submitted = session.get(action, params=data, allow_redirects=False)
    result = follow(submitted)
    if isinstance(result, str):
        return result
    raise AssertionError(f"the IdP did not sign {login!r} in: {_page_text(result)}")


def confirm_logout(session: requests.Session, end_session_url: str) -> str:
    """Follow our redirect to the end_session_endpoint, answer the IdP's "Do you want to sign out?" form with yes
    (as a person clicks it), and return where the IdP sends the browser next (the post_logout_redirect_uri with
    its state), without fetching it. AssertionError with the page's text if the IdP refuses."""
    page = session.get(end_session_url, allow_redirects=False)
    forms = _parse(page.text).forms if page.status_code == 200 else []
    if not forms:
        raise AssertionError(f"the IdP showed no sign-out form: {_page_text(page)}")
    form = forms[0]
    data = {i["name"]: i["value"] for i in form["inputs"] if i["type"] == "hidden"}
    data["logout"] = "yes"
    answered = session.post(urljoin(page.url, form["action"] or page.url), data=data, allow_redirects=False)
    if not answered.is_redirect:
        raise AssertionError(f"the IdP did not sign out: {_page_text(answered)}")
    return urljoin(answered.url, answered.headers["Location"])
