"""The one validated shape of a SAML IdP, whichever way the owner gave it (metadata XML, metadata URL, manual)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from connections.saml.certificates import CertificateInfo

EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class IdPConfig:
    entity_id: str
    sso_redirect_url: str
    sso_post_url: str
    certificates: tuple[CertificateInfo, ...]
    valid_until: datetime | None = None
    metadata_xml: str = ""
    other_entity_ids: tuple[str, ...] = field(default=())
    slo_redirect_url: str = ""  # the IdP's SingleLogoutService, when its metadata lists one
    slo_post_url: str = ""

    @property
    def warnings(self) -> list[str]:
        return certificate_warnings(self.certificates) + metadata_warnings(self.valid_until)


def certificate_warnings(certificates, *, now: datetime | None = None) -> list[str]:
    """Expired or soon-expiring signing certificates: a warning, never a refusal (a rollover may be under way)."""
    now = now or timezone.now()
    warnings = []
    for cert in certificates:
        if cert.not_after <= now:
            warnings.append(
                f"The signing certificate {cert.subject or cert.sha256_fingerprint} expired on "
                f"{cert.not_after:%Y-%m-%d}. Sign-ins fail if the IdP still signs with it: download fresh "
                "metadata from the IdP after it rolls the certificate over."
            )
        elif cert.not_after <= now + timedelta(days=EXPIRY_WARNING_DAYS):
            warnings.append(
                f"The signing certificate {cert.subject or cert.sha256_fingerprint} expires on "
                f"{cert.not_after:%Y-%m-%d}. Add the IdP's new certificate before then."
            )
    return warnings


def metadata_warnings(valid_until: datetime | None, *, now: datetime | None = None) -> list[str]:
    now = now or timezone.now()
    if valid_until and now < valid_until <= now + timedelta(days=EXPIRY_WARNING_DAYS):
        return [
            f"The metadata says it is valid until {valid_until:%Y-%m-%d}; after that date SAML libraries ignore "
            "it and sign-ins stop. Download fresh metadata from the IdP before then."
        ]
    return []
