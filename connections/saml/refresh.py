"""Fetching a connection's metadata URL again: its certificates follow the IdP, a change of entity ID or SSO URL
waits for the owner, and a failure changes nothing on file (sign-ins go on with what is there).

The fetch happens outside any transaction; what it found is applied under a lock on the connection's SAML
settings, compared with what is on file then, so a refresh is safe to run twice and on several servers at once.
"""

from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connections.audit import certificate_added, certificate_retired, connection_saved, connection_snapshot
from connections.saml.idp_config import IdPConfig
from connections.saml.metadata import MetadataError, parse_idp_metadata
from connections.saml.models import SAMLCertificate, SAMLSettings, Source
from connections.saml.refresh_state import MetadataRefresh, Result, identity_key
from kloudsso.audit.record import SYSTEM, Actor
from kloudsso.guarded_http import FetchError, check_url, fetch

ACCEPT = "application/samlmetadata+xml, application/xml, text/xml"


class Outcome(StrEnum):
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    PENDING = "pending"  # a change of identity waits for the owner (new, or still waiting)
    HELD = "held"  # the metadata holds a change the owner dismissed
    FAILED = "failed"
    SKIPPED = "skipped"  # no longer a metadata URL connection, or edited meanwhile


class RefreshFailed(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PendingChangeGone(Exception):
    """The change the owner confirmed or dismissed is no longer the one waiting."""


def metadata_url_fetch(url: str, *, entity_id: str) -> IdPConfig:
    """The IdP at `url`, validated as the add form validates it; RefreshFailed says in plain words what went wrong.

    `entity_id` picks the connection's IdP in a document that holds several; a document that now holds a single
    IdP under another entity ID is returned as it is (that change then waits for the owner).
    """
    try:
        result = fetch(check_url(url), accept=ACCEPT, endpoint="metadata")
    except FetchError as exc:
        raise RefreshFailed(f"The metadata URL could not be fetched: {exc.message}") from None
    if result.status != 200:
        raise RefreshFailed(f"The metadata URL answered HTTP {result.status} instead of the metadata.")
    try:
        return parse_idp_metadata(result.body, entity_id=entity_id)
    except MetadataError as exc:
        if len(exc.entity_ids) == 1:
            return _parsed(result.body)
        if exc.entity_ids:
            raise RefreshFailed(
                f"The metadata no longer describes {entity_id}; it describes {', '.join(exc.entity_ids)}. Edit the "
                "connection to pick one."
            ) from None
        raise RefreshFailed(f"The fetched metadata is not usable: {exc.message}") from None


def _parsed(body: bytes) -> IdPConfig:
    try:
        return parse_idp_metadata(body)
    except MetadataError as exc:
        raise RefreshFailed(f"The fetched metadata is not usable: {exc.message}") from None


def saml_metadata_refresh(*, saml_settings_id: int, now: datetime | None = None) -> Outcome:
    """Fetch one connection's metadata URL and apply what it says, or record why it could not be."""
    now = now or timezone.now()
    saml = SAMLSettings.objects.filter(pk=saml_settings_id).first()
    if saml is None or saml.source != Source.URL:  # deleted or edited since the task listed it
        return Outcome.SKIPPED
    url, entity_id = saml.metadata_url, saml.idp_entity_id
    try:
        apply = partial(_apply_fetched, config=metadata_url_fetch(url, entity_id=entity_id), now=now)
    except RefreshFailed as exc:
        apply = partial(_record_failure, failure=exc, now=now)
    return _locked(saml_settings_id, url, entity_id, apply)


@transaction.atomic
def _locked(saml_settings_id: int, url: str, entity_id: str, apply) -> Outcome:
    saml = SAMLSettings.objects.select_for_update().filter(pk=saml_settings_id).first()
    if saml is None or (saml.source, saml.metadata_url, saml.idp_entity_id) != (Source.URL, url, entity_id):
        return Outcome.SKIPPED  # deleted or edited while the metadata was being fetched: the edit wins
    state, _ = MetadataRefresh.objects.get_or_create(saml_settings=saml)
    outcome = apply(saml, state)
    state.save()
    return outcome


def _record_failure(saml: SAMLSettings, state: MetadataRefresh, *, failure: RefreshFailed, now: datetime) -> Outcome:
    state.last_attempt_at = now
    state.last_result = Result.FAILED
    state.last_error = failure.message
    state.consecutive_failures += 1
    state.failing_since = state.failing_since or now
    return Outcome.FAILED


def _apply_fetched(saml: SAMLSettings, state: MetadataRefresh, *, config: IdPConfig, now: datetime) -> Outcome:
    state.last_attempt_at = state.last_success_at = now
    state.last_error = ""
    state.consecutive_failures = 0
    state.failing_since = None
    fetched = (config.entity_id, config.sso_redirect_url, config.sso_post_url)
    if fetched != (saml.idp_entity_id, saml.sso_redirect_url, saml.sso_post_url):
        return _hold(saml, state, config, now)
    state.pending_clear()  # the IdP went back to the values on file
    state.last_result = Result.OK
    changes = _apply_document(saml, config, now)
    if changes:
        state.last_changes, state.last_changed_at = changes, now
        return Outcome.CHANGED
    return Outcome.UNCHANGED


def _hold(saml: SAMLSettings, state: MetadataRefresh, config: IdPConfig, now: datetime) -> Outcome:
    """Nothing from a document that changes the IdP's identity is applied, its certificates neither: the owner
    confirms it (or not) first."""
    key = identity_key(config.entity_id, config.sso_redirect_url, config.sso_post_url)
    if key == state.dismissed_key:
        state.pending_clear()
        state.last_result = Result.HELD
        return Outcome.HELD
    if not state.has_pending or state.pending_key != key:
        state.pending_since = now
        state.last_changes, state.last_changed_at = identity_changes(saml, config), now
    state.pending_entity_id = config.entity_id
    state.pending_sso_redirect_url = config.sso_redirect_url
    state.pending_sso_post_url = config.sso_post_url
    state.pending_metadata_xml = config.metadata_xml
    state.last_result = Result.PENDING
    return Outcome.PENDING


def identity_changes(saml: SAMLSettings, config: IdPConfig) -> list[str]:
    changes = []
    if config.entity_id != saml.idp_entity_id:
        changes.append(
            f"The metadata now names another identity provider: entity ID {config.entity_id} instead of "
            f"{saml.idp_entity_id}."
        )
    for label, old, new in (
        ("HTTP-Redirect", saml.sso_redirect_url, config.sso_redirect_url),
        ("HTTP-POST", saml.sso_post_url, config.sso_post_url),
    ):
        if old != new:
            changes.append(f"The {label} SSO URL in the metadata changed from {old or '(none)'} to {new or '(none)'}.")
    return changes


def _apply_document(saml: SAMLSettings, config: IdPConfig, now: datetime, by: Actor = SYSTEM) -> list[str]:
    changes = certificates_follow(saml, config.certificates, now=now, by=by)
    saml.metadata_xml = config.metadata_xml
    saml.metadata_valid_until = config.valid_until
    # The single logout URLs follow the metadata: sign-out at the IdP uses whichever it lists now, or none.
    saml.slo_redirect_url, saml.slo_post_url = config.slo_redirect_url, config.slo_post_url
    saml.save(update_fields=["metadata_xml", "metadata_valid_until", "slo_redirect_url", "slo_post_url"])
    return changes


def certificates_follow(saml: SAMLSettings, certificates, *, now: datetime, by: Actor = SYSTEM) -> list[str]:
    """Add the metadata's new certificates (an IdP publishes its next key before it signs with it); mark the ones
    it no longer lists and remove them SAML_METADATA_CERT_GRACE_DAYS later, never the last unexpired one, nor one
    an owner added by hand that the metadata does not list yet. Each certificate added or removed is in the audit
    log."""
    changes = []
    connection = saml.connection
    audited = {"org": connection.organization, "connection": connection, "by": by}
    on_file = {c.sha256_fingerprint: c for c in saml.certificates.all()}
    listed = {c.sha256_fingerprint for c in certificates}
    for cert in certificates:
        kept = on_file.get(cert.sha256_fingerprint)
        if kept is None:
            SAMLCertificate.of(saml, cert).save()
            certificate_added(certificate=cert, **audited)
            changes.append(f"Added the signing certificate {_name(cert)}, valid until {cert.not_after:%Y-%m-%d}.")
        elif kept.missing_from_metadata_since:
            kept.missing_from_metadata_since = None
            kept.save(update_fields=["missing_from_metadata_since"])
            changes.append(f"The signing certificate {_name(kept)} is back in the metadata and stays.")
        elif kept.pasted:  # the IdP now publishes the certificate an owner added: it follows the metadata from now
            kept.pasted = False
            kept.save(update_fields=["pasted"])
    grace = timedelta(days=settings.SAML_METADATA_CERT_GRACE_DAYS)
    for fingerprint, cert in on_file.items():
        if fingerprint in listed or cert.pasted:
            continue
        if cert.missing_from_metadata_since is None:
            cert.missing_from_metadata_since = now
            cert.save(update_fields=["missing_from_metadata_since"])
            changes.append(
                f"The signing certificate {_name(cert)} is no longer in the metadata; it is kept until "
                f"{now + grace:%Y-%m-%d %H:%M} UTC, then removed."
            )
        elif cert.missing_from_metadata_since + grace <= now and _another_unexpired(saml, cert, now):
            cert.delete()
            certificate_retired(certificate=cert, **audited)
            changes.append(
                f"Removed the signing certificate {_name(cert)}, gone from the metadata since "
                f"{cert.missing_from_metadata_since:%Y-%m-%d %H:%M} UTC."
            )
    return changes


def _another_unexpired(saml: SAMLSettings, cert: SAMLCertificate, now: datetime) -> bool:
    return saml.certificates.exclude(pk=cert.pk).filter(not_after__gt=now).exists()


def _name(cert) -> str:
    return f"{cert.subject or 'without subject'} (SHA-256 {cert.sha256_fingerprint[:23]}…)"


@transaction.atomic
def saml_pending_confirm(*, saml: SAMLSettings, key: str, now: datetime | None = None, by: Actor = SYSTEM) -> list[str]:
    """Apply the waiting document in full: its entity ID, SSO URLs and certificates. A new entity ID is another
    IdP: its certificates replace the old IdP's instead of joining them. Returns what changed; the audit log has
    the edit and each certificate added or retired, by `by`."""
    now = now or timezone.now()
    saml = SAMLSettings.objects.select_for_update().get(pk=saml.pk)
    state = _pending_state(saml, key)
    try:
        config = parse_idp_metadata(state.pending_metadata_xml, entity_id=state.pending_entity_id, now=now)
    except MetadataError as exc:
        raise RefreshFailed(f"The waiting metadata can no longer be applied: {exc.message} Refresh it now.") from None
    changes = [f"{change} Confirmed by an owner." for change in identity_changes(saml, config)]
    connection = saml.connection
    before = connection_snapshot(connection)
    if config.entity_id != saml.idp_entity_id:
        for cert in saml.certificates.all():
            cert.delete()
            certificate_retired(org=connection.organization, connection=connection, certificate=cert, by=by)
    saml.idp_entity_id = config.entity_id
    saml.sso_redirect_url = config.sso_redirect_url
    saml.sso_post_url = config.sso_post_url
    saml.save(update_fields=["idp_entity_id", "sso_redirect_url", "sso_post_url"])
    changes += _apply_document(saml, config, now, by)
    connection_saved(org=connection.organization, connection=connection, before=before, by=by, is_new=False)
    state.pending_clear()
    state.dismissed_key = ""
    state.last_result = Result.OK
    state.last_changes, state.last_changed_at = changes, now
    state.save()
    return changes


@transaction.atomic
def saml_pending_dismiss(*, saml: SAMLSettings, key: str) -> None:
    """Keep the values on file; the same change is not offered again (a different one would be)."""
    saml = SAMLSettings.objects.select_for_update().get(pk=saml.pk)
    state = _pending_state(saml, key)
    state.dismissed_key = state.pending_key
    state.pending_clear()
    state.last_result = Result.HELD
    state.save()


def _pending_state(saml: SAMLSettings, key: str) -> MetadataRefresh:
    state = MetadataRefresh.objects.filter(saml_settings=saml).first()
    if state is None or not state.has_pending or state.pending_key != key:
        raise PendingChangeGone
    return state
