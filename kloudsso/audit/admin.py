from django.contrib import admin
from django.utils.html import format_html_join

from kloudsso.admin_search import BoundedSearchMixin
from kloudsso.audit.models import AuditEvent
from kloudsso.audit.presenting import change_rows


@admin.register(AuditEvent)
class AuditEventAdmin(BoundedSearchMixin, admin.ModelAdmin):
    """The record as it was written: nobody adds, edits or deletes an event here (the retention setting prunes)."""

    list_display = ["created_at", "organization", "actor_label", "actor_kind", "action", "target_label", "ip"]
    list_filter = ["actor_kind", "action"]
    search_fields = ["organization__name", "organization__slug", "actor_label", "action", "target_label"]
    list_select_related = ["organization"]
    date_hierarchy = "created_at"
    fields = [
        "created_at",
        "organization",
        "actor_label",
        "actor_kind",
        "ip",
        "action",
        "target_kind",
        "target_id",
        "target_label",
        "changes_table",
        "public_id",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Changes")
    def changes_table(self, obj):
        rows = change_rows(obj.changes)
        return format_html_join("", "<div><strong>{}</strong>: {} → {}</div>", rows) if rows else "—"
