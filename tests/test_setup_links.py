"""Setup links: an owner's link for their IT admin, who sets up one connection and reaches nothing else."""

import hashlib
import logging
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from connections.connection import Connection
from connections.sp import saml_acs_url
from kloudsso.audit.models import AuditEvent
from kloudsso.audit.record import Actor
from setup_links.models import SetupLink, Status
from setup_links.services import setup_link_complete, setup_link_create, setup_link_revoke
from setup_links.session import SESSION_KEY
from tests.support.factories import oidc_connection
from tests.support.gunicorn_server import free_port
from tests.test_saml_acs import idp, post, sp  # noqa: F401 -- fixtures and helpers

OWNER_ACTOR_KIND = "owner"


def make_link(org, owner, **kwargs) -> tuple[SetupLink, str]:
    return setup_link_create(org=org, by=Actor(user=owner, kind=OWNER_ACTOR_KIND), **kwargs)


def open_link(client, token):
    return client.post(reverse("setup_links:open"), {"token": token})


def test_an_owner_creates_a_link_whose_token_is_shown_once_and_stored_as_its_hash(client, alice, acme):
    client.force_login(alice)
    url = reverse("setup_links:list", kwargs={"org_slug": "acme"})
    response = client.post(url, {"protocol": "", "guide": "okta-saml", "days": "7", "note": "For Dana in IT"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    token = re.search(r"/setup/#([A-Za-z0-9_-]{43})<", page).group(1)
    link = SetupLink.objects.get()
    assert link.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert link.protocol == "saml"  # the guide's
    assert link.expires_at - link.created_at == timedelta(days=7)
    stored = " ".join(str(value) for value in SetupLink.objects.values_list().get())
    assert token not in stored
    assert token not in client.get(url).content.decode()  # shown once
    event = AuditEvent.objects.get(action="setup_link.created")
    assert event.actor == alice and event.target_label == "For Dana in IT" and token not in str(event.changes)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"days": "0"}, "A setup link lasts 1 to 30 days."),
        ({"days": "31"}, "A setup link lasts 1 to 30 days."),
        ({"days": "soon"}, "Enter a whole number of days."),
        ({"days": "7", "protocol": "oidc", "guide": "okta-saml"}, "Okta (SAML 2.0) is not a OIDC guide."),
        ({"days": "7", "protocol": "ldap"}, "Select a valid choice."),
    ],
)
def test_a_bad_link_request_says_why_and_creates_nothing(client, alice, data, error):
    client.force_login(alice)
    response = client.post(reverse("setup_links:list", kwargs={"org_slug": "acme"}), data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not SetupLink.objects.exists()


def test_a_link_is_exchanged_for_a_session_and_never_appears_in_a_url_or_log(client, alice, acme, caplog):
    link, token = make_link(acme, alice, note="For Dana")
    caplog.set_level(logging.DEBUG)
    landing = client.get("/setup/")
    assert landing.status_code == 200 and b"data-setup-token" in landing.content
    response = open_link(client, token)
    assert response.status_code == 302 and response["Location"] == reverse("setup_links:start")
    assert client.session[SESSION_KEY] == str(link.public_id)
    start = client.get(response["Location"])
    assert start.status_code == 200
    assert "Connect your identity provider to Acme" in start.content.decode()
    assert token not in caplog.text and token not in start.content.decode()
    link.refresh_from_db()
    assert link.opened_at is not None


def ended(link, how):
    if how == "revoked":
        SetupLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    elif how == "completed":
        SetupLink.objects.filter(pk=link.pk).update(completed_at=timezone.now())
    else:
        SetupLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.parametrize(
    ("how", "status", "words"),
    [
        ("expired", 410, "This setup link has expired."),
        ("revoked", 410, "This setup link was revoked."),
        ("completed", 410, "the setup it was made for is complete"),
    ],
)
def test_an_ended_link_gets_one_page_and_nothing_else(client, alice, acme, how, status, words):
    link, token = make_link(acme, alice)
    oidc = oidc_connection(acme, display_name="Secret name")
    SetupLink.objects.filter(pk=link.pk).update(connection=oidc)
    ended(link, how)
    response = open_link(client, token)
    assert response.status_code == status
    html = response.content.decode()
    assert words in html and "Acme" not in html and "Secret name" not in html
    assert SESSION_KEY not in client.session
    assert client.get(reverse("setup_links:start")).status_code == 404


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 44, "../../etc", "#" + "B" * 43])
def test_an_unknown_token_is_a_404(client, acme, alice, token):
    make_link(acme, alice)
    response = open_link(client, token)
    assert response.status_code == 404
    assert "This setup link does not exist" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_a_link_that_ends_while_open_closes_its_session(client, alice, acme):
    link, token = make_link(acme, alice)
    open_link(client, token)
    assert setup_link_revoke(org=acme, link=link, by=Actor(user=alice, kind=OWNER_ACTOR_KIND))
    assert client.get(reverse("setup_links:start")).status_code == 410
    assert client.get(reverse("setup_links:start")).status_code == 404  # the session let go of it


