"""Catalogue entries: SAML sign-ins."""

from signin.catalogue.entry import _UNVERIFIED, Entry

ENTRIES = [
    Entry(
        "saml_bad_signature",
        "SAML signature invalid or by an unknown certificate",
        _UNVERIFIED,
        "No signature of the response verifies with one of the connection's signing certificates. The details "
        "tell the cases apart, with the certificate the response carries (subject, SHA-256 fingerprint, dates) "
        "next to each one on file: the IdP's next key after a rollover (newer, same subject), another "
        "application's or tenant's certificate, or a certificate on file whose signature does not match because "
        "the response was changed after signing (a proxy rewriting it).",
        "For the IdP's next key, add it as the next certificate (edit the connection with fresh metadata; Entra "
        "ID: Federation Metadata XML). For a changed response, remove whatever rewrites the POST between the IdP "
        "and {acs_url}. Otherwise check that the connection belongs to the IdP application that answered.",
        "saml",
    ),
    Entry(
        "saml_unsigned",
        "SAML response not signed at all",
        _UNVERIFIED,
        "Neither the Response nor its Assertion carries a signature: the IdP is set not to sign (or a proxy strips "
        "the signatures). No certificate is involved; KloudSSO requires at least a signed assertion.",
        "Make the IdP sign (Entra ID: Single sign-on → SAML Certificates → Edit → Signing Option: Sign SAML "
        "response and assertion).",
        "saml",
    ),
    Entry(
        "audience_mismatch",
        "Audience mismatch",
        _UNVERIFIED,
        "The assertion is not addressed to this organization: it has no AudienceRestriction, or one that does not "
        "name this organization's SP Entity ID (each must, when there are several). The details name what arrived "
        "and its likely cause: an SP Entity ID from an older PUBLIC_BASE_URL, another organization's SP Entity "
        "ID on this site, or Entra ID's default Identifier (the App ID URI api://…, or the application's ID).",
        "Set the IdP's Identifier (Entity ID) to {sp_entity_id}.",
        "saml",
    ),
    Entry(
        "destination_mismatch",
        "Destination mismatch",
        _UNVERIFIED,
        "The response's Destination is not the ACS URL (the details show both, and the likely cause: an older "
        "PUBLIC_BASE_URL, http instead of https, a trailing slash, or another application's Reply URL), or a "
        "signed response names none.",
        "Set the IdP's Reply URL (ACS) to {acs_url}.",
        "saml",
    ),
    Entry(
        "recipient_mismatch",
        "Recipient mismatch",
        _UNVERIFIED,
        "The assertion's SubjectConfirmationData Recipient is not the ACS URL (the details show both, and the "
        "likely cause: an older PUBLIC_BASE_URL, http instead of https, a trailing slash, or another "
        "application's Reply URL).",
        "Set the IdP's Reply URL (ACS) to {acs_url}.",
        "saml",
    ),
    Entry(
        "unknown_issuer",
        "Unknown Issuer",
        _UNVERIFIED,
        "The response's Issuer is not the connection's IdP Entity ID (both are in the details, with the likely "
        "cause: another Entra ID tenant, http versus https or a trailing slash, or another IdP answering).",
        "Edit the connection with the metadata of the IdP that answers (Entra ID: the Microsoft Entra Identifier "
        "of your own tenant's enterprise application).",
        "saml",
    ),
    Entry(
        "response_expired",
        "SAML response expired",
        _UNVERIFIED,
        "NotOnOrAfter is in the past, beyond two minutes of clock skew. The details give the difference in "
        "seconds, this server's clock and the IdP's IssueInstant: when the IdP issued it just now, one of the two "
        "clocks is wrong; when IssueInstant is old too, the answer is old (posted again, or held up).",
        "If the clocks differ, set this server's (NTP) or the IdP's clock right; else ask the person to start again.",
        "saml",
    ),
    Entry(
        "response_not_yet_valid",
        "SAML response not valid yet",
        _UNVERIFIED,
        "NotBefore is in the future, beyond two minutes of clock skew: the IdP's clock is ahead of this server's "
        "(the details give the difference in seconds, both clocks and the IdP's IssueInstant).",
        "Set this server's clock right (NTP) or the IdP's; the difference must stay under two minutes.",
        "saml",
    ),
    Entry(
        "replayed_assertion",
        "Replayed assertion",
        _UNVERIFIED,
        "This assertion ID was already used: a browser's back button, a double submit, or a replay.",
        "Ask the person to start again from Sign in with SSO.",
        "saml",
        stale=True,
    ),
    Entry(
        "unsolicited_response",
        "Unsolicited (IdP-initiated) response",
        "Sign-ins must start here, from Sign in with SSO, not from your identity provider's portal.",
        "A response that answers no request at all: IdP-initiated, from the IdP's portal (Entra ID's My Apps, "
        "Okta's dashboard) or a link to its SSO URL. The connection's switch \"Allow IdP-initiated sign-in\" is "
        "off, as it is unless an owner turns it on. Such a refusal is recorded here only when the response was "
        "signed with one of the connection's certificates; the details name the IdP and who it signed in. An "
        "encrypted assertion that answers no request is refused so whatever the switch says: which organization's "
        "key decrypts it is only known once the organization is, so it cannot be routed (the details say so).",
        "If people should be able to start from the IdP's portal, an owner turns on the switch: Connections → "
        "edit the connection → IdP-initiated sign-in → allow IdP-initiated sign-in, and saves; the IdP must then "
        "send the assertion in the clear, since an encrypted assertion must start here. Otherwise ask people to "
        "start from Sign in with SSO.",
        "saml",
        stale=True,  # the back button to the IdP's page, or its portal's tile, while signed in
    ),
    Entry(
        "saml_idp_initiated_ambiguous",
        "IdP-initiated response for several connections",
        "Sign-ins must start here, from Sign in with SSO, not from your identity provider's portal.",
        "A response that answers no request (IdP-initiated) names an IdP and this organization's SP Entity ID, "
        "and more than one of the organization's connections of that IdP has the switch \"Allow IdP-initiated "
        'sign-in" on (the details name them): nothing tells which one the person belongs to.',
        "Leave the switch on for one connection of this IdP only: Connections → edit each other connection → "
        "IdP-initiated sign-in → clear allow IdP-initiated sign-in, and save.",
        "saml",
    ),
    Entry(
        "saml_request_unknown",
        "Response to a request this browser no longer holds",
        "This sign-in could not be matched to your browser. Start again from Sign in with SSO.",
        "The response answers a request KloudSSO sent, but this browser does not hold it (the details say which "
        "case): it started more than ten sign-ins since and keeps only the latest ten, or the request came from "
        "another browser or private window, the browser signed out or dropped our cookie (blocked cookies), or "
        "someone forwarded a sign-in link (login CSRF).",
        "Ask the person to allow cookies for this site and start again in one browser window. Allowing "
        "IdP-initiated sign-in would not help: the response answers a request.",
        "saml",
        stale=True,
    ),
    Entry(
        "saml_request_never_sent",
        "Response to a request KloudSSO never sent",
        "This sign-in answer is not for a sign-in we started. Start again from Sign in with SSO.",
        "The response's InResponseTo names no AuthnRequest KloudSSO sent in the last hour (of an address that "
        "started over a hundred sign-ins in ten minutes, the rest are not noted): the IdP replayed an old answer "
        "(a bookmarked IdP page, a back button), another service provider's response was sent here, or it is "
        "forged.",
        "Check that the IdP application's Reply URL (ACS) {acs_url} belongs to this connection alone; ask the "
        "person to start again from Sign in with SSO rather than from a bookmark of the IdP's page.",
        "saml",
        stale=True,
    ),
    Entry(
        "saml_in_response_to_mismatch",
        "InResponseTo differs inside the response",
        _UNVERIFIED,
        "The Response's InResponseTo and its assertion's (SubjectConfirmationData) do not name the same request, "
        "or one of them is missing: a broken IdP or a response spliced together from two.",
        "Check the IdP's SAML configuration; if it is a product, report the response to its vendor.",
        "saml",
    ),
    Entry(
        "saml_weak_algorithm",
        "SAML signature algorithm too weak (SHA-1)",
        "Your identity provider's answer uses an algorithm too weak to be trusted. Ask your admin.",
        "A signature or digest of the response declares SHA-1 (or MD5); the algorithm, as the response states "
        "it, is in the details. KloudSSO accepts RSA or ECDSA with SHA-256, SHA-384 or SHA-512.",
        "Switch the IdP's signing algorithm to SHA-256 (Entra ID: Single sign-on → SAML Certificates → Edit → "
        "Signing algorithm: SHA-256).",
        "saml",
    ),
    Entry(
        "saml_unsupported_algorithm",
        "SAML algorithm not accepted",
        "Your identity provider's answer uses a signature algorithm we do not accept. Ask your admin.",
        "A signature or digest of the response declares an algorithm outside KloudSSO's list (RSA-PSS, a typo, "
        "anything but RSA or ECDSA with SHA-256, SHA-384 or SHA-512); it is in the details, as the response "
        "states it. Nothing was verified: text that names no algorithm did not come from your IdP.",
        "Set the IdP's signing algorithm to RSA-SHA256 (Entra ID: Single sign-on → SAML Certificates → Edit → "
        "Signing algorithm: SHA-256).",
        "saml",
    ),
    Entry(
        "saml_assertion_unsigned",
        "SAML assertion not signed",
        _UNVERIFIED,
        "The Response is signed but the Assertion in it is not. KloudSSO requires the assertion itself to be "
        "signed, as its SP metadata says (WantAssertionsSigned).",
        "Make the IdP sign the assertion (Entra ID: SAML Certificates → Edit → Signing Option: Sign SAML "
        "assertion, or Sign SAML response and assertion).",
        "saml",
    ),
    Entry(
        "saml_entra_tenant_mismatch",
        "Assertion from another Entra ID tenant",
        _UNVERIFIED,
        "The assertion's tenantid attribute is not the tenant named by the connection's IdP Entity ID "
        "(https://sts.windows.net/<tenant>/); both are in the details.",
        "Edit the connection with the Federation Metadata XML of your own tenant's enterprise application.",
        "saml",
    ),
    Entry(
        "saml_no_name_id",
        "No NameID in the assertion",
        "Your identity provider did not say who you are, so we cannot sign you in. Ask your admin.",
        "The assertion's Subject has no NameID, or an empty one (some IdPs send an empty persistent NameID when "
        "they were not allowed to create one).",
        "Configure the IdP to send a NameID (Entra ID: Attributes & Claims → Unique User Identifier (Name ID), "
        "e.g. user.userprincipalname or user.mail), or set the connection's NameID format to one the IdP can "
        "fill.",
        "saml",
    ),
    Entry(
        "saml_encryption_required",
        "Assertion not encrypted, but the connection requires it",
        _UNVERIFIED,
        "The connection's Require encrypted assertions is on, and the response's assertion arrived in the clear "
        "(an encrypted NameID or attribute alone does not count): the IdP's token encryption is off, or it was "
        "turned off for this application.",
        "Turn on assertion encryption in the IdP with the encryption certificate of our SP metadata (the "
        'KeyDescriptor marked use="encryption"; Entra ID: the enterprise application\'s Token encryption, '
        "upload it and activate it; SimpleSAMLphp: assertion.encryption), or turn Require encrypted assertions "
        "off on the connection.",
        "saml",
    ),
    Entry(
        "saml_encrypted_for_another_key",
        "Assertion encrypted for another key",
        _UNVERIFIED,
        "The response is encrypted, but not to an encryption certificate of this organization: the key inside "
        "opens with neither the current SP encryption key nor, during a key rotation, the next one. The details "
        "give our certificates' SHA-256 fingerprints, and the one the response names when it names one. Likely: "
        "the IdP still encrypts to our old certificate after a key rotation was made current, it was given our "
        "signing certificate instead of the encryption one, or another organization's (or another SP's) "
        "certificate.",
        'Give the IdP the encryption certificate from our SP metadata (use="encryption"; the SP keys page '
        "lets you download it) and make it the one it encrypts to (Entra ID: Token encryption, make the new "
        "certificate active).",
        "saml",
    ),
    Entry(
        "saml_encryption_weak",
        "Assertion encrypted with a weak algorithm",
        _UNVERIFIED,
        "The response is encrypted with an algorithm refused as weak: RSA PKCS#1 v1.5 key transport (rsa-1_5, "
        "open to Bleichenbacher's padding-oracle attack), Triple DES, or MD5. The details name the algorithm. "
        "KloudSSO refuses it before decrypting anything.",
        "Set the IdP to encrypt with AES-256-GCM (or AES-CBC) and to wrap the key with RSA-OAEP, as our SP "
        "metadata lists under its encryption KeyDescriptor (SimpleSAMLphp: sharedkey_algorithm aes256-gcm; ADFS "
        "and Shibboleth read the list from our SP metadata).",
        "saml",
    ),
    Entry(
        "saml_encryption_unsupported",
        "Assertion encrypted with an algorithm KloudSSO does not accept",
        _UNVERIFIED,
        "The response is encrypted with an algorithm outside the list KloudSSO accepts (AES-GCM or AES-CBC, the "
        "key wrapped with RSA-OAEP), for example an AES key wrap or a symmetric key the IdP shares, or no "
        "EncryptionMethod at all. The details name it.",
        "Set the IdP to encrypt with AES-256-GCM (or AES-CBC) and RSA-OAEP key transport, as listed in "
        "our SP metadata.",
        "saml",
    ),
    Entry(
        "saml_decryption_failed",
        "Encrypted assertion could not be decrypted",
        _UNVERIFIED,
        "The key inside the response opened with our encryption key, but the data it encrypts did not decrypt to "
        "XML, or an encrypted element is malformed (no EncryptedData, no EncryptedKey, too many encrypted "
        "elements). Something changed the response after the IdP encrypted it, or the IdP uses a key length that "
        "does not match its algorithm. One code covers every such failure on purpose: telling a padding error "
        "apart from a parse error is what an attack on AES-CBC needs. For the same reason, a response encrypted with "
        "AES-CBC that is refused for any reason before the IdP's signature is verified shows the person this code; "
        "its event here names the real one.",
        "Remove whatever rewrites the POST between the IdP and {acs_url}; if it persists, switch the IdP to "
        "AES-256-GCM.",
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
        "The response breaks a rule of SAML or of its Web SSO profile, e.g. no bearer SubjectConfirmation, "
        "a Version other than 2.0, a session the IdP already ended, XML the SAML schema does not allow, or an "
        "IssueInstant more than a day away (details quoted).",
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
        stale=True,
    ),
]
