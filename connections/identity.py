from django.conf import settings
from django.db import models

from connections.connection import Connection


class SSOIdentity(models.Model):
    """A person as one IdP knows them: keyed on (connection, stable subject), never on the email."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="identities")
    subject = models.CharField(max_length=512, help_text="tid+oid for Entra ID, iss+sub for OIDC, the NameID for SAML")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities")
    email = models.EmailField(help_text="The email the IdP gave at the last sign-in.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    # An owner's re-link window (connections/relink.py): until then, one sign-in with a subject of this kind and the
    # identity's own email moves the identity to that subject, once. Blank: the subject alone decides.
    relink_kind = models.CharField(max_length=20, blank=True, help_text="The subject kind accepted once")
    relink_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "subject"], name="identity_subject_unique")]
        verbose_name = "SSO identity"
        verbose_name_plural = "SSO identities"

    def __str__(self):
        return f"{self.email} via {self.connection_id}"
