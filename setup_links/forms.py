from django import forms

from connections.guides import guide_get, guide_list
from setup_links.services import DEFAULT_DAYS, MAX_DAYS

PROTOCOLS = [("", "Let them choose"), ("oidc", "OIDC"), ("saml", "SAML 2.0")]


class SetupLinkForm(forms.Form):
    protocol = forms.ChoiceField(label="Protocol", choices=PROTOCOLS, required=False, initial="")
    guide = forms.ChoiceField(
        label="Identity provider",
        required=False,
        help_text="Optional: opens that guide directly. Leave it to them to choose among the guides of the protocol.",
    )
    days = forms.IntegerField(
        label="Expires after (days)",
        min_value=1,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
        help_text=f"1 to {MAX_DAYS} days. You can revoke the link at any time.",
        error_messages={
            "min_value": f"A setup link lasts 1 to {MAX_DAYS} days.",
            "max_value": f"A setup link lasts 1 to {MAX_DAYS} days.",
            "invalid": "Enter a whole number of days.",
        },
    )
    note = forms.CharField(
        label="Note",
        max_length=200,
        required=False,
        help_text="Shown to you in the list and to the IT admin on the setup page, e.g. “For Dana in IT”.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guide"].choices = [("", "Let them choose")] + [(g.slug, g.title) for g in guide_list()]

    def clean(self):
        cleaned = super().clean()
        guide = guide_get(cleaned.get("guide") or "")
        protocol = cleaned.get("protocol") or ""
        if guide is not None:
            if protocol and guide.protocol != protocol:
                self.add_error("guide", f"{guide.title} is not a {dict(PROTOCOLS)[protocol]} guide.")
            else:
                cleaned["protocol"] = guide.protocol
        return cleaned
