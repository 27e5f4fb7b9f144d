"""What the checks before pysaml2 read of a response that arrives encrypted, and the owner's "require encryption".

A response with nothing encrypted is read as it is, at no extra cost. One with an EncryptedAssertion (or an
EncryptedID or EncryptedAttribute) is decrypted with the SP's encryption keys (the current one, and the next during
a key rotation) for signin/saml/precheck to read its assertion as it reads a clear one's; pysaml2 then decrypts the
response as posted once more, with the same keys through the same binding, and checks the signatures as the IdP
made them (a signed Response covers the EncryptedAssertion, not what it holds).
"""

import base64

from connections.saml.certificates import load_certificate
from signin.errors import SignInError
from signin.saml.decryption import private_keys, readable
from signin.saml.peek import Unreadable, peek_xml
from signin.saml.precheck import PERSON, SUCCESS


def readable_peek(connection, saml_response: str, seen, *, sp):
    """`seen`, or when the response encrypts something, the peek of the response with it decrypted."""
    # an error status carries no assertion to encrypt: precheck words it
    # An EncryptedAssertion anywhere (in Extensions, in an Advice) beside a clear one does not meet it either.
    clear = seen.assertions > 0 or "EncryptedAssertion" not in seen.encrypted
    if connection.saml.require_encryption and seen.status == SUCCESS and clear:
        raise SignInError(
            "saml_encryption_required",
            PERSON,
            "The connection requires encrypted assertions, and this response's assertion is not encrypted"
            + (f" (it also encrypts {', '.join(seen.encrypted)})" if seen.encrypted and seen.assertions else "")
            + (f" (it encrypts only {', '.join(seen.encrypted)})" if seen.encrypted and not seen.assertions else "")
            + f". The IdP must encrypt to our encryption certificate, SHA-256 {_ours(sp)} (in the SP metadata, "
            'use="encryption").',
        )
    if not seen.encrypted:
        return seen
    xml = base64.b64decode(saml_response, validate=False)
    clear = readable(xml, private_keys(sp.decryption_keys()), certificates=sp.encryption_certificates)
    try:
        return peek_xml(clear)
    except Unreadable as exc:
        raise SignInError("saml_invalid", PERSON, f"Decrypted, the response is {exc}.") from None


# AES-CBC has no integrity: whoever can tell a padding error from a plaintext that parses, and that parse from the
# checks that follow it, decrypts the assertion byte by byte (Jager and Somorovsky's attack on XML Encryption). The
# signature that would stop it is inside the ciphertext when, as most IdPs do, only the assertion is signed, so
# checking the Response's signature first would cover few IdPs: instead every refusal of a CBC-encrypted response
# until pysaml2 has verified the IdP's signature shows the person one code (signin/saml/verify); the owners' event
# keeps the real one. AES-GCM's tag refuses any change before a plaintext exists.
CBC_ALGORITHMS = tuple(f"http://www.w3.org/2001/04/xmlenc#aes{bits}-cbc" for bits in (128, 192, 256))


def uses_cbc(saml_response: str) -> bool:
    """The response names AES-CBC anywhere: to hide more than needed is harmless, to hide less is not."""
    xml = base64.b64decode(saml_response, validate=False)
    return any(algorithm.encode() in xml for algorithm in CBC_ALGORITHMS)


def _ours(sp) -> str:
    pem = sp.encryption_certificate_pem
    return load_certificate(pem).sha256_fingerprint if pem else "none"
