"""Who a verified ID token (and, when asked, the UserInfo response) is about: the identity key and the email.

Whether a connection is Entra ID is decided at save time from its validated issuer (OIDCSettings.entra_tenant_id),
never by a claim: a tid claim from another IdP is nobody's promise.
"""

import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

ENTRA_EMAIL_CLAIMS = ("email", "preferred_username", "upn")
UPN_CLAIMS = ("preferred_username", "upn")
# Entra's optional claim: true when the email claim's domain is verified in the token's tenant.
EMAIL_DOMAIN_VERIFIED = "xms_edov"
USERINFO = "the UserInfo response"


@dataclass(frozen=True)
class Email:
    address: str | None
    source: str  # the claim it came from, or what was looked for and received
    unverified: str = ""  # an address the IdP said is not verified: it comes in by no route


def identity_subject(claims: dict, *, entra_tenant_id: str) -> str:
    """Entra ID: the connection's tenant + oid, stable across apps (tid was checked against that tenant);
    any other IdP: iss + sub."""
    oid = claims.get("oid")
    if entra_tenant_id and isinstance(oid, str) and oid:
        return f"entra:{entra_tenant_id}:{oid}"
    return f"{claims['iss']}|{claims['sub']}"


def former_subject(claims: dict, *, entra_tenant_id: str) -> str:
    """The key a connection that is not Entra ID gave this person before issue 8 (entra:<tid>:<oid>, from claims it
    did not check), so that identity can move to iss + sub at the next sign-in; "" when there is none to look for."""
    tid, oid = claims.get("tid"), claims.get("oid")
    if entra_tenant_id or not (isinstance(tid, str) and tid and isinstance(oid, str) and oid):
        return ""
    return f"entra:{tid}:{oid}"


def email_from_claims(claims: dict, *, entra: bool) -> Email:
    """email (unless the IdP says it is not verified), else, for an Entra connection only, preferred_username, else
    upn; each only when it is an email address.

    preferred_username is neither unique nor stable in general OIDC; Entra fills it with the user's UPN, which its
    tenant controls, so the fallback is limited to Entra connections. An address marked unverified is not taken from
    the fallbacks either: that would undo the IdP's own answer.
    """
    return _pick(claims, ENTRA_EMAIL_CLAIMS if entra else ENTRA_EMAIL_CLAIMS[:1], where="", refused="")


def email_from_multi_tenant(claims: dict) -> Email:
    """/organizations/: every allowed tenant's admins set its users' mail, so the email claim (Entra's mail) counts
    only with xms_edov true (its domain is verified in that tenant); else preferred_username, else upn, whose
    domain Entra requires to be verified in the tenant. Address None: neither is usable (entra_email_unproven)."""
    edov = claims.get(EMAIL_DOMAIN_VERIFIED)
    said = (
        f"{EMAIL_DOMAIN_VERIFIED} {json.dumps(edov)[:20]}"
        if EMAIL_DOMAIN_VERIFIED in claims
        else (f"no {EMAIL_DOMAIN_VERIFIED} claim")
    )
    if edov is True or (isinstance(edov, str) and edov.strip().lower() in ("true", "1")):
        found = _pick(claims, ("email",), where="", refused="")
        if found.address is not None:
            return Email(found.address, f"{found.source} ({said}: its domain is verified in the token's tenant)")
        if found.unverified:
            return found
    found = _pick(claims, UPN_CLAIMS, where="", refused="")
    if found.address is not None:
        return Email(
            found.address,
            f"{found.source} (a UPN, whose domain Entra verifies in the tenant; the email claim is not used on a "
            f"connection for several tenants without {EMAIL_DOMAIN_VERIFIED} true, and this token has {said})",
        )
    return Email(
        None, f"email needs {EMAIL_DOMAIN_VERIFIED} true and this token has {said}; {found.source}", found.unverified
    )


def email_from_userinfo(info: dict, *, id_token_email: Email, id_token_claims: dict) -> Email:
    """The UserInfo response's email, under the same rules; an address the ID token marked unverified stays out.

    An ID token that says email_verified false without naming the address speaks of the person's email all the
    same: UserInfo's address then counts only when UserInfo itself says it is verified.
    """
    strict = "email_verified" in id_token_claims and not _verified(id_token_claims["email_verified"])
    found = _pick(info, ("email",), where=USERINFO, refused=id_token_email.unverified, absent_is_verified=not strict)
    if found.address is not None:
        return found
    return Email(None, f"{id_token_email.source}; then {found.source}", found.unverified)


def _pick(claims: dict, names: tuple[str, ...], *, where: str, refused: str, absent_is_verified=True) -> Email:
    unverified = ""
    said = claims.get("email_verified", None if absent_is_verified else False)
    if not _verified(said):
        unverified = _address(claims.get("email")) or ""
    out = {address.lower() for address in (refused, unverified) if address}
    for name in names:
        value = _address(claims.get(name))
        if value is not None and value.lower() not in out:
            return Email(value, f"the {name} claim" + (f" of {where}" if where else ""))
    looked = (
        f"looked for: {', '.join(names)}"
        + (f" in {where}" if where else "")
        + f"; received claims: {', '.join(sorted(map(str, claims))) or 'none'}"
    )
    if unverified:
        shown = (
            json.dumps(claims["email_verified"])[:20]
            if "email_verified" in claims
            else "absent while the ID token says false"
        )
        claim = "the email claim" + (f" of {where}" if where else "")
        looked = f"{claim} holds {unverified} with email_verified {shown}, and is not used by any route; {looked}"
    return Email(None, looked, unverified or refused)


def _verified(value) -> bool:
    """Absent (Entra sends none) or true; false, "false" or anything else is the IdP saying it is not verified."""
    return value is None or value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _address(value) -> str | None:
    # Entra marks guests and Microsoft accounts with '#' (live.com#…, …#EXT#@…): those are not mailboxes.
    if not isinstance(value, str) or "#" in value:
        return None
    try:
        validate_email(value)
    except ValidationError:
        return None
    return value
