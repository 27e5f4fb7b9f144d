"""What a guide is: data. One template (connections/guide_steps.html) draws any guide, for owners and setup links.

A step names the IdP's own menu labels (`path`, drawn as "A → B → C") and the values of ours to type there, each
shown with a copy button. `fields` says, for each field of our connection form, where the IdP shows that value.
"""

from dataclasses import dataclass, field

from connections.guides.profiles import PROFILES, Profile

# Our values a step can show (connections/sp.py SPDetails attributes) and what each is called.
OUR_VALUES = {
    "redirect_uri": "Redirect URI",
    "entity_id": "SP Entity ID",
    "acs_url": "ACS URL",
    "metadata_url": "SP metadata URL",
}


@dataclass(frozen=True)
class Step:
    anchor: str  # the step's id in the page: failures' fixes link to it
    title: str
    text: str
    path: tuple[str, ...] = ()  # the IdP's menu labels, in the order they are clicked
    values: tuple[str, ...] = ()  # keys of OUR_VALUES shown with copy buttons, as "what the IdP calls it"
    value_labels: dict[str, str] = field(default_factory=dict)  # our value → the IdP's name for the field
    hint: str = ""

    def shown_values(self, sp) -> list[tuple[str, str, str]]:
        """(key, the IdP's label for it, the value) for each value of ours this step shows."""
        return [(key, self.value_labels.get(key, OUR_VALUES[key]), getattr(sp, key)) for key in self.values]


@dataclass(frozen=True)
class Guide:
    slug: str
    idp: str  # "Microsoft Entra ID"
    protocol: str  # connections.connection.Kind
    summary: str
    steps: tuple[Step, ...]
    email: str  # which claim or attribute carries the email, in the IdP's words
    traps: tuple[str, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)  # our form field → where the IdP shows its value
    # Where the IdP has a setting the sign-in failures' fixes name (signin/catalogue: {idp_<key>}), in its words:
    # id_token_alg, email_claim, redirect_uri, assign (connections/guides/idp_words.py).
    settings: dict[str, str] = field(default_factory=dict)
    display_name: str = ""  # a good Display name for the connection

    @property
    def profile(self) -> Profile | None:
        """Where this IdP puts names and groups (connections/guides/profiles.py)."""
        return PROFILES.get(self.slug)

    @property
    def title(self) -> str:
        return f"{self.idp} ({'OIDC' if self.protocol == 'oidc' else 'SAML 2.0'})"
