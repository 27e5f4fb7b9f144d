"""Certificate rollover: the IdP's next signing certificate added beside the current one, the old one retired.

Both are accepted at sign-in until the owner retires the old one or it expires (signin/saml/sp_config reads the
certificates still valid at each sign-in, so every app server sees an addition or a retirement at its next one).
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from connections.audit import certificate_added, certificate_retired
from connections.connection import Connection
from connections.errors import ConfigurationError
from connections.saml.certificates import CertificateInfo
from connections.saml.models import SAMLCertificate, SAMLSettings
from kloudsso.audit.record import SYSTEM, Actor


def valid_certificates(certificates, *, now: datetime | None = None) -> list:
    """The certificates not expired yet (a not-yet-valid one included: the IdP may sign with it from its start)."""
    now = now or timezone.now()
    return [cert for cert in certificates if cert.not_after > now]


def rollover_in_progress(certificates, *, now: datetime | None = None) -> bool:
    return len(valid_certificates(certificates, now=now)) > 1


def last_valid_certificate(certificates, *, now: datetime | None = None):
    """The valid certificate that expires last: sign-ins stop at its expiry unless another is added."""
    return max(valid_certificates(certificates, now=now), key=lambda c: (c.not_after, c.pk), default=None)


def last_signer(certificates):
    """The certificate whose key verified the latest sign-in (to the minute), or None before any."""
    signed = [cert for cert in certificates if cert.last_signed_at is not None]
    return max(signed, key=lambda c: c.last_signed_at, default=None)


def saml_certificates_add(
    *, org, connection: Connection, certificates: list[CertificateInfo], by: Actor = SYSTEM
) -> list[SAMLCertificate]:
    """Put the IdP's next certificates on file beside the current ones; those already on file are left as they are.

    The connection's settings row is locked, so two owners adding the same certificate at once add it once (and
    the audit log has it once).
    """
    with transaction.atomic():
        saml = _locked_settings(org, connection)
        on_file = set(saml.certificates.values_list("sha256_fingerprint", flat=True))
        now = timezone.now()
        added = []
        for cert in certificates:
            if cert.sha256_fingerprint in on_file:
                continue
            on_file.add(cert.sha256_fingerprint)
            certificate = SAMLCertificate.of(saml, cert, added_at=now, pasted=True)
            certificate.save()
            added.append(certificate)
            certificate_added(org=org, connection=connection, certificate=added[-1], by=by)
        return added


def saml_certificate_retire(
    *, org, connection: Connection, certificate_public_id, by: Actor = SYSTEM
) -> SAMLCertificate:
    """Take a certificate off file; ConfigurationError when no valid certificate would be left to sign-ins."""
    with transaction.atomic():
        saml = _locked_settings(org, connection)
        certificates = list(saml.certificates.all())
        certificate = next((c for c in certificates if c.public_id == certificate_public_id), None)
        if certificate is None:
            raise SAMLCertificate.DoesNotExist
        remaining = valid_certificates([c for c in certificates if c.pk != certificate.pk])
        if not remaining:
            raise ConfigurationError(
                "This is the connection's last valid signing certificate: without it every sign-in would fail. "
                "Add the IdP's new certificate first, then retire this one.",
                "last_valid_certificate",
            )
        certificate.delete()
        certificate_retired(org=org, connection=connection, certificate=certificate, by=by)
        return certificate


def _locked_settings(org, connection: Connection) -> SAMLSettings:
    return SAMLSettings.objects.select_for_update().get(
        connection__organization=org, connection__pk=connection.pk, connection__kind="saml"
    )
