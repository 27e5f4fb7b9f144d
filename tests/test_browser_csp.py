"""The Content-Security-Policy in Debian's Chromium: no page an owner, a member, a person signing in or support
staff sees logs a violation, the pages' scripts still work, and sign-ins through OIDC and both SAML bindings still
reach the IdP and come back. Screenshots land in test-artifacts/csp-*.png."""

import pytest

from connections.events import Outcome, SignInEvent
from connections.sp import service_provider_get_or_create
from domains.models import Domain
from kloudsso.accounts.models import User
from kloudsso.tenancy.models import Invitation, Membership, Role
from tests.support.browser import allow_orm_beside_playwright, clean_artifacts, screenshot, unavailable
from tests.support.csp_watch import CSPViolations
from tests.support.factories import oidc_connection, oidc_connection_for_idp, saml_connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or ""),
]
allow_orm_beside_playwright()


@pytest.fixture
def watched(browser, live_server, settings):
    """new_page(email=...) opens a page in a fresh context, signed in with a password when an email is given;
    every context reports into one list of violations."""
    settings.PUBLIC_BASE_URL = live_server.url
    watches = []

    def new_page(email=None, password="correct-horse-battery", login_url="/login/", javascript=True):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=javascript)
        watches.append(CSPViolations(context, live_server.url))
        page = context.new_page()
        if email:
            page.goto(f"{live_server.url}{login_url}")
            page.fill("#id_username", email)
            page.fill("#id_password", password)
            page.click("form button[type=submit], form input[type=submit]")
            page.wait_for_load_state()
        return page

    new_page.violations = lambda: [seen for watch in watches for seen in watch.seen]
    yield new_page


def visit(page, base_url, path, status=200):
    response = page.goto(f"{base_url}{path}")
    assert response.status == status, path


def test_the_watcher_sees_a_violation(watched, live_server, alice):
    page = watched("alice@acme.test")
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_timeout(200)
    assert any("style-src" in seen for seen in watched.violations())


@pytest.fixture
def acme_configured(acme, alice, bob, globex):
    Membership.objects.create(user=alice, organization=globex, role=Role.MEMBER)  # for the organization picker
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    Domain.objects.create(organization=globex, name="globex.test", status="verified")  # and no connection
    oidc = oidc_connection(acme)
    saml = saml_connection(acme)
    Invitation.objects.create(organization=acme, email="carol@acme.test", invited_by=alice)
    SignInEvent.objects.create(
        organization=acme, connection=oidc, email="eve@acme.test", outcome=Outcome.FAILURE, code="email_missing"
    )
    return oidc, saml


def test_owner_and_member_pages_log_no_violation(watched, live_server, acme_configured, monkeypatch):
    clean_artifacts("csp-")
    base, (oidc, saml) = live_server.url, acme_configured
    event = SignInEvent.objects.get()
    page = watched("alice@acme.test")
    for path in (
        "/orgs/acme/",
        "/orgs/acme/connections/add/",
        "/orgs/acme/connections/add/oidc/",
        f"/orgs/acme/connections/{oidc.public_id}/edit/",
        f"/orgs/acme/connections/{saml.public_id}/edit/",
        f"/orgs/acme/connections/{saml.public_id}/delete/",
        "/orgs/acme/domains/",
        f"/orgs/acme/domains/{Domain.objects.get(name='acme.test').public_id}/delete/",
        "/orgs/acme/members/",
        f"/orgs/acme/members/{Membership.objects.get(user__email='bob@acme.test').public_id}/remove/",
        "/orgs/acme/sso-settings/",
        "/orgs/acme/connections/sign-in-events/",
        f"/orgs/acme/connections/sign-in-events/{event.public_id}/",
        "/orgs/acme/connections/troubleshooting/",
    ):
        visit(page, base, path)

    visit(page, base, "/orgs/acme/connections/")
    page.click("button[data-copy]")  # app.js: the copy buttons
    page.wait_for_selector("button:has-text('Copied')")
    screenshot(page, "csp-1-connections")

    visit(page, base, "/orgs/acme/connections/add/saml/")  # app.js: the "ways in" panels follow the radio
    assert page.is_visible("#id_metadata_xml") and not page.is_visible("#id_metadata_url")
    page.check("input[name=source][value=url]")
    assert page.is_visible("#id_metadata_url") and not page.is_visible("#id_metadata_xml")
    page.check("input[name=source][value=manual]")
    assert page.is_visible("#id_sso_url") and not page.is_visible("#id_metadata_url")
    screenshot(page, "csp-2-saml-form-manual")

    page.select_option("#org-picker", "globex")  # app.js: the organization picker submits itself
    page.wait_for_url("**/orgs/globex/")
    visit(page, base, "/orgs/globex/connections/", status=403)
    visit(page, base, "/orgs/nobody/", status=404)

    from kloudsso.tenancy import views

    def crash(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "render", crash)  # the live server runs in this process
    visit(page, base, "/orgs/acme/", status=500)
    assert page.is_visible("text=Something went wrong on our side")
    screenshot(page, "csp-3-server-error")
    monkeypatch.undo()

    member = watched("bob@acme.test")
    visit(member, base, "/orgs/acme/")
    visit(member, base, "/orgs/acme/connections/", status=403)
    assert watched.violations() == []


