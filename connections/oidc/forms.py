import re

from django import forms
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_variables

from connections.errors import ConfigurationError
from connections.forms import DisplayNameField
from connections.oidc import client_auth, entra_tenants
from connections.oidc.discovery import DiscoveryError, discover
from connections.oidc.entra_tenants import MAX_TENANTS, TenantListError
from connections.oidc.models import DEFAULT_SCOPES, SECRET_MIN_BYTES, ClientAuthMethod, IdTokenSigning, TenantLookup

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
    # Not required: a form sent without it (an older page, a script) means the default, the IdP's public keys.
    id_token_signing_alg = forms.TypedChoiceField(
        label="ID token signing",
        choices=IdTokenSigning.choices,
        initial=IdTokenSigning.PUBLIC_KEYS,
        required=False,
        empty_value=IdTokenSigning.PUBLIC_KEYS.value,
        help_text="How the IdP signs its ID tokens. Entra ID, Okta, Google and AD FS use their public keys. Choose "
        "an HS algorithm only if the IdP is set to sign with the client secret (LemonLDAP::NG's default): then "
        "only that algorithm is accepted, and the secret must be at least 32 bytes long for HS256, 48 for HS384, "
        "64 for HS512.",
    )

    entra_allowed_tenants = forms.CharField(
        label="Allowed Entra ID tenants",
        required=False,
        max_length=MAX_TENANTS * 160,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "placeholder": entra_tenants.EXAMPLE}),
        help_text="Only with Entra ID's /organizations/ Discovery URL, and then required: the only tenants whose "
        "work or school accounts may sign in. One a line: the Directory (tenant) ID, then a label if you like "
        f"(at most {MAX_TENANTS}). Each ID is checked at Entra ID when it is added.",
    )

    single_logout = forms.BooleanField(
        label="Sign out at the IdP too",
        required=False,
        help_text=f"{SINGLE_LOGOUT_HELP} Only when the provider's discovery document has an end_session_endpoint.",
    )

    def __init__(
        self,
        *args,
        has_secret: bool = False,
        stored_document: dict | None = None,
        stored_expiry=None,
        stored_secret_bytes: int | None = None,
        stored_tenants=(),
        **kwargs,
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
        self.stored_secret_bytes = stored_secret_bytes  # the kept secret's length, never the secret
        # What Entra said of a tenant already on the list is not asked again at each save.
        self.stored_tenants = {str(t.tenant_id): t for t in stored_tenants}
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

    def clean_entra_allowed_tenants(self):
        try:
            return entra_tenants.parse_tenant_lines(self.cleaned_data["entra_allowed_tenants"])
        except TenantListError as exc:
            raise forms.ValidationError(exc.message) from None

    @method_decorator(sensitive_variables("cleaned"))
    def clean(self):
        cleaned = super().clean()
        self._clean_secret_length(cleaned)
        url = cleaned.get("discovery_url")
        if url:
            try:
                self.discovery = discover(url)
            except DiscoveryError as exc:
                self.add_error("discovery_url", exc.message)
            else:
                cleaned["discovery_url"] = self.discovery.discovery_url
                self._clean_auth_method(cleaned, self.discovery.document)
                self._clean_tenants(cleaned)
                if cleaned.get("single_logout") and not _end_session_endpoint(self.discovery.document):
                    self.add_error(
                        "single_logout",
                        f"{self.discovery.issuer} does not support sign-out from here: its discovery document has no "
                        "end_session_endpoint. Leave this off.",
                    )
        return cleaned

    def _clean_secret_length(self, cleaned: dict) -> None:
        """RFC 7518 §3.2: an HMAC key as long as the hash at least; the kept secret counts when none is typed."""
        alg = cleaned.get("id_token_signing_alg")
        if alg not in SECRET_MIN_BYTES or "client_secret" not in cleaned:
            return
        typed = cleaned["client_secret"]
        length = len(typed.encode()) if typed else self.stored_secret_bytes
        needed = SECRET_MIN_BYTES[alg]
        if length is None or length >= needed:
            return
        which = "This client secret" if typed else "The stored client secret"
        message = (
            f"{which} is {length} bytes long; {alg} needs one of at least {needed} bytes (RFC 7518 §3.2), or the "
            "signatures made with it could be guessed. Create a longer secret at the IdP and paste it here, or set "
            "the IdP to RS256 and choose The IdP's public keys."
        )
        self.add_error("client_secret" if typed else "id_token_signing_alg", message)

    def _clean_tenants(self, cleaned: dict) -> None:
        """/organizations/ takes any Entra tenant's accounts: the list says which; no other URL takes a list."""
        if "entra_allowed_tenants" not in cleaned:
            return  # already refused by its field
        tenants = cleaned["entra_allowed_tenants"]
        if not self.discovery.multi_tenant:
            if tenants:
                self.add_error(
                    "entra_allowed_tenants",
                    "Allowed tenants apply only to Entra ID's /organizations/ Discovery URL; this one signs in its "
                    "own tenant alone. Empty the list, or use the /organizations/ URL.",
                )
            return
        if not tenants:
            self.add_error(
                "entra_allowed_tenants",
                "The /organizations/ endpoint signs in work and school accounts of every Entra ID tenant: list the "
                f"Directory (tenant) IDs allowed to sign in, one a line (e.g. {entra_tenants.EXAMPLE}).",
            )
            return
        try:
            cleaned["entra_allowed_tenants"] = self._looked_up(tenants)
        except TenantListError as exc:
            self.add_error("entra_allowed_tenants", exc.message)

    def _looked_up(self, tenants: list) -> list:
        """Each new tenant as Entra describes it; once Entra has not answered, the rest stay not checked, so a
        long list costs one timeout, not one a tenant."""
        answering, result = True, []
        for tenant in tenants:
            stored = self.stored_tenants.get(tenant.tenant_id)
            if stored is not None and stored.lookup == TenantLookup.FOUND:
                tenant = entra_tenants.AllowedTenant(tenant.tenant_id, tenant.label, stored.lookup, stored.region)
            elif answering:
                tenant = entra_tenants.look_up(tenant, discovery_url=self.discovery.discovery_url)
                answering = tenant.lookup == TenantLookup.FOUND
            result.append(tenant)
        return result

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
