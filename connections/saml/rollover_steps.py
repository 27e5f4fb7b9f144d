"""The exact steps to roll a SAML signing certificate over at each IdP, for the reminder mails: the new
certificate is made and put on file here while the current one still signs, then made active at the IdP, then the
old one is retired here. Plain sentences; "the connection page" is the mail's link."""

from connections.vendors import ENTRA, GENERIC, GOOGLE, OKTA

PASTE = (
    "On the connection page in KloudSSO (the link below), paste it under “Add the next certificate” and click Add "
    "certificate. From then on sign-ins signed by the current or the new certificate are both accepted."
)
PASTE_METADATA = (
    "On the connection page in KloudSSO (the link below), paste the metadata XML under “Add the next certificate” "
    "and click Add certificate: its new certificate is added, the entity ID and SSO URLs stay as they are."
)
CHECK_AND_RETIRE = (
    "Sign in once through KloudSSO (or click Test on the Connections page): the connection page then shows that "
    "the new certificate signed the last sign-in. Click Retire beside the old certificate."
)

STEPS = {
    ENTRA: (
        "In the Microsoft Entra admin center, open Identity → Applications → Enterprise applications → your "
        "KloudSSO application → Single sign-on.",
        "In the SAML Certificates section, click Edit beside Token signing certificate, click New Certificate, "
        "then Save. The new certificate is listed as Inactive.",
        "On the new certificate's row, open the … menu and click Base64 certificate download (or download the "
        "Federation Metadata XML, which now holds both certificates).",
        PASTE,
        "Back in Entra, open the new certificate's … menu, click Make certificate active, then Save: Entra signs "
        "with it from now on.",
        CHECK_AND_RETIRE,
    ),
    OKTA: (
        "In the Okta Admin Console, open Applications → Applications → your KloudSSO application → the Sign On tab.",
        "Under SAML Signing Certificates, click Generate new certificate. The new certificate is listed as Inactive.",
        "On the new certificate's row, click Actions → Download certificate (or View IdP metadata, and copy it).",
        PASTE,
        "Back in Okta, on the new certificate's row click Actions → Activate: Okta signs with it from now on.",
        CHECK_AND_RETIRE,
    ),
    GOOGLE: (
        "In the Google Admin console (as a super administrator), open Security → Authentication → SSO with SAML "
        "applications and click Add certificate: Google makes a second certificate, valid for five years.",
        "Open Apps → Web and mobile apps → your KloudSSO app and click Download metadata: choose the new "
        "certificate and download the IdP metadata.",
        PASTE_METADATA,
        "Back in the app's Service provider details, choose the new certificate under Certificate and click Save: "
        "Google signs this app's answers with it from now on.",
        CHECK_AND_RETIRE,
    ),
    GENERIC: (
        "In your identity provider's admin console, open the application you made for KloudSSO and create a new "
        "SAML signing certificate, without making it active yet.",
        "Download the new certificate (PEM or Base64), or the IdP's metadata XML, which then holds both.",
        PASTE,
        "Back at your identity provider, make the new certificate the active (signing) one.",
        CHECK_AND_RETIRE,
    ),
}


def rollover_steps(vendor: str) -> tuple[str, ...]:
    return STEPS.get(vendor, STEPS[GENERIC])
