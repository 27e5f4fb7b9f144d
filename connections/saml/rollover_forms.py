"""The connection page's "Add the next certificate": a PEM, or the IdP's new metadata XML, whose certificates not on
file are added. The entity ID and SSO URLs never change this way: that is the connection form's job."""

from django import forms
from django.utils import timezone

from connections.saml.certificates import CertificateError, CertificateInfo, load_certificates
from connections.saml.metadata import MAX_METADATA_BYTES, MetadataError, parse_idp_metadata


def short_fingerprint(fingerprint: str) -> str:
    return fingerprint[:23] + "…"


class NextCertificateForm(forms.Form):
    certificate = forms.CharField(
        label="The IdP's next signing certificate, or its new metadata XML",
        max_length=MAX_METADATA_BYTES,
        strip=True,
        widget=forms.Textarea(
            attrs={"rows": 6, "spellcheck": "false", "placeholder": "-----BEGIN CERTIFICATE----- or <EntityDescriptor"}
        ),
        error_messages={"required": "Paste the IdP's new certificate (PEM), or its new metadata XML."},
    )

    def __init__(self, *args, saml, on_file: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.saml = saml
        self.on_file = {cert.sha256_fingerprint for cert in on_file}
        self.new_certificates: list[CertificateInfo] = []

    def clean_certificate(self):
        text = self.cleaned_data["certificate"]
        if text.lstrip().startswith("<"):
            self.new_certificates = self._from_metadata(text)
        else:
            self.new_certificates = self._from_pem(text)
        return text

    def _from_pem(self, text: str) -> list[CertificateInfo]:
        try:
            certificates = load_certificates(text)
        except CertificateError as exc:
            raise forms.ValidationError(str(exc)) from None
        now = timezone.now()
        for cert in certificates:
            if cert.sha256_fingerprint in self.on_file:
                raise forms.ValidationError(
                    f"This certificate is already on file (SHA-256 {short_fingerprint(cert.sha256_fingerprint)}). "
                    "Paste the IdP's new one: in its admin console it is the certificate that is not active yet, "
                    "or the one made most recently."
                )
            if cert.not_after <= now:
                raise forms.ValidationError(
                    f"This certificate expired on {cert.not_after:%Y-%m-%d %H:%M} UTC "
                    f"({cert.subject or short_fingerprint(cert.sha256_fingerprint)}): sign-ins would not accept it. "
                    "Ask the IdP for its new certificate."
                )
        return certificates

    def _from_metadata(self, text: str) -> list[CertificateInfo]:
        entity_id = self.saml.idp_entity_id
        try:
            config = parse_idp_metadata(text, entity_id=entity_id)
        except MetadataError as exc:
            if exc.code == "several_entities":
                raise forms.ValidationError(
                    f"This metadata is not for this connection's IdP {entity_id!r} (it holds "
                    f"{', '.join(repr(i) for i in exc.entity_ids)}). Adding a certificate never changes the IdP: "
                    "paste this IdP's metadata, or edit the connection above to move to another IdP."
                ) from None
            raise forms.ValidationError(exc.message) from None
        now = timezone.now()
        new = [cert for cert in config.certificates if cert.sha256_fingerprint not in self.on_file]
        usable = [cert for cert in new if cert.not_after > now]
        if not new:
            raise forms.ValidationError(
                "Every signing certificate in this metadata is already on file: the IdP has not published its "
                "next certificate yet. Create it at the IdP first, then download the metadata again."
            )
        if not usable:
            raise forms.ValidationError(
                "The only certificates in this metadata that are not on file have expired: ask the IdP for a new one."
            )
        return usable
