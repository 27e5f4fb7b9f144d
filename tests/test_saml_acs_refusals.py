"""The SAML ACS refuses what a strict relying party refuses, each with its own code and a recorded event, and
accepts the good responses the standards allow. Responses are crafted with pysaml2's IdP classes and signed by
the connection's IdP unless a test says otherwise."""

import base64
import html
import re

import pytest
from django.test import Client
from saml2.saml import NAMEID_FORMAT_PERSISTENT
from saml2.xmldsig import (
    DIGEST_SHA1,
    DIGEST_SHA256,
    DIGEST_SHA384,
    DIGEST_SHA512,
    SIG_RSA_SHA1,
    SIG_RSA_SHA256,
    SIG_RSA_SHA384,
    SIG_RSA_SHA512,
)

from connections.events import SignInEvent
from connections.sp import saml_acs_url
from signin.catalogue import CATALOGUE
from tests.support.saml_craft import PREFIX, substitute
from tests.test_saml_acs import connection, idp, post, refused, sp, start  # noqa: F401

SAML = PREFIX  # whatever prefix pysaml2 gave the element


def answer(sp, request_id, **kwargs):  # noqa: F811 -- the arguments of CraftingIdP.response() for this request
    return {"in_response_to": request_id, "destination": saml_acs_url(), "audience": sp.entity_id, **kwargs}


def event(code) -> SignInEvent:
    return SignInEvent.objects.get(code=code, outcome="failure")


def b64(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


def unb64(response: str) -> str:
    return base64.b64decode(response).decode()


# -- signature and digest algorithms (issue 8, item 7) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("algorithms", "named"),
    [((SIG_RSA_SHA1, DIGEST_SHA256), "rsa-sha1"), ((SIG_RSA_SHA256, DIGEST_SHA1), "xmldsig#sha1")],
    ids=["sha1-signature", "sha1-digest"],
)
def test_a_sha1_signature_or_digest_is_refused(client, connection, idp, sp, algorithms, named):  # noqa: F811
    response = idp.response(**answer(sp, start(client, connection)), algorithms=algorithms)
    refused(client, post(client, response), "saml_weak_algorithm")
    assert named in event("saml_weak_algorithm").detail


def test_a_sha1_assertion_inside_a_sha256_response_is_refused(client, connection, idp, sp):  # noqa: F811
    response = idp.edited(
        lambda xml: xml,
        sign_response=True,
        assertion_algorithms=(SIG_RSA_SHA1, DIGEST_SHA1),
        **answer(sp, start(client, connection)),
    )
    refused(client, post(client, response), "saml_weak_algorithm")


@pytest.mark.parametrize(
    "algorithms", [(SIG_RSA_SHA384, DIGEST_SHA384), (SIG_RSA_SHA512, DIGEST_SHA512)], ids=["sha384", "sha512"]
)
def test_stronger_algorithms_are_accepted(client, connection, idp, sp, algorithms):  # noqa: F811
    response = idp.response(**answer(sp, start(client, connection)), algorithms=algorithms)
    assert post(client, response)["Location"] == "/orgs/acme/"


# -- the NameID (item 8) -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        lambda xml: re.sub(rf"<{SAML}NameID[^>]*>[^<]*</{SAML}NameID>", "", xml),
        lambda xml: re.sub(rf"(<{SAML}NameID[^>]*>)[^<]*(</{SAML}NameID>)", r"\1\2", xml),
        lambda xml: re.sub(rf"(<{SAML}NameID[^>]*>)[^<]*(</{SAML}NameID>)", r"\1  \2", xml),
    ],
    ids=["missing", "empty", "blank"],
)
def test_an_assertion_without_a_name_id_is_refused_and_recorded(client, connection, idp, sp, acme, edit):  # noqa: F811
    response = idp.edited(
        edit,
        **answer(sp, start(client, connection), name_id="p-1", name_id_format=NAMEID_FORMAT_PERSISTENT),
        attributes={"mail": ["ada@acme.test"]},
    )
    refused(client, post(client, response), "saml_no_name_id")
    assert event("saml_no_name_id").organization == acme