def test_the_sign_in_pages_log_no_violation(watched, live_server, acme_configured):
    base = live_server.url
    person = watched()
    visit(person, base, "/login/")
    person.click("text=Sign in with SSO")
    person.fill("#id_email", "someone@unknown.test")
    person.click("main button.primary")
    person.wait_for_selector(".error")  # the prompt again, with the form error
    person.fill("#id_email", "frank@globex.test")
    person.click("main button.primary")
    person.wait_for_selector("text=We could not sign you in")  # globex.test has no connection
    screenshot(person, "csp-6-sign-in-failed")
    person.click("text=Try again")
    person.fill("#id_email", "ada@acme.test")
    person.click("main button.primary")
    person.wait_for_selector("text=Choose how to sign in")  # acme has two connections
    assert watched.violations() == []


def test_the_admin_logs_no_violation(watched, live_server, acme_configured):
    User.objects.create_superuser("support@kloudsso.test", "support-password-1")
    base, (oidc, saml) = live_server.url, acme_configured
    staff = watched("support@kloudsso.test", password="support-password-1", login_url="/admin/login/")
    visit(staff, base, "/admin/")
    for path in (
        "/admin/connections/connection/",
        f"/admin/connections/connection/{oidc.pk}/change/",
        f"/admin/connections/connection/{saml.pk}/change/",
        "/admin/connections/serviceprovider/",
        "/admin/connections/signinevent/",
        "/admin/tenancy/organization/",
        "/admin/tenancy/organization/add/",
        "/admin/tenancy/membership/",
        "/admin/domains/domain/?status__exact=verified",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{User.objects.get(email='alice@acme.test').pk}/change/",
        "/admin/accounts/user/add/",
    ):
        visit(staff, base, path)
    visit(staff, base, f"/admin/connections/connection/{saml.pk}/change/")
    screenshot(staff, "csp-4-admin-change")
    assert watched.violations() == []


def test_sso_sign_ins_through_oidc_and_both_saml_bindings_log_no_violation(watched, live_server, acme, alice, oidc_idp):
    """Every start posts a form on our page that the IdP answers: form-action must not block it."""
    from tests.support.saml_idp import SimpleSAMLphpIdP
    from tests.support.saml_idp import available as saml_available

    if reason := saml_available():
        pytest.skip(f"the SAML test IdP cannot run: {reason}")
    from connections.saml.metadata import parse_idp_metadata
    from connections.saml.services import saml_connection_save

    base = live_server.url
    acme.provisioning_mode = "jit"
    acme.save()
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    oidc_connection_for_idp(acme, oidc_idp, display_name="Entra ID (OIDC)")
    sp = service_provider_get_or_create(org=acme)
    with SimpleSAMLphpIdP(
        sp_entity_id=sp.entity_id, acs_url=f"{base}/sso/saml", sp_certificate_pem=sp.certificate_pem
    ) as saml_idp:
        saml = saml_connection_save(
            org=acme, display_name="Entra ID (SAML)", source="xml", idp=parse_idp_metadata(saml_idp.metadata_xml())
        ).saml

        def at_oidc_idp(page):
            page.fill("input[name=login]", "ada")
            page.fill("input[name=password]", "pass")
            page.click("button[type=submit]")

        def at_saml_idp(page):
            page.fill("input[name=username]", "ada")
            page.fill("input[name=password]", "pass")
            page.click("button[type=submit], input[type=submit]")

        def start(choice, **page_options):
            """From the prompt to the IdP; returns the page and the POSTs it sent to the SAML IdP's SSO URL."""
            person, posts = watched(**page_options), []

            def note(request):
                if request.method == "POST" and request.url == saml_idp.sso_url:
                    posts.append(request.url)

            person.on("request", note)
            visit(person, base, "/sso/login")
            person.fill("#id_email", "ada@acme.test")
            person.click("main button.primary")
            person.click(f"button:has-text('{choice}')")
            return person, posts

        def sign_in(choice, at_idp):
            person, posts = start(choice)
            at_idp(person)
            person.wait_for_url(f"{base}/orgs/acme/")
            return posts

        assert sign_in("Entra ID (OIDC)", at_oidc_idp) == []
        assert sign_in("Entra ID (SAML)", at_saml_idp) == []  # HTTP-Redirect binding
        # SimpleSAMLphp's SSO URL takes both bindings, though its metadata names only HTTP-Redirect.
        saml.sso_post_url, saml.sso_redirect_url = saml.sso_redirect_url, ""
        saml.save()
        assert len(sign_in("Entra ID (SAML)", at_saml_idp)) == 1  # HTTP-POST binding: our form, sent by app.js
        without_script, _ = start("Entra ID (SAML)", javascript=False)
        screenshot(without_script, "csp-7-saml-post-without-javascript")
        without_script.click("text=Continue")
        without_script.wait_for_selector("input[name=username]")  # at the IdP

        owner = watched("alice@acme.test")
        visit(owner, base, "/orgs/acme/connections/")
        owner.click("tr:has-text('Entra ID (SAML)') button:has-text('Test')")
        at_saml_idp(owner)
        owner.wait_for_selector("text=Test of Entra ID (SAML): it works")
        screenshot(owner, "csp-5-saml-post-test-result")
    assert watched.violations() == []
