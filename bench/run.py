"""make bench: KloudSSO under gunicorn (2 sync workers), driven over HTTP by browser and IdP stand-ins.

Order: setup (100 organizations) -> workers' RSS after start -> one sign-in per person (provisioning, warm-up) ->
home-realm discovery at 100 organizations -> grow to 100,000 -> discovery again -> SAML sign-ins -> OIDC callbacks
(IdP requests counted) -> more sign-ins up to 10,000 served -> RSS again -> workers stopped -> in process: SQL
statements, KloudSSO's and python3-saml's check of one response -> stock djangosaml2 on the same responses.
Results: bench/RESULTS.md (one section per database) and stdout.
"""

import os
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# bench/ itself must not be on the path: bench/onelogin.py would hide the onelogin package (python3-saml).
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]

from bench import flows, knobs, results, site, stock  # noqa: E402
from bench.cpu import Workers  # noqa: E402
from bench.idp import SAMLIdP, key_pair  # noqa: E402

SAML_IDP_ENTITY_ID = "https://idp.bench.test/saml"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def main() -> int:
    # A SIGTERM (timeout, kill) ends the run through the finally below, which stops every server it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kloudsso-bench-") as folder:
        tmp = Path(folder)
        servers = []
        try:
            figures = measure(tmp, servers)
        except flows.Failure as exc:
            log(f"a sign-in failed, so nothing is reported:\n{exc}")
            for server in servers:
                if isinstance(server, site.Gunicorn):
                    log(f"log of {server.app}:\n{server.log_tail()}")
            return 1
        finally:
            for server in reversed(servers):
                server.stop()
    figures["duration_s"] = time.monotonic() - began
    text = results.write(figures, Path(os.environ.get("BENCH_RESULTS") or REPO / "bench" / "RESULTS.md"))
    print(text)
    return 0


