"""IdP-initiated SAML sign-in: the owner's switch on the connection's page (who may move it, the audit log, one
connection per IdP), and the ACS with responses crafted by pysaml2's IdP classes: refused and told to the owners
while it is off (only when the connection's certificates verify it), accepted once on, its RelayState followed only
to a path on this site. The real IdP's portal link is in test_saml_idp_initiated_flow.py."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from connections.events import SignInEvent
from connections.saml.metadata import parse_idp_metadata
from connections.saml.models import SAMLSettings
from connections.saml.services import saml_connection_save, saml_idp_initiated_set
from connections.sp import saml_acs_url, sp_metadata_xml
from kloudsso.audit.models import AuditEvent
from setup_links.link_views import _form as setup_link_form
from signin.catalogue import CATALOGUE
from tests.support.factories import oidc_connection, saml_connection
from tests.support.saml_craft import CraftingIdP
from tests.test_saml_acs import connection, idp, refused, signed_in, sp  # noqa: F401 -- fixtures and helpers


def switch_url(connection) -> str:  # noqa: F811
    return page_of(connection, "idp_initiated")


def edit_url(connection) -> str:  # noqa: F811
    return page_of(connection, "edit")


def page_of(connection, name: str) -> str:  # noqa: F811
    kwargs = {"org_slug": connection.organization.slug, "public_id": connection.public_id}
    return reverse(f"connections:{name}", kwargs=kwargs)


def another_connection(org, idp, name: str):  # noqa: F811
    return saml_connection_save(org=org, display_name=name, source="xml", idp=parse_idp_metadata(idp.metadata_xml()))


def allowed(connection) -> bool:  # noqa: F811
    return SAMLSettings.objects.get(connection=connection).allow_idp_initiated


def unasked(client, response, relay_state=None):
    """The IdP's page posts an answer to no request, with the RelayState its link named; the finish step's answer."""
    data = {"SAMLResponse": response, **({"RelayState": relay_state} if relay_state is not None else {})}
    stashed = client.post("/sso/saml", data)
    assert stashed.status_code == 303
    return client.get(stashed["Location"])


def answer_to_nobody(idp, sp):  # noqa: F811
    return idp.response(in_response_to=None, destination=saml_acs_url(), audience=sp.entity_id)


# -- the owner's switch ---------------------------------------------------------------------------------------------


def test_it_is_off_by_default_and_the_page_says_what_turning_it_on_gives_up(as_alice, acme):
    okta = saml_connection(acme)
    assert not allowed(okta)
    page = html.unescape(as_alice.get(edit_url(okta)).content.decode())
    card = page[page.index('id="idp-initiated"') :]
    assert 'name="allow_idp_initiated"' in card and "checked" not in card.split("</label>")[0]
    assert "InResponseTo" in card and "login CSRF" in card  # what it gives up
    assert "replay is refused by its assertion ID" in card  # what it keeps
    assert "/orgs/acme/" in card  # RelayState: a path on this site only
    assert "IdP-initiated sign-in" in page[page.index('id="preflight"') :]


def test_the_owner_turns_it_on_and_off_and_the_audit_log_says_who(as_alice, alice, acme):
    okta = saml_connection(acme)
    on = as_alice.post(switch_url(okta), {"allow_idp_initiated": "on"})
    assert on.status_code == 302 and on["Location"] == edit_url(okta) + "#idp-initiated"
    assert allowed(okta)
    page = as_alice.get(edit_url(okta)).content.decode()
    assert "IdP-initiated sign-in allowed" in page and 'id="idp-initiated-state">On' in page
    as_alice.post(switch_url(okta), {})  # the checkbox cleared: a browser sends nothing for it
    assert not allowed(okta)
    events = list(AuditEvent.objects.filter(action__startswith="connection.idp_initiated").order_by("pk"))
    assert [e.action for e in events] == ["connection.idp_initiated_allowed", "connection.idp_initiated_refused"]
    assert events[0].actor == alice and events[0].target_id == str(okta.public_id)
    assert events[0].changes == {"allow_idp_initiated": [False, True]}
    assert events[1].changes == {"allow_idp_initiated": [True, False]}


def test_saving_it_unchanged_records_nothing(as_alice, acme):
    okta = saml_connection(acme)
    page = as_alice.post(switch_url(okta), {}, follow=True).content.decode()
    assert "was already off" in page
    assert not AuditEvent.objects.filter(action__startswith="connection.idp_initiated").exists()


def test_a_second_connection_of_the_same_idp_cannot_take_them_too(as_alice, acme):
    first, second = saml_connection(acme), saml_connection(acme, display_name="Okta again")
    as_alice.post(switch_url(first), {"allow_idp_initiated": "on"})
    page = html.unescape(as_alice.post(switch_url(second), {"allow_idp_initiated": "on"}, follow=True).content.decode())
    assert "The connection 'Okta' of the same IdP" in page and "Turn it off there first" in page
    assert allowed(first) and not allowed(second)


def test_saving_the_connection_form_leaves_the_switch_alone(acme):
    okta = saml_connection(acme)
    saml_idp_initiated_set(org=acme, connection=okta, allowed=True)
    saml_connection_save(
        org=acme,
        connection=okta,
        display_name="Okta",
        source="xml",
        idp=parse_idp_metadata(okta.saml.metadata_xml),
    )
    assert allowed(okta)


def test_a_setup_links_form_has_no_such_switch(acme):
    # The holder of a setup link fills the connection form; IdP-initiated sign-in is the owner's decision.
    assert "allow_idp_initiated" not in setup_link_form("saml", None).fields


@pytest.mark.parametrize("persona", ["bob", "ada"])  # a member, an admin: SSO is the owners' to manage
def test_only_an_owner_may_move_it(client, request, acme, persona):
    okta = saml_connection(acme)
    client.force_login(request.getfixturevalue(persona))
    assert client.post(switch_url(okta), {"allow_idp_initiated": "on"}).status_code == 403
    assert not allowed(okta)


def test_another_organizations_connection_is_a_404(client, charlie, acme, globex):
    okta = saml_connection(acme)
    client.force_login(charlie)
    url = reverse("connections:idp_initiated", kwargs={"org_slug": "globex", "public_id": okta.public_id})
    assert client.post(url, {"allow_idp_initiated": "on"}).status_code == 404
    assert client.post(switch_url(okta), {"allow_idp_initiated": "on"}).status_code == 404  # not a member of Acme
    assert not allowed(okta)


def test_an_oidc_connection_has_no_switch(as_alice, acme):
    entra = oidc_connection(acme)
    assert as_alice.post(switch_url(entra), {"allow_idp_initiated": "on"}).status_code == 404


def test_it_is_changed_by_post_only(as_alice, acme):
    okta = saml_connection(acme)
    assert as_alice.get(switch_url(okta), {"allow_idp_initiated": "on"}).status_code == 405
    assert not allowed(okta)


# -- the ACS while it is off ----------------------------------------------------------------------------------------


def test_while_off_a_verified_answer_is_refused_and_listed_for_the_connections_owners(client, connection, idp, sp):  # noqa: F811
    refused(client, unasked(client, answer_to_nobody(idp, sp), "/orgs/acme/"), "unsolicited_response")
    event = SignInEvent.objects.get(code="unsolicited_response")
    assert (event.organization, event.connection) == (connection.organization, connection)
    assert '"Allow IdP-initiated sign-in" is off' in event.detail and event.received["NameID"] == "ada@acme.test"
    fix = CATALOGUE["unsolicited_response"].fix
    assert "Connections → edit the connection → IdP-initiated sign-in → allow IdP-initiated sign-in" in fix


def test_the_owners_page_for_the_event_names_the_switch(client, as_alice, connection, idp, sp):  # noqa: F811
    unasked(Client(), answer_to_nobody(idp, sp))
    event = SignInEvent.objects.get(code="unsolicited_response")
    url = reverse("connections:event", kwargs={"org_slug": "acme", "public_id": event.public_id})
    page = html.unescape(as_alice.get(url).content.decode())
    assert "allow IdP-initiated sign-in" in page and "ada@acme.test" in page


def test_while_off_an_answer_no_certificate_on_file_verifies_is_not_listed(client, connection, sp, tmp_path):  # noqa: F811
    # Anyone may post a response naming our IdP and SP: an owner must not be told to turn the switch on by forgeries.
    forger = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), stem="forger")  # the IdP's entity ID, another key
    refused(client, unasked(client, answer_to_nobody(forger, sp)), "unsolicited_response")
    assert not SignInEvent.objects.exists()


def test_an_answer_naming_no_connection_is_refused_and_listed_nowhere(client, connection, sp, tmp_path):  # noqa: F811
    stranger = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), entity_id="https://stranger.test/idp", stem="s")
    refused(client, unasked(client, answer_to_nobody(stranger, sp)), "unsolicited_response")
    assert not SignInEvent.objects.exists()


def test_of_two_connections_both_off_the_one_whose_key_verifies_is_told(client, acme, connection, sp, tmp_path):  # noqa: F811
    other = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), stem="other")  # same entity ID, its own key
    twin = another_connection(acme, other, "Twin")
    refused(client, unasked(client, answer_to_nobody(other, sp)), "unsolicited_response")
    assert SignInEvent.objects.get(code="unsolicited_response").connection == twin


def test_two_connections_allowing_it_is_its_own_refusal_told_to_the_organization(client, acme, connection, idp, sp):  # noqa: F811
    twin = another_connection(acme, idp, "Twin")
    SAMLSettings.objects.filter(connection__in=[connection, twin]).update(allow_idp_initiated=True)  # a race, say
    refused(client, unasked(client, answer_to_nobody(idp, sp)), "saml_idp_initiated_ambiguous")
    event = SignInEvent.objects.get(code="saml_idp_initiated_ambiguous")
    assert event.organization == acme and event.connection is None
    assert "'Crafted'" in event.detail and "'Twin'" in event.detail
    assert "allow IdP-initiated sign-in" in CATALOGUE["saml_idp_initiated_ambiguous"].fix


# -- the ACS once it is on: RelayState ------------------------------------------------------------------------------


@pytest.fixture
def switched_on(connection, acme):  # noqa: F811
    saml_idp_initiated_set(org=acme, connection=connection, allowed=True)
    return connection


@pytest.mark.parametrize("relay_state", ["/orgs/acme/", "/orgs/acme/connections/?page=2#top", "/"])
def test_a_relay_state_that_is_a_path_here_is_followed(client, switched_on, idp, sp, relay_state):  # noqa: F811
    landed = unasked(client, answer_to_nobody(idp, sp), relay_state)
    assert landed.status_code == 302 and landed["Location"] == relay_state
    assert signed_in(client)


HOSTILE = [
    "https://evil.test/",
    "http://testserver.evil.test/",
    "https://testserver/orgs/acme/",  # our own host, but not a path: only paths are followed
    "//evil.test/",
    "///evil.test/",
    "/\\evil.test/",
    "\\\\evil.test/",
    "/\t/evil.test/",
    "/\n/evil.test/",
    " /orgs/acme/",
    "/orgs/acme/\r\nSet-Cookie: sessionid=x",
    "javascript:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
    "orgs/acme/",
    "evil.test",
    "/" + "a" * 1001,
    "",
]


@pytest.mark.parametrize("relay_state", HOSTILE)
def test_any_other_relay_state_lands_on_the_organizations_page(client, switched_on, idp, sp, relay_state):  # noqa: F811
    landed = unasked(client, answer_to_nobody(idp, sp), relay_state)
    assert landed.status_code == 302 and landed["Location"] == "/orgs/acme/"
    assert signed_in(client)


def test_a_relay_state_is_not_followed_after_a_sign_in_that_started_here(client, connection, idp, sp):  # noqa: F811
    from tests.test_saml_acs import start

    request_id = start(client, connection)
    response = idp.response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id)
    landed = unasked(client, response, "/orgs/acme/connections/")
    assert landed["Location"] == "/orgs/acme/"  # we sent no RelayState: one coming back is not ours


def test_an_accepted_answer_posted_again_is_a_replay(client, switched_on, idp, sp):  # noqa: F811
    response = answer_to_nobody(idp, sp)
    assert unasked(Client(), response, "/orgs/acme/")["Location"] == "/orgs/acme/"
    refused(client, unasked(client, response, "/orgs/acme/"), "replayed_assertion")


def test_the_page_and_the_catalogue_say_it_does_not_work_with_encrypted_assertions(as_alice, acme):
    from signin.catalogue import CATALOGUE

    okta = saml_connection(acme)
    card = html.unescape(as_alice.get(edit_url(okta)).content.decode()).split('id="idp-initiated"', 1)[1]
    assert "Not with encrypted assertions" in card and "whether this switch is on or off" in card
    assert "the Destination when the answer carries one" in card  # checked only then (signin/saml/precheck)
    assert "cannot work through it" not in card
    okta.saml.require_encryption = True
    okta.saml.save()
    card = html.unescape(as_alice.get(edit_url(okta)).content.decode()).split('id="idp-initiated"', 1)[1]
    assert "This connection requires encrypted assertions, so IdP-initiated sign-in cannot work through it" in card
    entry = CATALOGUE["unsolicited_response"]
    assert "encrypted assertion" in entry.cause and "an encrypted assertion must start here" in entry.fix
