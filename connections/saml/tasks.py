"""The scheduled refresh of metadata URLs (enqueued by kloudsso/scheduler as "saml_metadata_refresh")."""

from collections import Counter

from django.urls import reverse
from django_tasks import task

from connections.saml.models import SAMLCertificate, SAMLSettings, Source
from connections.saml.refresh import Outcome, saml_metadata_refresh
from connections.saml.refresh_state import MetadataRefresh
from kloudsso.notify import Category, notify_organization

# Three refreshes in a row (a day after the first, at the default 12 hours) before the owners hear of it: an IdP that
# is down for an hour, or a metadata URL behind a flaky proxy, is not worth a mail; what is on file keeps working.
# A reminder, not a security alert: nothing is broken yet, and nothing was changed.
FAILURES_BEFORE_MAIL = 3


@task
def refresh_saml_metadata() -> dict[str, int]:
    """Fetch every metadata URL connection's metadata again; returns how many ended in each Outcome.

    Safe to run twice: a refresh applies what the metadata says compared with what is on file, and the failure mail
    goes once per streak of failures.
    """
    ids = SAMLSettings.objects.filter(source=Source.URL).values_list("pk", flat=True)
    counts = Counter()
    for saml_settings_id in ids.iterator():
        on_file = _fingerprints(saml_settings_id)
        outcome = saml_metadata_refresh(saml_settings_id=saml_settings_id)
        if outcome == Outcome.FAILED:
            failing_refresh_notify(saml_settings_id=saml_settings_id)
        if outcome == Outcome.CHANGED:
            added_certificates_notify(saml_settings_id=saml_settings_id, before=on_file)
        counts[outcome] += 1
    return {outcome.value: counts[outcome] for outcome in Outcome}


def failing_refresh_notify(*, saml_settings_id: int) -> int:
    """Mail the owners once per streak, when it reaches FAILURES_BEFORE_MAIL; returns the messages sent."""
    state = MetadataRefresh.objects.select_related("saml_settings__connection__organization").get(
        saml_settings_id=saml_settings_id
    )
    connection = state.saml_settings.connection
    if state.consecutive_failures < FAILURES_BEFORE_MAIL or not connection.enabled:
        return 0
    org = connection.organization
    return notify_organization(
        org=org,
        category=Category.REMINDER,
        subject=f"KloudSSO can no longer refresh the SAML metadata of “{connection.display_name}”",
        template="saml_metadata_failing",
        context={
            "connection": connection,
            "metadata_url": state.saml_settings.metadata_url,
            "failures": state.consecutive_failures,
            "failing_since": state.failing_since,
            "error": state.last_error,
            "path": reverse("connections:edit", kwargs={"org_slug": org.slug, "public_id": connection.public_id}),
        },
        once_key=f"saml-metadata-failing:{connection.public_id}:{state.failing_since.isoformat()}",
    )


def _fingerprints(saml_settings_id: int) -> set[str]:
    return set(
        SAMLCertificate.objects.filter(saml_settings_id=saml_settings_id).values_list("sha256_fingerprint", flat=True)
    )


def added_certificates_notify(*, saml_settings_id: int, before: set[str]) -> int:
    """Alert the owners to each signing certificate a refresh added: a new key signs people in from now on, so
    whoever can change the document at the metadata URL must not add one unseen. Once per certificate."""
    added = (
        SAMLCertificate.objects.filter(saml_settings_id=saml_settings_id)
        .exclude(sha256_fingerprint__in=before)
        .select_related("saml_settings__connection__organization")
    )
    sent = 0
    for certificate in added:
        connection = certificate.saml_settings.connection
        org = connection.organization
        sent += notify_organization(
            org=org,
            category=Category.ALERT,
            subject=f"A new signing certificate for “{connection.display_name}” was added from its metadata URL",
            template="saml_certificate_added",
            context={
                "connection": connection,
                "certificate": certificate,
                "metadata_url": certificate.saml_settings.metadata_url,
                "path": reverse("connections:edit", kwargs={"org_slug": org.slug, "public_id": connection.public_id}),
            },
            once_key=f"saml-certificate-added:{connection.public_id}:{certificate.sha256_fingerprint}",
        )
    return sent
