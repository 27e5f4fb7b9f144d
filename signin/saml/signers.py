"""Which certificate signed what in a SAML response, told apart for the owners when the signature is refused.

Only ever used to word a refusal and to show owners a failed response: each signature of the Response and of its
Assertions is checked with each certificate on file under the same rules as the sign-in (signin/saml/xmlsec_backend),
and the certificate its KeyInfo carries is only described (nobody's promise until it verifies, never used as a key).
"""

import binascii
from datetime import UTC, datetime

from connections.saml.certificates import CertificateError, load_certificate
from signin.saml.quoting import NOT_VERIFIED, quote
from signin.saml.xmlsec_backend import signature_holds

SAMLP_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
SIGNED_ELEMENTS = {f"{{{SAMLP_NS}}}Response": f"{SAMLP_NS}:Response", f"{{{SAML_NS}}}Assertion": f"{SAML_NS}:Assertion"}
MAX_SIGNED_ELEMENTS = 4  # a Response and its one Assertion; precheck refuses more assertions anyway


def signatures_of(document, certificates) -> list[dict]:
    """For the Response and each Assertion in `document` (xmlsec_backend.parse()): {"element", "id", "signed",
    "certificate" (what its KeyInfo carries, described, or None), "on_file" (that certificate is one of
    `certificates`), "verified_by" (the certificate on file it verifies with, described, or None)}."""
    on_file = list(certificates)
    fingerprints = {c.sha256_fingerprint for c in on_file}
    found = []
    for element in [document, *document.findall(f"{{{SAML_NS}}}Assertion")][:MAX_SIGNED_ELEMENTS]:
        name = SIGNED_ELEMENTS.get(element.tag)
        if name is None:
            continue
        signature = element.find(f"{DS}Signature")
        element_id = element.get("ID", "")
        carried = _carried(signature) if signature is not None else None
        verified_by = None
        if signature is not None:
            verified_by = next(
                (c for c in on_file if signature_holds(document, name, element_id, c.certificate_pem.encode())), None
            )
        found.append(
            {
                "element": name.rpartition(":")[2],
                "id": element_id[:100],
                "signed": signature is not None,
                "certificate": describe(carried) if carried else None,
                "on_file": bool(carried and carried.sha256_fingerprint in fingerprints),
                "verified_by": describe(verified_by) if verified_by else None,
            }
        )
    return found


def describe(certificate) -> dict:
    return {
        "subject": certificate.subject,
        "sha256": certificate.sha256_fingerprint,
        "not_before": f"{certificate.not_before:%Y-%m-%d}",
        "not_after": f"{certificate.not_after:%Y-%m-%d}",
        "expired": certificate.not_after <= datetime.now(UTC),
    }


def verdict(signature: dict) -> str:
    if not signature["signed"]:
        return "Not signed."
    if signature["verified_by"]:
        return f"Valid: it verifies with the certificate on file {signature['verified_by']['subject']}."
    if signature["certificate"] is None:
        return "Not valid: it carries no certificate and verifies with none on file."
    if signature["on_file"]:
        return (
            "Not valid: its certificate is on file, but the signature does not match the content: the response was "
            "changed after it was signed (a proxy rewriting it, or tampering)."
        )
    return "Not valid: it is signed by a certificate that is not on file."


def bad_signature_detail(signatures: list[dict], certificates) -> str:
    """Why no signature holds, in the words an owner can act on: a certificate not on file (the IdP's next key, or
    another application's), one on file whose signature does not match (the content changed), or none given."""
    on_file = list(certificates)
    listed = "; ".join(_one_line(describe(c)) for c in on_file) or "none"
    expired = [s for s in signatures if s["signed"] and s["verified_by"] and s["verified_by"]["expired"]]
    if expired:
        by = expired[0]["verified_by"]
        return (
            f"The {expired[0]['element']} is signed by the certificate on file {_one_line(by)}, which expired "
            f"{by['not_after']}: no longer accepted. The IdP still signs with its old key: make its new certificate "
            f"active there and add it here as the next certificate. On file: {listed}."
        )
    failing = [s for s in signatures if s["signed"] and not s["verified_by"]]
    if not failing:
        return (
            "Every signature verifies with a certificate on file, yet the signature's form was refused (a second "
            f"element with the signed ID, or a Reference to another element). On file: {listed}."
        )
    signature = next((s for s in failing if s["element"] == "Assertion"), failing[0])
    what = f"The {signature['element']}'s signature"
    carried = signature["certificate"]
    if carried and signature["on_file"]:
        return (
            f"{what} names the certificate on file {_one_line(carried)}, but does not match the signed content: "
            "the response was changed after the IdP signed it (a proxy or firewall rewriting it, or tampering). "
            "Look for anything between the IdP and this site that rewrites the POST."
        )
    if carried:
        return (
            f"{what} is by a certificate that is not on file {NOT_VERIFIED}: {_one_line(carried)}. "
            f"On file: {listed}. {_likely_cause(carried, on_file)}"
        )
    return (
        f"{what} carries no certificate (no X509Certificate in its KeyInfo) and verifies with none on file: {listed}. "
        "The IdP signs with another key: download its current signing certificate (Entra ID: SAML Certificates → "
        "Certificate (Base64)) and compare its fingerprint."
    )


def _likely_cause(carried: dict, on_file) -> str:
    newest = max((c.not_before for c in on_file), default=None)
    newer = newest is not None and carried["not_before"] > f"{newest:%Y-%m-%d}"
    same_subject = any(c.subject == carried["subject"] for c in on_file)
    if newer and same_subject:
        return (
            "It is newer than every certificate on file and has the same subject: most likely the IdP's next "
            "signing key after a rollover. Anyone can put any certificate in a response, though, and this "
            "signature did not verify with one on file: compare its SHA-256 fingerprint with the one your IdP's "
            "console shows, and only then add it as the next certificate (the IdP's current metadata, or this "
            "certificate beside the one on file)."
        )
    if carried["expired"]:
        return "It has expired: the IdP still signs with an old key; make its current certificate active."
    return (
        "Its subject or dates match none on file: the IdP signs with another key than the one this connection "
        "was set up with (another application's or tenant's certificate, or a new one). If it is your IdP's "
        "current certificate, add it as the next certificate; else check which IdP application answered."
    )


def _one_line(certificate: dict) -> str:
    return (
        f"{quote(certificate['subject'])} (SHA-256 {certificate['sha256']}, valid {certificate['not_before']} to "
        f"{certificate['not_after']}{', expired' if certificate['expired'] else ''})"
    )


def _carried(signature):
    text = signature.findtext(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    if not text or len(text) > 20_000:
        return None
    try:
        return load_certificate(text)
    except (CertificateError, binascii.Error, ValueError):
        return None
