"""A worker that never serves a SCIM request never imports scim2-models or pydantic (about 14 MB of its memory):
the SCIM views load on the first SCIM request (directory/scim/urls.py), and nothing else imports them. Nor does it
import dnspython (about 15 MB) before a domain is checked (domains/dns_lookup.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.support.scim import SCIMClient, scim_directory, verified_domain

REPO = Path(__file__).resolve().parent.parent
SCIM_LIBRARIES = ("scim2_models", "pydantic")
# The module that loads them -> the libraries only it may bring.
DEFERRED = {"directory.scim.views": SCIM_LIBRARIES, "domains.dns_lookup": ("dns",)}

# In a fresh interpreter, as a gunicorn worker starts: Django, the root URLconf (every view it names), the WSGI
# application (its middleware), and every module of the sign-in runtime, accounts and the owners' pages.
WORKER = """
import importlib, json, pkgutil, sys
import django
django.setup()
from django.urls import get_resolver, resolve
get_resolver().url_patterns
resolve("/")
import kloudsso.wsgi
packages = ["signin", "kloudsso.accounts", "kloudsso.tenancy", "kloudsso.audit", "connections", "domains",
            "setup_links", "directory"]
for name in packages:
    package = importlib.import_module(name)
    for module in pkgutil.walk_packages(package.__path__, name + "."):
        if not module.name.startswith(("directory.scim", "domains.dns_lookup")) and ".migrations" not in module.name:
            importlib.import_module(module.name)
libraries = [library for names in DEFERRED.values() for library in names]
before = {library: library in sys.modules for library in libraries}
after = {}
for deferred, names in DEFERRED.items():
    importlib.import_module(deferred)  # what a worker's first SCIM request, or first domain check, imports
    after.update({library: library in sys.modules for library in names})
print(json.dumps({"before": before, "after": after}))
"""


def test_a_worker_that_serves_no_scim_request_never_imports_the_scim_libraries_nor_dnspython():
    script = f"DEFERRED = {DEFERRED!r}\n" + WORKER
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    libraries = [library for names in DEFERRED.values() for library in names]
    assert loaded["before"] == dict.fromkeys(libraries, False)
    # The check names the right modules: the SCIM views and the DNS lookup do bring them.
    assert loaded["after"] == dict.fromkeys(libraries, True)


@pytest.mark.django_db
def test_a_scim_post_through_the_deferred_route_is_exempt_from_csrf(acme):
    verified_domain(acme, "acmecorp.com")
    directory, token = scim_directory(acme)
    # The middleware checks CSRF before the real view is imported: the route's own function must be exempt.
    scim = SCIMClient(Client(enforce_csrf_checks=True), directory, token)
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "dave@acmecorp.com"}
    response = scim.post("/Users", body)
    assert response.status_code == 201, response.content
    assert scim.get(f"/Users/{response.json()['id']}").json()["userName"] == "dave@acmecorp.com"
