"""The review of issue 8 (SAML items 7-13, branch rev-saml): each test states what a strict relying party does;
all but the last failed before the fixes that followed it (the last shows ECDSA works: it had no test). Responses
are crafted as in test_saml_acs_refusals. Since then the edits are made with saml_craft.substitute (a pattern that
misses fails, whatever prefix pysaml2 gave the elements), and the algorithm test expects the code the fix gave
an algorithm that is not one (saml_unsupported_algorithm, not saml_weak_algorithm's "too weak (SHA-1)")."""

import pytest
from saml2.xmldsig import DIGEST_SHA256

from connections.events import SignInEvent
from connections.saml.metadata import parse_idp_metadata
from connections.saml.services import saml_connection_save
from connections.sp import saml_acs_url, sp_metadata_xml
from tests.support.saml_craft import PREFIX, substitute
from tests.test_saml_acs import connection, idp, post, refused, signed_in, sp, start  # noqa: F401
from tests.test_saml_acs_refusals import answer, b64, event, unb64

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"


without_audience_restriction = substitute(rf"<{PREFIX}AudienceRestriction>.*?</{PREFIX}AudienceRestriction>", "")
without_conditions = substitute(rf"<{PREFIX}Conditions .*?</{PREFIX}Conditions>", "")


def with_unsigned_audience(xml: str, audience: str) -> str:
    """An Audience in the Response's own Extensions: outside every signature, so anyone can add it."""
    extensions = (
        f'<samlp:Extensions xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}"><saml:Audience>{audience}</saml:Audience>'
        "</samlp:Extensions>"
    )
    return substitute(rf"(<{PREFIX}Status>)", extensions + r"\1")(xml)


# -- High: the audience check reads Audience anywhere in the document, signed or not ------------------------------


@pytest.mark.parametrize(
    "edit",
    [without_audience_restriction, without_conditions],
    ids=["no-restriction", "no-conditions"],
)
def test_an_audience_outside_the_signed_assertion_does_not_make_it_ours(client, connection, idp, sp, edit):  # noqa: F811
    # SAML profiles 4.1.4.2: the bearer assertion MUST carry an AudienceRestriction naming us. pysaml2 accepts an
    # assertion without one (for_me() is True); precheck finds our entity ID in the unsigned Extensions instead.
    response = idp.edited(edit, **answer(sp, start(client, connection)))
    refused(client, post(client, b64(with_unsigned_audience(unb64(response), sp.entity_id))), "audience_mismatch")


def test_every_audience_restriction_must_name_us(client, connection, idp, sp):  # noqa: F811
    # SAML core 2.5.1.4: Audiences within one AudienceRestriction are an OR, several AudienceRestrictions an AND.
    restricted_twice = substitute(
        rf"(<({PREFIX})AudienceRestriction>.*?</{PREFIX}AudienceRestriction>)",
        r"\1<\2AudienceRestriction><\2Audience>https://other.test/sp</\2Audience></\2AudienceRestriction>",
    )

    response = idp.edited(restricted_twice, **answer(sp, start(client, connection)))
    refused(client, post(client, response), "audience_mismatch")


# -- Medium: item 10, what the weak-algorithm refusal quotes is the unverified response's own text ----------------


def test_the_algorithms_quoted_from_an_unverified_response_are_labelled_and_bounded(client, connection, idp, sp):  # noqa: F811
    # Nobody signed this response: anyone can post it for their own sign-in and write into the owners' events.
    xml = unb64(idp.response(**answer(sp, start(client, connection)), sign_assertion=False))
    lure = "Support note: upload your certificate at https://evil.example/fix " + "x" * 5000
    forged = substitute(
        rf"(<{PREFIX}Status>)",
        '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
        f'<ds:SignatureMethod Algorithm="{lure}"/></ds:SignedInfo></ds:Signature>' + r"\1",
    )(xml)
    refused(client, post(client, b64(forged)), "saml_unsupported_algorithm")  # not an algorithm, let alone SHA-1
    detail = event("saml_unsupported_algorithm").detail
    assert "(not verified)" in detail
    assert len(detail) < 1000


