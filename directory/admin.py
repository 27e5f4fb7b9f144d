"""Support's view of directories: read-only, token hashes never shown (owners rotate and revoke on their page)."""

from django.contrib import admin

from directory.models import SCIMDirectory, SCIMUser
from kloudsso.admin_search import BoundedSearchMixin


@admin.register(SCIMDirectory)
class SCIMDirectoryAdmin(BoundedSearchMixin, admin.ModelAdmin):
    list_display = ["display_name", "organization", "idp_kind", "last_request_at", "revoked_at"]
    list_filter = ["idp_kind"]
    search_fields = ["display_name", "organization__name", "organization__slug"]
    list_select_related = ["organization"]
    fields = readonly_fields = [
        "public_id",
        "organization",
        "display_name",
        "idp_kind",
        "role_connection",
        "token_created_at",
        "previous_token_expires_at",
        "revoked_at",
        "created_at",
        "last_request_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SCIMUser)
class SCIMUserAdmin(BoundedSearchMixin, admin.ModelAdmin):
    list_display = ["user_name", "email", "organization", "directory", "active", "deleted_at", "user"]
    list_filter = ["active"]
    search_fields = ["user_name", "email", "external_id", "organization__slug"]
    list_select_related = ["organization", "directory", "user"]
    fields = readonly_fields = [
        "public_id",
        "directory",
        "organization",
        "user_name",
        "external_id",
        "email",
        "display_name",
        "active",
        "user",
        "attributes",
        "created_at",
        "updated_at",
        "deactivated_at",
        "deleted_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
