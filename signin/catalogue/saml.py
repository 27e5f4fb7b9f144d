"""Catalogue entries: SAML sign-ins."""

from signin.catalogue.entry import _UNVERIFIED, Entry

ENTRIES = [
    Entry(
        "saml_bad_signature",
        "SAML signature invalid or by an unknown certificate",
        _UNVERIFIED,
        "Neither the response nor the assertion is signed by one of the connection's signing certificates.",
        "Compare the IdP's current signing certificate with the ones on file (Connections list); after a rollover "
        "edit the connection with fresh metadata (Entra ID: Federation Metadata XML).",
        "saml",
    ),
    Entry(
        "audience_mismatch",
        "Audience mismatch",
        _UNVERIFIED,
        "The assertion's Audience is not this organization's SP Entity ID (or there is no AudienceRestriction).",
        "Set the IdP's Identifier (Entity ID) to {sp_entity_id}.",
        "saml",
    ),
    Entry(
        "destination_mismatch",
        "Destination mismatch",
        _UNVERIFIED,
        "The response's Destination is not the ACS URL.",
        "Set the IdP's Reply URL (ACS) to {acs_url}.",
        "saml",
    ),
    Entry(
        "recipient_mismatch",
        "Recipient mismatch",
        _UNVERIFIED,
        "The assertion's SubjectConfirmationData Recipient is not the ACS URL.",
        "Set the IdP's Reply URL (ACS) to {acs_url}.",
        "saml",
    ),
    Entry(
        "unknown_issuer",
        "Unknown Issuer",
        _UNVERIFIED,
        "The response's Issuer is not the connection's IdP Entity ID (both are in the details).",
        "Edit the connection with the IdP's current metadata (Entra ID: the Microsoft Entra Identifier).",
        "saml",
    ),
    Entry(
        "response_expired",
        "SAML response expired",
        _UNVERIFIED,
        "NotOnOrAfter is in the past, beyond two minutes of clock skew.",
        "Check the clocks of the IdP and of this server (NTP); ask the person to start again.",
        "saml",
    ),
    Entry(
        "response_not_yet_valid",
        "SAML response not valid yet",
        _UNVERIFIED,
        "NotBefore is in the future, beyond two minutes of clock skew.",
        "Check the clocks of the IdP and of this server (NTP).",
        "saml",
    ),
    Entry(
        "replayed_assertion",
        "Replayed assertion",
        _UNVERIFIED,
        "This assertion ID was already used: a browser's back button, a double submit, or a replay.",
        "Ask the person to start again from Sign in with SSO.",
        "saml",
    ),
    Entry(
        "unsolicited_response",
        "Unsolicited (IdP-initiated) response",
        "Sign-ins must start here, from Sign in with SSO, not from your identity provider's portal.",
        "A response that answers no request (IdP-initiated, e.g. from the My Apps portal), and the connection does "
        "not allow IdP-initiated sign-in.",
        "Ask people to start from Sign in with SSO; support can allow IdP-initiated sign-in for the connection.",
        "saml",
    ),
    Entry(
        "saml_request_unknown",
        "Response to a request this browser did not start",
        "This sign-in could not be matched to your browser. Start again from Sign in with SSO.",
        "InResponseTo names a request this browser's session did not start: cookies, another browser, an expired "
        "sign-in, or login CSRF.",
        "Ask the person to allow cookies and start again.",
        "saml",
    ),
    Entry(
        "saml_idp_status",
        "The IdP answered with an error status",
        "Your identity provider did not sign you in. Ask your admin if this keeps happening.",
        "The response's status is not Success, e.g. urn:oasis:names:tc:SAML:2.0:status:Responder, with the "
        "IdP's message in the details (Entra: AADSTS50105 user not assigned).",
        "Act on the IdP's message: assign the user to the enterprise application, or fix its configuration.",
        "saml",
    ),
    Entry(
        "saml_invalid",
        "Invalid SAML response",
        _UNVERIFIED,
        "The response breaks a SAML rule (details quoted).",
        "Check the IdP's SAML configuration.",
        "saml",
    ),
    Entry(
        "saml_unreadable",
        "Unreadable SAML response",
        "The sign-in answer could not be read. Start again.",
        "What was posted to the ACS is not a SAML response.",
        "Check the IdP's Reply URL (ACS) {acs_url}.",
        "saml",
    ),
    Entry(
        "saml_stash_expired",
        "SAML sign-in took too long",
        "This sign-in took too long or was already used. Start again.",
        "More than five minutes passed between the IdP's answer and the finish step, or it was used twice.",
        "Ask the person to start again.",
        "saml",
    ),
]
