"""Support staff see every connection read-only; they can enable or disable one, and rotate an SP's signing key.
Secrets are never rendered."""

from django.contrib import admin, messages
from django.utils.html import format_html_join

from connections.audit import certificate_target, connection_target
from connections.models import (
    Connection,
    MetadataRefresh,
    SAMLCertificate,
    ServiceProvider,
    SignInEvent,
    SSOIdentity,
)
from connections.selectors import certificate_expiry
from connections.services import connection_set_enabled
from connections.sp_keys import KeyRotationError, sp_key_rotation_finish, sp_key_rotation_start
from kloudsso.admin_search import BoundedSearchMixin
from kloudsso.audit.admin_mixin import AuditedAdminMixin, support_actor
from kloudsso.audit.record import Target

SECRET_MASK = "•••••••• (stored encrypted; never shown)"


@admin.register(Connection)
class ConnectionAdmin(AuditedAdminMixin, BoundedSearchMixin, admin.ModelAdmin):
    audit_kind = "connection"

    list_display = ["display_name", "organization", "kind", "enabled", "idp", "cert_expiry", "updated_at"]
    list_filter = ["kind", "enabled", "organization__plan"]
    search_fields = [
        "display_name",
        "organization__name",
        "organization__slug",
        "oidc__issuer",
        "saml__idp_entity_id",
    ]
    list_select_related = ["organization", "oidc", "saml"]
    actions = ["enable", "disable"]
    fields = [
        "public_id",
        "organization",
        "kind",
        "display_name",
        "enabled",
        "idp_details",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [
        "public_id",
        "organization",
        "kind",
        "display_name",
        "idp_details",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("saml__certificates")

    def has_add_permission(self, request):
        return False  # owners add connections in the console, where discovery and metadata are validated

    def audit_target(self, obj):
        return connection_target(obj)

    @admin.display(description="Identity provider")
    def idp(self, obj):
        return obj.idp_label

    @admin.display(description="Certificate expiry")
    def cert_expiry(self, obj):
        expiry = certificate_expiry(obj)
        return f"{expiry:%Y-%m-%d}" if expiry else "—"

    @admin.display(description="IdP details")
    def idp_details(self, obj):
        return format_html_join("", "<div><strong>{}</strong>: {}</div>", _details(obj))

    @admin.action(description="Enable selected connections")
    def enable(self, request, queryset):
        self.message_user(request, f"{_set_enabled(request, queryset, True)} connection(s) enabled.")

    @admin.action(description="Disable selected connections")
    def disable(self, request, queryset):
        self.message_user(request, f"{_set_enabled(request, queryset, False)} connection(s) disabled.")


def _set_enabled(request, queryset, enabled: bool) -> int:
    """One by one, so the audit log has an event for each connection that changed."""
    changing = list(queryset.filter(enabled=not enabled).select_related("organization"))
    by = support_actor(request)
    for connection in changing:
        connection_set_enabled(org=connection.organization, connection=connection, enabled=enabled, by=by)
    return len(changing)


def _entra_tenants(oidc) -> str:
    if oidc.entra_multi_tenant:
        return "/organizations/, allowed: " + (", ".join(map(str, oidc.allowed_tenants.all())) or "none")
    return oidc.entra_tenant_id or "— (not Entra ID)"


def _details(connection):
    if connection.kind == "oidc":
        oidc = connection.oidc
        return [
            ("Discovery URL", oidc.discovery_url),
            ("Issuer", oidc.issuer),
            ("Authorization endpoint", oidc.authorization_endpoint),
            ("Token endpoint", oidc.token_endpoint),
            ("JWKS URI", oidc.jwks_uri),
            ("UserInfo endpoint", oidc.userinfo_endpoint or "—"),
            ("Entra ID tenant", _entra_tenants(oidc)),
            ("Client ID", oidc.client_id),
            ("Client secret", SECRET_MASK),
            ("Client authentication", oidc.token_endpoint_auth_method),
            ("Scopes", oidc.scopes),
            ("Discovered at", f"{oidc.discovered_at:%Y-%m-%d %H:%M} UTC"),
        ]
    saml = connection.saml
    rows = [
        ("Source", saml.get_source_display()),
        ("Metadata URL", saml.metadata_url or "—"),
        ("IdP entity ID", saml.idp_entity_id),
        ("SSO URL (HTTP-Redirect)", saml.sso_redirect_url or "—"),
        ("SSO URL (HTTP-POST)", saml.sso_post_url or "—"),
        (
            "Metadata valid until",
            f"{saml.metadata_valid_until:%Y-%m-%d}" if saml.metadata_valid_until else "—",
        ),
        ("Email attribute", saml.email_attribute or "—"),
        ("NameID format", saml.nameid_format or "any"),
        ("IdP-initiated sign-in", "allowed" if saml.allow_idp_initiated else "refused"),
    ]
    rows += [
        (
            "Signing certificate",
            f"{c.subject} · expires {c.not_after:%Y-%m-%d} · SHA-256 {c.sha256_fingerprint}"
            + (
                f" · gone from the metadata since {c.missing_from_metadata_since:%Y-%m-%d %H:%M} UTC"
                if c.missing_from_metadata_since
                else ""
            ),
        )
        for c in saml.certificates.all()
    ]
    state = MetadataRefresh.objects.filter(saml_settings=saml).first()
    if state is not None and state.last_attempt_at:
        result = state.get_last_result_display()
        if state.consecutive_failures:
            result += f" ({state.consecutive_failures} in a row): {state.last_error}"
        rows.append(("Last metadata refresh", f"{state.last_attempt_at:%Y-%m-%d %H:%M} UTC · {result}"))
    return rows


@admin.register(ServiceProvider)
class ServiceProviderAdmin(BoundedSearchMixin, admin.ModelAdmin):
    list_display = ["entity_id", "organization", "key_rotation", "created_at"]
    search_fields = ["entity_id", "organization__name"]
    fields = [
        "organization",
        "entity_id",
        "certificate_pem",
        "private_key",
        "key_current_since",
        "next_certificate_pem",
        "encryption_certificate_pem",
        "next_encryption_certificate_pem",
        "next_key_created_at",
        "created_at",
    ]
    readonly_fields = fields
    actions = ["start_key_rotation", "make_next_key_current"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Private key")
    def private_key(self, obj):
        return SECRET_MASK

    @admin.display(description="Key rotation", boolean=True)
    def key_rotation(self, obj):
        return obj.rotating

    @admin.action(description="Start a key rotation (publish a next key)")
    def start_key_rotation(self, request, queryset):
        self._each(request, queryset, sp_key_rotation_start, "a next key is published")

    @admin.action(description="Make the next key current")
    def make_next_key_current(self, request, queryset):
        self._each(request, queryset, sp_key_rotation_finish, "the next key is current")

    def _each(self, request, queryset, service, done):
        for sp in queryset.select_related("organization"):
            try:
                service(sp=sp, by=support_actor(request))
            except KeyRotationError as error:
                self.message_user(request, f"{sp.organization}: {error}", messages.WARNING)
            else:
                self.message_user(request, f"{sp.organization}: {done}.")


@admin.register(SAMLCertificate)
class SAMLCertificateAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_kind = "certificate"
    audit_verbs = {"added": "added", "changed": "changed", "deleted": "retired"}
    list_display = ["subject", "not_after", "sha256_fingerprint"]
    list_select_related = ["saml_settings__connection__organization"]
    readonly_fields = [
        "saml_settings",
        "certificate_pem",
        "subject",
        "sha256_fingerprint",
        "not_before",
        "not_after",
    ]

    def has_add_permission(self, request):
        return False

    def audit_organization(self, obj):
        return obj.saml_settings.connection.organization

    def audit_target(self, obj):
        return certificate_target(obj, obj.saml_settings.connection)


@admin.register(SSOIdentity)
class SSOIdentityAdmin(AuditedAdminMixin, BoundedSearchMixin, admin.ModelAdmin):
    audit_kind = "identity"
    list_display = ["email", "user", "connection", "created_at", "last_login_at"]
    search_fields = ["email", "user__email", "subject", "connection__organization__name"]
    list_select_related = ["user", "connection__organization"]
    readonly_fields = ["connection", "subject", "user", "email", "created_at", "last_login_at"]

    def has_add_permission(self, request):
        return False  # identities are created by sign-ins

    def audit_organization(self, obj):
        return obj.connection.organization

    def audit_target(self, obj):
        return Target("identity", str(obj.pk), f"{obj.email or obj.subject} · {obj.connection.display_name}")


@admin.register(SignInEvent)
class SignInEventAdmin(BoundedSearchMixin, admin.ModelAdmin):
    list_display = ["created_at", "organization", "connection", "email", "outcome", "code", "reference"]
    list_filter = ["outcome", "code", "organization__plan"]
    search_fields = ["email", "reference", "organization__name", "organization__slug"]
    list_select_related = ["organization", "connection"]
    readonly_fields = [f.name for f in SignInEvent._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the record of sign-ins is kept as it was; prune_signin_events applies the retention
