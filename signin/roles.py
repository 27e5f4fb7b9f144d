"""Groups → roles at every sign-in: the role the connection's mapping gives the person, or a refusal.

Owners are never granted or removed by the IdP: an owner's role and sign-in do not depend on groups at all (an
IdP group change must not lock an organization's owners out). The highest mapped role among the person's groups
wins; a person in no mapped group is a member (an admin who left their group is demoted) or refused, as the owners
chose. Entra ID's group overage leaves the groups claim unknown, so a mapping read from it refuses rather than guess
(app roles, Microsoft's remedy for overage, and other claims are read as they are).
"""

from dataclasses import dataclass

from connections.guides.profiles import ENTRA_GROUPS
from connections.oidc.entra import is_guid
from connections.role_mapping import RoleMapping, Unmatched, highest, rules_matched
from kloudsso.tenancy.models import Role
from signin.errors import SignInError
from signin.person import Groups

MAX_MAPPED_SHOWN = 20
# The claims Entra's group overage empties: an overage says nothing of app roles (`roles`) or another claim.
OVERAGE_CLAIMS = ("groups", ENTRA_GROUPS)
IDS_ONLY = (
    "On a connection for several Entra ID tenants only group object IDs from the groups claim are matched: a group "
    "name or an app role can be given by any allowed tenant's admins"
)


@dataclass(frozen=True)
class RoleDecision:
    role: str | None  # the role the mapping gives; None: the role stays as it is
    words: str  # what Test connection says of the decision


def decide(
    mapping: RoleMapping | None, groups: Groups, current_role: str, *, org_name: str, group_ids_only: bool = False
) -> RoleDecision:
    """group_ids_only (Entra /organizations/): only rules naming a group object ID match, and only in `groups`."""
    if mapping is None or not mapping.active:
        return RoleDecision(None, "No group is mapped to a role on this connection: roles are set on the Members page.")
    if current_role == Role.OWNER:
        return RoleDecision(None, "An owner: never granted or removed by the IdP's groups, which are not consulted.")
    rules = mapping.rules()
    mapped = _mapped(rules)
    if group_ids_only:
        ignored = [rule for rule in rules if not is_guid(rule.group)]
        rules = [rule for rule in rules if is_guid(rule.group)] if groups.claim == "groups" else []
        mapped = _mapped(mapping.rules()) + f" ({IDS_ONLY}; not matched here: {_ignored(ignored, groups)})"
    if groups.overage and _reads_overage_claim(groups):
        raise SignInError(
            "groups_overage",
            detail=f"Entra ID's group overage: {groups.overage}. The groups mapped to roles ({mapped}) cannot be "
            "read from it, so the role cannot be decided.",
        )
    matched = rules_matched(rules, groups.values)
    if matched:
        rule, value = highest(matched)
        also = len({r.group for r, _ in matched}) - 1
        more = f" (the highest of {also + 1} mapped groups they are in)" if also else ""
        note = f" {IDS_ONLY}." if group_ids_only else ""
        return RoleDecision(rule.role, f"{groups.claim} holds {value}, mapped to {rule.role}{more}.{note}")
    held = f"{groups.claim} holds {groups.shown()}" if groups.found else f"The answer has no {groups.claim}"
    if mapping.unmatched == Unmatched.MEMBER:
        return RoleDecision(
            Role.MEMBER, f"{held}: none of the mapped groups ({mapped}); people in none of them are members."
        )
    raise SignInError(
        "no_matching_group",
        f"Your identity provider does not put you in a group that may sign in to {org_name}. Ask your admin.",
        f"{held}; the groups mapped to a role are {mapped}, and people in none of them are refused.",
    )


def _reads_overage_claim(groups: Groups) -> bool:
    if groups.found:
        return groups.claim in OVERAGE_CLAIMS
    return any(name in OVERAGE_CLAIMS for name in groups.candidates)


def _ignored(ignored, groups: Groups) -> str:
    if groups.claim != "groups":
        return f"every rule, since groups were read from {groups.claim}"
    return ", ".join(rule.group for rule in ignored[:MAX_MAPPED_SHOWN]) or "none"


def _mapped(rules) -> str:
    shown = ", ".join(f"{rule.group} → {rule.role}" for rule in rules[:MAX_MAPPED_SHOWN])
    return shown + (f" and {len(rules) - MAX_MAPPED_SHOWN} more" if len(rules) > MAX_MAPPED_SHOWN else "")
