"""What the IdP said of the person beyond who they are: their names and their groups, read with the preset of the
connection's IdP (connections/guides/profiles.py).

OIDC claims are values (a string, a list); SAML attributes are lists of strings. Both come through here as lists.
"""

from dataclasses import dataclass, field

from connections.guides.profiles import ENTRA_GROUPS_LINK, profile_for

MAX_GROUPS_SHOWN = 20
MAX_GROUPS = 1000  # more values than an IdP sends (Entra stops at 200): the rest is not compared
NAME_LENGTHS = {"first_name": 150, "last_name": 150, "full_name": 200}


@dataclass(frozen=True)
class Names:
    first_name: str = ""
    last_name: str = ""
    full_name: str = ""  # the display name; "first last" when the IdP sends none

    def given(self) -> dict:
        return {name: value for name, value in self.__dict__.items() if value}

    def changes_for(self, user) -> dict:
        """The fields to write: those the IdP sent that differ. A name the IdP does not send is kept as it is."""
        return {name: value for name, value in self.given().items() if getattr(user, name) != value}


@dataclass(frozen=True)
class Groups:
    claim: str  # where they were looked for (the claim or attribute that held them, or the candidates)
    values: tuple[str, ...] = ()
    found: bool = False
    overage: str = ""  # the IdP says there are too many to send and points elsewhere: what it said
    candidates: tuple[str, ...] = field(default=())

    def shown(self) -> str:
        if not self.values:
            return "none"
        listed = ", ".join(self.values[:MAX_GROUPS_SHOWN])
        more = len(self.values) - MAX_GROUPS_SHOWN
        return listed + (f" and {more} more" if more > 0 else "")


def names_of(vouched) -> Names:
    """Names from the ID token, else from UserInfo when it was fetched (an IdP may send them only there)."""
    profile = profile_for(vouched.connection)
    claims = {**vouched.userinfo, **vouched.claims}
    first = _first_value(claims, profile.first_name, NAME_LENGTHS["first_name"])
    last = _first_value(claims, profile.last_name, NAME_LENGTHS["last_name"])
    display = _first_value(claims, profile.display_name, NAME_LENGTHS["full_name"])
    return Names(first, last, display or f"{first} {last}".strip()[: NAME_LENGTHS["full_name"]])


def groups_of(vouched, *, claim: str = "") -> Groups:
    """The groups in the connection's group claim (the mapping's, else the preset's first that is present): from
    the ID token only, never from UserInfo."""
    claims = vouched.claims
    candidates = (claim,) if claim else profile_for(vouched.connection).groups
    overage = overage_of(claims)
    for name in candidates:
        if name in claims:
            values = tuple(dict.fromkeys(v for v in _values(claims[name])[:MAX_GROUPS] if v))
            return Groups(name, values, True, overage, candidates)
    return Groups(" or ".join(candidates), (), False, overage, candidates)


def overage_of(claims: dict) -> str:
    """Entra ID's group overage: too many groups for the token, which points to Microsoft Graph instead."""
    names = claims.get("_claim_names")
    if isinstance(names, dict) and "groups" in names:
        source = str(names["groups"])[:40]
        sources = claims.get("_claim_sources")
        endpoint = sources.get(source, {}).get("endpoint", "") if isinstance(sources, dict) else ""
        where = f" (endpoint {str(endpoint)[:200]})" if endpoint else ""
        return f"the token's _claim_names maps groups to the claim source {source}{where}, not to a list of groups"
    if claims.get("hasgroups") in (True, "true", "True"):
        return "the token carries hasgroups true instead of a groups claim"
    link = _values(claims.get(ENTRA_GROUPS_LINK))
    if link:
        return f"the answer carries the {ENTRA_GROUPS_LINK} attribute ({link[0][:200]}) instead of the groups"
    return ""


def _first_value(claims: dict, names: tuple[str, ...], limit: int) -> str:
    for name in names:
        for value in _values(claims.get(name)):
            cleaned = " ".join(value.split())  # no line breaks or tabs from the IdP in a name shown on pages
            if cleaned:
                return cleaned[:limit]
    return ""


def _values(raw) -> list[str]:
    if raw is None:
        return []
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    return [str(item).strip()[:256] for item in items if isinstance(item, (str, int)) and not isinstance(item, bool)]
