"""Two app servers behind HAProxy, sharing PostgreSQL and Redis: sign-ins cross servers, and one server can die.

Everything runs as in production, in its own processes: gunicorn with DEBUG off (tests/support/gunicorn_server.py),
HAProxy (tests/support/haproxy.py), a database of its own on the machine's PostgreSQL at 127.0.0.1:5432, created
and dropped here, and a private Redis. None of the test run's own settings, database or cache is used, so both CI
passes run it the same way. The IdPs are the benchmark's stand-ins (tests/support/http_signins.py).
"""

import json
import os
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from bench.data import OIDC_DOMAIN, SAML_DOMAIN
from bench.idp import SAMLIdP, key_pair
from bench.site import CLIENT_IP_HEADER, OIDCServer
from tests.support import haproxy, redis_server
from tests.support.gunicorn_server import ROOT, GunicornServer, free_port, manage, production_env
from tests.support.http_signins import OIDCSignIn, SAMLSignIn, Site
from tests.support.signin_load import Load

POSTGRES = "postgres://postgres@127.0.0.1:5432"
WORKERS = 2  # per app server
SAML_IDP_ENTITY_ID = "https://idp.scale-out.test/saml"


@dataclass
class Cluster:
    site: Site
    servers: dict[str, GunicornServer]
    balancer: haproxy.HAProxy
    database_url: str


def _postgres_reason() -> str | None:
    try:
        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=3).close()
    except psycopg.OperationalError:
        return f"PostgreSQL does not answer at {POSTGRES}"
    return None


@contextmanager
def _scratch_database():
    name = f"kloudsso_scaleout_{os.getpid()}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _build_site(env: dict, folder: Path, saml_idp: SAMLIdP, oidc_issuer: str) -> dict:
    """collectstatic, and beside it migrate and the organizations (tests/support/bench_site.py)."""
    (folder / "idp.crt").write_text(saml_idp.cert_pem)
    arguments = [saml_idp.entity_id, str(folder / "idp.crt"), oidc_issuer + "/saml/sso", oidc_issuer]
    with ThreadPoolExecutor(1) as pool:
        static = pool.submit(manage, env, "collectstatic", "--no-input")
        made = subprocess.run(
            [sys.executable, "-m", "tests.support.bench_site", *arguments],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "kloudsso.settings"},
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        static.result()
    return json.loads(made.stdout.splitlines()[-1])  # after what createorg says it made


def _warm(site: Site, base: str) -> None:
    """A sign-in of each kind on each worker: a worker's first requests import and compile what later ones reuse,
    which takes seconds on a busy machine. The cluster is started warm; the restarted server is not."""

    def sign_ins(n: int) -> None:
        SAMLSignIn(site, f"warm-{n}@{SAML_DOMAIN}").run(base, base, base)
        OIDCSignIn(site, f"warm-{n}@{OIDC_DOMAIN}").run(base, base)

    with ThreadPoolExecutor(WORKERS) as pool:  # at once, so that each worker takes one
        list(pool.map(sign_ins, [f"{urlsplit(base).port}-{n}" for n in range(WORKERS)]))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    for reason in (haproxy.available(), redis_server.available(), _postgres_reason()):
        if reason:
            pytest.skip(reason)
    folder = tmp_path_factory.mktemp("scale-out")
    with ExitStack() as stack:
        database_url = stack.enter_context(_scratch_database())
        redis = redis_server.LocalRedis()
        stack.callback(redis.close)
        cert_pem, key_pem = key_pair("scale-out SAML IdP")
        saml_idp = SAMLIdP(entity_id=SAML_IDP_ENTITY_ID, key_pem=key_pem, cert_pem=cert_pem)
        (folder / "oidc.key").write_text(key_pair("scale-out OIDC IdP")[1])
        oidc = OIDCServer(folder / "oidc.key", folder / "oidc.log").start()
        stack.callback(oidc.stop)

        ports = {"a": free_port(), "b": free_port()}
        balancer = haproxy.HAProxy(ports, folder / "haproxy.log")
        stack.callback(balancer.stop)
        env = production_env(
            database_url=database_url,
            public_base_url=balancer.url,
            static_root=folder / "static",
            CACHE_URL=redis.url,
            SSO_ALLOW_INSECURE_IDP="true",  # the IdP stand-ins are on http://127.0.0.1
            CLIENT_IP_HEADER="HTTP_" + CLIENT_IP_HEADER.upper().replace("-", "_"),  # one address per browser
        )
        site = Site(public_url=balancer.url, saml_idp=saml_idp, **_build_site(env, folder, saml_idp, oidc.issuer))
        servers = {}
        for name, port in ports.items():
            servers[name] = GunicornServer(env, folder / f"gunicorn-{name}.log", port=port, workers=WORKERS)
            stack.callback(servers[name].kill)
        with ThreadPoolExecutor(len(servers)) as pool:
            list(pool.map(lambda server: _warm(site, server.start().url), servers.values()))
        balancer.start()
        yield Cluster(site=site, servers=servers, balancer=balancer, database_url=database_url)


