"""Catalogue entries: The email and who may come in (domains, provisioning, accounts)."""

from signin.catalogue.entry import _UNVERIFIED, Entry

ENTRIES = [
    Entry(
        "no_email",
        "No usable email",
        "Your identity provider did not send your email address, so we cannot sign you in. Ask your admin.",
        "Neither the email claim (or, for Entra ID, preferred_username or upn), nor the email of the IdP's "
        "UserInfo response, nor a SAML email (NameID or Email attribute) held an email address.",
        "Entra ID: add the optional email claim under Token configuration (ID token), or give the user a mailbox. "
        "SAML: set the Name ID to user.mail in emailAddress format, or map an attribute to user.mail and name it "
        "in the connection's Email attribute.",
        "email",
    ),
    Entry(
        "entra_email_unproven",
        "No email with a verified domain (several Entra tenants)",
        "Your identity provider did not send an email address we can trust, so we cannot sign you in. Ask your admin.",
        "On a connection for several Entra ID tenants, each allowed tenant's admins set their users' email (Entra's "
        "mail attribute) freely, so the email claim is used only when the token says its domain is verified in that "
        "tenant (the optional claim xms_edov true). Otherwise the UPN (preferred_username, else upn) is used, whose "
        "domain Entra requires to be verified in the tenant; this token had neither as an email address.",
        "In the app registration, add the optional claims xms_edov and email to the ID token (Token configuration → "
        "Add optional claim), or make sure the person's UPN is their email address on a domain verified in their "
        "tenant.",
        "email",
    ),
    Entry(
        "email_not_verified",
        "Email not verified by the IdP",
        "Your identity provider says your email address is not verified, so we cannot sign you in. Ask your admin.",
        "The IdP sent the email with email_verified false. That address is not taken from another claim "
        "(preferred_username, upn, the UserInfo response) either: that would undo the IdP's own answer.",
        "Have the person verify their email address at the IdP (or give them a verified address there), then ask "
        "them to sign in again.",
        "email",
    ),
    Entry(
        "email_domain_not_verified",
        "Email domain not verified for this organization",
        "Your email address is not on a domain your organization has verified for single sign-on. Ask your admin.",
        "The IdP vouched for an email whose domain (or its most specific verified parent) is not one of this "
        "organization's verified domains (the details name both). Most often the IdP sends the sign-in name "
        "rather than the mailbox's address, such as Entra ID's user@<tenant>.onmicrosoft.com.",
        "Verify that domain on the Domains page, or make the IdP send the person's mailbox address.",
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
        "subject_format_changed",
        "The IdP changed how it identifies people",
        "Your identity provider now identifies you differently, so we cannot sign you in until your admin confirms "
        "it is you. Ask your admin.",
        "A member's email arrived with a subject of another kind than the one this connection knows them by (an "
        "email NameID, a persistent NameID, a transient NameID with an email attribute, an Entra object ID, an OIDC "
        "sub): the IdP's NameID format or Name identifier setting changed (in Entra ID: Single sign-on → Attributes "
        "& Claims → Unique User Identifier). Every member of the connection is refused the same way until it is "
        "fixed. A transient NameID changes at every sign-in by design: KloudSSO then knows people by their email "
        "attribute, so the connection should rather use an email or persistent NameID.",
        "Either revert the IdP's setting (its NameID format, or Entra's Unique User Identifier) so members arrive "
        "as before; or, if the change is meant to stay, re-link: from this failed sign-in's event for one member, "
        "or for every member of the connection at their next sign-in (Re-link everyone, on the same page).",
        "email",
    ),
    Entry(
        "email_reused",
        "Email reused by another IdP account",
        "This email address belongs to another account at your identity provider. Ask your admin.",
        "A different subject of the same kind already owns the account with this email on this connection: either "
        "the IdP gave the address to someone new, or it now issues different identifiers (an OIDC IdP's pairwise "
        "sub, a new app registration).",
        "A new person: remove the old member, or give the new person another address. The same person with a new "
        "identifier: re-link their identity from this failed sign-in's event, once you have checked at the IdP "
        "that it is them.",
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
        "deprovisioned",
        "Deprovisioned by directory sync",
        "Your access to this organization has been removed by your identity provider. Ask your admin.",
        "The organization's SCIM directory deactivated this person: the IdP set active to false (Entra ID: "
        "unassigned, soft-deleted or blocked; Okta: deactivated or unassigned) or deleted the user. Every session "
        "of theirs ended at that moment; password sign-in is refused too.",
        "If the person should have access, assign them to the app again in the IdP (or set them active); the next "
        "provisioning cycle reactivates them and they can sign in again.",
        "email",
    ),
    Entry(
        "bad_identity",
        "Unusable identity",
        _UNVERIFIED,
        "The subject or email sent by the IdP is too long to be stored (the details give both lengths and the "
        "limits): often an IdP sending a whole token or a list where one value belongs.",
        "Check the IdP's NameID or claims.",
        "email",
    ),
    Entry(
        "no_matching_group",
        "In no group mapped to a role",
        "Your identity provider does not put you in a group that may sign in to this organization. Ask your admin.",
        "The connection maps IdP groups to roles and refuses people in none of them (its Groups page). The IdP's "
        "answer held none of the mapped groups: the details list the groups it sent, in which claim or attribute, "
        "and the groups mapped. Often the IdP sends no groups at all (no group claim configured), or sends names "
        "where object IDs are mapped.",
        "Add the person to one of the mapped groups at the IdP; or map one of their groups on the connection's "
        "Groups page (an Entra ID group by its Object ID, as the groups claim carries it unless sAMAccountName is "
        "chosen); or let people in no mapped group sign in as members. If the IdP sent no groups, make it send "
        "them (Entra ID: Token configuration → Add groups claim; Okta: a Groups claim filter on the app; ADFS: "
        "Token-Groups as Group).",
        "email",
    ),
    Entry(
        "groups_overage",
        "Too many groups for the token (Entra ID group overage)",
        "Your identity provider sent too many groups to decide your role. Ask your admin.",
        "Entra ID puts at most 200 groups in a JWT and 150 in a SAML token; for a person in more it leaves them "
        "out and points to Microsoft Graph instead (_claim_names and _claim_sources naming groups, or hasgroups "
        "true; in SAML the groups.link attribute). KloudSSO does not call Graph, so with groups mapped to roles "
        "the person's role cannot be decided and the sign-in is refused rather than guessed.",
        "In Entra ID, send only the groups that matter: App registrations → your app → Token configuration → Edit "
        "groups claim → Groups assigned to the application (SAML: Enterprise applications → Single sign-on → "
        "Attributes & Claims → the group claim), then assign the mapped groups to the enterprise application "
        "(Users and groups). The token then carries those groups, under the limit.",
        "email",
    ),
]
