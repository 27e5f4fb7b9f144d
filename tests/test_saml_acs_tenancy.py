"""What keeps one organization's SAML sign-ins apart from another's, though the ACS URL is shared and any of them
can claim any IdP entity ID: the audience, read only from the signed assertion."""

import pytest
from saml2 import samlp

from connections.sp import service_provider_get_or_create
from signin.errors import SignInError
from signin.saml.peek import peek
from signin.saml.profile import check_profile
from tests.support.saml_craft import PREFIX, substitute
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
