"""The exact steps to replace an OIDC client secret before it expires, for the reminder mails. Each IdP lets a
client have two secrets at once, so the new one is made, pasted here, and only then is the old one deleted."""

from connections.vendors import ENTRA, GENERIC, GOOGLE, OKTA

PASTE = (
    "On the connection page in KloudSSO (the link below), paste it in Client secret, set “Client secret expires "
    "on” to the new secret's expiry date, and click Save connection."
)
CHECK = "Click Test on the Connections page to check that a sign-in works with the new secret."

STEPS = {
    ENTRA: (
        "In the Microsoft Entra admin center, open Identity → Applications → App registrations → your KloudSSO "
        "application → Certificates & secrets → Client secrets.",
        "Click New client secret, give it a description and an expiry, and click Add.",
        "Copy the new secret's Value at once (not its Secret ID): Entra shows it only now. Note its Expires date.",
        PASTE,
        CHECK,
        "Back in Entra, delete the old client secret.",
    ),
    OKTA: (
        "In the Okta Admin Console, open Applications → Applications → your KloudSSO application → the General tab.",
        "Under Client Credentials → Client secrets, click Generate new secret, and copy it.",
        PASTE,
        CHECK,
        "Back in Okta, on the old secret click Deactivate, then Delete.",
    ),
    GOOGLE: (
        "In the Google Cloud console, open APIs & Services → Credentials, and click your KloudSSO OAuth 2.0 client.",
        "Under Client secrets, click Add secret, and copy the new secret.",
        PASTE,
        CHECK,
        "Back in the Google Cloud console, disable the old secret, then delete it.",
    ),
    GENERIC: (
        "In your identity provider's admin console, open the OIDC client you made for KloudSSO and create a new "
        "client secret, keeping the current one for now. Copy it and note when it expires.",
        PASTE,
        CHECK,
        "Back at your identity provider, delete the old client secret.",
    ),
}


def secret_steps(vendor: str) -> tuple[str, ...]:
    return STEPS.get(vendor, STEPS[GENERIC])
