"""The signature and digest algorithms a SAML response may declare: SHA-256 and up, RSA or ECDSA, as our SP
metadata says (connections.sp).

Every ds:SignatureMethod and ds:DigestMethod of the response is read, the Response's and each Assertion's alike,
before any signature is checked: so xmlsec is never handed an algorithm outside the list (SHA-1, an HMAC, whatever
a forger names), and enables none other itself (signin/saml/xmlsec_backend). Whether the signatures hold is then
pysaml2's and xmlsec's business. Since nothing is verified at this point, what the refusal quotes is the response's
own text, labelled so: anyone can post such a response.
"""

from connections.sp import DIGEST_ALGORITHMS, SIGNATURE_ALGORITHMS
from signin.errors import SignInError
from signin.saml.quoting import NOT_VERIFIED, quote_all

SIGNATURES = frozenset(SIGNATURE_ALGORITHMS)
DIGESTS = frozenset(DIGEST_ALGORITHMS)
# Real algorithms built on broken hashes: named "weak", the rest outside the list "not accepted".
WEAK = {
    f"http://www.w3.org/2000/09/xmldsig#{name}": "SHA-1" for name in ("sha1", "rsa-sha1", "dsa-sha1", "hmac-sha1")
} | {
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1": "SHA-1",
    "http://www.w3.org/2001/04/xmldsig-more#md5": "MD5",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-md5": "MD5",
    "http://www.w3.org/2001/04/xmldsig-more#hmac-md5": "MD5",
}
ACCEPTED_IN_WORDS = "KloudSSO accepts RSA or ECDSA with SHA-256, SHA-384 or SHA-512, as its SP metadata says."


def refuse_unaccepted_algorithms(seen) -> None:
    declared = [*seen.signature_algorithms, *seen.digest_algorithms]
    weak = [a for a in declared if a in WEAK]
    if weak:
        hashes = " and ".join(dict.fromkeys(WEAK[a] for a in weak))
        raise SignInError(
            "saml_weak_algorithm",
            detail=f"The response declares {quote_all(weak)} {NOT_VERIFIED}, built on {hashes}: too weak. "
            + ACCEPTED_IN_WORDS,
        )
    unknown = [a for a in seen.signature_algorithms if a not in SIGNATURES]
    unknown += [a for a in seen.digest_algorithms if a not in DIGESTS]
    if unknown:
        raise SignInError(
            "saml_unsupported_algorithm",
            detail=f"The response declares {quote_all(unknown)} {NOT_VERIFIED}, not an algorithm KloudSSO accepts. "
            + ACCEPTED_IN_WORDS,
        )
