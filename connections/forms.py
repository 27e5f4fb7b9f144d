"""What every connection form shares."""

from django import forms


class DisplayNameField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Display name")
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("help_text", "Shown to people who sign in when your organization has several connections.")
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return " ".join(value.split())
