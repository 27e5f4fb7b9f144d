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
        "Set the Discovery URL to that of the IdP people sign in at ({idp_discovery_url}). With Entra ID, use the "
        "tenant-specific URL (or the /organizations/ one with a list of allowed tenants), and for a v1.0 issuer set "
        "accessTokenAcceptedVersion to 2 in the app registration's manifest.",
        "oidc",
    ),
    Entry(
        "aud_mismatch",
        "ID token for another application",
        _UNVERIFIED,
        "The ID token's aud does not hold the connection's Client ID (both in the details): another app "
        "registration's Client ID, or the Directory (tenant) ID pasted as the Client ID.",
        "Copy the client's ID from the IdP into Client ID ({idp_client_id}).",
        "oidc",
    ),
    Entry(
        "azp_mismatch",
        "ID token issued to another party",
        _UNVERIFIED,
        "The ID token has several audiences and its azp is not the connection's Client ID.",
        "Check the Client ID ({idp_client_id}); the token was requested by another application.",
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
        "Check that the Discovery URL is the IdP that issues these tokens ({idp_discovery_url}); if the IdP rotated "
        "its keys, try again (keys are fetched again when an unknown key appears).",
        "oidc",
    ),
    Entry(
        "unknown_key",
        "ID token signed with an unknown key",
        _UNVERIFIED,
        "No key in the IdP's JWKS has the ID token's kid, even after fetching the keys again (a kid still unknown "
        "after a fresh fetch is not fetched for again within a minute).",
        "Check the Discovery URL ({idp_discovery_url}; another tenant's keys?) and that the IdP publishes its "
        "signing key.",
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
        "The ID token is unsigned (alg none) or its header names an algorithm KloudSSO never verifies with (the "
        "details quote it). Only RS, PS and ES signatures with the IdP's published keys are accepted, or the one "
        "HS algorithm the connection is set to.",
        "Set the IdP to sign ID tokens with RS256 ({idp_id_token_alg}). An unsigned ID token is never accepted.",
        "oidc",
    ),
    Entry(
        "hs_alg_not_chosen",
        "ID token signed with the client secret",
        _UNVERIFIED,
        "The ID token is signed with HS256, HS384 or HS512 (an HMAC with the client secret; the details say "
        "which), but the connection's ID token signing is the IdP's public keys. Some IdPs (LemonLDAP::NG among "
        "them) sign this way by default. It is not checked: on a connection set to public keys, an HS token could "
        "be forged by anyone who has the IdP's public key.",
        "Set the IdP to sign ID tokens with RS256 ({idp_id_token_alg}). Or, to keep the HMAC, choose the same "
        "algorithm under the connection's ID token signing: the client secret must then be at least 32 bytes long "
        "for HS256, 48 for HS384, 64 for HS512.",
        "oidc",
    ),
    Entry(
        "id_token_alg_mismatch",
        "ID token signed with another algorithm",
        _UNVERIFIED,
        "The connection's ID token signing is an HS algorithm (checked with the client secret), and the ID token "
        "is signed with another one: a public-key algorithm, or another HS hash (both are in the details). Only "
        "the algorithm chosen is accepted.",
        "Choose under the connection's ID token signing what the IdP signs with (the details name it: RS, PS or "
        "ES means The IdP's public keys), or set the IdP to the algorithm chosen ({idp_id_token_alg}).",
        "oidc",
    ),
    Entry(
        "secret_signature_mismatch",
        "ID token signature does not match the client secret",
        _UNVERIFIED,
        "The connection checks ID tokens with the client secret (HS256, HS384 or HS512), and the token's "
        "signature does not match it: the connection holds an old secret or another client's, or the token was "
        "not made by this client's IdP.",
        "Paste the client's current secret into the connection's Client secret ({idp_client_secret}): the IdP "
        "signs ID tokens with it.",
        "oidc",
    ),
    Entry(
        "secret_too_short",
        "Client secret too short for HS signatures",
        _UNVERIFIED,
        "The connection checks ID tokens with the client secret, and the secret is shorter than RFC 7518 §3.2 "
        "allows for the algorithm (32 bytes for HS256, 48 for HS384, 64 for HS512): a short HMAC key can be "
        "guessed, so it is not used.",
        "Create a longer client secret at the IdP ({idp_client_secret}) and paste it into the connection, or set "
        "the IdP to RS256 ({idp_id_token_alg}) and choose The IdP's public keys under ID token signing.",
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
        "claim to the ID token so that UserInfo is not needed ({idp_email_claim}).",
        "oidc",
    ),
    Entry(
        "userinfo_error",
        "UserInfo request failed",
        "Your identity provider could not complete the sign-in. Try again, or ask your admin.",
        "The ID token carried no usable email, so the IdP's UserInfo endpoint was asked, and that failed (quoted "
        "in the details): unreachable, an HTTP error, a signed (JWT) answer, or not JSON.",
        "Add the email claim to the ID token ({idp_email_claim}), or fix the UserInfo endpoint; edit and save the "
        "connection to refresh its discovery document.",
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
        "For invalid_client, create a new client secret ({idp_client_secret}) and paste it into the connection; "
        "for a redirect URI error, register {redirect_uri} as a redirect URI ({idp_redirect_uri}).",
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
        "Create a new client secret ({idp_client_secret}) and paste it into the connection's Client secret (for "
        "Entra ID its Value, not its Secret ID). If the secret is right, the IdP may not accept the way it is "
        "sent: set the connection's Client authentication to a method the IdP allows (the details name the one "
        "used).",
        "oidc",
    ),
    Entry(
        "client_secret_expired",
        "Client secret expired",
        "Your identity provider could not complete the sign-in. Try again, or ask your admin.",
        "The client secret has expired (Entra: AADSTS7000222). The IdP's answer is quoted.",
        "Create a new client secret ({idp_client_secret}), paste it into the connection, and note its expiry date.",
        "oidc",
    ),
    Entry(
        "redirect_uri_mismatch",
        "Redirect URI not registered",
        "Your identity provider could not complete the sign-in. Ask your admin.",
        "The IdP does not accept this site's redirect URI (Entra: AADSTS50011). The IdP's answer is quoted.",
        "Register {redirect_uri} as a redirect URI at the IdP ({idp_redirect_uri}).",
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
        "As the quoted error says: register {redirect_uri} as the redirect URI ({idp_redirect_uri}), assign the "
        "person to the application ({idp_assign}), or fix the Client ID ({idp_client_id}).",
        "oidc",
    ),
]