def _rows(database_url: str, like: str) -> dict[str, Counter]:
    """Per email matching `like`: its accounts, identities, memberships and successful sign-in events."""
    queries = {
        "users": "SELECT email FROM accounts_user WHERE email LIKE %s",
        "identities": "SELECT email FROM connections_ssoidentity WHERE email LIKE %s",
        "memberships": "SELECT u.email FROM tenancy_membership m JOIN accounts_user u ON u.id = m.user_id "
        "WHERE u.email LIKE %s",
        "successes": "SELECT email FROM connections_signinevent WHERE outcome = 'success' AND email LIKE %s",
    }
    with psycopg.connect(database_url) as db:
        return {what: Counter(r[0] for r in db.execute(sql, (like,))) for what, sql in queries.items()}


def _failure_events(database_url: str) -> list[tuple]:
    with psycopg.connect(database_url) as db:
        return db.execute("SELECT code, email FROM connections_signinevent WHERE outcome = 'failure'").fetchall()


# The routes of one sign-in's steps over the two servers, each step sent straight to a server's own port.
CROSSINGS = [
    # start, ACS, finish: the response the ACS stashed on one server is read on the other from the shared cache
    ("saml", ("a", "a", "b")),
    ("saml", ("b", "b", "a")),
    # the AuthnRequest remembered in the session on one server, answered and finished on the other
    ("saml", ("a", "b", "b")),
    # start, callback: state, nonce and PKCE verifier kept on one server, the callback on the other
    ("oidc", ("a", "b")),
    ("oidc", ("b", "a")),
]


@pytest.mark.parametrize(("protocol", "route"), CROSSINGS, ids=[f"{p}-{'-'.join(r)}" for p, r in CROSSINGS])
def test_a_sign_in_started_on_one_server_finishes_on_the_other(cluster, protocol, route):
    flow, domain = (SAMLSignIn, SAML_DOMAIN) if protocol == "saml" else (OIDCSignIn, OIDC_DOMAIN)
    email = f"cross-{protocol}-{''.join(route)}@{domain}"
    sign_in = flow(cluster.site, email)
    sign_in.run(*[cluster.servers[name].url for name in route])
    other = "a" if route[-1] == "b" else "b"
    home = sign_in.home(cluster.servers[other].url)  # signed in everywhere: the session is in the database
    assert home.status_code == 200 and email in home.text
    rows = _rows(cluster.database_url, email)
    assert {what: counts[email] for what, counts in rows.items()} == {
        "users": 1,
        "identities": 1,
        "memberships": 1,
        "successes": 1,
    }


def test_sign_ins_through_the_balancer_survive_an_app_server_killed_mid_run(cluster):
    load = Load(cluster.site, cluster.balancer.url, threads=8)
    began = time.monotonic()
    with load:
        load.wait_for(finished=25)
        load.kill_began = time.monotonic()
        cluster.servers["b"].kill()  # SIGKILL to gunicorn's whole process group: no graceful anything
        load.kill_ended = time.monotonic()
        cluster.balancer.wait_until(lambda states: states.get("b", "").startswith("DOWN"), timeout=10)
        load.marked_down = time.monotonic()
        load.wait_for(finished=load.finished + 25)
        load.restarting = time.monotonic()
        cluster.servers["b"].start()
        cluster.balancer.wait_until(lambda states: states.get("b") == "UP", timeout=10)
        load.rejoined = time.monotonic()
        load.wait_for(finished=load.finished + 40)
    report = load.report()
    print(f"\nscale-out: {report.summary()} in {time.monotonic() - began:.1f} s")
    print(f"scale-out: HAProxy marked b down {load.marked_down - load.kill_began:.2f} s after the SIGKILL")

    assert not report.refused, report.refused[:5]  # apart from the cut ones, every answer was the expected one
    hit = report.errors + report.resent
    for hop in report.errors:  # a 5xx only for a request the killed server held when it died
        assert hop.status in (502, 503) and hop.served_by == "b", hop
    for hop in hit:  # sent to the killed server before HAProxy knew it was dead
        assert hop.began < load.marked_down and hop.ended > load.kill_began, hop
    # Each client thread: the request it had in flight, and seldom one more sent in the few milliseconds before
    # HAProxy saw its kept-alive connections to the dead server close.
    assert len(hit) <= 2 * load.threads
    assert len(report.cut) <= len(hit) and report.succeeded + len(report.cut) == report.flows
    assert report.served["b"]["before"] > 0 and report.served["b"]["after"] > 0, report.served
    assert report.served["b"]["down"] == 0, report.served
    assert report.crossed > 0 and report.stash_crossed > 0, "no sign-in finished on another server than it started"

    rows = _rows(cluster.database_url, "load-%")
    for email in report.succeeded_emails:  # each person signs in once: one of everything, exactly
        assert {what: counts[email] for what, counts in rows.items()} == dict.fromkeys(rows, 1), email
    for what, counts in rows.items():
        assert max(counts.values()) == 1, (what, counts.most_common(3))
    failed = [email for _, email in _failure_events(cluster.database_url)]
    assert set(failed) <= set(report.cut_emails), failed  # only a sign-in cut by the kill may have failed
