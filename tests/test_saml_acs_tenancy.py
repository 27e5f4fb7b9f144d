"""What keeps one organization's SAML sign-ins apart from another's, though the ACS URL is shared and any of them
can claim any IdP entity ID: the audience, read only from the signed assertion, and the replay table's namespace."""

import pytest
from django.test import Client
from saml2 import samlp

from connections.saml.metadata import parse_idp_metadata
from connections.saml.models import UsedAssertion
from connections.saml.services import saml_connection_save
from connections.sp import service_provider_get_or_create, sp_metadata_xml
from signin.errors import SignInError
from signin.saml.peek import peek
from signin.saml.profile import check_profile
from tests.support.saml_craft import PREFIX, CraftingIdP, substitute
from tests.test_saml_acs import connection, idp, post, refused, sp, start  # noqa: F401
from tests.test_saml_acs_refusals import answer, b64, unb64
from tests.test_saml_review_findings import with_unsigned_audience, without_audience_restriction

twice_restricted = substitute(
    rf"(<({PREFIX})AudienceRestriction>.*?</{PREFIX}AudienceRestriction>)",
    r"\1<\2AudienceRestriction><\2Audience>https://other.test/sp</\2Audience></\2AudienceRestriction>",
)


def assertion_of(response: str):
    """pysaml2's parse of the response's assertion: what check_profile reads once pysaml2 has verified it."""
    return samlp.response_from_string(unb64(response)).assertion[0]


# -- the audience -------------------------------------------------------------------------------------------------


def test_peek_reads_an_audience_only_inside_the_assertions_conditions(connection, idp, sp):  # noqa: F811
    response = idp.edited(without_audience_restriction, **answer(sp, "id-1"))
    seen = peek(b64(with_unsigned_audience(unb64(response), sp.entity_id)))
    assert seen.audience_restrictions == () and seen.audiences == ()
    assert peek(idp.edited(twice_restricted, **answer(sp, "id-1"))).audience_restrictions == (
        (sp.entity_id,),
        ("https://other.test/sp",),
    )


@pytest.mark.parametrize(
    ("edit", "said"),
    [(without_audience_restriction, "no AudienceRestriction"), (twice_restricted, "each must name us")],
    ids=["no-restriction", "one-of-two-names-someone-else"],
)
def test_the_verified_assertion_itself_must_name_us_in_every_audience_restriction(idp, sp, edit, said):  # noqa: F811
    # The decision, whatever precheck said of the unverified text before pysaml2 verified it.
    with pytest.raises(SignInError) as refusal:
        check_profile(assertion_of(idp.edited(edit, **answer(sp, "id-1"))), entity_id=sp.entity_id)
    assert refusal.value.code == "audience_mismatch" and said in refusal.value.detail
    assert "(not verified)" not in refusal.value.detail  # pysaml2 verified what is quoted


def test_an_assertion_naming_us_in_its_one_restriction_passes_the_profile(idp, sp):  # noqa: F811
    check_profile(assertion_of(idp.edited(lambda xml: xml, **answer(sp, "id-1"))), entity_id=sp.entity_id)


def test_an_unsigned_audience_does_not_route_an_idp_initiated_response(client, connection, idp, sp):  # noqa: F811
    connection.saml.allow_idp_initiated = True
    connection.saml.save()
    response = idp.edited(without_audience_restriction, **answer(sp, None))
    refused(client, post(client, b64(with_unsigned_audience(unb64(response), sp.entity_id))), "unsolicited_response")


def test_an_idp_initiated_assertion_for_another_organization_is_refused(client, connection, idp, sp, globex):  # noqa: F811
    connection.saml.allow_idp_initiated = True
    connection.saml.save()
    theirs = service_provider_get_or_create(org=globex).entity_id
    response = idp.response(**{**answer(sp, None), "audience": theirs})
    refused(client, post(client, response), "unsolicited_response")


# -- the replay table's namespace ----------------------------------------------------------------------------------

PREDICTABLE = substitute(rf'(<{PREFIX}Assertion\b[^>]*) ID="[^"]*"', r'\1 ID="id-predictable-1"')


def test_another_organization_cannot_use_up_the_assertion_ids_of_our_idp(client, connection, idp, sp, globex, tmp_path):  # noqa: F811
    # Globex claims our IdP's entity ID with its own key, and has an assertion with the ID our IdP will send next
    # accepted first (its sign-in then fails on the domain; the assertion ID is used all the same).
    their_sp = service_provider_get_or_create(org=globex)
    mallory = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(their_sp), entity_id=idp.entity_id, stem="mallory")
    theirs = saml_connection_save(
        org=globex, display_name="Ours, they say", source="xml", idp=parse_idp_metadata(mallory.metadata_xml())
    )
    browser = Client()
    post(browser, mallory.edited(PREDICTABLE, **answer(their_sp, start(browser, theirs))))
    assert UsedAssertion.objects.count() == 1
    response = idp.edited(PREDICTABLE, **answer(sp, start(client, connection)))
    assert post(client, response)["Location"] == "/orgs/acme/"


def test_an_assertion_used_at_one_connection_is_not_new_to_a_twin_of_its_idp(client, acme, connection, idp, sp):  # noqa: F811
    connection.saml.allow_idp_initiated = True
    connection.saml.save()
    response = idp.response(**answer(sp, None))
    assert post(client, response)["Location"] == "/orgs/acme/"
    client.logout()
    connection.saml.allow_idp_initiated = False  # IdP-initiated moves to a second connection of the same IdP
    connection.saml.save()
    twin = saml_connection_save(org=acme, display_name="Twin", source="xml", idp=parse_idp_metadata(idp.metadata_xml()))
    twin.saml.allow_idp_initiated = True
    twin.saml.save()
    refused(client, post(client, response), "replayed_assertion")
