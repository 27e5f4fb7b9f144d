from django.contrib import admin

from kloudsso.admin_search import BoundedSearchMixin

from .models import Invitation, Membership, Organization


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "receives_reminders", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Organization)
class OrganizationAdmin(BoundedSearchMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "plan", "provisioning_mode", "enforce_sso", "created_at"]
    list_filter = ["plan", "provisioning_mode", "enforce_sso"]
    list_editable = ["plan"]
    search_fields = ["name", "slug", "memberships__user__email"]
    readonly_fields = ["public_id", "created_at"]
    fields = [
        "name",
        "slug",
        "plan",
        "provisioning_mode",
        "enforce_sso",
        "notification_email",
        "public_id",
        "created_at",
    ]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(BoundedSearchMixin, admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "organization__name", "organization__slug"]
    autocomplete_fields = ["user", "organization"]
    list_select_related = ["user", "organization"]


@admin.register(Invitation)
class InvitationAdmin(BoundedSearchMixin, admin.ModelAdmin):
    list_display = ["email", "organization", "role", "invited_by", "created_at", "accepted_at"]
    list_filter = ["role", ("accepted_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "organization__name", "organization__slug"]
    list_select_related = ["organization", "invited_by"]
    readonly_fields = ["public_id", "created_at", "accepted_at", "invited_by"]
    autocomplete_fields = ["organization"]
