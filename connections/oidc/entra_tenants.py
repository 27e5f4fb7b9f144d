"""The allowed tenants of a connection to Entra ID's /organizations/ endpoint: the owner's lines, parsed and checked.

Entra publishes no tenant's name without a token (Microsoft Graph's findTenantInformationByTenantId needs one, and
the tenant's public OpenID configuration and federation metadata carry none). What its public OpenID configuration
does tell, token-less, is whether the tenant exists (HTTP 400 AADSTS90002 when it does not) and its region
(tenant_region_scope). So a typed ID is checked there, and the name shown is the owner's own label.
"""

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from connections.oidc import entra
from connections.oidc.models import TenantLookup
from kloudsso.guarded_http import FetchError, fetch

MAX_TENANTS = 50
MAX_LABEL = 100
EXAMPLE = "3f2a9c1e-5b7d-4e08-9a61-2c4d8e0b7f15 Contoso"  # a made-up tenant
SEPARATOR = re.compile(r"[\s,;]+")
NOT_FOUND_CODES = {90002}  # AADSTS90002: tenant not found


class TenantListError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class AllowedTenant:
    tenant_id: str  # a lower-case GUID
    label: str = ""
    lookup: str = TenantLookup.NOT_CHECKED
    region: str = ""


def parse_tenant_lines(text: str) -> list[AllowedTenant]:
    """One tenant a line: its Directory (tenant) ID, then optionally a label. The same ID twice is kept once (with
    the first label given); anything that is not a GUID, the personal accounts' tenant, or too many, is an error."""
    found: dict[str, str] = {}
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        tenant_id, label = [*SEPARATOR.split(line, maxsplit=1), ""][:2]
        tenant_id, label = tenant_id.strip("{}").lower(), label.strip()
        if not entra.is_guid(tenant_id):
            problems.append(f"line {number}: {tenant_id[:60]!r} is not a Directory (tenant) ID")
        elif tenant_id == entra.PERSONAL_ACCOUNTS_TENANT:
            problems.append(f"line {number}: {tenant_id} is the tenant of personal Microsoft accounts, never allowed")
        elif len(label) > MAX_LABEL or not label.isprintable():
            problems.append(f"line {number}: the label must be at most {MAX_LABEL} printable characters")
        elif not found.get(tenant_id):
            found[tenant_id] = label
    if problems:
        raise TenantListError(
            f"{'; '.join(problems)}. Write one tenant a line: its Directory (tenant) ID (a GUID, on the tenant's "
            f"Overview page in the Entra admin center), then a label if you like, e.g. {EXAMPLE}."
        )
    if len(found) > MAX_TENANTS:
        raise TenantListError(f"{len(found)} tenants listed; at most {MAX_TENANTS} are allowed on one connection.")
    return [AllowedTenant(tenant_id, label) for tenant_id, label in found.items()]


def format_tenant_lines(tenants) -> str:
    """The form's text for stored or parsed tenants (anything with tenant_id and label)."""
    return "\n".join(f"{tenant.tenant_id} {tenant.label}".strip() for tenant in tenants)


def metadata_url(tenant_id: str, *, discovery_url: str) -> str:
    """SSO_ENTRA_METADATA_BASE_URL, else the connection's own Entra host (each cloud answers for its tenants)."""
    base = settings.SSO_ENTRA_METADATA_BASE_URL
    if not base:
        parts = urlsplit(discovery_url)
        base = f"{parts.scheme}://{parts.netloc}"
    return f"{base.rstrip('/')}/{tenant_id}/v2.0/.well-known/openid-configuration"


def look_up(tenant: AllowedTenant, *, discovery_url: str) -> AllowedTenant:
    """The tenant as Entra's public metadata describes it; TenantListError when Entra says there is no such tenant.
    An Entra that does not answer leaves it not checked: the list is the owner's decision, not the lookup's."""
    url = metadata_url(tenant.tenant_id, discovery_url=discovery_url)
    try:
        result = fetch(url, accept="application/json", endpoint="discovery")
    except FetchError:
        return tenant
    document = _json(result.body)
    if result.status == 400 and NOT_FOUND_CODES & set(_codes(document)):
        raise TenantListError(
            f"Entra ID knows no tenant {tenant.tenant_id} (AADSTS90002 at {url}). Check the Directory (tenant) ID "
            "on the tenant's Overview page in the Entra admin center."
        )
    issuer = document.get("issuer") if result.status == 200 else None
    if not isinstance(issuer, str) or tenant.tenant_id not in issuer.lower():
        return tenant
    region = document.get("tenant_region_scope")
    region = region[:40] if isinstance(region, str) and region.isprintable() else ""
    return AllowedTenant(tenant.tenant_id, tenant.label, TenantLookup.FOUND, region)


def _json(body: bytes) -> dict:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    return document if isinstance(document, dict) else {}


def _codes(document: dict) -> list:
    codes = document.get("error_codes")
    return [code for code in codes if isinstance(code, int)] if isinstance(codes, list) else []
