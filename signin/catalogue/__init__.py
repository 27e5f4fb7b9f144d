"""Every sign-in failure in one place: a stable code, what the person signing in is told, and for the owners the
cause and the fix. Fixes may name {redirect_uri}, {acs_url} and {sp_entity_id}; pages fill in the real values."""

from signin.catalogue import general, logout, oidc, people, saml
from signin.catalogue.entry import Entry

ENTRIES = [*oidc.ENTRIES, *saml.ENTRIES, *people.ENTRIES, *general.ENTRIES, *logout.ENTRIES]
CATALOGUE = {entry.code: entry for entry in ENTRIES}

__all__ = ["CATALOGUE", "ENTRIES", "Entry"]
