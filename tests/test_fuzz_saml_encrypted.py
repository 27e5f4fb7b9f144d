"""Fuzz the ACS with encrypted responses: the IdP's signed response, its assertion (or NameID) encrypted to our SP
encryption certificate, then changed anywhere (a slice replaced, an algorithm renamed, a ciphertext cut). No 500 at
either step; a sign-in, when one happens, is whole; the changes an encrypted response may make are a sign-in's."""

import base64

from hypothesis import given
from hypothesis import strategies as st

from connections.sp import saml_acs_url
from tests.support import strategies
from tests.support.fuzzing import SIGNIN_TABLES, check, client_for, example_scope, fuzz, rows
from tests.support.saml_encrypt import encrypted
from tests.test_fuzz_saml_acs import assert_whole_sign_in, post_and_finish, saml, start  # noqa: F401

XENC = "http://www.w3.org/2001/04/xmlenc#"
RENAMES = [
    (f"{XENC}rsa-oaep-mgf1p", f"{XENC}rsa-1_5"),
    (f"{XENC}rsa-oaep-mgf1p", "http://www.w3.org/2009/xmlenc11#rsa-oaep"),
    ("http://www.w3.org/2009/xmlenc11#aes256-gcm", f"{XENC}aes256-cbc"),
    ("http://www.w3.org/2009/xmlenc11#aes256-gcm", ""),
    (f'Type="{XENC}Element"', f'Type="{XENC}Content"'),
    ("<xenc:EncryptedKey>", "<xenc:EncryptedKey><xenc:EncryptedKey/>"),
    ("EncryptedAssertion>", "EncryptedID>"),
]


def changes(xml: str):
    return st.one_of(
        st.just(xml),
        st.builds(lambda r: xml.replace(*r), st.sampled_from(RENAMES)),
        st.builds(
            strategies.splice, st.just(xml), st.integers(0, 10**6), st.integers(0, 40), strategies.text(max_size=40)
        ),
        st.builds(lambda n: xml[:n], st.integers(0, len(xml))),
    )


@fuzz(share=0.5)
@given(data=st.data(), what=st.sampled_from(["Assertion", "NameID"]), key_beside=st.booleans())
def test_changed_encrypted_responses_never_answer_500(saml, data, what, key_beside):  # noqa: F811
    with example_scope():
        client = client_for()
        request_id = start(client, saml["connection"], test=False)
        sp = saml["sp"]
        signed = base64.b64decode(
            saml["idp"].response(in_response_to=request_id, destination=saml_acs_url(), audience=sp.entity_id)
        ).decode()
        xml = encrypted(signed, what, sp.encryption_certificate_pem, key_beside=key_beside)
        changed = data.draw(changes(xml), "response")
        before = rows()
        body = strategies.Body(pairs=(("SAMLResponse", strategies.b64(changed)),))
        response = post_and_finish(client, body)
        check(response, before, may_change=SIGNIN_TABLES)
        assert_whole_sign_in(client, saml["connection"], "sign-in")
