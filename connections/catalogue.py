"""Every sign-in failure in one place: a stable code, what the person signing in is told, and for the owners the
cause and the fix. Fixes may name {redirect_uri}, {acs_url} and {sp_entity_id}; pages fill in the real values."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    code: str
    title: str
    person: str
    cause: str
    fix: str
    protocol: str = "any"  # "oidc", "saml", "email" or "any": how the troubleshooting page groups them

    def fix_with(self, values: dict) -> str:
        return self.fix.format_map(_Blank(values))


class _Blank(dict):
    def __missing__(self, key):
        return "{" + key + "}"


_TRY_AGAIN = "Something went wrong with the sign-in. Try again, or ask your admin."
_UNVERIFIED = "Your identity provider's answer could not be verified. Try again, or ask your admin."

ENTRIES = [
    # OIDC
    Entry(
        "issuer_mismatch",
        "ID token from another issuer",
        _UNVERIFIED,
        "The ID token's iss is not the issuer of the connection's discovery document. With Entra ID this happens "
        "with the multi-tenant /common/ or /organizations/ endpoints, whose issuer holds {tenantid}, or with a "
        "v1.0 token (https://sts.windows.net/…).",
        "Use the tenant-specific Discovery URL https://login.microsoftonline.com/<Directory (tenant) ID>/v2.0/"
        ".well-known/openid-configuration, and in the app registration's manifest set accessTokenAcceptedVersion "
        "to 2.",
        "oidc",
    ),
    Entry(
        "aud_mismatch",
        "ID token for another application",
        _UNVERIFIED,
        "The ID token's aud does not hold the connection's Client ID.",
        "Copy the Application (client) ID from the app registration's Overview page into Client ID.",
        "oidc",
    ),
    Entry(
        "azp_mismatch",
        "ID token issued to another party",
        _UNVERIFIED,
        "The ID token has several audiences and its azp is not the connection's Client ID.",
        "Check the Client ID; the token was requested by another application.",
        "oidc",
    ),
    Entry(
        "token_expired",
        "Expired ID token",
        _UNVERIFIED,
        "The ID token's exp is in the past, beyond two minutes of clock skew.",
        "Check that the clocks of the IdP and of this server are right (NTP).",
        "oidc",
    ),
    Entry(
        "token_not_yet_valid",
        "ID token not valid yet",
        _UNVERIFIED,
        "The ID token's iat or nbf is in the future, beyond two minutes of clock skew.",
        "Check that the clocks of the IdP and of this server are right (NTP).",
        "oidc",
    ),
    Entry(
        "bad_signature",
        "ID token signature does not match",
        _UNVERIFIED,
        "The ID token is not signed by the key its header names in the IdP's published keys.",
        "Check that the Discovery URL is the IdP that issues these tokens; if the IdP rotated its keys, try again "
        "(keys are fetched again when an unknown key appears).",
        "oidc",
    ),
    Entry(
        "unknown_key",
        "ID token signed with an unknown key",
        _UNVERIFIED,
        "No key in the IdP's JWKS has the ID token's kid, even after fetching the keys again.",
        "Check the Discovery URL (another tenant's keys?) and that the IdP publishes its signing key.",
        "oidc",
    ),
    Entry(
        "bad_alg",
        "ID token with a refused algorithm",
        _UNVERIFIED,
        "The ID token is unsigned (alg none) or signed with a shared secret (HS256); only public-key signatures "
        "are accepted.",
        "Configure the IdP to sign ID tokens with RS256 (Entra ID always does).",
        "oidc",
    ),
    Entry(
        "bad_token",
        "Malformed ID token",
        _UNVERIFIED,
        "The ID token is not a valid JWT or lacks a required claim (iss, aud, exp, iat, sub).",
        "Check the IdP's token configuration.",
        "oidc",
    ),
    Entry(
        "no_id_token",
        "No ID token",
        _UNVERIFIED,
        "The token endpoint answered without an id_token.",
        "Keep openid in Scopes.",
        "oidc",
    ),
    Entry(
        "nonce_mismatch",
        "Nonce mismatch",
        "This sign-in could not be matched to your browser. Start again from Sign in with SSO.",
        "The ID token's nonce is not the one this browser's sign-in sent: a stale tab, or a replayed token.",
        "Ask the person to start again from Sign in with SSO in one tab.",
        "oidc",
    ),
    Entry(
        "state_mismatch",
        "State mismatch (cookies or a stale tab)",
        "This sign-in could not be matched to your browser. Start again from Sign in with SSO.",
        "The callback's state was not started by this browser's session: cookies blocked, the sign-in started in "
        "another browser or tab, it expired, or someone sent the person a callback link (login CSRF).",
        "Ask the person to allow cookies for this site and to start again from Sign in with SSO.",
        "oidc",
    ),
    Entry(
        "token_error",
        "The token endpoint refused the code",
        "Your identity provider could not complete the sign-in. Try again, or ask your admin.",
        "The IdP's token endpoint answered with an error (quoted in the details): invalid_client means a wrong "
        "or expired client secret (Entra: AADSTS7000215 invalid secret, AADSTS7000222 expired secret), "
        "invalid_grant a reused or expired code, or a redirect URI mismatch.",
        "For invalid_client, create a new client secret (Certificates & secrets) and paste its Value into the "
        "connection; for a redirect URI error, register {redirect_uri} as a Web redirect URI.",
        "oidc",
    ),
    Entry(
        "invalid_client",
        "Invalid client ID or secret",
        "Your identity provider could not complete the sign-in. Try again, or ask your admin.",
        "The token endpoint refused the client: a wrong Client ID or client secret (Entra: AADSTS7000215, an "
        "invalid secret; often the Secret ID was pasted instead of its Value). The IdP's answer is quoted.",
        "Create a new client secret under Certificates & secrets, and paste its Value (not its Secret ID) into the "
        "connection's Client secret.",
        "oidc",
    ),
    Entry(
        "client_secret_expired",
        "Client secret expired",
        "Your identity provider could not complete the sign-in. Try again, or ask your admin.",
        "The client secret has expired (Entra: AADSTS7000222). The IdP's answer is quoted.",
        "Create a new client secret under Certificates & secrets, paste its Value into the connection, and note "
        "its expiry date.",
        "oidc",
    ),
    Entry(
        "redirect_uri_mismatch",
        "Redirect URI not registered",
        "Your identity provider could not complete the sign-in. Ask your admin.",
        "The IdP does not accept this site's redirect URI (Entra: AADSTS50011). The IdP's answer is quoted.",
        "Register {redirect_uri} as a Web redirect URI in the app registration (Authentication).",
        "oidc",
    ),
    Entry(
        "token_endpoint_unreachable",
        "Token endpoint unreachable",
        "Your identity provider could not complete the sign-in. Try again, or ask your admin.",
        "The token endpoint could not be reached in time (quoted in the details).",
        "Check the IdP's availability; edit and save the connection to refresh its discovery document.",
        "oidc",
    ),
    Entry(
        "idp_error",
        "The IdP returned an error",
        "Your identity provider did not sign you in. Ask your admin if this keeps happening.",
        "The IdP redirected back with error and error_description (quoted in the details). Entra: AADSTS50011 is "
        "a redirect URI mismatch, AADSTS50105 a user not assigned to the application, AADSTS700016 an unknown "
        "client ID.",
        "Register {redirect_uri} as the redirect URI, assign the user to the application, or fix the Client ID, "
        "as the quoted error says.",
        "oidc",
    ),
    # Email and provisioning
    Entry(
        "no_email",
        "No usable email",
        "Your identity provider did not send your email address, so we cannot sign you in. Ask your admin.",
        "Neither the email claim (or, for Entra ID, preferred_username or upn) nor a SAML email (NameID or Email "
        "attribute) held an email address.",
        "Entra ID: add the optional email claim under Token configuration (ID token), or give the user a mailbox. "
        "SAML: set the Name ID to user.mail in emailAddress format, or map an attribute to user.mail and name it "
        "in the connection's Email attribute.",
        "email",
    ),
    Entry(
        "email_domain_not_verified",
        "Email domain not verified for this organization",
        "Your email address is not on a domain your organization has verified for single sign-on. Ask your admin.",
        "The IdP vouched for an email whose domain (or its most specific verified parent) is not one of this "
        "organization's verified domains.",
        "Verify that domain on the Domains page.",
        "email",
    ),
    Entry(
        "not_invited",
        "Person not invited",
        "You have not been invited to this organization yet. Ask your admin to invite you.",
        "The organization is in Invite only mode and the person is neither a member nor invited.",
        "Invite their email on the Members page, or switch to Just-in-time on the SSO settings page.",
        "email",
    ),
    Entry(
        "email_reused",
        "Email reused by another IdP account",
        "This email address belongs to another account at your identity provider. Ask your admin.",
        "A different subject of this connection already owns the account with this email: the IdP gave the "
        "address to someone new.",
        "Remove the old member, or give the new person another address.",
        "email",
    ),
    Entry(
        "account_exists",
        "Existing account used elsewhere",
        "An account with your email already exists. Sign in with its password, or ask support.",
        "An account with this email exists and has access beyond this organization (other organizations, other "
        "IdPs, or support staff), so an IdP cannot take it over.",
        "The person signs in with the account's password; support can merge accounts.",
        "email",
    ),
    Entry(
        "account_disabled",
        "Account deactivated",
        "Your account is deactivated. Ask your admin.",
        "The account this identity signs in to has been deactivated (by support, in the admin).",
        "Ask support to reactivate the account if the person should have access.",
        "email",
    ),
    Entry(
        "bad_identity",
        "Unusable identity",
        _UNVERIFIED,
        "The subject or email sent by the IdP is too long to be stored.",
        "Check the IdP's NameID or claims.",
        "email",
    ),
    # SAML
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
    # Any
    Entry(
        "connection_disabled",
        "Connection disabled",
        "Single sign-on through this connection is turned off. Ask your organization's admin.",
        "The connection is disabled.",
        "Enable it on the Connections page.",
        "any",
    ),
    Entry(
        "plan_not_paid",
        "Plan not paid",
        "Single sign-on is not available for your organization. Ask your organization's admin.",
        "Single sign-on needs the paid plan.",
        "Ask support to upgrade the plan.",
        "any",
    ),
    Entry(
        "no_connection",
        "No enabled connection for the domain",
        "Your organization has not set up single sign-on yet. Ask your admin.",
        "The email's domain is verified, but the organization has no enabled connection.",
        "Add or enable a connection on the Connections page.",
        "any",
    ),
    Entry(
        "unknown_domain",
        "Unknown or unverified domain",
        "We could not find single sign-on for {domain}. Check the address, or sign in with your password if you "
        "have one.",
        "No organization has verified the email's domain.",
        "Verify the domain on the Domains page.",
        "any",
    ),
    Entry(
        "unknown",
        "Unexplained failure",
        _TRY_AGAIN,
        "The sign-in did not complete.",
        "Ask the person to try again.",
        "any",
    ),
]

CATALOGUE = {entry.code: entry for entry in ENTRIES}
