"""Which identity provider a connection is, guessed from its URLs: there is no preset field, and the hosts of
Entra ID, Okta and Google are fixed. The reminders' steps (connections/saml/rollover_steps, oidc/secret_steps)
follow it; an IdP not recognised gets the generic steps."""

from urllib.parse import urlsplit

ENTRA = "entra"
OKTA = "okta"
GOOGLE = "google"
GENERIC = "generic"

NAMES = {ENTRA: "Microsoft Entra ID", OKTA: "Okta", GOOGLE: "Google Workspace", GENERIC: "your identity provider"}
_HOSTS = {
    ENTRA: ("login.microsoftonline.com", "sts.windows.net", "login.windows.net", "login.microsoftonline.us"),
    OKTA: ("okta.com", "oktapreview.com", "okta-emea.com", "okta-gov.com"),
    GOOGLE: ("accounts.google.com",),
}


def vendor_of(*urls: str) -> str:
    """The first URL whose host is, or is under, a known vendor's host decides."""
    for url in urls:
        host = (urlsplit(url or "").hostname or "").lower()
        for vendor, hosts in _HOSTS.items():
            if any(host == h or host.endswith("." + h) for h in hosts):
                return vendor
    return GENERIC


def saml_vendor(saml) -> str:
    return vendor_of(saml.idp_entity_id, saml.sso_redirect_url, saml.sso_post_url)


def oidc_vendor(oidc) -> str:
    return vendor_of(oidc.issuer, oidc.discovery_url)
