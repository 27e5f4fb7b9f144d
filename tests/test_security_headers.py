"""Security headers on every kind of response: pages, redirects, error pages, the SP metadata, the admin."""

import base64
import re
from pathlib import Path

import pytest
from django.urls import reverse

from connections.sp import service_provider_get_or_create
from domains.models import Domain
from kloudsso.tenancy.models import Plan
from tests.support.factories import saml_connection

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def policy_of(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in directives}


def assert_hardened(response, *, form_action: str | None = "'self'"):
    expected = {k: v for k, v in POLICY.items() if k != "form-action"}
    if form_action:
        expected["form-action"] = form_action
    assert policy_of(response) == expected
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize("url", ["/login/", "/", "/orgs/acme/", "/admin/login/", "/no/such/page/"])
def test_it_sends_the_headers_on_pages_redirects_and_not_found(client, alice, url):
    if url == "/orgs/acme/":
        client.force_login(alice)
    assert_hardened(client.get(url))


def test_it_sends_the_headers_on_the_server_error_page(as_alice, monkeypatch):
    from kloudsso.tenancy import views

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "render", crash)
    as_alice.raise_request_exception = False
    response = as_alice.get("/orgs/acme/")
    assert response.status_code == 500
    assert_hardened(response)


def test_it_sends_the_headers_on_the_public_sp_metadata(client, acme):
    service_provider_get_or_create(org=acme)
    response = client.get(reverse("sp_metadata_public", kwargs={"org_public_id": acme.public_id}))
    assert response.status_code == 200
    assert_hardened(response)


def test_pages_whose_forms_start_a_sign_in_have_no_form_action(as_alice, acme):
    # Their forms post to us and are redirected to an IdP, which form-action would block in Chromium (the
    # connection page ends its pre-flight checklist with the Test connection button).
    connection = saml_connection(acme)
    edit = reverse("connections:edit", kwargs={"org_slug": "acme", "public_id": connection.public_id})
    for url in (reverse("sso_login"), reverse("connections:list", kwargs={"org_slug": "acme"}), edit):
        assert_hardened(as_alice.get(url), form_action=None)


@pytest.fixture
def post_binding_connection(acme):
    acme.plan = Plan.PAID
    acme.save()
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    connection = saml_connection(acme)
    connection.saml.sso_redirect_url = ""  # an IdP that takes the AuthnRequest by HTTP-POST only
    connection.saml.save()
    return connection


@pytest.mark.skipif(not __import__("shutil").which("xmlsec1"), reason="xmlsec1 is not installed")
def test_the_saml_post_binding_page_needs_no_inline_script(client, post_binding_connection):
    sso_url = post_binding_connection.saml.sso_post_url
    response = client.post(reverse("sso_start", kwargs={"public_id": post_binding_connection.public_id}))
    assert response.status_code == 200
    assert_hardened(response, form_action=None)
    page = response.content.decode()
    assert "onload" not in page and not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert f'action="{sso_url}"' in page
    saml_request = re.search(r'name="SAMLRequest" value="([^"]+)"', page).group(1)
    request_xml = base64.b64decode(saml_request).decode()
    assert ":Signature>" in request_xml and f'Destination="{sso_url}"' in request_xml


INLINE = re.compile(r"<style|<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)


PAGES = sorted(p for p in TEMPLATES.rglob("*.html") if p.relative_to(TEMPLATES).parts[0] != "mail")
MAILS = sorted((TEMPLATES / "mail").rglob("*.html"))
SCRIPT = re.compile(r"<script|\son[a-z]+=|javascript:", re.IGNORECASE)


@pytest.mark.parametrize("template", PAGES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_has_inline_script_or_style(template):
    assert not INLINE.search(template.read_text()), "move it into static/kloudsso/"


@pytest.mark.parametrize("template", MAILS, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_mail_templates_have_no_script(template):
    """Mail clients read only inline styles (the site's CSP never applies to a mail), but a script or an event
    handler has no place in one."""
    assert not SCRIPT.search(template.read_text())
