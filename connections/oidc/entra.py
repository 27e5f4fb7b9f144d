"""What we know about Microsoft Entra ID's OIDC endpoints: small data, checked before anything is fetched."""

from urllib.parse import urlsplit

# Entra's sign-in hosts in the public, US government and China clouds.
ENTRA_HOSTS = {
    "login.microsoftonline.com",
    "login.microsoftonline.us",
    "login.partner.microsoftonline.cn",
    "login.chinacloudapi.cn",
}
MULTI_TENANT_SEGMENTS = {"common", "organizations", "consumers"}
TENANT_SPECIFIC_FORM = "https://{host}/<Directory (tenant) ID>/v2.0/.well-known/openid-configuration"


def is_entra(url: str) -> bool:
    return (urlsplit(url).hostname or "") in ENTRA_HOSTS


def multi_tenant_segment(url: str) -> str | None:
    """`common`, `organizations` or `consumers` when the URL is one of Entra's multi-tenant endpoints."""
    if not is_entra(url):
        return None
    first = urlsplit(url).path.strip("/").split("/", 1)[0].lower()
    return first if first in MULTI_TENANT_SEGMENTS else None


def tenant_specific_form(url: str) -> str:
    return TENANT_SPECIFIC_FORM.format(host=urlsplit(url).hostname)
