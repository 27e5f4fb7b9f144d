"""One form for adding and editing a SAML connection: three ways in, one validated IdPConfig out."""

from django import forms
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.saml import (
    NAMEID_FORMAT_EMAILADDRESS,
    NAMEID_FORMAT_PERSISTENT,
    NAMEID_FORMAT_TRANSIENT,
    NAMEID_FORMAT_UNSPECIFIED,
)

from connections.forms import DisplayNameField
from connections.saml.certificates import CertificateError, load_certificates
from connections.saml.idp_config import IdPConfig
from connections.saml.metadata import MAX_ENTITY_ID_LENGTH, MAX_METADATA_BYTES, MetadataError, parse_idp_metadata
from connections.saml.models import Source
from kloudsso.guarded_http import FetchError, check_url, fetch

NAMEID_FORMATS = [
    ("", "Any (an email address is preferred)"),
    (NAMEID_FORMAT_EMAILADDRESS, "Email address (emailAddress)"),
    (NAMEID_FORMAT_PERSISTENT, "Persistent"),
    (NAMEID_FORMAT_UNSPECIFIED, "Unspecified"),
    (NAMEID_FORMAT_TRANSIENT, "Transient"),
]
MAX_CERTIFICATES_LENGTH = 100_000  # a PEM certificate is 1-3 kB: room for a rollover's several, not for a megabyte
BINDINGS = [(BINDING_HTTP_REDIRECT, "HTTP-Redirect"), (BINDING_HTTP_POST, "HTTP-POST")]


