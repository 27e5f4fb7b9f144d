"""Stock djangosaml2 (bench/stock_djangosaml2), served like the site (gunicorn, 2 sync workers, its own SQLite):
its login view keeps the outstanding AuthnRequest in its session, its ACS verifies and logs in in one POST."""

import os
import re
import secrets
import subprocess
import sys

from bench import flows
from bench.flows import Failure, Started
from bench.idp import authn_request_id, key_pair
from bench.site import REPO, Gunicorn, free_port

SAML_REQUEST = re.compile(r'name="SAMLRequest"\s+value="([^"]+)"')
DOMAIN = "stock.bench.test"


def start_server(tmp, idp, sso_url: str) -> Gunicorn:
    port = free_port()
    metadata = tmp / "stock-idp-metadata.xml"
    metadata.write_text(idp.metadata_xml(sso_url))
    # A key pair, as every SP that signs its AuthnRequests has (KloudSSO's do): pysaml2 then loads it per request.
    cert_pem, key_pem = key_pair("stock djangosaml2")
    (tmp / "stock-sp.key").write_text(key_pem)
    (tmp / "stock-sp.crt").write_text(cert_pem)
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.stock_djangosaml2.settings",
        "STOCK_BASE_URL": f"http://127.0.0.1:{port}",
        "STOCK_SECRET_KEY": secrets.token_urlsafe(40),
        "STOCK_DATABASE": str(tmp / "stock.sqlite3"),
        "STOCK_IDP_METADATA": str(metadata),
        "STOCK_SP_KEY": str(tmp / "stock-sp.key"),
        "STOCK_SP_CERT": str(tmp / "stock-sp.crt"),
    }
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--no-input", "-v", "0"],
        cwd=REPO,
        env={**os.environ, **env, "PYTHONPATH": str(REPO)},
        check=True,
    )
    server = Gunicorn("bench.stock_djangosaml2.wsgi:application", port, env, tmp / "stock-gunicorn.log")
    server.pythonpath = [REPO]
    return server.start()


class StockSAML:
    name = "stock djangosaml2 sign-in"

    def __init__(self, base: str, idp, *, users: int):
        self.base, self.idp, self.users = base, idp, users

    def prepare(self, n: int) -> Started:
        session = flows.browser()
        page = session.get(self.base + "/saml2/login/", params={"next": "/"}, timeout=30)
        match = SAML_REQUEST.search(page.text)  # its default binding is HTTP-POST: a form that posts to the IdP
        if page.status_code != 200 or not match:
            raise flows._fail("the djangosaml2 login view", page)
        return Started(session, f"person{n % self.users}@{DOMAIN}", {"SAMLRequest": match.group(1)})

    def make(self, started: Started) -> str:
        return self.idp.response(
            request_id=authn_request_id(started.query["SAMLRequest"], deflated=False),
            acs=self.base + "/saml2/acs/",
            audience=self.base + "/saml2/metadata/",
            email=started.email,
        )

    def finish(self, started: Started, saml_response: str) -> None:
        # djangosaml2's session cookie is SameSite=None: it comes with the IdP's cross-site POST.
        done = started.session.post(
            self.base + "/saml2/acs/", data={"SAMLResponse": saml_response}, allow_redirects=False, timeout=60
        )
        if done.status_code != 302 or "sessionid" not in done.cookies:
            raise Failure(f"stock djangosaml2 ACS: HTTP {done.status_code}: {done.text[:600]}")
