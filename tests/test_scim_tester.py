"""scim2-tester, an independent SCIM 2.0 client's test suite, run against our SCIM server served live."""

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from tests.support.scim import scim_directory, verified_domain

# Every check runs, so SKIPPED is a failure too: the last two skipped were the search at the root (POST /.search),
# which answered 501; a check that stops running must not pass unnoticed.
PASSED = {Status.SUCCESS, Status.COMPLIANT}


@pytest.fixture
def served(live_server, acme):
    # scim2-tester makes up <uuid>@<uuid>.com addresses: "com" verified by Acme covers them all, as a verified
    # domain covers its subdomains (the Domains page itself never lets anyone verify a public suffix).
    verified_domain(acme, "com")
    directory, token = scim_directory(acme)
    http = httpx2.Client(
        base_url=f"{live_server.url}/scim/v2/{directory.public_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    yield http
    http.close()


@pytest.mark.django_db(transaction=True)
def test_every_scim2_tester_check_passes(served):
    results = check_server(SyncSCIMClient(served))
    failed = [
        f"{r.status.name} {r.title} [{r.resource_type}]: {r.reason} {r.data or ''}"
        for r in results
        if r.status not in PASSED
    ]
    assert results and not failed, "\n".join(failed)
