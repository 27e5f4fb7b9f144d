"""Figures taken in the bench process, on the same settings and database as the workers: SQL statements per step
(Django's test Client under CaptureQueriesContext), and the time to check one signed SAML response."""

import os
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.idp import authn_request_id, oidc_code
from bench.site import CACHE_TABLE, CLIENT_IP_HEADER

# As tests/support/queries.py: SQLite gets an explicit BEGIN (IMMEDIATE transactions) that PostgreSQL does not.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
IP_META = "HTTP_" + CLIENT_IP_HEADER.upper().replace("-", "_")


def check_ours(connection_row, saml_response: str, request_id: str):
    """KloudSSO's check of one signed response: the one call into signin/saml, kept here alone to adapt when its
    signature changes (the SAML code is being reworked)."""
    from signin.saml.peek import peek
    from signin.saml.verify import verify_response

    return verify_response(connection_row, saml_response, peek(saml_response), request_id=request_id)


def cpu_now() -> float:
    """This process's CPU seconds, waited-for children included (xmlsec1, when a library runs it)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def time_checks(check, responses) -> dict:
    """CPU and wall milliseconds per check, over `responses` ((b64, request_id) pairs), each checked once."""
    cpu, wall = cpu_now(), time.perf_counter()
    for saml_response, request_id in responses:
        check(saml_response, request_id)
    n = len(responses)
    return {"cpu_ms": (cpu_now() - cpu) * 1000 / n, "wall_ms": (time.perf_counter() - wall) * 1000 / n, "n": n}


class Statements:
    def __init__(self, captured):
        sql = [q["sql"] for q in captured.captured_queries if not q["sql"].upper().startswith(TRANSACTION_CONTROL)]
        self.cache = [s for s in sql if CACHE_TABLE in s]  # the SQLite run's database cache, not the site's own
        self.site = [s for s in sql if CACHE_TABLE not in s]


def _client(host: str, address: str) -> Client:
    return Client(HTTP_HOST=host, **{IP_META: address})


def _start(client: Client, email: str) -> dict:
    from urllib.parse import parse_qs, urlsplit

    response = client.post("/sso/login", {"email": email})  # the test Client skips CSRF checks
    if response.status_code != 302:
        raise RuntimeError(f"in-process start for {email}: HTTP {response.status_code}")
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def saml_statements(host: str, idp, *, sp_entity_id: str, email: str, slug: str, acs: str) -> Statements:
    """One warm sign-in (ACS POST + finish GET) of a person who signed in before."""
    for attempt in range(2):  # the first warms this process; the second is counted
        client = _client(host, f"10.254.0.{attempt + 1}")
        query = _start(client, email)
        response = idp.response(
            request_id=authn_request_id(query["SAMLRequest"], deflated=True),
            acs=acs,
            audience=sp_entity_id,
            email=email,
        )
        with CaptureQueriesContext(connection) as captured:
            posted = _client(host, f"10.254.0.{attempt + 1}").post("/sso/saml", {"SAMLResponse": response})
            done = client.get(posted["Location"])
        if done.status_code != 302 or done["Location"] != f"/orgs/{slug}/":
            raise RuntimeError(f"in-process SAML sign-in: HTTP {done.status_code} {done.content[:300]!r}")
    return Statements(captured)


def oidc_statements(host: str, *, email: str, slug: str) -> Statements:
    for attempt in range(2):
        client = _client(host, f"10.254.1.{attempt + 1}")
        query = _start(client, email)
        code = oidc_code(nonce=query["nonce"], challenge=query["code_challenge"], sub=email, email=email)
        with CaptureQueriesContext(connection) as captured:
            done = client.get("/sso/oidc", {"code": code, "state": query["state"]})
        if done.status_code != 302 or done["Location"] != f"/orgs/{slug}/":
            raise RuntimeError(f"in-process OIDC callback: HTTP {done.status_code} {done.content[:300]!r}")
    return Statements(captured)


def discovery_statements(host: str, *, email: str) -> Statements:
    for attempt in range(2):
        client = _client(host, f"10.254.2.{attempt + 1}")
        client.get("/sso/login")
        with CaptureQueriesContext(connection) as captured:
            response = client.post("/sso/login", {"email": email})
        if response.status_code != 302:
            raise RuntimeError(f"in-process home-realm discovery: HTTP {response.status_code}")
    return Statements(captured)
