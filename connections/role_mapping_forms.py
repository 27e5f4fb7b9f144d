from django import forms

from connections.role_mapping import MAPPABLE_ROLES, MAX_GROUP_LENGTH, RoleMapping
from kloudsso.tenancy.models import Role


class RuleForm(forms.Form):
    group = forms.CharField(
        label="IdP group",
        max_length=MAX_GROUP_LENGTH,
        help_text="As the IdP sends it: an Entra ID group's Object ID (or its name with sAMAccountName), an Okta or "
        "Google group name, a SAML group attribute value.",
    )
    role = forms.ChoiceField(
        label="Role", choices=[(role.value, role.label) for role in MAPPABLE_ROLES], initial=Role.ADMIN
    )

    def clean_group(self):
        group = " ".join(self.cleaned_data["group"].split())
        if not group:
            raise forms.ValidationError("Enter the group as the IdP sends it.")
        return group


class SettingsForm(forms.ModelForm):
    class Meta:
        model = RoleMapping
        fields = ["unmatched", "groups_claim"]
        widgets = {"unmatched": forms.RadioSelect}

    def clean_groups_claim(self):
        claim = self.cleaned_data["groups_claim"].strip()
        if any(c.isspace() for c in claim):
            raise forms.ValidationError("A claim or attribute name has no spaces.")
        return claim
