"""Encrypted assertions, NameIDs and attributes at the ACS: decrypted with the organization's SP encryption key
(AES-GCM or AES-CBC, the key wrapped with RSA-OAEP), each refusal with its own code. Responses are crafted with
pysaml2's IdP classes, signed by the connection's IdP, then encrypted with the xmlsec binding as an IdP would."""

import base64
import re

import pytest
import xmlsec

from connections.events import SignInEvent
from connections.models import SSOIdentity
from connections.saml.certificates import load_certificate
from connections.sp import generate_key_pair
from connections.sp_keys import sp_key_rotation_start
from tests.support.saml_encrypt import encrypted
from tests.test_saml_acs import connection, idp, post, refused, sp, start  # noqa: F401
from tests.test_saml_acs_refusals import answer

T = xmlsec.constants
XENC = "http://www.w3.org/2001/04/xmlenc#"


def event(code) -> SignInEvent:
    return SignInEvent.objects.get(code=code, outcome="failure")


def encrypted_response(idp, sp, request_id, *, certificate=None, **encryption) -> str:  # noqa: F811
    """The IdP's signed response with its assertion encrypted (to our encryption certificate unless told)."""
    xml = base64.b64decode(idp.response(**answer(sp, request_id))).decode()
    xml = encrypted(xml, "Assertion", certificate or sp.encryption_certificate_pem, **encryption)
    return base64.b64encode(xml.encode()).decode()


def b64_edit(response: str, old: str, new: str) -> str:
    xml = base64.b64decode(response).decode()
    assert old in xml
    return base64.b64encode(xml.replace(old, new, 1).encode()).decode()


@pytest.mark.parametrize(
    "data",
    [T.TransformAes256Gcm, T.TransformAes128Gcm, T.TransformAes256Cbc, T.TransformAes128Cbc],
    ids=["aes256-gcm", "aes128-gcm", "aes256-cbc", "aes128-cbc"],
)
def test_an_assertion_encrypted_to_our_certificate_signs_in(client, connection, idp, sp, data):  # noqa: F811
    landed = post(client, encrypted_response(idp, sp, start(client, connection), data=data))
    assert landed.status_code == 302 and landed["Location"] == "/orgs/acme/"
    assert SSOIdentity.objects.get().subject == "nameid:ada@acme.test"


def test_the_key_may_sit_beside_the_encrypted_data(client, connection, idp, sp):  # noqa: F811
    landed = post(client, encrypted_response(idp, sp, start(client, connection), key_beside=True))
    assert landed["Location"] == "/orgs/acme/"


def test_rsa_oaep_of_xml_encryption_1_1_is_accepted(client, connection, idp, sp):  # noqa: F811
    # with its default SHA-1 digest and MGF1-SHA1, xmlenc11#rsa-oaep computes what rsa-oaep-mgf1p does
    response = encrypted_response(idp, sp, start(client, connection))
    response = b64_edit(response, f"{XENC}rsa-oaep-mgf1p", "http://www.w3.org/2009/xmlenc11#rsa-oaep")
    assert post(client, response)["Location"] == "/orgs/acme/"


def test_an_encrypted_name_id_in_a_clear_assertion_is_read(client, connection, idp, sp):  # noqa: F811
    def encrypt(xml):
        return encrypted(xml, "NameID", sp.encryption_certificate_pem)

    response = idp.edited(encrypt, **answer(sp, start(client, connection)))
    assert "EncryptedID" in base64.b64decode(response).decode()
    assert post(client, response)["Location"] == "/orgs/acme/"
    assert SSOIdentity.objects.get().subject == "nameid:ada@acme.test"


