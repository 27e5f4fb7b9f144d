from django import forms

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
