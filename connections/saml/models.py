import uuid

from django.db import models
from django.utils import timezone

from connections.connection import Connection


class Source(models.TextChoices):
    XML = "xml", "Paste metadata XML"
    URL = "url", "Metadata URL"
    MANUAL = "manual", "Manual"


class SAMLSettings(models.Model):
    """A SAML 2.0 IdP, normalized from metadata XML, a metadata URL or the manual form (see idp_config.IdPConfig)."""

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="saml")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.XML)
    metadata_url = models.URLField(max_length=1000, blank=True)
    metadata_xml = models.TextField(blank=True, help_text="The metadata as given or fetched; empty for manual.")
    metadata_valid_until = models.DateTimeField(null=True, blank=True)
    idp_entity_id = models.CharField("IdP entity ID", max_length=1024)
    sso_redirect_url = models.URLField("SSO URL (HTTP-Redirect)", max_length=2048, blank=True)
    sso_post_url = models.URLField("SSO URL (HTTP-POST)", max_length=2048, blank=True)
    email_attribute = models.CharField(max_length=255, blank=True)
    nameid_format = models.CharField("NameID format", max_length=255, blank=True)
    allow_idp_initiated = models.BooleanField("allow IdP-initiated sign-in", default=False)
    slo_redirect_url = models.URLField("Single logout URL (HTTP-Redirect)", max_length=2048, blank=True)
    slo_post_url = models.URLField("Single logout URL (HTTP-POST)", max_length=2048, blank=True)
    single_logout = models.BooleanField(
        "sign out at the IdP too",
        default=False,
        help_text="Our sign-out sends the IdP a signed LogoutRequest, and the IdP's own LogoutRequest ends the "
        "matching session here (SAML single logout).",
    )
    require_encryption = models.BooleanField(
        "require encrypted assertions",
        default=False,
        help_text="Refuse a response whose assertion is not encrypted to our SP encryption key.",
    )

    class Meta:
        verbose_name = "SAML settings"
        verbose_name_plural = "SAML settings"

    def __str__(self):
        return f"SAML settings of {self.connection_id}"

    @property
    def idp_label(self) -> str:
        return self.idp_entity_id

    @property
    def slo_supported(self) -> bool:
        return bool(self.slo_redirect_url or self.slo_post_url)

    @property
    def metadata_expired(self) -> bool:
        return self.metadata_valid_until is not None and self.metadata_valid_until <= timezone.now()


class SAMLCertificate(models.Model):
    """A signing certificate of the IdP; several at once during a rollover."""

    saml_settings = models.ForeignKey(SAMLSettings, on_delete=models.CASCADE, related_name="certificates")
    certificate_pem = models.TextField()
    subject = models.CharField(max_length=500, blank=True)
    sha256_fingerprint = models.CharField(max_length=95)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    missing_from_metadata_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a refresh of the metadata URL first found this certificate gone; it is removed "
        "SAML_METADATA_CERT_GRACE_DAYS later (connections/saml/refresh.py)",
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    added_at = models.DateTimeField(default=timezone.now, help_text="When the owner put it on file.")
    # Written by the SAML sign-in when this certificate's key verified the response: to the minute, so a busy
    # connection's rows are not written at every sign-in.
    last_signed_at = models.DateTimeField(null=True, blank=True)
    # Added by an owner as the IdP's next certificate: the metadata URL's refresh does not drop it for being absent
    # from the metadata (the IdP may publish it later, or never); the owner retires it.
    pasted = models.BooleanField(default=False)

    class Meta:
        ordering = ["not_after"]
        verbose_name = "SAML signing certificate"

    def __str__(self):
        return f"{self.subject or 'certificate'} (expires {self.not_after:%Y-%m-%d})"

    @classmethod
    def of(cls, saml_settings, info, **fields) -> "SAMLCertificate":
        """An unsaved row for a parsed certificate (connections/saml/certificates.CertificateInfo)."""
        return cls(
            saml_settings=saml_settings,
            certificate_pem=info.pem,
            subject=info.subject,
            sha256_fingerprint=info.sha256_fingerprint,
            not_before=info.not_before,
            not_after=info.not_after,
            **fields,
        )

    @property
    def expired(self) -> bool:
        return self.not_after <= timezone.now()

    @property
    def not_yet_valid(self) -> bool:
        return self.not_before > timezone.now()


class UsedAssertion(models.Model):
    """Assertion IDs already accepted, per IdP, until they expire: the replay cache shared by every app server.

    A database table with a unique key rather than the cache: a full cache evicts entries, and anyone can fill
    it by posting junk to the ACS.
    """

    key = models.CharField(
        max_length=64, unique=True, help_text="sha256 of the organization, the IdP entity ID and the assertion ID"
    )
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "used SAML assertion"

    def __str__(self):
        return f"{self.key[:12]}… until {self.expires_at:%Y-%m-%d %H:%M}"


class SAMLSignedInSession(models.Model):
    """Which Django session a SAML sign-in made, found by what the IdP's LogoutRequest names: the connection, the
    NameID and the SessionIndex. Written only for connections with single logout on; any app server reads it.

    Hashed keys: the table holds no NameID (an email address, often) in the clear.
    """

    # One row per browser session: two browsers signed in with no SessionIndex share a key, and both must end.
    key = models.CharField(max_length=64, db_index=True, help_text="sha256 of connection, NameID and SessionIndex")
    person_key = models.CharField(
        max_length=64, db_index=True, help_text="sha256 of connection and NameID: a LogoutRequest without SessionIndex"
    )
    session_key = models.CharField(max_length=40, db_index=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "SAML signed-in session"
        constraints = [models.UniqueConstraint(fields=["key", "session_key"], name="saml_signed_in_session_unique")]

    def __str__(self):
        return f"{self.key[:12]}… until {self.expires_at:%Y-%m-%d %H:%M}"