def test_an_encrypted_attribute_is_read(client, connection, idp, sp):  # noqa: F811
    from saml2.saml import NAMEID_FORMAT_PERSISTENT

    connection.saml.email_attribute = "mail"
    connection.saml.save()

    def encrypt(xml):
        return encrypted(xml, "Attribute", sp.encryption_certificate_pem)

    response = idp.edited(
        encrypt,
        **answer(sp, start(client, connection)),
        name_id="f81d4fae-7dec-11d0",
        name_id_format=NAMEID_FORMAT_PERSISTENT,
        attributes={"mail": ["bea@acme.test"]},
    )
    assert "bea@acme.test" not in base64.b64decode(response).decode()
    assert post(client, response)["Location"] == "/orgs/acme/"
    assert SSOIdentity.objects.get().email == "bea@acme.test"


def test_what_it_encrypts_must_still_be_signed_by_the_idp(client, connection, idp, sp):  # noqa: F811
    # anyone can encrypt to our public certificate: the assertion inside still needs the IdP's signature
    xml = base64.b64decode(idp.response(**answer(sp, start(client, connection)), sign_assertion=False)).decode()
    response = base64.b64encode(encrypted(xml, "Assertion", sp.encryption_certificate_pem).encode()).decode()
    refused(client, post(client, response), "saml_unsigned")


def test_an_assertion_encrypted_for_another_key_is_refused(client, connection, idp, sp):  # noqa: F811
    stranger, _key = generate_key_pair(common_name="another SP")
    refused(
        client,
        post(client, encrypted_response(idp, sp, start(client, connection), certificate=stranger)),
        "saml_encrypted_for_another_key",
    )
    assert (
        load_certificate(sp.encryption_certificate_pem).sha256_fingerprint
        in event("saml_encrypted_for_another_key").detail
    )


def test_the_next_encryption_key_decrypts_during_a_rotation(client, connection, idp, sp):  # noqa: F811
    rotating = sp_key_rotation_start(sp=sp)
    response = encrypted_response(
        idp, sp, start(client, connection), certificate=rotating.next_encryption_certificate_pem
    )
    assert post(client, response)["Location"] == "/orgs/acme/"


@pytest.mark.parametrize(
    ("encryption", "named"),
    [
        ({"transport": T.TransformRsaPkcs1}, "rsa-1_5"),
        ({"data": T.TransformDes3Cbc}, "tripledes-cbc"),
    ],
    ids=["rsa-1_5", "triple-des"],
)
def test_a_weak_algorithm_is_refused_before_anything_is_decrypted(client, connection, idp, sp, encryption, named):  # noqa: F811
    refused(
        client,
        post(client, encrypted_response(idp, sp, start(client, connection), **encryption)),
        "saml_encryption_weak",
    )
    assert named in event("saml_encryption_weak").detail


def test_an_algorithm_outside_the_list_is_refused(client, connection, idp, sp):  # noqa: F811
    response = encrypted_response(idp, sp, start(client, connection))
    response = b64_edit(response, f"{XENC}rsa-oaep-mgf1p", f"{XENC}kw-aes256")
    refused(client, post(client, response), "saml_encryption_unsupported")
    assert "kw-aes256" in event("saml_encryption_unsupported").detail


def test_a_ciphertext_changed_after_encryption_is_refused(client, connection, idp, sp):  # noqa: F811
    xml = base64.b64decode(encrypted_response(idp, sp, start(client, connection))).decode()
    data_value = xml.rsplit("<xenc:CipherValue>", 1)[1].split("</xenc:CipherValue>", 1)[0]
    flipped = ("B" if data_value[40] == "A" else "A").join((data_value[:40], data_value[41:]))
    response = base64.b64encode(xml.replace(data_value, flipped).encode()).decode()
    refused(client, post(client, response), "saml_decryption_failed")


def test_a_connection_that_requires_encryption_refuses_a_clear_assertion(client, connection, idp, sp):  # noqa: F811
    connection.saml.require_encryption = True
    connection.saml.save()
    refused(client, post(client, idp.response(**answer(sp, start(client, connection)))), "saml_encryption_required")