# -- which request a response answers (item 9) ---------------------------------------------------------------------


def without_response_in_response_to(response: str) -> str:
    """The Response element's own InResponseTo removed (outside the assertion's signature): only the assertion's
    SubjectConfirmationData still names the request."""
    xml = unb64(response)
    root_end = xml.index(">", xml.index("Response "))
    return b64(re.sub(r' InResponseTo="[^"]*"', "", xml[:root_end], count=1) + xml[root_end:])


def test_another_browsers_request_named_only_in_the_assertion_is_not_called_unsolicited(client, connection, idp, sp):  # noqa: F811
    theirs = start(Client(), connection)
    response = without_response_in_response_to(idp.response(**answer(sp, theirs)))
    refused(client, post(client, response), "saml_request_unknown")


def test_another_browsers_request_is_recorded_for_the_connections_owners(client, connection, idp, sp, acme):  # noqa: F811
    response = idp.response(**answer(sp, start(Client(), connection)))
    refused(client, post(client, response), "saml_request_unknown")
    assert event("saml_request_unknown").connection == connection


def test_a_response_to_a_request_we_never_sent_is_told_apart(client, connection, idp, sp):  # noqa: F811
    start(client, connection)  # this browser has a sign-in going, but not this one
    response = idp.response(**answer(sp, "id-we-never-sent-this"))
    page = post(client, response)
    refused(client, page, "saml_request_never_sent")
    assert "allow IdP-initiated" not in page.content.decode()


def test_the_same_answer_posted_again_is_already_used_not_another_browsers(client, connection, idp, sp, acme):  # noqa: F811
    response = idp.response(**answer(sp, start(client, connection)))
    assert post(client, response)["Location"] == "/orgs/acme/"
    client.logout()
    refused(client, post(client, response), "saml_stash_expired")  # the IdP's page posted again (back button)
    assert event("saml_stash_expired").connection == connection


def test_a_response_whose_in_response_to_values_disagree_is_refused(client, connection, idp, sp):  # noqa: F811
    ours = start(client, connection)
    response = idp.edited(
        lambda xml: re.sub(r'(SubjectConfirmationData[^>]*InResponseTo=")[^"]*', r"\1id-another-request", xml),
        **answer(sp, ours),
    )
    landed = post(client, response)
    refused(client, landed, "saml_in_response_to_mismatch")


IDP_INITIATED_HINT = "identity provider's portal"  # what the person is told of an IdP-initiated sign-in


def test_a_truly_unsolicited_response_still_suggests_idp_initiated(client, connection, idp, sp):  # noqa: F811
    response = idp.response(**answer(sp, None))
    page = post(client, response)
    refused(client, page, "unsolicited_response")
    assert IDP_INITIATED_HINT in html.unescape(page.content.decode())
    assert "allow IdP-initiated sign-in" in CATALOGUE["unsolicited_response"].fix  # the owners' way out


def answer_to_another_browsers_request(client, connection, idp, sp):  # noqa: F811
    return post(client, idp.response(**answer(sp, start(Client(), connection))))


def answer_to_a_request_never_sent(client, connection, idp, sp):  # noqa: F811
    return post(client, idp.response(**answer(sp, "id-we-never-sent-this")))


def answer_posted_twice(client, connection, idp, sp):  # noqa: F811
    response = idp.response(**answer(sp, start(client, connection)))
    assert post(client, response)["Location"] == "/orgs/acme/"
    client.logout()
    return post(client, response)


def answer_disagreeing_with_itself(client, connection, idp, sp):  # noqa: F811
    edit = substitute(r'(SubjectConfirmationData[^>]*InResponseTo=")[^"]*', r"\1id-another-request")
    return post(client, idp.edited(edit, **answer(sp, start(client, connection))))


