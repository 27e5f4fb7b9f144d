"""Groups → roles: which IdP groups make a person an admin or a member of the connection's organization.

One row per connection, read with the connection itself at sign-in (a LEFT JOIN in signin/oidc/state.py and
signin/saml/route.py): the rules are a short list kept in the row rather than rows of their own, so a sign-in sends
no statement more for them. Only `rules()` reads the list.
"""

from dataclasses import dataclass

from django.db import models

from connections.connection import Connection
from kloudsso.tenancy.models import Role

MAX_RULES = 100
MAX_GROUP_LENGTH = 256
MAPPABLE_ROLES = (Role.ADMIN, Role.MEMBER)  # owners are never granted or removed by the IdP
RANK = {Role.MEMBER: 1, Role.ADMIN: 2}


class Unmatched(models.TextChoices):
    MEMBER = "member", "Sign them in as a member"
    REFUSE = "refuse", "Refuse the sign-in"


@dataclass(frozen=True)
class Rule:
    group: str  # an Entra group object ID, a group name, a SAML group attribute value: compared case-insensitively
    role: str  # Role.ADMIN or Role.MEMBER

    def matches(self, value: str) -> bool:
        return self.group.casefold() == group_key(value)


def group_key(value: str) -> str:
    return value.strip().casefold()


def rules_matched(rules: list[Rule], values) -> list[tuple[Rule, str]]:
    """Each rule that names one of the values, with the first value it names, in the rules' order: what pairing every
    rule with every value through Rule.matches keeps, in one pass over each (a directory decides for thousands)."""
    held = {}
    for value in values:
        held.setdefault(group_key(value), value)
    return [(rule, held[rule.group.casefold()]) for rule in rules if rule.group.casefold() in held]


def highest(matched: list[tuple[Rule, str]]) -> tuple[Rule, str]:
    """The pair whose role ranks highest; the first of them on a tie."""
    return max(matched, key=lambda pair: RANK[pair[0].role])


class RoleMapping(models.Model):
    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="role_mapping")
    rules_data = models.JSONField(default=list, blank=True, help_text='[{"group": ..., "role": "admin"|"member"}]')
    unmatched = models.CharField(
        "people in no mapped group", max_length=10, choices=Unmatched.choices, default=Unmatched.MEMBER
    )
    groups_claim = models.CharField(
        "group claim or attribute",
        max_length=255,
        blank=True,
        help_text="Blank: the one the IdP's preset names (groups for most OIDC providers).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Group roles of {self.connection_id}"

    def rules(self) -> list[Rule]:
        return [Rule(item["group"], item["role"]) for item in self.rules_data]

    @property
    def active(self) -> bool:
        """A mapping without rules changes nothing: roles stay what owners and admins set."""
        return bool(self.rules_data)


def role_mapping_of(connection) -> RoleMapping | None:
    """The connection's mapping when it has one (no statement when the sign-in loaded it with the connection)."""
    try:
        return connection.role_mapping
    except RoleMapping.DoesNotExist:
        return None
