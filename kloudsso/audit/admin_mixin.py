"""Support's changes in the Django admin, recorded in the audit log with actor kind "support".

A mixin for the ModelAdmins rather than a signal: it sees the form, so it records the fields support changed
(form.changed_data) with their values before and after, and says nothing of the saves the code makes itself.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction

from kloudsso.audit.models import ActorKind
from kloudsso.audit.record import SECRET_CHANGED, Target, actor_from_request, audit_record
from kloudsso.tenancy.models import Organization

VERBS = {"added": "added", "changed": "changed", "deleted": "deleted"}


def support_actor(request):
    return actor_from_request(request, kind=ActorKind.SUPPORT)


class AuditedAdminMixin:
    audit_kind = ""  # the action family: "<audit_kind>.added", ".changed", ".deleted"
    audit_verbs = VERBS
    audit_secret_fields = ("password", "password1", "password2")  # "changed", never the value

    # Hooks a ModelAdmin may override.

    def audit_organization(self, obj):
        if isinstance(obj, Organization):
            return obj
        return getattr(obj, "organization", None)

    def audit_target(self, obj) -> Target:
        return Target(self.audit_kind, str(getattr(obj, "public_id", obj.pk)), str(obj))

    # Django's ModelAdmin methods.

    def save_model(self, request, obj, form, change):
        stored = _stored_copy(obj) if change else None
        super().save_model(request, obj, form, change)
        changes = self._form_changes(form, stored)
        if change and not changes:
            return
        self._record(request, obj, "changed" if change else "added", changes)

    def save_formset(self, request, form, formset, change):
        """Inlines (an organization's memberships): each added, changed or deleted row is an event of its own."""
        stored = {f.instance.pk: _stored_copy(f.instance) for f in formset.initial_forms if f.instance.pk}
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            admin = _InlineAudit(formset.model, self)
            for obj in formset.new_objects:
                admin.record(request, obj, "added", self._form_changes(_form_of(formset, obj), None))
            for obj, _ in formset.changed_objects:
                admin.record(request, obj, "changed", self._form_changes(_form_of(formset, obj), stored.get(obj.pk)))
            for obj in formset.deleted_objects:
                admin.record(request, obj, "deleted", {})

    def delete_model(self, request, obj):
        target, org = self.audit_target(obj), self.audit_organization(obj)
        with transaction.atomic():
            super().delete_model(request, obj)
            self._record_target(request, org, target, "deleted")

    def delete_queryset(self, request, queryset):
        doomed = [(self.audit_target(obj), self.audit_organization(obj)) for obj in queryset]
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            for target, org in doomed:
                self._record_target(request, org, target, "deleted")

    # Helpers.

    def _form_changes(self, form, stored) -> dict:
        changes = {}
        for name in form.changed_data:
            if name in self.audit_secret_fields:
                changes[name] = SECRET_CHANGED
                continue
            before = _plain(_stored_value(stored, name, form)) if stored is not None else None
            changes[name] = [before, _plain(form.cleaned_data.get(name))]
        return changes

    def _record(self, request, obj, verb: str, changes: dict) -> None:
        self._record_target(request, self.audit_organization(obj), self.audit_target(obj), verb, changes)

    def _record_target(self, request, org, target: Target, verb: str, changes=None) -> None:
        if isinstance(org, Organization) and org.pk is None:
            org = None  # the organization itself was just deleted
        action = f"{self.audit_kind}.{self.audit_verbs[verb]}"
        audit_record(org=org, actor=support_actor(request), action=action, target=target, changes=changes)


class _InlineAudit:
    """An inline's rows recorded with the registered ModelAdmin of their model, for its kind and hooks."""

    def __init__(self, model, parent):
        registered = parent.admin_site._registry.get(model)
        self.admin = registered if isinstance(registered, AuditedAdminMixin) else parent

    def record(self, request, obj, verb, changes):
        self.admin._record(request, obj, verb, changes)


def _form_of(formset, obj):
    return next(f for f in formset.forms if f.instance is obj)


def _stored_copy(obj):
    return type(obj)._default_manager.filter(pk=obj.pk).first()


def _stored_value(stored, name, form):
    try:
        field = stored._meta.get_field(name)
    except FieldDoesNotExist:  # a form-only field: its initial value is what support saw
        return form.initial.get(name)
    if field.many_to_many:
        return list(getattr(stored, name).all())
    return getattr(stored, name)


def _plain(value):
    """A value as the log keeps it: objects by their names, several sorted."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (list, tuple, set, models.QuerySet)):
        return sorted(str(v) for v in value)
    return value
