"""Catalogue entries: OIDC sign-ins."""

from signin.catalogue.entry import _UNVERIFIED, Entry

ENTRIES = [
    Entry(
        "issuer_mismatch",
        "ID token from another issuer",
        _UNVERIFIED,
        "The ID token's iss is not the issuer of the connection's discovery document (for Entra ID's "
        "/organizations/ endpoint: its {tenantid} template filled with the token's tid). With Entra ID this happens "
        "with a v1.0 token (https://sts.windows.net/…) or a Discovery URL of another tenant. The details show both "
        "issuers and tell these apart: the same tenant's v1.0 issuer, another tenant, a trailing slash, another IdP.",
        "Use the tenant-specific Discovery URL https://login.microsoftonline.com/<Directory (tenant) ID>/v2.0/"
        ".well-known/openid-configuration (or the /organizations/ one with a list of allowed tenants), and in the "
        "app registration's manifest set accessTokenAcceptedVersion to 2.",
        "oidc",
    ),
    Entry(
        "aud_mismatch",
        "ID token for another application",
        _UNVERIFIED,
        "The ID token's aud does not hold the connection's Client ID (both in the details): another app "
        "registration's Client ID, or the Directory (tenant) ID pasted as the Client ID.",
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
        "The ID token's exp is in the past, beyond two minutes of clock skew. The details give the difference in "
        "seconds, both clocks (exp, iat and this server's) and tell a wrong clock from a token issued just now "
        "with too short a lifetime, or an old token from a cache.",
        "Set this server's clock right (NTP), or the IdP's; for a short lifetime, lengthen the IdP's ID token "
        "lifetime.",
        "oidc",
    ),
    Entry(
        "token_not_yet_valid",
        "ID token not valid yet",
        _UNVERIFIED,
        "The ID token's nbf (not before) is in the future, beyond two minutes of clock skew: the IdP's clock is "
        "ahead of this server's (the details give the difference in seconds and both clocks).",
        "Check that the clocks of the IdP and of this server are right (NTP).",
        "oidc",
    ),
    Entry(
        "token_issued_in_future",
        "ID token issued in the future",
        _UNVERIFIED,
        "The ID token's iat (issued at) is in the future, beyond two minutes of clock skew: one of the two clocks "
        "is wrong (the details give the difference in seconds and both clocks).",
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
        "No key in the IdP's JWKS has the ID token's kid, even after fetching the keys again (a kid still unknown "
        "after a fresh fetch is not fetched for again within a minute).",
        "Check the Discovery URL (another tenant's keys?) and that the IdP publishes its signing key.",
        "oidc",
    ),
    Entry(
        "kid_missing",
        "ID token without a key ID",
        _UNVERIFIED,
        "The ID token's header has no kid and the IdP publishes several signing keys, so which one signed it "
        "cannot be told (the details say how many).",
        "Configure the IdP to put the key ID (kid) in its ID tokens' header, or to publish only the key it signs with.",
        "oidc",
    ),
    Entry(
        "jwks_unreachable",
        "Signing keys could not be fetched",
        _UNVERIFIED,
        "The IdP's signing keys (the discovery document's jwks_uri) could not be fetched, or the answer was not a "
        "JSON key set (quoted in the details).",
        "Check the IdP's availability; if it moved its keys, edit and save the connection to refresh its discovery "
        "document.",
        "oidc",
    ),
    Entry(
        "entra_tenant_mismatch",
        "ID token from another Entra ID tenant",
        _UNVERIFIED,
        "The ID token's tid is not the Directory (tenant) ID in the connection's issuer (both are in the details). "
        "A token of another tenant is never accepted, whoever signed it.",
        "Check that the Discovery URL holds your tenant's Directory (tenant) ID, as shown on the app registration's "
        "Overview page.",
        "oidc",
    ),
    Entry(
        "entra_tenant_not_allowed",
        "Entra ID tenant not allowed",
        "Your organization's Microsoft Entra ID tenant may not sign in here. Ask your admin to allow it.",
        "The connection uses Entra ID's /organizations/ endpoint, which signs in work and school accounts of any "
        "tenant, and the verified ID token's tid (named in the details, with the account that signed in) is not in "
        "the connection's list of allowed tenants. Anyone can create a tenant, so no other tenant is ever accepted.",
        "If that tenant is one of yours or a partner's you trust, add its Directory (tenant) ID to Allowed Entra ID "
        "tenants on the connection's page; otherwise nothing is wrong: the list kept it out. If the app "
        "registration is single-tenant, use its tenant-specific Discovery URL instead.",
        "oidc",
    ),
    Entry(
        "entra_tid_missing",
        "ID token without a tenant (tid)",
        _UNVERIFIED,
        "The connection uses Entra ID's /organizations/ endpoint, whose issuer is a {tenantid} template filled with "
        "the token's tid; this token has no tid, or one that is not a Directory (tenant) ID (quoted in the details), "
        "so neither its issuer nor its tenant can be checked. Entra ID v2.0 ID tokens always carry tid.",
        "Check that the Discovery URL is Entra ID's https://login.microsoftonline.com/organizations/v2.0/"
        ".well-known/openid-configuration and that the app registration issues v2.0 tokens (manifest: "
        "accessTokenAcceptedVersion 2).",
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
        "The ID token is not a valid JWT, lacks a required claim (iss, aud, exp, iat, sub), or holds one that is "
        "empty or of the wrong type (quoted in the details).",
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
        "bad_token_response",
        "Malformed token response",
        _UNVERIFIED,
        "The token endpoint answered HTTP 200, but not with a JSON object whose id_token is a string "
        "(OpenID Connect Core §3.1.3.3).",
        "Check that the discovery document's token_endpoint is the IdP's token endpoint, not a proxy or a sign-in "
        "page; edit and save the connection to refresh it.",
        "oidc",
    ),
    Entry(
        "nonce_missing",
        "ID token without nonce",
        "This sign-in could not be matched to your browser. Start again from Sign in with SSO.",
        "The ID token has no nonce claim, though the sign-in sent one; OpenID Connect Core §3.1.3.7 requires it back.",
        "Configure the IdP to return the request's nonce in the ID token (most do unless told otherwise).",
        "oidc",
    ),
    Entry(
        "response_issuer_mismatch",
        "Answer from another issuer",
        _UNVERIFIED,
        "The callback's iss parameter (RFC 9207) is not the connection's issuer, or is missing though the IdP's "
        "discovery document says it always sends one: the answer may come from another IdP (a mix-up), or the "
        "connection points at the wrong IdP.",
        "Check that the Discovery URL is the IdP people sign in at; ask the person to start again from Sign in "
        "with SSO.",
        "oidc",
    ),
    Entry(
        "userinfo_sub_mismatch",
        "UserInfo about someone else",
        _UNVERIFIED,
        "The ID token carried no usable email, so the IdP's UserInfo endpoint was asked; its sub is not the ID "
        "token's (OpenID Connect Core §5.3.2 forbids using such an answer). Both are in the details.",
        "Check the discovery document's userinfo_endpoint (a proxy answering for someone else?), or add the email "
        "claim to the ID token so that UserInfo is not needed.",
        "oidc",
    ),
    Entry(
        "userinfo_error",
        "UserInfo request failed",
        "Your identity provider could not complete the sign-in. Try again, or ask your admin.",
        "The ID token carried no usable email, so the IdP's UserInfo endpoint was asked, and that failed (quoted "
        "in the details): unreachable, an HTTP error, a signed (JWT) answer, or not JSON.",
        "Add the email claim to the ID token (Entra ID: the optional claim email under Token configuration), or "
        "fix the UserInfo endpoint; edit and save the connection to refresh its discovery document.",
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
        stale=True,
    ),
    Entry(
        "token_error",
        "The token endpoint refused the code",
        "Your identity provider could not complete the sign-in. Try again, or ask your admin.",
        "The IdP's token endpoint answered with an error (quoted in the details): invalid_client means a wrong "
        "or expired client secret (Entra: AADSTS7000215 invalid secret, AADSTS7000222 expired secret), "
        "invalid_grant a reused or expired code, or a redirect URI mismatch. The IdP's answer is kept in full, "
        "secrets masked.",
        "For invalid_client, create a new client secret (Certificates & secrets) and paste its Value into the "
        "connection; for a redirect URI error, register {redirect_uri} as a Web redirect URI.",
        "oidc",
    ),
    Entry(
        "invalid_client",
        "Invalid client ID or secret",
        "Your identity provider could not complete the sign-in. Try again, or ask your admin.",
        "The token endpoint refused the client. The details tell apart a wrong client secret (Entra: "
        "AADSTS7000215; often the Secret ID was pasted instead of its Value), an unknown Client ID (AADSTS700016) "
        "and a secret sent in a way the IdP does not take (AADSTS7000218), naming the method used and the ones "
        "the IdP allows. The IdP's answer is kept in full, secrets masked.",
        "Create a new client secret under Certificates & secrets, and paste its Value (not its Secret ID) into the "
        "connection's Client secret. If the secret is right, the IdP may not accept the way it is sent: set the "
        "connection's Client authentication to a method the IdP allows (the details name the one used).",
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
]
