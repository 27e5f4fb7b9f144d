"""Step-by-step walkthroughs per identity provider, as data (one module per IdP and protocol)."""

from connections.guides import (
    adfs_oidc,
    adfs_saml,
    entra_oidc,
    entra_saml,
    generic_oidc,
    generic_saml,
    google_oidc,
    google_saml,
    okta_oidc,
    okta_saml,
)
from connections.guides.guide import Guide, Step

GUIDES: tuple[Guide, ...] = (
    entra_oidc.GUIDE,
    entra_saml.GUIDE,
    okta_oidc.GUIDE,
    okta_saml.GUIDE,
    google_saml.GUIDE,
    google_oidc.GUIDE,
    adfs_saml.GUIDE,
    adfs_oidc.GUIDE,
    generic_oidc.GUIDE,
    generic_saml.GUIDE,
)
_BY_SLUG = {guide.slug: guide for guide in GUIDES}


def guide_get(slug: str) -> Guide | None:
    return _BY_SLUG.get(slug)


def guide_list(*, protocol: str = "") -> list[Guide]:
    """Every guide, or those of one protocol ("oidc" or "saml")."""
    return [guide for guide in GUIDES if not protocol or guide.protocol == protocol]


__all__ = ["GUIDES", "Guide", "Step", "guide_get", "guide_list"]
