"""Someone already signed in, on a sign-in page: a used-up callback or finish step (a second tab, the back button,
a double click, a bookmark) says they are signed in and takes them on; a real failure says what went wrong without
contradicting the header; the email prompt offers Continue or Sign in as someone else. Each dead end has one
primary button, and it works."""

import re
import shutil

import pytest
from django.test import Client
from django.urls import reverse

from connections.events import SignInEvent
from connections.sp import saml_acs_url
from domains.models import Domain
from tests.support.factories import oidc_connection_for_idp
from tests.support.oidc import CraftedIdP
from tests.test_oidc_callback import start as oidc_start

PRIMARY = re.compile(r'<a class="btn primary"[^>]* href="([^"]+)"')
ALREADY = "You're already signed in as {}"


@pytest.fixture
def jit(acme):
    Domain.objects.create(organization=acme, name="acme.test", status="verified")
    acme.provisioning_mode = "jit"
    acme.save()
    return acme


def signed_in_as(client) -> str:
    from kloudsso.accounts.models import User

    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).email if user_id else ""


def the_one_button(client, response) -> str:
    """The page's single primary button, followed: it must lead somewhere that works."""
    buttons = PRIMARY.findall(response.content.decode())
    assert len(buttons) == 1, buttons
    assert client.get(buttons[0], follow=True).status_code == 200
    return buttons[0]


# --- OIDC -----------------------------------------------------------------------------------------------------


@pytest.fixture
def oidc(jit, http_server):
    idp = CraftedIdP(http_server)
    return oidc_connection_for_idp(jit, idp), idp


def oidc_callback_url(client, connection, idp, **claims) -> str:
    params = oidc_start(client, connection)
    idp.answer(params["nonce"], **claims)
    return f"/sso/oidc?code=the-code&state={params['state']}"


def test_a_replayed_oidc_callback_says_already_signed_in_and_continues_to_the_org(client, oidc, ada):
    connection, idp = oidc
    callback = oidc_callback_url(client, connection, idp, email="ada@acme.test")
    assert client.get(callback)["Location"] == "/orgs/acme/"
    events = SignInEvent.objects.count()
    again = client.get(callback)  # the back button, a second tab, a bookmark
    assert again.status_code == 200
    assert ALREADY.format("ada@acme.test") in again.content.decode()
    assert "We could not sign you in" not in again.content.decode()
    assert the_one_button(client, again) == "/"  # the state is gone: their first organization
    assert signed_in_as(client) == "ada@acme.test"
    assert SignInEvent.objects.count() == events  # none was recorded for a stray state before either


def test_a_forged_callback_while_signed_in_changes_nobody(client, oidc, alice):
    client.force_login(alice)
    landed = client.get("/sso/oidc", {"code": "stolen", "state": "someone-elses"})
    assert ALREADY.format("alice@acme.test") in landed.content.decode()
    assert signed_in_as(client) == "alice@acme.test"


def test_the_idps_refusal_while_signed_in_says_what_went_wrong_and_signs_nobody_out(client, oidc, alice):
    connection, _ = oidc
    client.force_login(alice)
    params = oidc_start(client, connection)
    landed = client.get("/sso/oidc", {"error": "access_denied", "state": params["state"]})
    page = landed.content.decode()
    assert landed.status_code == 400
    assert "did not sign you in (access_denied)" in page
    assert "That sign-in did not work" in page and "We could not sign you in" not in page
    assert "You are still signed in as <strong>alice@acme.test</strong>" in page
    assert the_one_button(client, landed) == "/orgs/acme/"
    assert signed_in_as(client) == "alice@acme.test"  # the library's logout on `error` no longer runs
    assert SignInEvent.objects.get().code == "idp_error"


def test_the_idps_refusal_signed_out_offers_try_again(client, oidc):
    connection, _ = oidc
    params = oidc_start(client, connection)
    landed = client.get("/sso/oidc", {"error": "access_denied", "state": params["state"]})
    assert "We could not sign you in" in landed.content.decode()
    assert the_one_button(client, landed) == "/sso/login"


def test_a_stale_callback_signed_out_is_a_failure_with_try_again(client, oidc):
    landed = client.get("/sso/oidc", {"code": "abc", "state": "gone"})
    assert landed.status_code == 400 and "<code>state_mismatch</code>" in landed.content.decode()
    assert the_one_button(client, landed) == "/sso/login"


