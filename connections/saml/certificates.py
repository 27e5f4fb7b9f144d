"""Read X.509 signing certificates given as PEM or as bare base64 (as in metadata's <ds:X509Certificate>)."""

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.DOTALL)


class CertificateError(ValueError):
    pass


@dataclass(frozen=True)
class CertificateInfo:
    pem: str
    subject: str
    sha256_fingerprint: str
    not_before: datetime
    not_after: datetime


def load_certificate(text: str) -> CertificateInfo:
    """One certificate from PEM or base64 DER; a CertificateError says what is wrong with it."""
    text = text.strip()
    if "-----BEGIN" in text:
        match = PEM_BLOCK.search(text)
        if not match:
            raise CertificateError(
                "This is not a certificate in PEM form: it should sit between -----BEGIN CERTIFICATE----- and "
                "-----END CERTIFICATE----- (a private key or a public key alone will not do)."
            )
        text = match.group(1)
    try:
        der = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise CertificateError("The certificate is not valid base64; copy it again, whole.") from None
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        raise CertificateError("This is not an X.509 certificate; copy the IdP's signing certificate.") from None
    return _info(cert)


def load_certificates(text: str) -> list[CertificateInfo]:
    """Every certificate in `text`: several PEM blocks for a rollover, or one bare base64 value."""
    blocks = PEM_BLOCK.findall(text)
    if len(blocks) > 1:
        return [load_certificate(block) for block in blocks]
    return [load_certificate(text)]


def _info(cert: x509.Certificate) -> CertificateInfo:
    fingerprint = cert.fingerprint(hashes.SHA256()).hex().upper()
    try:
        # cryptography reads these lazily: a year 0000, which ASN.1 can carry and datetime cannot, fails here.
        not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
        subject = cert.subject.rfc4514_string()[:500]
    except ValueError:
        raise CertificateError(
            "The certificate's validity dates or subject cannot be read (for example a year 0000). Ask the IdP "
            "for its current signing certificate."
        ) from None
    return CertificateInfo(
        pem=cert.public_bytes(Encoding.PEM).decode(),
        subject=subject,
        sha256_fingerprint=":".join(fingerprint[i : i + 2] for i in range(0, len(fingerprint), 2)),
        not_before=not_before,
        not_after=not_after,
    )