def test_an_encrypted_name_id_alone_does_not_meet_require_encryption(client, connection, idp, sp):  # noqa: F811
    connection.saml.require_encryption = True
    connection.saml.save()
    response = idp.edited(
        lambda xml: encrypted(xml, "NameID", sp.encryption_certificate_pem), **answer(sp, start(client, connection))
    )
    refused(client, post(client, response), "saml_encryption_required")
    assert "EncryptedID" in event("saml_encryption_required").detail


def test_a_clear_response_costs_no_decryption(client, connection, idp, sp, monkeypatch):  # noqa: F811
    from signin.saml import encryption, xmlsec_backend

    def not_here(*args, **kwargs):
        raise AssertionError("a response with nothing encrypted was decrypted")

    monkeypatch.setattr(encryption, "readable", not_here)
    monkeypatch.setattr(xmlsec_backend.InProcessXmlSec, "decrypt", not_here)
    assert post(client, idp.response(**answer(sp, start(client, connection))))["Location"] == "/orgs/acme/"


def test_an_idp_initiated_encrypted_assertion_says_why_it_cannot_be_routed(rf, connection, idp, sp):  # noqa: F811
    from signin.errors import SignInError
    from signin.saml.peek import peek
    from signin.saml.route import route

    connection.saml.allow_idp_initiated = True
    connection.saml.save()
    # no organization to record an event for: the refusal's detail is what the log line and the page carry
    with pytest.raises(SignInError) as refusal:
        route(rf.post("/sso/saml"), peek(encrypted_response(idp, sp, None)))
    assert refusal.value.code == "unsolicited_response" and "Its assertion is encrypted" in refusal.value.detail
    assert "or the sign-in started here" in refusal.value.detail  # the switch cannot help it
    with pytest.raises(SignInError) as clear:
        route(rf.post("/sso/saml"), peek(idp.response(**{**answer(sp, None), "audience": "https://elsewhere.test"})))
    assert "encrypted" not in clear.value.detail


def test_a_response_with_many_wrapped_keys_is_refused_unread(client, connection, idp, sp):  # noqa: F811
    xml = base64.b64decode(encrypted_response(idp, sp, start(client, connection))).decode()
    wrapped = xml[xml.index("<xenc:EncryptedKey") : xml.index("</xenc:EncryptedKey>") + len("</xenc:EncryptedKey>")]
    response = base64.b64encode(xml.replace(wrapped, wrapped * 4).encode()).decode()
    refused(client, post(client, response), "saml_decryption_failed")
    assert "4 xenc:EncryptedKey" in event("saml_decryption_failed").detail


def test_saving_without_the_switch_keeps_what_the_owner_chose(connection, idp):  # noqa: F811
    from connections.saml.metadata import parse_idp_metadata
    from connections.saml.services import saml_connection_save

    connection.saml.require_encryption = True
    connection.saml.save()
    # as a setup link's IT admin saves it: the form they see has no such switch
    saml_connection_save(
        org=connection.organization,
        connection=connection,
        display_name="Crafted",
        source="xml",
        idp=parse_idp_metadata(idp.metadata_xml()),
    )
    connection.saml.refresh_from_db()
    assert connection.saml.require_encryption


def with_response_in_response_to(response: str, request_id: str) -> str:
    """The (unsigned) Response's InResponseTo set to `request_id`, as anyone who posts it can."""
    xml = base64.b64decode(response).decode()
    start_tag = re.search(r"<(\w+:)?Response\b[^>]*>", xml)
    tag = re.sub(r' InResponseTo="[^"]*"', "", start_tag.group(0))
    tag = tag.replace("Response", f'Response InResponseTo="{request_id}"', 1)
    return base64.b64encode((xml[: start_tag.start()] + tag + xml[start_tag.end() :]).encode()).decode()


