"""The signature and digest algorithms a SAML response may declare: SHA-256 and up, RSA or ECDSA, as our SP
metadata says (connections.sp).

Only which algorithms a response declares is read here (every ds:SignatureMethod and ds:DigestMethod, the
Response's and each Assertion's alike); whether the signatures hold is pysaml2's and xmlsec1's business.
"""

from connections.sp import DIGEST_ALGORITHMS, SIGNATURE_ALGORITHMS
from signin.errors import SignInError

SIGNATURES = frozenset(SIGNATURE_ALGORITHMS)
DIGESTS = frozenset(DIGEST_ALGORITHMS)


def refuse_weak_algorithms(seen) -> None:
    weak = [a for a in seen.signature_algorithms if a not in SIGNATURES]
    weak += [a for a in seen.digest_algorithms if a not in DIGESTS]
    if weak:
        raise SignInError(
            "saml_weak_algorithm",
            "Your identity provider's answer uses an algorithm too weak to be trusted. Ask your admin.",
            f"The response is signed with {', '.join(dict.fromkeys(weak))}; KloudSSO accepts RSA or ECDSA with "
            "SHA-256, SHA-384 or SHA-512 only.",
        )
