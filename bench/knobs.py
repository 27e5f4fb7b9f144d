"""The run's sizes, from the environment (BENCH_*): defaults sized so `make bench` takes a few minutes with fast
sign-in code; each measured phase also stops at its time cap, so slow code still ends (and says how many it did)."""

import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


USERS = _int("BENCH_USERS", 100)  # people per connection; each signs in once before anything is measured
SAML_SIGNINS = _int("BENCH_SAML_SIGNINS", 2000)
OIDC_SIGNINS = _int("BENCH_OIDC_SIGNINS", 2000)
DISCOVERY_REQUESTS = _int("BENCH_DISCOVERY_REQUESTS", 500)  # at 100 and at 100,000 organizations each
ORGS_SMALL = _int("BENCH_ORGS_SMALL", 100)
ORGS_LARGE = _int("BENCH_ORGS_LARGE", 100_000)
RSS_SIGNINS = _int("BENCH_RSS_SIGNINS", 10_000)  # sign-ins served (all phases) before the second RSS reading
STOCK_SIGNINS = _int("BENCH_STOCK_SIGNINS", 1000)
CHECKS = _int("BENCH_CHECKS", 200)  # signed responses checked in process, by ours and by python3-saml
CLIENTS = _int("BENCH_CLIENTS", 3)  # client threads: enough to keep 2 sync workers busy
# BENCH_RESULTS: where to write the results (default bench/RESULTS.md), e.g. /tmp/r.md for a trial run.
# Wall-time caps per phase (seconds)
SAML_SECONDS = _int("BENCH_SAML_SECONDS", 120)
OIDC_SECONDS = _int("BENCH_OIDC_SECONDS", 60)
DISCOVERY_SECONDS = _int("BENCH_DISCOVERY_SECONDS", 30)
RSS_SECONDS = _int("BENCH_RSS_SECONDS", 300)
STOCK_SECONDS = _int("BENCH_STOCK_SECONDS", 60)
