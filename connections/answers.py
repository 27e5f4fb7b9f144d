from django.db import models

from connections.events import SignInEvent


class Kind(models.TextChoices):
    SAML_RESPONSE = "saml_response", "SAML response"
    TOKEN_ERROR = "token_error", "Token endpoint's error answer"


class SignInAnswer(models.Model):
    """What the IdP really sent for a failed sign-in, decoded, for the owners: a SAML response that answered one of
    our own AuthnRequests (pretty-printed, signature values elided, with which certificate signed what), or the
    OIDC token endpoint's error answer (secrets masked). Never kept for a success nor for anonymous junk, and only
    for SAML_RESPONSE_RETENTION_DAYS: it may hold the person's attributes."""

    event = models.OneToOneField(SignInEvent, on_delete=models.CASCADE, related_name="answer")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    body = models.TextField(help_text="Decoded and pretty-printed; signature values and secrets left out")
    signatures = models.JSONField(
        default=list, blank=True, help_text="Each signature: the element it signs, its certificate, the verdict"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return f"{self.get_kind_display()} of {self.event_id}"