def test_a_link_expires_with_the_clock(client, alice, acme):
    link, token = make_link(acme, alice, days=1)
    open_link(client, token)
    with time_machine.travel(link.expires_at + timedelta(seconds=1)):
        response = client.get(reverse("setup_links:guide", kwargs={"slug": "entra-oidc"}))
        assert response.status_code == 410
        assert open_link(client, token).status_code == 410


def _org_url_patterns(resolver=None, prefix=""):
    """Every URL pattern with an org_slug: the owner console."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _org_url_patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if "org_slug" in route:
                yield route


def _fill(route: str, connection) -> str:
    path = route.replace("^", "").replace("$", "").replace("\\", "")
    path = re.sub(r"<slug:org_slug>", "acme", path)
    path = re.sub(r"<uuid:\w+>", str(connection.public_id), path)
    path = re.sub(r"<slug:\w+>", "entra-oidc", path)
    path = re.sub(r"\(\?P<which>[^)]*\)", "current", path)
    return "/" + path


def test_a_link_session_reaches_no_page_of_the_organization(client, alice, acme):
    link, token = make_link(acme, alice)
    connection = oidc_connection(acme)
    SetupLink.objects.filter(pk=link.pk).update(connection=connection)
    open_link(client, token)
    routes = sorted(set(_org_url_patterns()))
    assert len(routes) > 30  # the whole console, not a handful
    for route in routes:
        url = _fill(route, connection)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in {302, 404, 405}, (method, url, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/login/"), url
    assert client.get("/admin/").status_code == 302
    assert client.get(reverse("setup_links:start")).status_code == 200  # still open for its own pages
    connection.refresh_from_db()
    assert connection.enabled and Connection.objects.count() == 1


def test_a_link_shows_only_the_guides_of_its_protocol(client, alice, acme):
    _, token = make_link(acme, alice, protocol="oidc")
    open_link(client, token)
    start = client.get(reverse("setup_links:start")).content.decode()
    assert "Microsoft Entra ID (OIDC)" in start and "(SAML 2.0)" not in start
    assert client.get(reverse("setup_links:guide", kwargs={"slug": "entra-saml"})).status_code == 404
    assert client.get(reverse("setup_links:connect", kwargs={"slug": "okta-saml"})).status_code == 404
    assert client.get(reverse("setup_links:guide", kwargs={"slug": "nope"})).status_code == 404
    guide = client.get(reverse("setup_links:guide", kwargs={"slug": "entra-oidc"})).content.decode()
    assert 'data-copy="#guide-redirect-uri-redirect_uri"' in guide and ">http://testserver/sso/oidc<" in guide


def test_another_organizations_owner_cannot_see_or_revoke_a_link(client, alice, bob, charlie, acme):
    link, _ = make_link(acme, alice, note="Acme's own")
    revoke = reverse("setup_links:revoke", kwargs={"org_slug": "acme", "public_id": link.public_id})
    client.force_login(charlie)
    assert client.post(revoke).status_code == 404
    assert client.get(reverse("setup_links:list", kwargs={"org_slug": "acme"})).status_code == 404
    through_globex = reverse("setup_links:revoke", kwargs={"org_slug": "globex", "public_id": link.public_id})
    assert client.post(through_globex).status_code == 404
    assert "Acme's own" not in client.get(reverse("setup_links:list", kwargs={"org_slug": "globex"})).content.decode()
    client.force_login(bob)
    assert client.post(revoke).status_code == 403
    link.refresh_from_db()
    assert link.status() == Status.ACTIVE


def test_an_owner_revokes_a_link(client, alice, acme):
    link, token = make_link(acme, alice)
    client.force_login(alice)
    url = reverse("setup_links:revoke", kwargs={"org_slug": "acme", "public_id": link.public_id})
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    link.refresh_from_db()
    assert link.status() == Status.REVOKED and link.revoked_by == alice
    assert AuditEvent.objects.filter(action="setup_link.revoked", actor=alice).exists()
    client.logout()
    assert open_link(client, token).status_code == 410


def test_probing_tokens_is_rate_limited(client, acme, alice):
    _, token = make_link(acme, alice)
    for _ in range(20):
        assert open_link(client, "C" * 43).status_code == 404
    assert open_link(client, token).status_code == 429


def start_link_test(client) -> str:
    response = client.post(reverse("setup_links:test"))
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    import base64
    import zlib

    request_xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15).decode()
    return request_xml.split(' ID="', 1)[1].split('"', 1)[0]


def test_a_saml_setup_through_a_link_tests_finishes_and_mails_the_owners(
    client,
    smtp,
    alice,
    acme,
    idp,  # noqa: F811
    sp,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    link, token = make_link(acme, alice, protocol="saml", note="For Dana")
    open_link(client, token)
    connect = reverse("setup_links:connect", kwargs={"slug": "generic-saml"})
    assert "Where Any SAML 2.0 identity provider shows each value" in client.get(connect).content.decode()
    form = {"display_name": "Dana's IdP", "source": "xml", "metadata_xml": idp.metadata_xml()}
    assert client.post(connect, {**form, "metadata_xml": "<nope"}).status_code == 200  # the form's own error
    assert not Connection.objects.exists()
    response = client.post(connect, form)
    assert response.status_code == 302 and response["Location"] == reverse("setup_links:check")
    connection = Connection.objects.get()
    assert not connection.enabled  # nobody signs in through it until an owner turns it on
    link.refresh_from_db()
    assert link.connection == connection
    added = AuditEvent.objects.get(action="connection.added")
    assert added.actor is None and added.actor_kind == "setup_link" and added.actor_label == "Setup link “For Dana”"
    assert AuditEvent.objects.filter(action="connection.disabled", actor_kind="setup_link").exists()

    assert client.post(reverse("setup_links:finish")).status_code == 302  # back to the test: none passed yet
    link.refresh_from_db()
    assert link.completed_at is None

    request_id = start_link_test(client)
    report = post(client, idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id))
    html = report.content.decode()
    assert "Your identity provider's part works" in html and reverse("setup_links:check") in html
    for owners_only in ("Domain rule", "Provisioning:", "Role:", "Identity:", "member"):
        assert owners_only not in html  # who belongs to the organization is not the link holder's to learn
    link.refresh_from_db()
    assert link.tested_at is not None

    with django_capture_on_commit_callbacks(execute=True):  # the mail goes once Finish is committed
        assert client.post(reverse("setup_links:finish"))["Location"] == reverse("setup_links:done")
    done = client.get(reverse("setup_links:done"))
    assert done.status_code == 200 and "is set up" in done.content.decode()
    link.refresh_from_db()
    assert link.status() == Status.COMPLETED
    connection.refresh_from_db()
    assert not connection.enabled
    completed = AuditEvent.objects.get(action="setup_link.completed")
    assert completed.actor_kind == "setup_link" and completed.ip == "127.0.0.1"

    smtp.wait_for(1)
    message = smtp.messages[0]
    assert message["To"] == "alice@acme.test"
    assert message["Subject"].strip() == "Your IT admin set up the connection “Dana's IdP”"
    body = message.get_body(("plain",)).get_content()
    assert "/orgs/acme/connections/" in body and "disabled until you turn it on" in body
    assert token not in message.as_string()

    assert client.get(reverse("setup_links:check")).status_code == 404  # the session let go of the link
    assert open_link(client, token).status_code == 410
    with pytest.raises(Exception):  # noqa: B017 -- a second Finish changes nothing
        setup_link_complete(link=link, by=Actor(user=None, kind="setup_link"))


def test_saving_again_edits_the_links_one_connection(client, alice, acme, idp):  # noqa: F811
    link, token = make_link(acme, alice)
    other = oidc_connection(acme, display_name="Owners' own")
    open_link(client, token)
    connect = reverse("setup_links:connect", kwargs={"slug": "entra-saml"})
    form = {"display_name": "First", "source": "xml", "metadata_xml": idp.metadata_xml()}
    client.post(connect, form)
    SetupLink.objects.filter(pk=link.pk).update(tested_at=timezone.now())
    client.post(connect, {**form, "display_name": "Second"})
    link.refresh_from_db()
    assert list(Connection.objects.exclude(pk=other.pk).values_list("display_name", flat=True)) == ["Second"]
    assert link.tested_at is None  # what was tested is no longer what is saved
    other.refresh_from_db()
    assert other.display_name == "Owners' own"
    # Once it holds a SAML connection, the link offers SAML guides only.
    assert client.get(reverse("setup_links:guide", kwargs={"slug": "entra-oidc"})).status_code == 404


def test_the_owners_list_shows_each_links_status_and_what_it_configured(client, alice, acme):
    active, _ = make_link(acme, alice, note="Active one")
    revoked, _ = make_link(acme, alice, note="Revoked one")
    expired, _ = make_link(acme, alice, note="Expired one")
    completed, _ = make_link(acme, alice, note="Completed one")
    connection = oidc_connection(acme, display_name="Made by Dana")
    ended(revoked, "revoked")
    ended(expired, "expired")
    SetupLink.objects.filter(pk=completed.pk).update(completed_at=timezone.now(), connection=connection)
    client.force_login(alice)
    html = client.get(reverse("setup_links:list", kwargs={"org_slug": "acme"})).content.decode()
    for link, word in [(active, "Active"), (revoked, "Revoked"), (expired, "Expired"), (completed, "Completed")]:
        row = html.split(f'id="link-{link.public_id}"', 1)[1].split("</tr>", 1)[0]
        assert 'class="status' in row and word in row
    edit = reverse("connections:edit", kwargs={"org_slug": "acme", "public_id": connection.public_id})
    assert f'href="{edit}">Made by Dana' in html


def test_a_link_works_only_in_the_browser_it_was_first_opened_in(acme, alice):
    _, token = make_link(acme, alice)
    first, second = Client(), Client()
    assert open_link(first, token)["Location"] == reverse("setup_links:start")
    refused = open_link(second, token)
    assert refused.status_code == 410 and "already open in another browser" in refused.content.decode()
    assert second.get(reverse("setup_links:start")).status_code == 404
    assert open_link(first, token)["Location"] == reverse("setup_links:start")  # its own browser again
    assert first.get(reverse("setup_links:start")).status_code == 200


def test_the_whole_link_pasted_opens_it(acme, alice, settings):
    _, token = make_link(acme, alice)
    assert open_link(Client(), f"{settings.PUBLIC_BASE_URL}/setup/#{token}")["Location"] == reverse("setup_links:start")


def test_finish_is_not_undone_by_a_mail_server_that_does_not_answer(acme, alice, settings, caplog):
    from setup_links.services import _mail_completed

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 1
    link, _ = make_link(acme, alice)
    _mail_completed(acme, link, connection=type("C", (), {"display_name": "Entra ID"})())
    assert "could not be sent" in caplog.text


def test_an_oidc_link_saves_the_secrets_expiry_and_leaves_single_logout_to_the_owners(client, alice, acme, http_server):
    from tests.support.oidc import serve_idp

    issuer = serve_idp(http_server, "/tenant-1/v2.0")
    _, token = make_link(acme, alice, protocol="oidc")
    open_link(client, token)
    connect = reverse("setup_links:connect", kwargs={"slug": "generic-oidc"})
    assert 'name="single_logout"' not in client.get(connect).content.decode()
    form = {
        "display_name": "Their IdP",
        "discovery_url": f"{issuer}/.well-known/openid-configuration",
        "client_id": "c",
        "client_secret": "s",
        "scopes": "openid email profile",
        "client_secret_expires_on": "2099-06-30",
    }
    assert client.post(connect, form).status_code == 302
    oidc = Connection.objects.get().oidc
    assert str(oidc.client_secret_expires_on) == "2099-06-30"
    oidc.single_logout = True  # as the owners set it (with an end_session_endpoint)
    oidc.save(update_fields=["single_logout"])
    page = client.get(connect).content.decode()
    assert 'value="2099-06-30"' in page and 'name="single_logout"' not in page
    assert client.post(connect, {**form, "client_secret": "", "client_secret_expires_on": ""}).status_code == 302
    oidc.refresh_from_db()
    assert str(oidc.client_secret_expires_on) == "2099-06-30"  # left blank: kept
    assert client.post(connect, {**form, "client_secret_expires_on": "2099-12-31"}).status_code == 302
    oidc.refresh_from_db()
    assert str(oidc.client_secret_expires_on) == "2099-12-31"
