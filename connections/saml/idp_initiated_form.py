"""The connection page's IdP-initiated sign-in switch: one checkbox, the owner's own decision (a setup link's holder
fills the connection form, never this one)."""

from django import forms


class IdPInitiatedForm(forms.Form):
    allow_idp_initiated = forms.BooleanField(label="Allow IdP-initiated sign-in", required=False)
