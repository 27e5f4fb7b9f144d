"""Where each identity provider puts a person's names and groups, per guide (IdP and protocol), as data.

Each tuple is tried in order and the first claim or attribute holding a value wins, so one preset serves the
IdP's defaults and the names its admins commonly choose. A connection's preset follows its IdP as guessed from
its URLs (connections/vendors.py); ADFS, which has no fixed host, by its entity ID's /adfs/services/trust (SAML) or
its issuer https://<host>/adfs (OIDC).
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from connections.vendors import GENERIC, oidc_vendor, saml_vendor

ADFS = "adfs"
ADFS_TRUST_PATH = "/adfs/services/trust"

# SAML attribute names shared by several IdPs (WS-Federation claim types, which Entra ID and ADFS both send).
WS_GIVEN_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
WS_SURNAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
WS_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
ENTRA_DISPLAY_NAME = "http://schemas.microsoft.com/identity/claims/displayname"
ENTRA_GROUPS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
ENTRA_GROUPS_LINK = "http://schemas.microsoft.com/claims/groups.link"  # SAML's group overage: a Graph URL instead
ADFS_GROUP = "http://schemas.xmlsoap.org/claims/Group"
ROLE_CLAIM = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
# LDAP names as OIDs (eduPerson / inetOrgPerson), as Shibboleth and SimpleSAMLphp send them with the URI NameFormat.
OID_GIVEN_NAME = "urn:oid:2.5.4.42"
OID_SURNAME = "urn:oid:2.5.4.4"
OID_DISPLAY_NAME = "urn:oid:2.16.840.1.113730.3.1.241"
OID_IS_MEMBER_OF = "urn:oid:1.3.6.1.4.1.5923.1.5.1.1"


@dataclass(frozen=True)
class Profile:
    first_name: tuple[str, ...]
    last_name: tuple[str, ...]
    display_name: tuple[str, ...]
    groups: tuple[str, ...]
    groups_hint: str  # where the owner makes the IdP send groups, in the IdP's words


OIDC_NAMES = {"first_name": ("given_name",), "last_name": ("family_name",), "display_name": ("name",)}
SAML_NAMES = {
    "first_name": ("givenName", "firstName", "given_name", WS_GIVEN_NAME, OID_GIVEN_NAME),
    "last_name": ("sn", "surname", "lastName", "family_name", WS_SURNAME, OID_SURNAME),
    "display_name": ("displayName", "name", ENTRA_DISPLAY_NAME, OID_DISPLAY_NAME),
}

PROFILES = {
    "entra-oidc": Profile(
        **OIDC_NAMES,
        groups=("groups", "roles"),
        groups_hint="App registrations → your app → Token configuration → Add groups claim (ID token: Group ID, "
        "or sAMAccountName for groups synced from Active Directory)",
    ),
    "entra-saml": Profile(
        first_name=(WS_GIVEN_NAME,),
        last_name=(WS_SURNAME,),
        display_name=(ENTRA_DISPLAY_NAME, WS_NAME),
        groups=(ENTRA_GROUPS, ROLE_CLAIM),
        groups_hint="Enterprise applications → your app → Single sign-on → Attributes & Claims → Add a group "
        "claim (Groups assigned to the application; Source attribute: Group ID)",
    ),
    "okta-oidc": Profile(
        **OIDC_NAMES,
        groups=("groups",),
        groups_hint="Applications → your app → Sign On → OpenID Connect ID Token → Groups claim type Filter, "
        "claim name groups (Matches regex .* or a prefix)",
    ),
    "okta-saml": Profile(
        first_name=("firstName", "givenName", "given_name"),
        last_name=("lastName", "surname", "family_name"),
        display_name=("displayName", "name"),
        groups=("groups", "memberOf"),
        groups_hint="Applications → your app → Sign On → Edit → Group Attribute Statements: name groups, filter "
        "Matches regex .*",
    ),
    "google-oidc": Profile(
        **OIDC_NAMES,
        groups=("groups",),
        groups_hint="Google's OpenID Connect sends no groups: use a SAML app for groups → roles",
    ),
    "google-saml": Profile(
        first_name=("firstName", "givenName"),
        last_name=("lastName", "surname"),
        display_name=("displayName", "name"),
        groups=("groups",),
        groups_hint="Admin console → Apps → Web and mobile apps → your app → SAML attribute mapping → Group "
        "membership: choose the groups, App attribute groups",
    ),
    "adfs-saml": Profile(
        first_name=(WS_GIVEN_NAME,),
        last_name=(WS_SURNAME,),
        display_name=(WS_NAME, "displayName"),
        groups=(ADFS_GROUP, ROLE_CLAIM),
        groups_hint="Relying Party Trusts → KloudSSO → Edit Claim Issuance Policy → Add Rule → Send LDAP Attributes "
        "as Claims: Token-Groups - Unqualified Names to Group",
    ),
    "adfs-oidc": Profile(
        **OIDC_NAMES,
        # AD FS names the Group and Role claim types group and role in its JWTs.
        groups=("group", "groups", "role"),
        groups_hint="Application group → Web API → Issuance Transform Rules → Add Rule → Send LDAP Attributes as "
        "Claims: Token-Groups - Unqualified Names to Group (the ID token's group claim)",
    ),
    "generic-oidc": Profile(
        **OIDC_NAMES,
        groups=("groups", "roles"),
        groups_hint="the provider's setting for a groups claim in the ID token",
    ),
    "generic-saml": Profile(
        **SAML_NAMES,
        groups=("groups", "memberOf", "Group", "isMemberOf", ENTRA_GROUPS, ADFS_GROUP, OID_IS_MEMBER_OF, ROLE_CLAIM),
        groups_hint="the IdP's attribute statement for group membership (commonly groups or memberOf)",
    ),
}


def preset_slug(connection) -> str:
    """The guide whose profile applies: "<vendor>-<kind>", ADFS told by its entity ID, else the generic one."""
    if connection.kind == "saml":
        vendor = saml_vendor(connection.saml)
        if vendor == GENERIC and ADFS_TRUST_PATH in connection.saml.idp_entity_id.lower():
            vendor = ADFS
    else:
        vendor = oidc_vendor(connection.oidc)
        if vendor == GENERIC and is_adfs_issuer(connection.oidc.issuer):
            vendor = ADFS
    slug = f"{vendor}-{connection.kind}"
    return slug if slug in PROFILES else f"{GENERIC}-{connection.kind}"


def is_adfs_issuer(issuer: str) -> bool:
    """AD FS runs on the organization's own host; its OIDC issuer is always https://<host>/adfs."""
    return urlsplit(issuer or "").path.rstrip("/").lower() == "/adfs"


def profile_for(connection) -> Profile:
    return PROFILES[preset_slug(connection)]
