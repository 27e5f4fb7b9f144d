"""Self-signed certificates with chosen validity dates, as base64 DER (the form metadata's X509Certificate holds)."""

import base64
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID


def certificate_der(*, not_before: datetime, not_after: datetime, common_name: str = "Test IdP") -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(Encoding.DER)


def certificate_b64(**kwargs) -> str:
    return base64.b64encode(certificate_der(**kwargs)).decode()


def with_raw_bytes(der: bytes, old: bytes, new: bytes) -> str:
    """The certificate with some of its bytes replaced (its signature no longer matches, which metadata parsing
    does not check): how a year 0000 or a broken subject reaches us, since no library will issue one."""
    assert old in der
    return base64.b64encode(der.replace(old, new)).decode()