class SAMLConnectionForm(forms.Form):
    display_name = DisplayNameField(initial="Entra ID")
    source = forms.ChoiceField(
        label="How do you want to give the IdP's details?",
        choices=Source.choices,
        initial=Source.XML,
        widget=forms.RadioSelect,
    )
    # Paste metadata XML
    metadata_xml = forms.CharField(
        label="IdP metadata XML",
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "placeholder": "<EntityDescriptor …"}),
        help_text="Entra ID: the Federation Metadata XML from the enterprise app's SAML page.",
    )
    metadata_file = forms.FileField(label="…or upload the metadata file", required=False)
    entity_id = forms.CharField(
        label="Identity provider to use", required=False, max_length=MAX_ENTITY_ID_LENGTH, widget=forms.Select
    )
    # Metadata URL
    metadata_url = forms.CharField(
        label="Metadata URL",
        required=False,
        max_length=1000,
        widget=forms.URLInput(
            attrs={
                "placeholder": "https://login.microsoftonline.com/…/federationmetadata/2007-06/federationmetadata.xml?appid=…"
            }
        ),
        help_text="Entra ID: the App Federation Metadata Url.",
    )
    # Manual
    idp_entity_id = forms.CharField(label="IdP Entity ID", required=False, max_length=1024)
    sso_url = forms.CharField(label="SSO URL", required=False, max_length=2048, widget=forms.URLInput)
    sso_binding = forms.ChoiceField(
        label="SSO URL binding", choices=BINDINGS, initial=BINDING_HTTP_REDIRECT, required=False
    )
    signing_certificate = forms.CharField(
        label="Signing certificate",
        required=False,
        max_length=MAX_CERTIFICATES_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "placeholder": "-----BEGIN CERTIFICATE-----"}),
        help_text="PEM, or the bare base64 value. Paste several PEM blocks during a certificate rollover.",
    )
    # Attribute mapping, for every way in
    email_attribute = forms.CharField(
        label="Email attribute",
        required=False,
        max_length=255,
        help_text="The attribute that holds the email, when the NameID is not the email, e.g. "
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress (Entra ID's user.mail).",
    )
    nameid_format = forms.ChoiceField(label="NameID format", choices=NAMEID_FORMATS, required=False)
    single_logout = forms.BooleanField(
        label="Sign out at the IdP too (single logout)",
        required=False,
        help_text="Signing out of KloudSSO sends the IdP a signed LogoutRequest, and a sign-out at the IdP ends the "
        "session here. Only when the IdP's metadata lists a SingleLogoutService.",
    )
    require_encryption = forms.BooleanField(label="Require encrypted assertions", required=False)

    def __init__(self, *args, slo_supported: bool | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.idp_config: IdPConfig | None = None
        if slo_supported is False:
            self.fields[
                "single_logout"
            ].help_text = (
                "Not available: the IdP's metadata lists no SingleLogoutService. Save metadata that lists one first."
            )

    def clean(self):
        cleaned = super().clean()
        source = cleaned.get("source")
        readers = {Source.XML: self._from_xml, Source.URL: self._from_url, Source.MANUAL: self._from_manual}
        if source in readers:
            self.idp_config = readers[source](cleaned)
        config = self.idp_config
        if cleaned.get("single_logout") and config is not None and not (config.slo_redirect_url or config.slo_post_url):
            self.add_error(
                "single_logout",
                "The IdP's metadata lists no SingleLogoutService (HTTP-Redirect or HTTP-POST), so it cannot be "
                "signed out of from here. Leave this off, or give metadata that lists one.",
            )
        return cleaned

    def _from_xml(self, cleaned) -> IdPConfig | None:
        upload = cleaned.get("metadata_file")
        if upload is not None:
            if upload.size > MAX_METADATA_BYTES:
                self.add_error("metadata_file", f"The file is larger than {MAX_METADATA_BYTES // 1000} kB.")
                return None
            data, field = upload.read(), "metadata_file"
        elif cleaned.get("metadata_xml"):
            data, field = cleaned["metadata_xml"], "metadata_xml"
        else:
            self.add_error("metadata_xml", "Paste the IdP's metadata XML here, or upload the file.")
            return None
        return self._parse(data, field)

    def _from_url(self, cleaned) -> IdPConfig | None:
        url = cleaned.get("metadata_url", "").strip()
        if not url:
            self.add_error("metadata_url", "Enter the IdP's metadata URL.")
            return None
        try:
            accept = "application/samlmetadata+xml, application/xml, text/xml"
            result = fetch(check_url(url), accept=accept, endpoint="metadata")
        except FetchError as exc:
            self.add_error("metadata_url", f"Could not fetch the metadata: {exc.message}")
            return None
        if result.status != 200:
            self.add_error("metadata_url", f"{url} answered HTTP {result.status}, not the metadata. Check the URL.")
            return None
        return self._parse(result.body, "metadata_url")

    def _parse(self, data, field: str) -> IdPConfig | None:
        try:
            config = parse_idp_metadata(data, entity_id=self.cleaned_data.get("entity_id", ""))
        except MetadataError as exc:
            if exc.entity_ids:
                self._offer_entities(exc.entity_ids)
                self.add_error("entity_id", exc.message)
            else:
                self.add_error(field, exc.message)
            return None
        if config.other_entity_ids:
            self._offer_entities((config.entity_id, *config.other_entity_ids))
        return config

    def _offer_entities(self, entity_ids) -> None:
        self.fields["entity_id"].widget.choices = [("", "Choose one…")] + [(i, i) for i in sorted(entity_ids)]

    @property
    def offers_entities(self) -> bool:
        return bool(self.fields["entity_id"].widget.choices)

    def _from_manual(self, cleaned) -> IdPConfig | None:
        required = {
            "idp_entity_id": "Enter the IdP's entity ID (Entra ID: the Microsoft Entra Identifier).",
            "sso_url": "Enter the IdP's single sign-on URL (Entra ID: the Login URL).",
            "signing_certificate": "Paste the IdP's signing certificate.",
        }
        for name, message in required.items():
            if not cleaned.get(name):
                self.add_error(name, message)
        if self.errors:
            return None
        try:
            sso_url = check_url(cleaned["sso_url"])
        except FetchError as exc:
            self.add_error("sso_url", exc.message)
            return None
        try:
            certificates = load_certificates(cleaned["signing_certificate"])
        except CertificateError as exc:
            self.add_error("signing_certificate", str(exc))
            return None
        post = cleaned.get("sso_binding") == BINDING_HTTP_POST
        return IdPConfig(
            entity_id=cleaned["idp_entity_id"].strip(),
            sso_redirect_url="" if post else sso_url,
            sso_post_url=sso_url if post else "",
            certificates=tuple(certificates),
        )
