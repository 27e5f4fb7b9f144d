"""Whether "Enforce SSO" forbids a person's password: the one rule for every password form."""

from domains.selectors import verified_domains_covering
from kloudsso.tenancy.models import Membership, Role


def password_refusal(user) -> str | None:
    """A message when an organization enforcing SSO has verified a domain covering the user's email, else None.

    Every covering domain counts, not only the most specific one: another organization verifying eu.acme.com
    must not free Acme's people at eu.acme.com from Acme's rule. Owners keep their password (break-glass).
    """
    enforcing = [
        d for d in verified_domains_covering(user.email) if d.organization.enforce_sso and d.organization.has_sso
    ]
    if not enforcing:
        return None
    owner_of = set(
        Membership.objects.filter(
            user=user, role=Role.OWNER, organization__in=[d.organization_id for d in enforcing]
        ).values_list("organization_id", flat=True)
    )
    for domain in enforcing:
        if domain.organization_id not in owner_of:
            return (
                f"{domain.organization.name} requires single sign-on for {domain.name} addresses. Use “Sign in "
                "with SSO” instead of your password."
            )
    return None
