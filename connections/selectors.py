"""Reads of connections, always scoped to one organization in the query itself."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from connections.connection import Connection, Kind
from connections.saml.idp_config import certificate_warnings, metadata_warnings
from connections.saml.models import SAMLCertificate, Source
from connections.saml.refresh_state import MetadataRefresh
from connections.saml.rollover import last_signer, last_valid_certificate, rollover_in_progress


def connection_list(*, org) -> QuerySet[Connection]:
    # 2 queries whatever the count: connections joined with their settings rows, then all SAML certificates.
    return (
        Connection.objects.filter(organization=org)
        .select_related("oidc", "saml", "saml__refresh")
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
    warnings += refresh_warnings(saml)
    return warnings


def refresh_warnings(saml) -> list[str]:
    """A waiting change and a failing refresh of the metadata URL, for the list (the connection page has the rest)."""
    state = getattr(saml, "refresh", None) if saml.source == Source.URL else None
    if state is None:
        return []
    warnings = []
    if state.has_pending:
        warnings.append(
            "The metadata URL now gives another entity ID or SSO URL: open the connection to confirm or dismiss the "
            "change. Until then it keeps what is on file."
        )
    if state.last_result == "failed":
        warnings.append(
            f"The metadata URL could not be refreshed ({state.consecutive_failures} time"
            f"{'s' if state.consecutive_failures != 1 else ''} in a row): {state.last_error} Sign-ins go on with what "
            "is on file."
        )
    return warnings


def certificate_expiry(connection: Connection):
    """The last expiry among the signing certificates (the date sign-ins stop without a new one)."""
    if connection.kind != Kind.SAML:
        return None
    dates = [cert.not_after for cert in connection.saml.certificates.all()]
    return max(dates) if dates else None


def metadata_refresh_summary(*, connection: Connection) -> dict | None:
    """What the connection page shows of the scheduled metadata refresh; None unless added by metadata URL."""
    if connection.kind != Kind.SAML or connection.saml.source != Source.URL:
        return None
    saml = connection.saml
    grace = timedelta(days=settings.SAML_METADATA_CERT_GRACE_DAYS)
    return {
        "state": MetadataRefresh.objects.filter(saml_settings=saml).first(),
        "every_hours": settings.SAML_METADATA_REFRESH_HOURS,
        "grace_days": settings.SAML_METADATA_CERT_GRACE_DAYS,
        "certificates": [
            {"cert": cert, "removed_after": cert.missing_from_metadata_since + grace}
            if cert.missing_from_metadata_since
            else {"cert": cert, "removed_after": None}
            for cert in saml.certificates.order_by("not_after", "pk")
        ],
    }


def certificate_rollover(connection: Connection) -> dict | None:
    """Whether a rollover is under way and which certificate signed the last sign-in; uses prefetched certificates."""
    if connection.kind != Kind.SAML:
        return None
    certificates = list(connection.saml.certificates.all())
    return {"in_progress": rollover_in_progress(certificates), "last_signer": last_signer(certificates)}
