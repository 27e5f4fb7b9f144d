"""Fetch and validate an OpenID Connect discovery document (OpenID Connect Discovery 1.0).

Every error says what is wrong and what to change; they are shown on the connection form.
"""

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from connections.errors import ConfigurationError
from connections.guarded_http import FetchError, check_url, fetch
from connections.oidc import entra

WELL_KNOWN = "/.well-known/openid-configuration"
REQUIRED_KEYS = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
ENDPOINT_KEYS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint")
PLACEHOLDER = re.compile(r"\{[^}]*\}")


class DiscoveryError(ConfigurationError):
    pass


@dataclass(frozen=True)
class Discovery:
    discovery_url: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str
    document: dict


def normalize_discovery_url(url: str) -> str:
    """Complete an issuer URL with /.well-known/openid-configuration (Discovery 1.0 §4)."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        url = url.split("?", 1)[0].split("#", 1)[0]
    if not url.rstrip("/").endswith(WELL_KNOWN):
        url = url.rstrip("/") + WELL_KNOWN
    return url.rstrip("/")


def discover(url: str) -> Discovery:
    url = normalize_discovery_url(url)
    _refuse_multi_tenant(url)
    try:
        check_url(url)
        result = fetch(url, accept="application/json")
    except FetchError as exc:
        raise DiscoveryError(f"Could not fetch the discovery document: {exc.message}", exc.code) from None
    if result.status != 200:
        raise DiscoveryError(
            f"{url} answered HTTP {result.status}, not the discovery document. Check the Discovery URL; "
            "it usually ends with /.well-known/openid-configuration.",
            "http_status",
        )
    document = _parse_json(result.body, url)
    _check_required(document, url)
    _check_issuer(document["issuer"], url)
    _check_endpoints(document)
    return Discovery(
        discovery_url=url,
        issuer=document["issuer"],
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        userinfo_endpoint=document.get("userinfo_endpoint") or "",
        document=document,
    )


def _refuse_multi_tenant(url: str) -> None:
    segment = entra.multi_tenant_segment(url)
    if segment:
        raise DiscoveryError(
            f"This is Entra ID's multi-tenant endpoint (/{segment}/). Its issuer contains the placeholder "
            "{tenantid}, so every sign-in would fail issuer validation. Use your tenant-specific URL instead: "
            f"{entra.tenant_specific_form(url)} (the Directory (tenant) ID is on the app registration's "
            "Overview page).",
            "entra_multi_tenant",
        )


def _parse_json(body: bytes, url: str) -> dict:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise DiscoveryError(
            f"{url} did not return JSON. Check that the Discovery URL points at the OpenID configuration, "
            "not at a sign-in page.",
            "not_json",
        ) from None
    if not isinstance(document, dict):
        raise DiscoveryError(f"{url} returned JSON that is not an object; it is not a discovery document.", "not_json")
    return document


def _check_required(document: dict, url: str) -> None:
    missing = [key for key in REQUIRED_KEYS if not isinstance(document.get(key), str) or not document[key]]
    if missing:
        raise DiscoveryError(
            f"The discovery document at {url} lacks {', '.join(missing)}. Check that the URL is the IdP's "
            "OpenID configuration (not an OAuth-only or SAML endpoint).",
            "missing_keys",
        )


def _check_issuer(issuer: str, url: str) -> None:
    if PLACEHOLDER.search(issuer):
        hint = f" Use the tenant-specific form: {entra.tenant_specific_form(url)}." if entra.is_entra(url) else ""
        raise DiscoveryError(
            f"The issuer {issuer!r} contains a placeholder, so no ID token could ever match it. This is a "
            f"multi-tenant endpoint; use your own tenant's discovery URL.{hint}",
            "issuer_placeholder",
        )
    expected = issuer.rstrip("/") + WELL_KNOWN
    if url != expected:
        raise DiscoveryError(_issuer_mismatch_message(issuer, url, expected), "issuer_mismatch")


def _issuer_mismatch_message(issuer: str, url: str, expected: str) -> str:
    base = (
        f"The discovery document says its issuer is {issuer}, which does not match the Discovery URL {url} "
        "(OpenID Connect Discovery 1.0 §4.3 requires the URL to be the issuer followed by "
        f"{WELL_KNOWN}). "
    )
    if entra.is_entra(url) and issuer.startswith("https://sts.windows.net/"):
        return base + (
            "This is Entra ID's v1.0 endpoint; use the v2.0 one: "
            f"{issuer.replace('https://sts.windows.net/', 'https://login.microsoftonline.com/').rstrip('/')}"
            f"/v2.0{WELL_KNOWN}"
        )
    if entra.is_entra(url):
        return base + f"Use the Directory (tenant) ID, not a domain name, in the URL: {expected}"
    return base + f"Use {expected} as the Discovery URL."


def _check_endpoints(document: dict) -> None:
    for key in ENDPOINT_KEYS:
        value = document.get(key)
        if value in (None, ""):
            continue  # the required ones were checked already; userinfo is optional
        if not isinstance(value, str):
            raise DiscoveryError(f"The discovery document's {key} is not a URL.", "bad_endpoint")
        try:
            check_url(value)
        except FetchError as exc:
            raise DiscoveryError(
                f"The discovery document's {key} is not usable: {exc.message}", "bad_endpoint"
            ) from None
