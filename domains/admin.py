from django.contrib import admin

from domains.models import Domain
from domains.services import domain_mark_unverified, domain_recheck, domain_target, domain_verify
from kloudsso.admin_search import BoundedSearchMixin
from kloudsso.audit.admin_mixin import AuditedAdminMixin, support_actor


@admin.register(Domain)
class DomainAdmin(AuditedAdminMixin, BoundedSearchMixin, admin.ModelAdmin):
    audit_kind = "domain"
    list_display = ["name", "organization", "status", "verified_at", "last_checked_at", "last_check_ok"]
    list_filter = ["status", "last_check_ok"]
    search_fields = ["name", "organization__name", "organization__slug"]
    list_select_related = ["organization"]
    readonly_fields = [
        "public_id",
        "organization",
        "name",
        "record",
        "status",
        "verified_at",
        "last_checked_at",
        "last_check_ok",
        "last_check_result",
        "failing_since",
        "unverified_reason",
        "created_at",
    ]
    fields = readonly_fields
    actions = ["recheck_now", "mark_unverified"]

    def has_add_permission(self, request):
        return False  # owners add domains; the challenge token is theirs

    def audit_target(self, obj):
        return domain_target(obj)

    @admin.display(description="DNS record")
    def record(self, obj):
        return f"{obj.record_name} TXT {obj.record_value}"

    @admin.action(description="Re-check now")
    def recheck_now(self, request, queryset):
        results = []
        for domain in queryset.select_related("organization"):
            if domain.is_verified:
                results.append(f"{domain.name}: {domain_recheck(domain=domain, by=support_actor(request))}")
            else:
                outcome = domain_verify(domain=domain, by=support_actor(request))
                results.append(f"{domain.name}: {'verified' if outcome.verified else 'not verified'}")
        self.message_user(request, "; ".join(results))

    @admin.action(description="Mark unverified")
    def mark_unverified(self, request, queryset):
        for domain in queryset.select_related("organization"):
            domain_mark_unverified(
                domain=domain, reason=f"Marked unverified by support ({request.user.email}).", by=support_actor(request)
            )
        self.message_user(request, f"{queryset.count()} domain(s) marked unverified.")
