from django import forms

from kloudsso.tenancy.models import ProvisioningMode, Role


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"placeholder": "dana@acme.com"})
    )
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class SSOSettingsForm(forms.Form):
    provisioning_mode = forms.ChoiceField(
        label="Provisioning mode", choices=ProvisioningMode.choices, widget=forms.RadioSelect
    )
    enforce_sso = forms.BooleanField(label="Enforce SSO", required=False)


class NotificationSettingsForm(forms.Form):
    notification_email = forms.EmailField(
        label="Notification address",
        required=False,
        max_length=254,
        error_messages={"invalid": "Enter a whole email address, such as it-team@acme.com."},
        widget=forms.EmailInput(attrs={"placeholder": "it-team@acme.com"}),
        help_text="Optional. Gets every notification the owners get, reminders and security alerts alike.",
    )
    receives_reminders = forms.BooleanField(label="Email me reminders", required=False)

    def clean_notification_email(self):
        return self.cleaned_data["notification_email"].strip().lower()
