"""Rotating the SP's own keys without breaking IdPs: the signing key and the encryption key ride one rotation.

Start: a next signing key pair and a next encryption key pair are made and published beside the current ones in the
SP metadata, so IdPs that fetch it trust both signing certificates while AuthnRequests are still signed with the
current key, and may encrypt to either encryption certificate: assertions encrypted to either are decrypted. Make
current: after the overlap, the next keys are the keys, and the old ones are dropped from the metadata (an IdP
still encrypting to the old certificate is then refused with saml_encrypted_for_another_key). Each step locks the
SP's row, so two clicks (or an owner and support at once) cannot make two next keys or promote one twice.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from connections.saml.certificates import load_certificate
from connections.service_provider import ServiceProvider
from connections.sp import ENCRYPTION_KEY_COMMON_NAME, generate_key_pair
from kloudsso.audit.record import SYSTEM, Actor, Target, audit_record
from kloudsso.crypto import encrypt_secret

NEXT_KEY_COMMON_NAME = "KloudSSO service provider"


NEXT_FIELDS = (
    "next_certificate_pem",
    "next_private_key_encrypted",
    "next_encryption_certificate_pem",
    "next_encryption_private_key_encrypted",
)


class KeyRotationError(ValueError):
    pass


@dataclass(frozen=True)
class SPCertificate:
    pem: str
    subject: str
    sha256_fingerprint: str
    not_after: datetime
    since: datetime


def sp_certificates(sp: ServiceProvider) -> tuple[SPCertificate, SPCertificate | None]:
    """The current signing certificate and, during a rotation, the next one, as an owner reads them."""
    current = _describe(sp.certificate_pem, sp.key_current_since or sp.created_at)
    upcoming = _describe(sp.next_certificate_pem, sp.next_key_created_at) if sp.rotating else None
    return current, upcoming


def sp_encryption_certificates(sp: ServiceProvider) -> tuple[SPCertificate | None, SPCertificate | None]:
    """The current encryption certificate and, during a rotation, the next one."""
    since = sp.key_current_since or sp.created_at
    current = _describe(sp.encryption_certificate_pem, since) if sp.encryption_certificate_pem else None
    pem = sp.next_encryption_certificate_pem
    return current, (_describe(pem, sp.next_key_created_at) if pem else None)


def sp_key_rotation_start(*, sp: ServiceProvider, by: Actor = SYSTEM) -> ServiceProvider:
    with transaction.atomic():
        locked = _locked(sp)
        if locked.rotating:
            raise KeyRotationError(
                "A next key is already published. Make it current once your IdPs trust it, or cancel the rotation."
            )
        certificate_pem, key_pem = generate_key_pair(common_name=NEXT_KEY_COMMON_NAME)
        encryption_pem, encryption_key_pem = generate_key_pair(common_name=ENCRYPTION_KEY_COMMON_NAME)
        locked.next_certificate_pem = certificate_pem
        locked.next_private_key_encrypted = encrypt_secret(key_pem)
        locked.next_encryption_certificate_pem = encryption_pem
        locked.next_encryption_private_key_encrypted = encrypt_secret(encryption_key_pem)
        locked.next_key_created_at = timezone.now()
        locked.save(update_fields=["next_key_created_at", *NEXT_FIELDS])
        changes = {
            "next_certificate": [None, _fingerprint(certificate_pem)],
            "next_encryption_certificate": [None, _fingerprint(encryption_pem)],
        }
        _audit(locked, by, "sp_key.rotation_started", changes)
    return locked


def sp_key_rotation_finish(*, sp: ServiceProvider, by: Actor = SYSTEM) -> ServiceProvider:
    """The next key becomes the one that signs AuthnRequests; the old key is gone for good."""
    with transaction.atomic():
        locked = _locked(sp)
        if not locked.rotating:
            raise KeyRotationError("There is no next key to make current: start a rotation first.")
        change = {"certificate": [_fingerprint(locked.certificate_pem), _fingerprint(locked.next_certificate_pem)]}
        locked.certificate_pem = locked.next_certificate_pem
        locked.private_key_encrypted = locked.next_private_key_encrypted
        if locked.next_encryption_certificate_pem:  # a rotation started before encryption keys has none
            change["encryption_certificate"] = [
                _fingerprint(locked.encryption_certificate_pem) if locked.encryption_certificate_pem else None,
                _fingerprint(locked.next_encryption_certificate_pem),
            ]
            locked.encryption_certificate_pem = locked.next_encryption_certificate_pem
            locked.encryption_private_key_encrypted = locked.next_encryption_private_key_encrypted
        locked.key_current_since = timezone.now()
        _clear_next(locked)
        locked.save(
            update_fields=[
                "certificate_pem",
                "private_key_encrypted",
                "encryption_certificate_pem",
                "encryption_private_key_encrypted",
                "key_current_since",
                "next_key_created_at",
                *NEXT_FIELDS,
            ]
        )
        _audit(locked, by, "sp_key.made_current", change)
    return locked


def sp_key_rotation_cancel(*, sp: ServiceProvider, by: Actor = SYSTEM) -> ServiceProvider:
    with transaction.atomic():
        locked = _locked(sp)
        if not locked.rotating:
            raise KeyRotationError("There is no key rotation to cancel.")
        change = {"next_certificate": [_fingerprint(locked.next_certificate_pem), None]}
        if locked.next_encryption_certificate_pem:
            change["next_encryption_certificate"] = [_fingerprint(locked.next_encryption_certificate_pem), None]
        _clear_next(locked)
        locked.save(update_fields=["next_key_created_at", *NEXT_FIELDS])
        _audit(locked, by, "sp_key.rotation_cancelled", change)
    return locked


def _audit(sp: ServiceProvider, by: Actor, action: str, changes: dict) -> None:
    target = Target("sp_key", sp.entity_id, "SP signing key")
    audit_record(org=sp.organization, actor=by, action=action, target=target, changes=changes)


def _fingerprint(pem: str) -> str:
    return load_certificate(pem).sha256_fingerprint


def _locked(sp: ServiceProvider) -> ServiceProvider:
    locked = ServiceProvider.objects.select_for_update().get(pk=sp.pk)
    locked.organization = sp.organization
    return locked


def _clear_next(sp: ServiceProvider) -> None:
    for name in NEXT_FIELDS:
        setattr(sp, name, "")
    sp.next_key_created_at = None


def _describe(pem: str, since: datetime) -> SPCertificate:
    info = load_certificate(pem)
    return SPCertificate(
        pem=info.pem,
        subject=info.subject,
        sha256_fingerprint=info.sha256_fingerprint,
        not_after=info.not_after,
        since=since,
    )
