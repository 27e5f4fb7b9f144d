from django import forms

from domains.names import DomainNameError, normalize_domain


class DomainAddForm(forms.Form):
    name = forms.CharField(
        label="Domain",
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "acme.com", "autocomplete": "off", "spellcheck": "false"}),
        help_text="The part after the @ in your people's email addresses. Subdomains are covered too.",
    )

    def clean_name(self):
        try:
            return normalize_domain(self.cleaned_data["name"])
        except DomainNameError as exc:
            raise forms.ValidationError(str(exc)) from None
