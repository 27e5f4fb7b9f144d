"""Reads of connections, always scoped to one organization in the query itself."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from connections.connection import Connection, Kind
from connections.saml.idp_config import certificate_warnings, metadata_warnings
from connections.saml.models import SAMLCertificate
from connections.saml.rollover import last_signer, last_valid_certificate, rollover_in_progress


def connection_list(*, org) -> QuerySet[Connection]:
    # 2 queries whatever the count: connections joined with their settings rows, then all SAML certificates.
    return (
        Connection.objects.filter(organization=org)
        .select_related("oidc", "saml")
        .prefetch_related(Prefetch("saml__certificates", queryset=SAMLCertificate.objects.order_by("not_after")))
    )


def connection_get(*, org, public_id) -> Connection:
    """The organization's connection, or 404 (also for another organization's connection)."""
    return get_object_or_404(Connection.objects.select_related("oidc", "saml"), organization=org, public_id=public_id)


def connection_warnings(connection: Connection) -> list[str]:
    """What the owner should act on before sign-ins break; uses prefetched certificates."""
    if connection.kind != Kind.SAML:
        return []
    saml = connection.saml
    warnings = []
    if saml.metadata_expired:
        warnings.append(
            f"The metadata expired on {saml.metadata_valid_until:%Y-%m-%d} (validUntil): SAML sign-ins ignore it. "
            "Edit the connection with fresh metadata from the IdP."
        )
    warnings += metadata_warnings(saml.metadata_valid_until)
    # During a rollover the certificate sign-ins depend on is the one that expires last: an older one expiring
    # soon is no cause for alarm (an expired one still is: the owner should retire it).
    certificates = list(saml.certificates.all())
    last = last_valid_certificate(certificates)
    warnings += certificate_warnings([c for c in certificates if c.expired or c == last])
    return warnings


def certificate_expiry(connection: Connection):
    """The last expiry among the signing certificates (the date sign-ins stop without a new one)."""
    if connection.kind != Kind.SAML:
        return None
    dates = [cert.not_after for cert in connection.saml.certificates.all()]
    return max(dates) if dates else None


def certificate_rollover(connection: Connection) -> dict | None:
    """Whether a rollover is under way and which certificate signed the last sign-in; uses prefetched certificates."""
    if connection.kind != Kind.SAML:
        return None
    certificates = list(connection.saml.certificates.all())
    return {"in_progress": rollover_in_progress(certificates), "last_signer": last_signer(certificates)}
