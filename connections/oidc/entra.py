"""What we know about Microsoft Entra ID's OIDC endpoints: small data, checked before anything is fetched."""

import re
from urllib.parse import urlsplit

from django.conf import settings

# Entra's sign-in hosts in the public, US government and China clouds.
ENTRA_HOSTS = {
    "login.microsoftonline.com",
    "login.microsoftonline.us",
    "login.partner.microsoftonline.cn",
    "login.chinacloudapi.cn",
}
MULTI_TENANT_SEGMENTS = {"common", "organizations", "consumers"}
# The one multi-tenant endpoint allowed, and only with a list of allowed tenants: work and school accounts only.
# /common/ and /consumers/ also let personal Microsoft accounts in.
ORGANIZATIONS = "organizations"
TENANT_PLACEHOLDER = "{tenantid}"
# The tenant of every personal Microsoft account (tid of their tokens): never an allowed tenant.
PERSONAL_ACCOUNTS_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
TENANT_SPECIFIC_FORM = "https://{host}/<Directory (tenant) ID>/v2.0/.well-known/openid-configuration"
TENANT_ISSUER_PATH = re.compile(
    r"/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/v2\.0/?", re.IGNORECASE
)
# The local test IdP (tests/idp/oidc) is shaped like a tenant: http://127.0.0.1:<port>/<tenant>/v2.0.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def is_entra(url: str) -> bool:
    return (urlsplit(url).hostname or "") in ENTRA_HOSTS


def multi_tenant_segment(url: str) -> str | None:
    """`common`, `organizations` or `consumers` when the URL is one of Entra's multi-tenant endpoints."""
    if not is_entra(url):
        return None
    first = urlsplit(url).path.strip("/").split("/", 1)[0].lower()
    return first if first in MULTI_TENANT_SEGMENTS else None


def is_organizations_url(url: str) -> bool:
    """Entra's /organizations/ endpoint; with SSO_ALLOW_INSECURE_IDP also the local test IdP's, on loopback."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    first = parts.path.strip("/").split("/", 1)[0].lower()
    is_test_idp = settings.SSO_ALLOW_INSECURE_IDP and parts.hostname in LOOPBACK_HOSTS
    return first == ORGANIZATIONS and (is_entra(url) or is_test_idp)


def organizations_issuer(url: str) -> str:
    """The issuer template of the /organizations/ v2.0 endpoint at the URL's host."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/{TENANT_PLACEHOLDER}/v2.0"


def issuer_of_tenant(template: str, tenant_id: str) -> str:
    return template.replace(TENANT_PLACEHOLDER, tenant_id)


def is_guid(value) -> bool:
    return isinstance(value, str) and GUID.fullmatch(value) is not None


def tenant_specific_form(url: str) -> str:
    return TENANT_SPECIFIC_FORM.format(host=urlsplit(url).hostname)


def tenant_of_issuer(issuer: str) -> str:
    """The Directory (tenant) ID of an Entra ID tenant-specific v2.0 issuer, lower-cased; "" for any other issuer.

    Decided once, at save time, from the issuer that discovery validated: whether a connection is Entra must never
    follow from a claim in a token. With SSO_ALLOW_INSECURE_IDP (development and tests) an issuer of the same shape on
    a loopback address counts too, so the flows against the local test IdP are Entra flows.
    """
    try:
        parts = urlsplit(issuer)
        port = parts.port
    except ValueError:
        return ""
    match = TENANT_ISSUER_PATH.fullmatch(parts.path)
    if match is None or parts.query or parts.fragment:
        return ""
    is_entra_host = parts.scheme == "https" and parts.hostname in ENTRA_HOSTS and port is None
    is_test_idp = settings.SSO_ALLOW_INSECURE_IDP and parts.hostname in LOOPBACK_HOSTS
    return match.group(1).lower() if is_entra_host or is_test_idp else ""
