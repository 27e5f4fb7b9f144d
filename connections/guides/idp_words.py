"""The IdP's own words for the settings a sign-in failure's fix names ({idp_<key>} in signin/catalogue's fixes).

For an OIDC connection, those of its preset (told from its issuer, as the reminders tell it); with no connection
(the troubleshooting page), every OIDC preset's, each under its IdP's name, so no fix speaks only Entra's language.
"""

from connections.guides import Guide, guide_get, guide_list
from connections.guides.profiles import is_adfs_issuer
from connections.vendors import ENTRA, GOOGLE, OKTA, oidc_vendor

# Form fields (a guide's `fields`) and settings (its `settings`) a fix may name.
KEYS = ("discovery_url", "client_id", "client_secret", "id_token_alg", "email_claim", "redirect_uri", "assign")
_PRESETS = {ENTRA: "entra-oidc", OKTA: "okta-oidc", GOOGLE: "google-oidc"}
GENERIC = "generic-oidc"


def oidc_preset(oidc) -> Guide:
    vendor = oidc_vendor(oidc)
    if vendor in _PRESETS:
        return guide_get(_PRESETS[vendor])
    if is_adfs_issuer(oidc.issuer):
        return guide_get("adfs-oidc")
    return guide_get(GENERIC)


def idp_words(connection=None) -> dict[str, str]:
    if connection is not None and connection.kind == "oidc":
        guide = oidc_preset(connection.oidc)
        named = "" if guide.slug == GENERIC else f"{guide.idp}: "
        return {f"idp_{key}": named + _words(guide, key) for key in KEYS}
    guides = guide_list(protocol="oidc")
    return {f"idp_{key}": "; ".join(f"{_name(g)}: {_words(g, key)}" for g in guides) for key in KEYS}


def _name(guide: Guide) -> str:
    return "other providers" if guide.slug == GENERIC else guide.idp


def _words(guide: Guide, key: str) -> str:
    said = guide.settings.get(key) or guide.fields.get(key)
    return said or guide_get(GENERIC).settings.get(key) or guide_get(GENERIC).fields[key]
