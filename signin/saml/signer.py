"""Which certificate on file verified a response: the connection page shows the one that signed the last sign-in,
so an owner sees the IdP switch to its new certificate before retiring the old one.

pysaml2 tries the connection's certificates one by one; the crypto backend (signin/saml/xmlsec_backend) notes the
one whose key verified. A context variable, not the warm client: one client serves every thread of a process.
"""

import contextvars
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from connections.saml.models import SAMLCertificate

PRECISION = timedelta(minutes=1)  # as the connection's last successful sign-in: a busy row is not written each time
_verified_with: contextvars.ContextVar[str | None] = contextvars.ContextVar("saml_verified_with", default=None)


@dataclass(frozen=True)
class OnFile:
    pk: int
    pem: str
    last_signed_at: datetime | None


def certificates_on_file(saml, *, now: datetime | None = None) -> list[OnFile]:
    """The certificates sign-ins accept: those on file and not expired, in one statement."""
    rows = (
        saml.certificates.filter(not_after__gt=now or timezone.now())
        .order_by("not_after", "pk")
        .values_list("pk", "certificate_pem", "last_signed_at")
    )
    return [OnFile(*row) for row in rows]


def watch() -> None:
    _verified_with.set(None)


def note(pem: bytes | str) -> None:
    _verified_with.set(_body(pem.decode() if isinstance(pem, bytes) else pem))


def record(on_file: list[OnFile], *, now: datetime | None = None) -> None:
    """Write the last_signed_at of the certificate that verified, at most once a minute."""
    body = _verified_with.get()
    if body is None:
        return
    signer = next((cert for cert in on_file if _body(cert.pem) == body), None)
    now = now or timezone.now()
    if signer is None:
        return
    if signer.last_signed_at is None or not timedelta(0) <= now - signer.last_signed_at < PRECISION:
        SAMLCertificate.objects.filter(pk=signer.pk).update(last_signed_at=now)


def _body(pem: str) -> str:
    return "".join(line.strip() for line in pem.splitlines() if line.strip() and "-----" not in line)
