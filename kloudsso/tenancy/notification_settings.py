"""Notifications: the organization's extra address, and each owner's own choice about reminders."""

from django.contrib import messages
from django.shortcuts import redirect, render

from kloudsso.tenancy.access import sso_manager_required
from kloudsso.tenancy.forms import NotificationSettingsForm
from kloudsso.tenancy.models import Membership, Role
from kloudsso.tenancy.services import notification_settings_update


@sso_manager_required
def notification_settings(request):
    org, membership = request.org, request.membership
    initial = {"notification_email": org.notification_email, "receives_reminders": membership.receives_reminders}
    form = NotificationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        notification_settings_update(membership=membership, **form.cleaned_data)
        messages.success(request, "Notification settings saved.")
        return redirect("notification_settings", org_slug=org.slug)
    owners = Membership.objects.filter(organization=org, role=Role.OWNER).select_related("user").order_by("user__email")
    return render(request, "tenancy/notification_settings.html", {"form": form, "owners": owners})
