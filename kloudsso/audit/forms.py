from django import forms

from kloudsso.audit.actions import FAMILIES, what_choices

MAX_WHO_LENGTH = 254


class AuditFilter(forms.Form):
    """Who, what and when; a filter that does not validate is left out, with its error shown beside it."""

    who = forms.CharField(
        label="Who",
        required=False,
        max_length=MAX_WHO_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": "Email, or part of it", "type": "search"}),
    )
    what = forms.ChoiceField(label="What", required=False)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["what"].choices = what_choices()

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", f"To ({until:%Y-%m-%d}) is before From ({since:%Y-%m-%d}).")
        return cleaned


def is_family(what: str) -> bool:
    return what in FAMILIES
