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