@pytest.mark.parametrize(
    ("send", "code"),
    [
        (answer_to_another_browsers_request, "saml_request_unknown"),
        (answer_to_a_request_never_sent, "saml_request_never_sent"),
        (answer_posted_twice, "saml_stash_expired"),
        (answer_disagreeing_with_itself, "saml_in_response_to_mismatch"),
    ],
    ids=["another-browser", "never-sent", "posted-twice", "disagreeing"],
)
def test_an_answer_to_a_request_does_not_suggest_idp_initiated(client, connection, idp, sp, send, code):  # noqa: F811
    page = send(client, connection, idp, sp)
    refused(client, page, code)
    assert IDP_INITIATED_HINT not in html.unescape(page.content.decode())
    recorded = SignInEvent.objects.filter(code=code, outcome="failure").first()
    assert recorded is None or "IdP-initiated" not in recorded.detail
    assert "can allow IdP-initiated" not in CATALOGUE[code].fix


# -- what owners see of an unverified response is labelled so (item 10) --------------------------------------------


def test_the_idps_status_message_is_labelled_not_verified(client, connection, idp, acme):  # noqa: F811
    response = idp.error_response(
        in_response_to=start(client, connection),
        destination=saml_acs_url(),
        status="urn:oasis:names:tc:SAML:2.0:status:Responder",
        message="AADSTS50105: user not assigned",
    )
    refused(client, post(client, response), "saml_idp_status")
    detail = event("saml_idp_status").detail
    assert "AADSTS50105" in detail and "(not verified)" in detail


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        ({"audience": "https://someone.else/sp"}, "audience_mismatch"),
        ({"destination": "https://evil.test/acs"}, "destination_mismatch"),
    ],
)
def test_what_an_unverified_response_claims_is_labelled_not_verified(client, connection, idp, sp, edit, code):  # noqa: F811
    response = idp.response(**{**answer(sp, start(client, connection)), **edit})
    refused(client, post(client, response), code)
    assert "(not verified)" in event(code).detail


def test_an_unknown_issuer_is_labelled_not_verified(client, connection, sp, tmp_path):  # noqa: F811
    from connections.sp import sp_metadata_xml
    from tests.support.saml_craft import CraftingIdP

    stranger = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), entity_id="https://stranger.test/idp", stem="s")
    refused(client, post(client, stranger.response(**answer(sp, start(client, connection)))), "unknown_issuer")
    assert "(not verified)" in event("unknown_issuer").detail


# -- the assertion itself is signed, as the SP metadata says (item 11) ---------------------------------------------


def test_sp_metadata_says_what_sign_in_enforces(sp):  # noqa: F811
    import defusedxml.ElementTree as SafeET

    from connections.sp import sp_metadata_xml

    descriptor = SafeET.fromstring(sp_metadata_xml(sp)).find("{urn:oasis:names:tc:SAML:2.0:metadata}SPSSODescriptor")
    assert descriptor.get("WantAssertionsSigned") == "true"
    assert descriptor.get("AuthnRequestsSigned") == "true"
    alg = "{urn:oasis:names:tc:SAML:metadata:algsupport}"
    published = {m.get("Algorithm") for m in descriptor.iter(f"{alg}SigningMethod")}
    assert SIG_RSA_SHA256 in published and SIG_RSA_SHA1 not in published
    assert {m.get("Algorithm") for m in descriptor.iter(f"{alg}DigestMethod")} == {
        DIGEST_SHA256,
        DIGEST_SHA384,
        DIGEST_SHA512,
    }


# -- an encrypted assertion too small to decrypt (the decryption itself: tests/test_saml_acs_encrypted.py) --------

ENCRYPTED_DATA = (
    '<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" '
    'Type="http://www.w3.org/2001/04/xmlenc#Element">'
    '<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/>'
    "<xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>"
)


def test_an_encrypted_assertion_without_a_wrapped_key_is_refused(client, connection, idp, sp):  # noqa: F811
    xml = unb64(idp.response(**answer(sp, start(client, connection))))
    encrypted = re.sub(
        rf"<({SAML})Assertion .*</{SAML}Assertion>",
        lambda m: f"<{m.group(1)}EncryptedAssertion>{ENCRYPTED_DATA}</{m.group(1)}EncryptedAssertion>",
        xml,
        flags=re.DOTALL,
    )
    refused(client, post(client, b64(encrypted)), "saml_encryption_unsupported")
    assert "EncryptedKey" in event("saml_encryption_unsupported").detail


