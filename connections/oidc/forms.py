import re

from django import forms
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_variables

from connections.errors import ConfigurationError
from connections.forms import DisplayNameField
from connections.oidc import client_auth
from connections.oidc.discovery import DiscoveryError, discover
from connections.oidc.models import DEFAULT_SCOPES, ClientAuthMethod

SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]+$")  # RFC 6749 §3.3 scope-token
AUTOMATIC = (
    "Automatic takes client_secret_basic when the provider's discovery document allows it or lists nothing (the "
    "standard's default), else client_secret_post."
)


SINGLE_LOGOUT_HELP = (
    "Signing out of KloudSSO also signs the person out at the IdP. Register the post-logout redirect URI "
    "shown below at the IdP."
)


def _end_session_endpoint(document: dict) -> str:
    value = document.get("end_session_endpoint")
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else ""


class OIDCConnectionForm(forms.Form):
    """Add and edit share this form. On edit a blank Client secret keeps the stored one."""

    display_name = DisplayNameField(initial="Entra ID")
    discovery_url = forms.CharField(
        label="Discovery URL",
        max_length=500,
        help_text="For Entra ID: https://login.microsoftonline.com/<Directory (tenant) ID>/v2.0/"
        ".well-known/openid-configuration. An issuer URL is completed with /.well-known/openid-configuration.",
        widget=forms.URLInput(
            attrs={"placeholder": "https://login.microsoftonline.com/…/v2.0/.well-known/openid-configuration"}
        ),
    )
    client_id = forms.CharField(label="Client ID", max_length=255, help_text="Entra ID: the Application (client) ID.")
    client_secret = forms.CharField(
        label="Client secret",
        max_length=2000,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Entra ID: the secret's Value (not its Secret ID).",
    )
    client_secret_expires_on = forms.DateField(
        label="Client secret expires on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        help_text="Optional. Entra ID shows it beside the secret (Expires). The owners are mailed 30, 14, 7 and 1 "
        "days before, with the steps to create and paste a new secret.",
        error_messages={"invalid": "Enter the date as YYYY-MM-DD, e.g. 2027-06-30."},
    )
    scopes = forms.CharField(label="Scopes", max_length=300, initial=DEFAULT_SCOPES)
    token_endpoint_auth_method = forms.ChoiceField(
        label="Client authentication",
        choices=[("", "Automatic: what the provider allows"), *ClientAuthMethod.choices],
        required=False,
        help_text=f"How the client secret is sent to the token endpoint. {AUTOMATIC}",
    )

    single_logout = forms.BooleanField(
        label="Sign out at the IdP too",
        required=False,
        help_text=f"{SINGLE_LOGOUT_HELP} Only when the provider's discovery document has an end_session_endpoint.",
    )

    def __init__(
        self, *args, has_secret: bool = False, stored_document: dict | None = None, stored_expiry=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.discovery = None
        if stored_document is not None and not _end_session_endpoint(stored_document):
            # Not offered: the provider says it has no logout endpoint. A new discovery URL is read on save.
            self.fields[
                "single_logout"
            ].help_text = (
                "Not available: the provider's discovery document has no end_session_endpoint (RP-initiated logout)."
            )
        self.stored_expiry = stored_expiry
        if stored_document is not None:
            self.fields["token_endpoint_auth_method"].help_text = f"{client_auth.describe(stored_document)} {AUTOMATIC}"
        if has_secret:
            self.fields["client_secret"].required = False
            self.fields[
                "client_secret"
            ].help_text = "Stored and hidden. Leave blank to keep it; type a new one to replace it."

    def clean_client_id(self):
        value = self.cleaned_data["client_id"].strip()
        if any(ch.isspace() for ch in value):
            raise forms.ValidationError("The Client ID contains spaces; copy it again from the IdP.")
        return value

    def clean_client_secret_expires_on(self):
        value = self.cleaned_data["client_secret_expires_on"]
        # A date already past is refused when it is typed, not when an edit keeps the stored one.
        if value is not None and value != self.stored_expiry and value <= timezone.now().date():
            raise forms.ValidationError(
                f"{value:%Y-%m-%d} is not in the future: a secret that has expired no longer works. Create a new "
                "secret at the IdP, paste it above, and give its expiry date."
            )
        return value

    def clean_scopes(self):
        if "," in self.cleaned_data["scopes"]:
            raise forms.ValidationError("Separate scopes with spaces, not commas: openid email profile.")
        scopes = list(dict.fromkeys(self.cleaned_data["scopes"].split()))
        bad = [s for s in scopes if not SCOPE_TOKEN.match(s)]
        if bad:
            raise forms.ValidationError(f"Not a valid scope: {', '.join(bad)}. Separate scopes with spaces.")
        if "openid" not in scopes:
            raise forms.ValidationError("Scopes must include openid; without it the IdP sends no ID token.")
        return " ".join(scopes)

    @method_decorator(sensitive_variables("cleaned"))
    def clean(self):
        cleaned = super().clean()
        url = cleaned.get("discovery_url")
        if url:
            try:
                self.discovery = discover(url)
            except DiscoveryError as exc:
                self.add_error("discovery_url", exc.message)
            else:
                cleaned["discovery_url"] = self.discovery.discovery_url
                self._clean_auth_method(cleaned, self.discovery.document)
                if cleaned.get("single_logout") and not _end_session_endpoint(self.discovery.document):
                    self.add_error(
                        "single_logout",
                        f"{self.discovery.issuer} does not support sign-out from here: its discovery document has no "
                        "end_session_endpoint. Leave this off.",
                    )
        return cleaned

    def _clean_auth_method(self, cleaned: dict, document: dict) -> None:
        """An explicit choice must be allowed by the provider; Automatic becomes the method it allows."""
        field = self.fields["token_endpoint_auth_method"]
        field.help_text = f"{client_auth.describe(document)} {AUTOMATIC}"
        chosen = cleaned.get("token_endpoint_auth_method") or ""
        try:
            if chosen:
                client_auth.check(chosen, document)
            else:
                chosen = client_auth.choose(document)
        except ConfigurationError as exc:
            self.add_error("token_endpoint_auth_method", exc.message)
        else:
            cleaned["token_endpoint_auth_method"] = chosen
