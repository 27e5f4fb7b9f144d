"""Whether an assertion is meant for this organization: the AudienceRestrictions of its Conditions.

The ACS URL is shared by every organization and any of them can claim any IdP entity ID, so the audience (each
organization's own SP entity ID) is what tells tenants apart. The Web SSO profile (SAML profiles 4.1.4.2) requires an
AudienceRestriction naming us; SAML core 2.5.1.4 makes several of them an AND, the Audiences within one an OR.
pysaml2's for_me() accepts an assertion with no AudienceRestriction at all, or with one of several naming us.
"""

from signin.errors import SignInError
from signin.saml.mistakes import audience_cause
from signin.saml.quoting import quote, quote_all


def audience_refusal(restrictions, entity_id: str, *, label: str = "") -> SignInError | None:
    """Why an assertion with these AudienceRestrictions (each a list of its Audiences) is not for `entity_id`, or
    None. `label` follows each value quoted: NOT_VERIFIED when no signature was checked yet."""
    said = f" {label}" if label else ""
    fix = f"set the IdP's Identifier (Entity ID) to {entity_id}"
    if not restrictions:
        return SignInError(
            "audience_mismatch",
            detail=f"The assertion has no AudienceRestriction{said}; it must have one naming us: {fix}.",
        )
    for audiences in restrictions:
        if entity_id not in audiences:
            several = f" (one of {len(restrictions)}, and each must name us)" if len(restrictions) > 1 else ""
            return SignInError(
                "audience_mismatch",
                detail=f"Audience {quote_all(audiences)}{said}{several}, not our SP Entity ID {quote(entity_id)}. "
                f"{audience_cause(audiences, entity_id)} Fix: {fix}.",
            )
    return None