def test_an_idp_initiated_encrypted_assertion_does_not_answer_our_request(client, connection, idp, sp):  # noqa: F811
    # the attacker's own pending request, around an assertion the IdP issued IdP-initiated (the switch is off)
    response = with_response_in_response_to(encrypted_response(idp, sp, None), start(client, connection))
    refused(client, post(client, response), "unsolicited_response")
    assert "answers no request" in event("unsolicited_response").detail


def test_an_encrypted_assertion_for_another_request_does_not_answer_ours(client, connection, idp, sp):  # noqa: F811
    from django.test import Client

    theirs = start(Client(), connection)  # issued to another browser's request
    response = with_response_in_response_to(encrypted_response(idp, sp, theirs), start(client, connection))
    refused(client, post(client, response), "saml_in_response_to_mismatch")
    assert theirs in event("saml_in_response_to_mismatch").detail


def page_without_reference(landed) -> str:
    return re.sub(r"Reference: <code>[^<]*</code>", "", landed.content.decode())


def test_cbc_manipulations_look_alike_to_the_person_and_differ_for_the_owners(client, connection, idp, sp):  # noqa: F811
    # Two changes an attacker can make to a CBC ciphertext: one breaks the padding or the XML, the other yields XML
    # that the checks after decryption refuse. Told apart, they are a decryption oracle.
    cbc = T.TransformAes256Cbc
    xml = base64.b64decode(encrypted_response(idp, sp, start(client, connection), data=cbc)).decode()
    data_value = xml.rsplit("<xenc:CipherValue>", 1)[1].split("</xenc:CipherValue>", 1)[0]
    flipped = ("B" if data_value[40] == "A" else "A").join((data_value[:40], data_value[41:]))
    broken = post(client, base64.b64encode(xml.replace(data_value, flipped).encode()).decode())
    unsigned = base64.b64decode(idp.response(**answer(sp, start(client, connection)), sign_assertion=False)).decode()
    parses = post(
        client,
        base64.b64encode(encrypted(unsigned, "Assertion", sp.encryption_certificate_pem, data=cbc).encode()).decode(),
    )
    assert broken.status_code == parses.status_code == 400
    assert page_without_reference(broken) == page_without_reference(parses)
    assert "<code>saml_decryption_failed</code>" in parses.content.decode()
    assert SignInEvent.objects.filter(code="saml_unsigned").exists()  # the owners see what really happened
    assert SignInEvent.objects.filter(code="saml_decryption_failed").exists()


def test_a_gcm_response_keeps_its_own_code(client, connection, idp, sp):  # noqa: F811
    # GCM's tag refuses any change to the ciphertext, so nothing needs hiding
    xml = base64.b64decode(idp.response(**answer(sp, start(client, connection)), sign_assertion=False)).decode()
    response = base64.b64encode(encrypted(xml, "Assertion", sp.encryption_certificate_pem).encode()).decode()
    refused(client, post(client, response), "saml_unsigned")


def test_an_encrypted_assertion_in_extensions_beside_a_clear_one_does_not_meet_require_encryption(
    client,
    connection,  # noqa: F811
    idp,  # noqa: F811
    sp,  # noqa: F811
):
    connection.saml.require_encryption = True
    connection.saml.save()
    request_id = start(client, connection)
    from lxml import etree

    document = etree.fromstring(base64.b64decode(encrypted_response(idp, sp, request_id)))
    hidden = etree.tostring(next(document.iter("{urn:oasis:names:tc:SAML:2.0:assertion}EncryptedAssertion"))).decode()
    clear = base64.b64decode(idp.response(**answer(sp, request_id))).decode()
    issuer_end = re.search(r"</(\w+:)?Issuer>", clear).end()
    extensions = f'<ns0:Extensions xmlns:ns0="urn:oasis:names:tc:SAML:2.0:protocol">{hidden}</ns0:Extensions>'
    response = base64.b64encode((clear[:issuer_end] + extensions + clear[issuer_end:]).encode()).decode()
    refused(client, post(client, response), "saml_encryption_required")
    assert "it also encrypts EncryptedAssertion" in event("saml_encryption_required").detail
