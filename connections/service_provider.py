from django.db import models

from kloudsso.crypto import decrypt_secret
from kloudsso.tenancy.models import Organization


class ServiceProvider(models.Model):
    """Our side of SAML for one organization: a stable entity ID, the key pair that signs AuthnRequests and a
    separate one that IdPs encrypt assertions to.

    The entity ID is stored rather than derived, so changing PUBLIC_BASE_URL later does not silently break every
    IdP that was configured with it. During a key rotation (connections/sp_keys) the next key pairs wait beside the
    current ones: published in the SP metadata, the next signing key signs nothing until it is made current, while
    assertions encrypted to either encryption key are decrypted (an IdP picks up the new certificate at its own pace).
    The encryption key is its own pair, not the signing key again: one key, one use (the same RSA key signing and
    decrypting invites cross-protocol attacks, and an IdP given one certificate cannot mistake it for the other).
    """

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="service_provider")
    entity_id = models.CharField("SP entity ID", max_length=500, unique=True)
    certificate_pem = models.TextField()
    private_key_encrypted = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    key_current_since = models.DateTimeField(null=True, blank=True, help_text="Empty: since the SP was created.")
    next_certificate_pem = models.TextField(blank=True)
    next_private_key_encrypted = models.TextField(blank=True)
    next_key_created_at = models.DateTimeField(null=True, blank=True)
    # Blank only for SPs made before encrypted assertions; migration 0015 gave every one of those a pair.
    encryption_certificate_pem = models.TextField(blank=True)
    encryption_private_key_encrypted = models.TextField(blank=True)
    next_encryption_certificate_pem = models.TextField(blank=True)
    next_encryption_private_key_encrypted = models.TextField(blank=True)

    class Meta:
        verbose_name = "service provider"

    def __str__(self):
        return self.entity_id

    def get_private_key_pem(self) -> str:
        return decrypt_secret(self.private_key_encrypted)

    def decryption_keys(self) -> list[tuple[str, str]]:
        """(certificate, private key) PEMs that assertions may be encrypted to: the current pair, then the next."""
        pairs = [
            (self.encryption_certificate_pem, self.encryption_private_key_encrypted),
            (self.next_encryption_certificate_pem, self.next_encryption_private_key_encrypted),
        ]
        return [(certificate, decrypt_secret(key)) for certificate, key in pairs if certificate and key]

    @property
    def encryption_certificates(self) -> tuple[str, ...]:
        """The encryption certificates published, current first."""
        return tuple(pem for pem in (self.encryption_certificate_pem, self.next_encryption_certificate_pem) if pem)

    @property
    def rotating(self) -> bool:
        return bool(self.next_certificate_pem)
