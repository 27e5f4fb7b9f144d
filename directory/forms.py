from django import forms

from connections.models import Connection
from directory.models import SCIMDirectory


class DirectoryAddForm(forms.ModelForm):
    class Meta:
        model = SCIMDirectory
        fields = ["display_name", "idp_kind"]
        labels = {"display_name": "Name"}
        help_texts = {"display_name": "For you, e.g. “Entra ID (employees)”.", "idp_kind": "Its setup steps follow."}

    def clean_display_name(self):
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError("Give the directory a name.")
        return name


class DirectoryDeleteForm(forms.Form):
    """The owner types the directory's name: a deletion that removes people's memberships is not one click."""

    name = forms.CharField()

    def __init__(self, *args, directory, **kwargs):
        super().__init__(*args, **kwargs)
        self.directory = directory
        field = self.fields["name"]
        field.label = f"Type “{directory.display_name}” to confirm"
        field.error_messages["required"] = f"Type “{directory.display_name}” to delete the directory, or cancel."
        field.widget.attrs.update(autocomplete="off", spellcheck="false", autocapitalize="off")

    def clean_name(self):
        # Spaces collapsed on both sides, as the add form saves a name; letters' case counts, as on GitHub.
        typed, expected = (" ".join(name.split()) for name in (self.cleaned_data["name"], self.directory.display_name))
        if typed != expected:
            hint = " (letters' case counts)" if typed.casefold() == expected.casefold() else ""
            raise forms.ValidationError(
                f"That is not this directory's name{hint}: type “{self.directory.display_name}” exactly to delete "
                "it, or cancel."
            )
        return typed


class RoleConnectionForm(forms.Form):
    """Which connection's groups → roles the directory's groups follow; offered from the organization's own only."""

    role_connection = forms.ModelChoiceField(
        queryset=Connection.objects.none(),
        required=False,
        to_field_name="public_id",
        label="Use the group → role mapping of",
        empty_label="None: groups change no role",
        error_messages={"invalid_choice": "Choose one of this organization's connections (or none)."},
        help_text="Saved, it applies to everyone this directory provisioned at once, then at each group change. "
        "Back to none, roles stay as they are.",
    )

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role_connection"].queryset = Connection.objects.filter(organization=org)
