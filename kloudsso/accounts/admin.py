from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from kloudsso.admin_search import BoundedSearchMixin
from kloudsso.audit.admin_mixin import AuditedAdminMixin, support_actor
from kloudsso.audit.record import SECRET_CHANGED, Target, audit_record

from . import password_throttle
from .models import PasswordThrottleEvent, User


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "is_active", "is_staff", "is_superuser")


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BoundedSearchMixin, BaseUserAdmin):
    """An account is no organization's: support's changes to it are recorded with no organization."""

    audit_kind = "user"
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "full_name")
    readonly_fields = ("public_id", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password", "public_id")}),
        ("Profile", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)

    def audit_organization(self, obj):
        return None

    def audit_target(self, obj):
        return Target("user", str(obj.public_id), obj.email)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:  # saved; a form error renders the page again
            user = User.objects.get(pk=id)
            audit_record(
                org=None,
                actor=support_actor(request),
                action="user.password_changed",
                target=self.audit_target(user),
                changes={"password": SECRET_CHANGED},
            )
        return response


@admin.register(PasswordThrottleEvent)
class PasswordThrottleEventAdmin(BoundedSearchMixin, admin.ModelAdmin):
    """The record of locks is kept as it happened (prune_password_throttle_events applies the retention); support
    can lift a lock, which forgets the counts behind it and is logged in the record's history."""

    list_display = ["created_at", "scope", "email", "ip", "page", "locked_until"]
    list_filter = ["scope", "page"]
    search_fields = ["email", "ip"]
    date_hierarchy = "created_at"
    actions = ["lift_locks"]

    @admin.action(description="Lift this lock (forget the failures behind it)", permissions=["lift"])
    def lift_locks(self, request, queryset):
        events = list(queryset)
        for event in events:
            password_throttle.lift(event, by=request.user.get_username())
            self.log_change(request, event, "Lifted the lock.")
            audit_record(
                org=None,
                actor=support_actor(request),
                action="password_lock.lifted",
                target=Target("password_lock", str(event.pk), event.email or event.ip),
            )
        self.message_user(
            request,
            f"Lifted {len(events)} lock(s): those accounts and addresses may try their passwords again now.",
            messages.SUCCESS,
        )

    def has_lift_permission(self, request):
        return request.user.has_perm("accounts.lift_passwordthrottleevent")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
