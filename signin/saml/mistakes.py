"""What an owner most likely did wrong, told from the value a SAML response carries and the one we expected.

Only words refusals: each function returns a sentence naming the likely cause, never a decision.
"""

import re
from urllib.parse import urlsplit

from connections.service_provider import ServiceProvider

ENTRA_ISSUER = re.compile(r"^https://sts\.windows\.net/([0-9a-f-]{36})/?$", re.IGNORECASE)
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
SP_ENTITY_PATH = "/sso/saml/metadata/"


def audience_cause(received, entity_id: str) -> str:
    """Why the Audiences that arrived are not our SP Entity ID: an older PUBLIC_BASE_URL, another organization's
    entity ID here, Entra ID's default Identifier, or a value typed by hand."""
    ours = urlsplit(entity_id)
    for audience in received:
        parts = urlsplit(audience)
        if parts.path == ours.path and parts.netloc and audience != entity_id:
            return (
                f"It is this organization's SP Entity ID under another address ({parts.scheme}://{parts.netloc}): "
                "the IdP was set up from an older (or a staging) PUBLIC_BASE_URL of this site."
            )
    if ServiceProvider.objects.filter(entity_id__in=list(received)[:10]).exclude(entity_id=entity_id).exists():
        return (
            "It is another organization's SP Entity ID on this site: the IdP application was set up for that "
            "organization, or its Identifier was copied from the wrong page."
        )
    if any(SP_ENTITY_PATH in a for a in received):
        return "It looks like an SP Entity ID of this site for an organization that no longer exists."
    if any(a.lower().startswith(("api://", "spn:")) or GUID.match(a) for a in received):
        return (
            "It is Entra ID's default Identifier (the App ID URI api://… or the application's ID), not ours: in "
            "Basic SAML Configuration, replace it."
        )
    return "It is not an entity ID of this site: the IdP's Identifier (Entity ID) was typed or copied wrong."


def url_cause(received: str, expected: str) -> str:
    """Why a Destination or Recipient is not our ACS URL."""
    got, want = urlsplit(received), urlsplit(expected)
    if received.rstrip("/") == expected.rstrip("/"):
        return "They differ only by a trailing slash."
    if received.lower() == expected.lower():
        return "They differ only in upper and lower case."
    if got.netloc == want.netloc and got.path == want.path and got.scheme != want.scheme:
        return f"It is {got.scheme}:// instead of {want.scheme}://."
    if got.path == want.path and got.netloc != want.netloc:
        return f"It is our ACS under another address ({got.netloc}): the IdP was set up with an older PUBLIC_BASE_URL."
    return "It is another application's Reply URL: the IdP application answering is not set up for this site."


def issuer_cause(received: str, expected: str) -> str:
    """Why an Issuer is not the connection's IdP Entity ID."""
    got, want = ENTRA_ISSUER.match(received), ENTRA_ISSUER.match(expected)
    if got and want and got.group(1).lower() != want.group(1).lower():
        return (
            f"Both are Entra ID tenants, but another one answered (tenant {got.group(1)}, not {want.group(1)}): the "
            "enterprise application people sign in to is in another directory than the metadata on file."
        )
    if received.rstrip("/") == expected.rstrip("/"):
        return "They differ only by a trailing slash: the entity ID on file was typed, not taken from the metadata."
    if urlsplit(received)[1:] == urlsplit(expected)[1:]:
        return "They differ only in http versus https: the entity ID on file was typed, not taken from the metadata."
    return "Another IdP, or another application of it, answered: the connection's metadata is not that IdP's."
