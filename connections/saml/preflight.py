"""The SAML lines of the pre-flight checklist, from the settings row and the certificates on file."""

from datetime import datetime, timedelta

from django.utils import timezone
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS

from connections.preflight import AT_IDP, FAIL, PASS, WARN, Check
from connections.saml.idp_config import EXPIRY_WARNING_DAYS
from connections.saml.metadata import PLACEHOLDER
from connections.saml.models import SAMLSettings, Source
from connections.sp import saml_acs_url

FRESH_METADATA = "Download fresh metadata from the IdP and paste it in the form below (or use its metadata URL)."
ONLY_A_TEST = "Only a test sign-in can tell"


def saml_checks(saml: SAMLSettings, *, sp_entity_id: str, now: datetime | None = None) -> list[Check]:
    now = now or timezone.now()
    certificates = list(saml.certificates.order_by("not_after", "pk"))
    return [
        entity_id_check(saml),
        binding_check(saml),
        *certificate_checks(certificates, now=now),
        valid_until_check(saml, now=now),
        idp_initiated_check(saml),
        *idp_side_checks(saml, sp_entity_id=sp_entity_id),
    ]


def entity_id_check(saml: SAMLSettings) -> Check:
    label, expected = "IdP entity ID", "The IdP's own entity ID, without a placeholder"
    placeholder = PLACEHOLDER.search(saml.idp_entity_id)
    if placeholder:
        return Check(
            label,
            FAIL,
            expected,
            saml.idp_entity_id,
            f"It holds the placeholder {placeholder.group(0)}: no response is issued by it. {FRESH_METADATA}",
        )
    return Check(label, PASS, expected, saml.idp_entity_id)


def binding_check(saml: SAMLSettings) -> Check:
    label, expected = "SSO binding", "An SSO URL for HTTP-Redirect or HTTP-POST"
    offered = [
        f"{name} {url}"
        for name, url in (("HTTP-Redirect", saml.sso_redirect_url), ("HTTP-POST", saml.sso_post_url))
        if url
    ]
    if not offered:
        return Check(label, FAIL, expected, "No SSO URL", FRESH_METADATA)
    return Check(label, PASS, expected, "; ".join(offered))


def certificate_checks(certificates, *, now: datetime) -> list[Check]:
    if not certificates:
        return [
            Check("Signing certificate", FAIL, "At least one valid signing certificate", "None on file", FRESH_METADATA)
        ]
    return [certificate_check(cert, now=now) for cert in certificates]


def certificate_check(cert, *, now: datetime) -> Check:
    label = f"Signing certificate {cert.subject or cert.sha256_fingerprint[:23]}"
    expected = f"Valid now and for {EXPIRY_WARNING_DAYS} more days"
    received = f"Valid {cert.not_before:%Y-%m-%d %H:%M} → {cert.not_after:%Y-%m-%d %H:%M} UTC"
    if cert.not_after <= now:
        return Check(
            label,
            FAIL,
            expected,
            f"{received}: expired",
            "Responses signed with it are refused. Add the IdP's new certificate under Signing certificates, then "
            "retire this one.",
        )
    if cert.not_before > now:
        return Check(
            label,
            WARN,
            expected,
            f"{received}: not valid yet",
            "The IdP cannot sign with it before its start; keep the current certificate on file until then.",
        )
    if cert.not_after <= now + timedelta(days=EXPIRY_WARNING_DAYS):
        days = (cert.not_after - now).days
        return Check(
            label,
            WARN,
            expected,
            f"{received}: expires in {days} day{'s' if days != 1 else ''}",
            "Add the IdP's next certificate under Signing certificates before then.",
        )
    return Check(label, PASS, expected, received)


def valid_until_check(saml: SAMLSettings, *, now: datetime) -> Check:
    label = "Metadata validUntil"
    expected = f"None, or more than {EXPIRY_WARNING_DAYS} days away"
    until = saml.metadata_valid_until
    if saml.source == Source.MANUAL and until is None:
        return Check(label, PASS, expected, "Entered by hand: no metadata")
    if until is None:
        return Check(label, PASS, expected, "The metadata sets no validUntil")
    received = f"{until:%Y-%m-%d %H:%M} UTC"
    if until <= now:
        return Check(label, FAIL, expected, f"{received}: passed", FRESH_METADATA)
    if until <= now + timedelta(days=EXPIRY_WARNING_DAYS):
        return Check(label, WARN, expected, received, FRESH_METADATA + " Do it before that date.")
    return Check(label, PASS, expected, received)


def idp_initiated_check(saml: SAMLSettings) -> Check:
    """Either way passes: it is the owner's choice, said so the checklist shows what this connection accepts."""
    label, expected = "IdP-initiated sign-in", "Off, unless people start at the IdP's portal (your choice)"
    if saml.allow_idp_initiated:
        return Check(
            label,
            PASS,
            expected,
            "On: answers to no request are accepted (no InResponseTo binding); replays are refused by assertion ID",
            "Turn it off under IdP-initiated sign-in below when nobody starts from the IdP's portal.",
        )
    return Check(label, PASS, expected, "Off: sign-ins start here; IdP-initiated attempts are refused and listed")


def idp_side_checks(saml: SAMLSettings, *, sp_entity_id: str) -> list[Check]:
    nameid = saml.nameid_format or NAMEID_FORMAT_EMAILADDRESS
    nameid_fix = (
        "Set the NameID to the user's email address in this format (Entra ID: Attributes & Claims → Unique User "
        "Identifier)."
        if not saml.email_attribute
        else f"The email is read from the attribute {saml.email_attribute}; the NameID only identifies the user."
    )
    return [
        Check(
            "SP Entity ID at the IdP",
            AT_IDP,
            sp_entity_id,
            ONLY_A_TEST,
            "Entra ID: Basic SAML Configuration → Identifier (Entity ID).",
        ),
        Check(
            "ACS URL at the IdP", AT_IDP, saml_acs_url(), ONLY_A_TEST, "Entra ID: Basic SAML Configuration → Reply URL."
        ),
        Check("NameID format the IdP sends", AT_IDP, nameid, ONLY_A_TEST, nameid_fix),
    ]