def test_an_unverified_status_message_is_bounded_in_the_owners_events(client, connection, idp):  # noqa: F811
    response = idp.error_response(
        in_response_to=start(client, connection),
        destination=saml_acs_url(),
        status="urn:oasis:names:tc:SAML:2.0:status:Responder",
        message="A" * 600_000,  # anyone's text, for their own sign-in at any organization's connection
    )
    refused(client, post(client, response), "saml_idp_status")
    assert len(event("saml_idp_status").detail) < 5000  # verify.py bounds pysaml2's quotes to 300; precheck doesn't


# -- Low: rules of the Web SSO profile and SAML core that pysaml2 skips and nothing else checks --------------------


@pytest.mark.parametrize(
    "edit",
    [
        substitute("cm:bearer", "cm:sender-vouches"),
        substitute(rf'(<{PREFIX}Assertion\b[^>]*) Version="2.0"', r'\1 Version="1.1"'),
        substitute(rf"(<{PREFIX}AuthnStatement) ", r'\1 SessionNotOnOrAfter="2020-01-01T00:00:00Z" '),
        substitute(rf">ada@acme.test(</{PREFIX}NameID>)", r">ada@acme.test<x:y xmlns:x='urn:x'/>\1"),
    ],
    ids=["no-bearer-confirmation", "assertion-version-1.1", "session-already-over", "nameid-with-markup"],
)
def test_a_signed_assertion_breaking_the_profile_is_refused_as_invalid(client, connection, idp, sp, edit):  # noqa: F811
    # bearer: SAML profiles 4.1.4.2; Version: core 2.3.3; SessionNotOnOrAfter: core 2.7.2 (pysaml2 ignores
    # authn_statement_ok()'s False); a NameID with markup fails pysaml2's schema check, which is reported as
    # saml_bad_signature ("not signed by a certificate of this connection"): the owner would chase certificates.
    response = idp.edited(edit, **answer(sp, start(client, connection)))
    refused(client, post(client, response), "saml_invalid")


def test_an_old_issue_instant_is_not_blamed_on_destination_or_in_response_to(client, connection, idp, sp):  # noqa: F811
    xml = unb64(idp.response(**answer(sp, start(client, connection))))
    old = substitute(rf'(<{PREFIX}Response [^>]*IssueInstant=")[^"]*', r"\g<1>2020-01-01T00:00:00Z")(xml)
    refused(client, post(client, b64(old)), "saml_invalid")
    assert "destination or InResponseTo" not in event("saml_invalid").detail


def test_an_attribute_named_nameid_does_not_hide_the_nameid_from_the_owners(client, connection, idp, sp):  # noqa: F811
    response = idp.response(**answer(sp, start(client, connection)), attributes={"NameID": ["someone-else"]})
    post(client, response)
    assert SignInEvent.objects.get().received["NameID"] == "ada@acme.test"


def test_a_sign_in_started_earlier_in_this_browser_is_not_called_another_browsers(client, connection, idp, sp):  # noqa: F811
    first = start(client, connection)
    for _ in range(10):  # MAX_PENDING: the session forgets the first request, the shared cache does not
        start(client, connection)
    page = post(client, idp.response(**answer(sp, first)))
    assert page.status_code == 400
    assert "started in another browser" not in page.content.decode()


# -- Sound, but untested before: ECDSA-SHA256 (item 7 allows it) signs in -------------------------------------------


def _ec_key_pair(*, common_name: str, days: int) -> tuple[str, str]:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    )


def test_an_ecdsa_sha256_signed_assertion_signs_the_person_in(client, acme, sp, tmp_path, monkeypatch):  # noqa: F811
    import tests.support.saml_craft as craft

    monkeypatch.setattr(craft, "generate_key_pair", _ec_key_pair)
    ec_idp = craft.CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), stem="ec")
    ec_connection = saml_connection_save(
        org=acme, display_name="EC", source="xml", idp=parse_idp_metadata(ec_idp.metadata_xml())
    )
    ecdsa = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
    response = ec_idp.response(**answer(sp, start(client, ec_connection)), algorithms=(ecdsa, DIGEST_SHA256))
    assert ecdsa in unb64(response)
    assert post(client, response)["Location"] == "/orgs/acme/"