def measure(tmp: Path, servers: list) -> dict:
    port = site.free_port()
    database_url, cache_url, storage_label = site.storage(tmp)
    os.environ.update(site.site_env(tmp, port, database_url=database_url, cache_url=cache_url))
    import django

    django.setup()
    from django.db import connections

    from bench import data, inprocess

    cert_pem, key_pem = key_pair("bench SAML IdP")
    saml_idp = SAMLIdP(entity_id=SAML_IDP_ENTITY_ID, key_pem=key_pem, cert_pem=cert_pem)
    oidc_key = tmp / "oidc.key"
    oidc_key.write_text(key_pair("bench OIDC IdP")[1])
    oidc = site.OIDCServer(oidc_key, tmp / "oidc.log").start()
    servers.append(oidc)
    sso_url = oidc.issuer + "/saml/sso"

    log(f"setup: {storage_label}")
    data.migrate(cache_url)
    bench = data.create(saml_idp=saml_idp, saml_sso_url=sso_url, oidc_issuer=oidc.issuer)
    orgs_small = data.grow_to(knobs.ORGS_SMALL)
    connections.close_all()

    gunicorn = site.Gunicorn("kloudsso.wsgi:application", port, dict(os.environ), tmp / "gunicorn.log").start()
    servers.append(gunicorn)
    workers = Workers(gunicorn.process.pid)
    f = {"storage": storage_label, "knobs": {k: v for k, v in vars(knobs).items() if k.isupper()}}
    f["rss_start"] = workers.rss()
    saml = flows.KloudSAML(
        gunicorn.base, saml_idp, sp_entity_id=bench.sp_entity_id, org_slug=bench.saml_slug,
        domain=data.SAML_DOMAIN, users=knobs.USERS,
    )  # fmt: skip
    oidc_flow = flows.KloudOIDC(gunicorn.base, org_slug=bench.oidc_slug, domain=data.OIDC_DOMAIN, users=knobs.USERS)
    discovery = flows.Discovery(gunicorn.base, domain=data.OIDC_DOMAIN, users=knobs.USERS)
    served = 0

    def phase(flow, total, seconds, label):
        nonlocal served
        log(f"{label}: up to {total} in at most {seconds:.0f} s")
        result = flows.run(flow, workers, total=total, seconds=seconds, clients=knobs.CLIENTS, offset=served)
        served += result.count if flow is not discovery else 0
        log(f"{label}: {result.count} in {result.wall:.1f} s, {result.per_cpu_second:.1f} per worker CPU-second")
        return result

    phase(saml, knobs.USERS, 600, "warm-up SAML (provisions each person)")
    phase(oidc_flow, knobs.USERS, 600, "warm-up OIDC (provisions each person)")
    f["rss_warm"] = workers.rss()

    phase(discovery, 50, 60, "discovery warm-up")  # as before the large phase: both start warm
    f["discovery_small"] = phase(
        discovery, knobs.DISCOVERY_REQUESTS, knobs.DISCOVERY_SECONDS, f"discovery, {orgs_small} orgs"
    )
    log(f"growing to {knobs.ORGS_LARGE} organizations")
    f["orgs"] = (orgs_small, data.grow_to(knobs.ORGS_LARGE))
    connections.close_all()
    phase(discovery, 50, 60, "discovery warm-up after growing")
    f["discovery_large"] = phase(
        discovery, knobs.DISCOVERY_REQUESTS, knobs.DISCOVERY_SECONDS, f"discovery, {f['orgs'][1]} orgs"
    )

    idp_before = oidc.stats()
    f["saml"] = phase(saml, knobs.SAML_SIGNINS, knobs.SAML_SECONDS, "SAML sign-ins")
    idp_after = oidc.stats()  # the SAML connection names no metadata URL: nothing is expected
    f["saml_idp_fetches"] = sum(idp_after.values()) - sum(idp_before.values())
    idp_before = idp_after
    f["oidc"] = phase(oidc_flow, knobs.OIDC_SIGNINS, knobs.OIDC_SECONDS, "OIDC callbacks")
    idp_after = oidc.stats()
    f["idp_fetches"] = {k: idp_after.get(k, 0) - idp_before.get(k, 0) for k in idp_after}

    began, cap = time.monotonic(), knobs.RSS_SECONDS
    while served < knobs.RSS_SIGNINS and time.monotonic() - began < cap:
        left = cap - (time.monotonic() - began)
        share = min(500, knobs.RSS_SIGNINS - served)
        phase(saml, (share + 1) // 2, left / 2, f"towards {knobs.RSS_SIGNINS} sign-ins served ({served} so far), SAML")
        phase(oidc_flow, share // 2, left / 2, f"towards {knobs.RSS_SIGNINS} sign-ins served, OIDC")
    f["served"] = served
    f["rss_end"] = workers.rss()
    gunicorn.stop()

    log("in process: SQL statements, and checking one response")
    host = f"127.0.0.1:{port}"
    acs = gunicorn.base + "/sso/saml"
    f["sql_saml"] = inprocess.saml_statements(
        host, saml_idp, sp_entity_id=bench.sp_entity_id, email=f"person0@{data.SAML_DOMAIN}", slug=bench.saml_slug,
        acs=acs,
    )  # fmt: skip
    f["sql_oidc"] = inprocess.oidc_statements(host, email=f"person0@{data.OIDC_DOMAIN}", slug=bench.oidc_slug)
    f["sql_discovery"] = inprocess.discovery_statements(host, email=f"person0@{data.OIDC_DOMAIN}")
    f["checks"] = compare_checks(saml_idp, bench, acs=acs, sso_url=sso_url)

    log("stock djangosaml2")
    stock_server = stock.start_server(tmp, saml_idp, sso_url)
    servers.append(stock_server)
    stock_workers = Workers(stock_server.process.pid)
    stock_flow = stock.StockSAML(stock_server.base, saml_idp, users=knobs.USERS)
    log("stock warm-up (creates each user)")
    flows.run(stock_flow, stock_workers, total=knobs.USERS, seconds=600, clients=knobs.CLIENTS)
    f["stock"] = flows.run(
        stock_flow, stock_workers, total=knobs.STOCK_SIGNINS, seconds=knobs.STOCK_SECONDS, clients=knobs.CLIENTS
    )
    log(f"stock: {f['stock'].count} in {f['stock'].wall:.1f} s, {f['stock'].per_cpu_second:.1f} per CPU-second")
    f["stock_rss"] = stock_workers.rss()
    return f


def compare_checks(saml_idp, bench, *, acs: str, sso_url: str) -> dict:
    """Each library checks the same freshly signed responses (distinct IDs, so replay checks pass), one by one."""
    from bench import inprocess, onelogin
    from connections.connection import Connection

    row = Connection.objects.select_related("organization", "saml").get(organization__slug=bench.saml_slug)
    email = "person0@saml.bench.test"

    def responses(n):
        ids = [f"_bench{n}_{i}" for i in range(knobs.CHECKS)]
        return [(saml_idp.response(request_id=r, acs=acs, audience=bench.sp_entity_id, email=email), r) for r in ids]

    inprocess.time_checks(lambda b64, rid: inprocess.check_ours(row, b64, rid), responses(0)[:20])  # warm
    batch = responses(1)
    ours = inprocess.time_checks(lambda b64, rid: inprocess.check_ours(row, b64, rid), batch)
    check = onelogin.checker(
        sp_entity_id=bench.sp_entity_id, acs=acs, idp_entity_id=saml_idp.entity_id,
        idp_cert_b64=saml_idp.cert_b64, sso_url=sso_url,
    )  # fmt: skip
    inprocess.time_checks(check, batch[:20])  # warm
    theirs = inprocess.time_checks(check, batch)
    return {"ours": ours, "python3_saml": theirs}


if __name__ == "__main__":
    sys.exit(main())