# --- The email prompt while signed in --------------------------------------------------------------------------


def test_the_prompt_while_signed_in_offers_continue_and_someone_else(client, alice):
    client.force_login(alice)
    page = client.get("/sso/login")
    html = page.content.decode()
    assert "You're signed in as alice@acme.test" in html
    assert 'name="email"' not in html
    assert the_one_button(client, page) == "/"
    assert f'action="{reverse("sso_someone_else")}"' in html and "csrfmiddlewaretoken" in html


@pytest.mark.parametrize(
    ("wanted", "continues_to"),
    [
        ("/orgs/acme/domains/", "/orgs/acme/domains/"),
        ("https://evil.test/", "/"),
        ("//evil.test/x", "/"),
        ("/\\evil.test", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_continue_goes_where_they_were_going_on_this_site_only(client, alice, wanted, continues_to):
    client.force_login(alice)
    page = client.get("/sso/login", {"next": wanted})
    assert PRIMARY.findall(page.content.decode()) == [continues_to]


def test_sign_in_as_someone_else_signs_out_then_asks_for_the_email(client, alice):
    client.force_login(alice)
    switched = client.post(reverse("sso_someone_else"))
    assert switched["Location"] == "/sso/login"
    assert signed_in_as(client) == ""
    assert 'name="email"' in client.get("/sso/login").content.decode()


def test_sign_in_as_someone_else_needs_a_post_with_a_csrf_token(client, alice):
    careful = Client(enforce_csrf_checks=True)
    careful.force_login(alice)
    assert careful.post(reverse("sso_someone_else")).status_code == 403
    assert careful.get(reverse("sso_someone_else")).status_code == 405
    assert signed_in_as(careful) == "alice@acme.test"


def test_an_older_tabs_prompt_still_starts_a_sign_in(client, oidc, alice):
    connection, _ = oidc
    client.force_login(alice)
    started = client.post("/sso/login", {"email": "ada@acme.test"})
    assert started.status_code == 302
    assert started["Location"].startswith(connection.oidc.authorization_endpoint)


# --- SAML ------------------------------------------------------------------------------------------------------

needs_xmlsec = pytest.mark.skipif(not shutil.which("xmlsec1"), reason="xmlsec1 is not installed")


@pytest.fixture
def saml(jit, tmp_path):
    from connections.saml.metadata import parse_idp_metadata
    from connections.saml.services import saml_connection_save
    from connections.sp import service_provider_get_or_create, sp_metadata_xml
    from tests.support.saml_craft import CraftingIdP

    sp = service_provider_get_or_create(org=jit)
    idp = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp))
    connection = saml_connection_save(
        org=jit, display_name="Crafted", source="xml", idp=parse_idp_metadata(idp.metadata_xml())
    )
    return connection, idp, sp


def saml_start(client, connection) -> str:
    from tests.test_saml_acs import start

    return start(client, connection)


def acs(client, saml_response) -> str:
    stashed = client.post("/sso/saml", {"SAMLResponse": saml_response})
    assert stashed.status_code == 303
    return stashed["Location"]


def signed_in_with_saml(client, saml, **answer):
    connection, idp, sp = saml
    response = idp.response(
        in_response_to=saml_start(client, connection), destination=saml_acs_url(), audience=sp.entity_id, **answer
    )
    finish = acs(client, response)
    assert client.get(finish)["Location"] == "/orgs/acme/"
    return response, finish


@needs_xmlsec
def test_a_reopened_finish_url_says_already_signed_in(client, saml, ada):
    _, finish = signed_in_with_saml(client, saml)
    events = SignInEvent.objects.count()
    again = client.get(finish)
    assert again.status_code == 200 and ALREADY.format("ada@acme.test") in again.content.decode()
    assert the_one_button(client, again) == "/"
    assert signed_in_as(client) == "ada@acme.test"
    assert SignInEvent.objects.count() == events


@needs_xmlsec
def test_the_idps_form_posted_again_says_already_signed_in_and_the_owners_still_hear_of_it(client, saml, ada):
    response, _ = signed_in_with_saml(client, saml)
    again = client.get(acs(client, response))  # the back button to the IdP's auto-submitting page
    assert ALREADY.format("ada@acme.test") in again.content.decode()
    assert the_one_button(client, again) == "/orgs/acme/"  # the answer's organization, which ada belongs to
    assert SignInEvent.objects.filter(code="saml_stash_expired").count() == 1  # as before this page existed
    assert signed_in_as(client) == "ada@acme.test"


@needs_xmlsec
def test_a_replayed_idp_initiated_assertion_for_the_same_person(client, saml, ada):
    connection, idp, sp = saml
    connection.saml.allow_idp_initiated = True
    connection.saml.save()
    response = idp.response(in_response_to=None, destination=saml_acs_url(), audience=sp.entity_id)
    assert client.get(acs(client, response))["Location"] == "/orgs/acme/"
    again = client.get(acs(client, response))
    assert ALREADY.format("ada@acme.test") in again.content.decode()
    assert SignInEvent.objects.filter(code="replayed_assertion").count() == 1
    assert signed_in_as(client) == "ada@acme.test"


@needs_xmlsec
def test_a_replayed_assertion_for_someone_else_neither_switches_nor_names_them(client, saml, globex, charlie):
    connection, idp, sp = saml
    connection.saml.allow_idp_initiated = True
    connection.saml.save()
    response = idp.response(in_response_to=None, destination=saml_acs_url(), audience=sp.entity_id)
    assert Client().get(acs(Client(), response))["Location"] == "/orgs/acme/"  # ada, in another browser
    client.force_login(charlie)
    again = client.get(acs(client, response))
    page = again.content.decode()
    assert ALREADY.format("charlie@globex.test") in page
    assert "ada" not in page.lower() and "Acme" not in page  # not whose answer it was, nor their organization
    assert the_one_button(client, again) == "/"
    assert signed_in_as(client) == "charlie@globex.test"


@needs_xmlsec
def test_a_real_saml_failure_while_signed_in_says_so_and_keeps_the_session(client, saml, alice):
    connection, idp, sp = saml
    client.force_login(alice)
    response = idp.response(
        in_response_to=saml_start(client, connection),
        destination=saml_acs_url(),
        audience=sp.entity_id,
        name_id="eve@evil.test",
    )
    landed = client.get(acs(client, response))
    page = landed.content.decode()
    assert landed.status_code == 400 and "<code>email_domain_not_verified</code>" in page
    assert "That sign-in did not work" in page and "still signed in as <strong>alice@acme.test</strong>" in page
    assert the_one_button(client, landed) == "/orgs/acme/"
    assert signed_in_as(client) == "alice@acme.test"


@needs_xmlsec
def test_a_reopened_finish_url_signed_out_is_a_failure_with_try_again(client, saml, ada):
    _, finish = signed_in_with_saml(client, saml)
    client.logout()
    again = client.get(finish)
    assert again.status_code == 400 and "<code>saml_stash_expired</code>" in again.content.decode()
    assert the_one_button(client, again) == "/sso/login"


@needs_xmlsec
def test_an_idps_portal_tile_or_back_button_while_signed_in_says_already_signed_in(client, saml, ada):
    _, idp, sp = saml
    signed_in_with_saml(client, saml)
    unsolicited = idp.response(in_response_to=None, destination=saml_acs_url(), audience=sp.entity_id)
    again = client.get(acs(client, unsolicited))  # IdP-initiated sign-in is off for this connection
    assert ALREADY.format("ada@acme.test") in again.content.decode()
    assert signed_in_as(client) == "ada@acme.test"


def test_a_form_from_before_signing_in_elsewhere_reloads_instead_of_a_bare_403(client, alice):
    careful = Client(enforce_csrf_checks=True)
    careful.get("/sso/login")
    careful.force_login(alice)  # in another tab: the token rotates
    refused = careful.post("/sso/login", {"email": "ada@acme.test"}, HTTP_REFERER="http://testserver/sso/login")
    assert refused.status_code == 403 and "This page was out of date" in refused.content.decode()
    assert PRIMARY.findall(refused.content.decode()) == ["http://testserver/sso/login"]
    elsewhere = careful.post("/sso/login", {"email": "x"}, HTTP_REFERER="https://evil.test/")
    assert PRIMARY.findall(elsewhere.content.decode()) == ["/"]