# -- the NameID policy the owner chose is sent (item 12) -----------------------------------------------------------


def authn_request_xml(client, connection) -> str:  # noqa: F811
    import zlib
    from urllib.parse import parse_qs, urlsplit

    from django.urls import reverse

    started = client.post(reverse("sso_start", kwargs={"public_id": connection.public_id}))
    query = parse_qs(urlsplit(started["Location"]).query)
    return zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15).decode()


def name_id_policy(xml: str) -> dict:
    import defusedxml.ElementTree as SafeET

    policy = SafeET.fromstring(xml).find("{urn:oasis:names:tc:SAML:2.0:protocol}NameIDPolicy")
    assert policy is not None, "the AuthnRequest carries no NameIDPolicy"
    return dict(policy.attrib)


@pytest.mark.parametrize(
    ("chosen", "policy"),
    [
        (NAMEID_FORMAT_PERSISTENT, {"Format": NAMEID_FORMAT_PERSISTENT, "AllowCreate": "true"}),
        (
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            {"Format": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", "AllowCreate": "true"},
        ),
        ("", {"AllowCreate": "true"}),  # Any: no Format is the same as unspecified (SAML core 3.4.1.1)
        # the SAML errata forbid AllowCreate with a transient NameID
        (
            "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
            {"Format": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"},
        ),
    ],
    ids=["persistent", "email", "any", "transient"],
)
def test_the_authn_request_asks_for_the_nameid_format_the_owner_chose(client, connection, chosen, policy):  # noqa: F811
    connection.saml.nameid_format = chosen
    connection.saml.save()
    assert name_id_policy(authn_request_xml(client, connection)) == policy


# -- the same classes of mistake, around them ----------------------------------------------------------------------


def duplicate_assertion(xml: str) -> str:
    assertion = re.search(rf"<{SAML}Assertion .*</{SAML}Assertion>", xml, flags=re.DOTALL).group(0)
    twin = re.sub(r' ID="[^"]*"', ' ID="id-the-twin"', assertion, count=1).replace("ada@acme.test", "eve@acme.test")
    return xml.replace(assertion, assertion + twin)


def test_a_response_with_two_assertions_is_refused(client, connection, idp, sp):  # noqa: F811
    response = idp.edited(duplicate_assertion, **answer(sp, start(client, connection)))
    refused(client, post(client, response), "saml_invalid")
    assert "2 assertions" in event("saml_invalid").detail


def test_a_response_without_an_assertion_is_invalid_not_an_audience_mismatch(client, connection, idp, sp):  # noqa: F811
    xml = unb64(idp.response(**answer(sp, start(client, connection))))
    refused(
        client,
        post(client, b64(re.sub(rf"<{SAML}Assertion .*</{SAML}Assertion>", "", xml, flags=re.DOTALL))),
        "saml_invalid",
    )
    assert "0 assertions" in event("saml_invalid").detail


def test_an_assertion_issued_by_another_idp_than_the_response_is_refused(client, connection, idp, sp):  # noqa: F811
    def other_assertion_issuer(xml):
        head, assertion = xml.split("Assertion ", 1)
        return head + "Assertion " + assertion.replace(idp.entity_id, "https://stranger.test/idp", 1)

    response = idp.edited(
        other_assertion_issuer, sign_assertion=False, sign_response=True, **answer(sp, start(client, connection))
    )
    refused(client, post(client, response), "unknown_issuer")
    assert "https://stranger.test/idp" in event("unknown_issuer").detail


def test_a_response_without_its_own_issuer_signs_in_by_the_assertions(client, connection, idp, sp):  # noqa: F811
    # The Response's Issuer is optional when only the assertion is signed (SAML profiles 4.1.4.2).
    xml = unb64(idp.response(**answer(sp, start(client, connection))))
    without = re.sub(rf"<{SAML}Issuer[^>]*>[^<]*</{SAML}Issuer>", "", xml, count=1)
    assert without.count("Issuer>") == 1  # the assertion's is left
    assert post(client, b64(without))["Location"] == "/orgs/acme/"


def test_a_response_without_a_status_is_refused(client, connection, idp, sp):  # noqa: F811
    xml = unb64(idp.response(**answer(sp, start(client, connection))))
    without = re.sub(rf"<{SAML}Status>.*?</{SAML}Status>", "", xml, count=1, flags=re.DOTALL)
    refused(client, post(client, b64(without)), "saml_invalid")
    assert "no Status" in event("saml_invalid").detail


def test_a_signed_response_without_a_destination_is_refused(client, connection, idp, sp):  # noqa: F811
    response = idp.edited(
        lambda xml: re.sub(r' Destination="[^"]*"', "", xml, count=1),
        sign_response=True,
        **answer(sp, start(client, connection)),
    )
    refused(client, post(client, response), "destination_mismatch")


def test_an_unsigned_response_may_leave_out_its_destination(client, connection, idp, sp):  # noqa: F811
    xml = unb64(idp.response(**answer(sp, start(client, connection))))  # only the assertion is signed
    assert post(client, b64(re.sub(r' Destination="[^"]*"', "", xml, count=1)))["Location"] == "/orgs/acme/"


def test_a_deeply_nested_response_is_unreadable_not_a_crash(client, connection, idp, sp):  # noqa: F811
    xml = unb64(idp.response(**answer(sp, start(client, connection))))
    nested = "<x:e xmlns:x='urn:x'>" * 5000 + "</x:e>" * 5000
    deep = substitute(
        rf"<({SAML})AttributeValue ", rf"<\1AttributeValue>{nested}</\1AttributeValue><\1AttributeValue "
    )(xml)
    landed = client.post("/sso/saml", {"SAMLResponse": b64(deep)})
    assert landed.status_code == 400 and "<code>saml_unreadable</code>" in landed.content.decode()


def test_a_comment_inside_the_name_id_does_not_cut_it_short(client, connection, idp, sp):  # noqa: F811
    # The signature covers the text without the comment (exclusive c14n), so the whole text is the NameID.
    response = idp.response(**answer(sp, start(client, connection)), name_id="ada@acme.test.evil.test")
    xml = unb64(response).replace(">ada@acme.test.evil.test<", ">ada@acme.test<!-- -->.evil.test<", 1)
    refused(client, post(client, b64(xml)), "email_domain_not_verified")
    assert "ada@acme.test.evil.test" in event("email_domain_not_verified").detail


def test_a_bearer_confirmation_without_not_on_or_after_is_refused(client, connection, idp, sp):  # noqa: F811
    # Else the assertion would be good forever, and the replay table forgets it after a while.
    response = idp.edited(
        lambda xml: re.sub(r'(<\w+:SubjectConfirmationData[^>]*?) NotOnOrAfter="[^"]*"', r"\1", xml),
        **answer(sp, start(client, connection)),
    )
    refused(client, post(client, response), "saml_invalid")
    assert "NotOnOrAfter" in event("saml_invalid").detail


def test_a_confirmation_valid_until_the_end_of_time_is_remembered_not_a_crash(client, connection, idp, sp):  # noqa: F811
    from connections.saml.models import UsedAssertion

    response = idp.edited(
        lambda xml: re.sub(
            r'(<\w+:SubjectConfirmationData[^>]*?NotOnOrAfter=")[^"]*', r"\g<1>9999-12-31T23:59:59Z", xml
        ),
        **answer(sp, start(client, connection)),
    )
    assert post(client, response)["Location"] == "/orgs/acme/"
    assert UsedAssertion.objects.get().expires_at.year == 9999


def test_attribute_values_that_are_not_text_are_no_crash(client, connection, idp, sp):  # noqa: F811
    odd_values = substitute(
        rf"</({SAML})AttributeStatement>",
        r'<\1Attribute Name="nil"><\1AttributeValue xsi:nil="true"/></\1Attribute>'
        r'<\1Attribute Name="empty"><\1AttributeValue/></\1Attribute>'
        r'<\1Attribute Name="nested"><\1AttributeValue><x:y xmlns:x="urn:x">z</x:y></\1AttributeValue>'
        r"</\1Attribute></\1AttributeStatement>",
    )

    response = idp.edited(odd_values, **answer(sp, start(client, connection)))
    assert post(client, response)["Location"] == "/orgs/acme/"


def test_a_test_of_a_connection_whose_idp_sends_no_name_id_reports_it(client, alice, connection, idp, sp):  # noqa: F811
    from tests.test_test_connection import start_test

    client.force_login(alice)
    response = idp.edited(
        lambda xml: re.sub(rf"<{SAML}NameID[^>]*>[^<]*</{SAML}NameID>", "", xml),
        **answer(sp, start_test(client, connection)),
    )
    html = post(client, response).content.decode()
    assert "it would fail" in html and "No NameID in the assertion" in html


# What each part's absence ends in: None signs in (the part is optional), else the code of the refusal.
ELEMENTS = {
    "Issuer": None,  # the Response's: optional when the assertion is signed (SAML profiles 4.1.4.2)
    "Status": "saml_invalid",
    "Subject": "saml_invalid",
    "SubjectConfirmation": "saml_invalid",
    "SubjectConfirmationData": "saml_invalid",
    "Conditions": "audience_mismatch",  # the Web SSO profile's AudienceRestriction goes with it
    "AudienceRestriction": "audience_mismatch",
    "AuthnStatement": "saml_invalid",
    "AuthnContext": "saml_invalid",  # the SAML schema requires it: not a signature problem
    "AttributeStatement": None,
}
# The first such attribute from the Assertion's start tag on.
ATTRIBUTES = {
    "Version": "saml_invalid",
    "IssueInstant": "saml_invalid",
    "Method": "saml_invalid",
    "Recipient": "recipient_mismatch",
    "NotBefore": None,  # the Conditions' own
    "AuthnInstant": "saml_invalid",
    "Format": None,  # the assertion Issuer's: entity is its default
    "Name": "saml_invalid",
}


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        *(
            pytest.param(
                substitute(rf"<{SAML}{e}[ >/].*?</{SAML}{e}>|<{SAML}{e} [^>]*/>", ""),
                code,
                id=f"no-{e}",
            )
            for e, code in ELEMENTS.items()
        ),
        *(
            pytest.param(substitute(rf"(<{SAML}Assertion\b.*?) {a}=\"[^\"]*\"", r"\1"), code, id=f"no-{a}")
            for a, code in ATTRIBUTES.items()
        ),
    ],
)
def test_a_signed_assertion_missing_a_part_is_refused_never_a_crash(client, connection, idp, sp, edit, code):  # noqa: F811
    """Whatever the IdP leaves out, the person gets a page with the code it deserves (never a 500) and the owners
    an event; or, when the part is optional, the person is signed in."""
    response = idp.edited(edit, **answer(sp, start(client, connection)))
    landed = post(client, response)  # the test client raises what a view lets escape
    if code is None:
        assert landed["Location"] == "/orgs/acme/"
    else:
        refused(client, landed, code)
        assert event(code).detail


def test_a_test_whose_in_response_to_values_disagree_ends_on_its_report(client, alice, connection, idp, sp):  # noqa: F811
    from connections.events import SignInEvent
    from tests.test_test_connection import start_test

    client.force_login(alice)
    response = idp.edited(
        lambda xml: re.sub(r'(SubjectConfirmationData[^>]*InResponseTo=")[^"]*', r"\1id-another-request", xml),
        **answer(sp, start_test(client, connection)),
    )
    page = post(client, response)
    assert page.status_code == 200
    assert "it would fail" in page.content.decode() and "saml_in_response_to_mismatch" in page.content.decode()
    assert not SignInEvent.objects.exists()  # a test records nothing
