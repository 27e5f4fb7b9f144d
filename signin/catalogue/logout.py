"""Catalogue entries: signing out at the IdP (OIDC RP-initiated logout, SAML single logout). The person is always
signed out of KloudSSO first; these say what did not happen at the IdP, or why an IdP's sign-out was refused."""

from signin.catalogue.entry import Entry

_STILL_AT_IDP = (
    "Your identity provider may still have you signed in. Close the browser, or sign out on the identity "
    "provider's site."
)
_REFUSED = "This sign-out request could not be verified, so it changed nothing here."

ENTRIES = [
    Entry(
        "logout_state_mismatch",
        "Sign-out return not matched",
        _STILL_AT_IDP,
        "The browser came back to the post-logout redirect URI with no state, or one this browser's sign-out did "
        "not send (another browser, a stale tab, or a link someone made).",
        "Nothing to fix when it is rare. If it happens at every sign-out, check that the IdP returns the state "
        "parameter to {logout_done_url}.",
        "oidc",
    ),
    Entry(
        "slo_unreadable",
        "Single logout message unreadable",
        _REFUSED,
        "What arrived at the single logout URL is not a readable SAML LogoutRequest or LogoutResponse (empty, "
        "not base64, not XML, or too large).",
        "Check that the IdP's single logout (SingleLogoutService) for this SP points at {slo_url}.",
        "saml",
    ),
    Entry(
        "slo_unknown_issuer",
        "Single logout from an unknown IdP",
        _REFUSED,
        "The LogoutRequest's Issuer is no IdP of a connection with single logout turned on.",
        "Turn on Sign out at the IdP too on the connection for this IdP, or check the IdP's entity ID.",
        "saml",
    ),
    Entry(
        "slo_unsigned",
        "Single logout message not signed",
        _REFUSED,
        "The LogoutRequest or LogoutResponse carries no signature (no Signature query parameter for "
        "HTTP-Redirect, no XML signature for HTTP-POST). Anyone could send an unsigned one.",
        "Make the IdP sign logout messages (SimpleSAMLphp: sign.logout; Entra ID and Okta sign them always).",
        "saml",
    ),
    Entry(
        "slo_bad_signature",
        "Single logout signature invalid",
        _REFUSED,
        "The logout message's signature does not verify with any of the connection's signing certificates.",
        "Update the connection's certificates from the IdP's current metadata.",
        "saml",
    ),
    Entry(
        "slo_invalid",
        "Single logout message refused",
        _REFUSED,
        "The SAML library refused the logout message (its Destination is not our single logout URL, it expired, "
        "or it is malformed); the details say which.",
        "Set the IdP's single logout URL for this SP to {slo_url}.",
        "saml",
    ),
    Entry(
        "slo_response_unknown",
        "Single logout answer not matched",
        _STILL_AT_IDP,
        "The LogoutResponse answers no LogoutRequest KloudSSO sent in the last ten minutes (a reload, a bookmark, "
        "or a slow IdP).",
        "Nothing to fix when it is rare.",
        "saml",
        stale=True,
    ),
    Entry(
        "slo_idp_refused",
        "IdP did not sign the person out",
        _STILL_AT_IDP,
        "The IdP answered the LogoutRequest with a status other than Success (the details give it): it may not "
        "know the session (signed out there already), or could not sign out every application.",
        "Check the IdP's logs for the LogoutRequest; nothing to fix if the person was already signed out there.",
        "saml",
    ),
]
