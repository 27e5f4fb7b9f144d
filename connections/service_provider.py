from django.db import models

from kloudsso.crypto import decrypt_secret
from kloudsso.tenancy.models import Organization


class ServiceProvider(models.Model):
    """Our side of SAML for one organization: a stable entity ID and the key pair that signs AuthnRequests.

    The entity ID is stored rather than derived, so changing PUBLIC_BASE_URL later does not silently break every
    IdP that was configured with it. During a key rotation (connections/sp_keys) the next key pair waits beside the
    current one: published in the SP metadata, signing nothing until it is made current.
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

    class Meta:
        verbose_name = "service provider"

    def __str__(self):
        return self.entity_id

    def get_private_key_pem(self) -> str:
        return decrypt_secret(self.private_key_encrypted)

    @property
    def rotating(self) -> bool:
        return bool(self.next_certificate_pem)
