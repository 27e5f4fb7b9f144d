"""Fetch and validate an OpenID Connect discovery document (OpenID Connect Discovery 1.0).

Every error says what is wrong and what to change; they are shown on the connection form.
"""

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from connections.errors import ConfigurationError
from connections.oidc import entra
from kloudsso.guarded_http import FetchError, check_url, fetch

WELL_KNOWN = "/.well-known/openid-configuration"
REQUIRED_KEYS = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
ENDPOINT_KEYS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint", "end_session_endpoint")
# What sign-ins will need from the document; the rest (tenant-controlled, of any shape) is not stored.
KEPT_KEYS = (
    *REQUIRED_KEYS,
    *ENDPOINT_KEYS[3:],
    "response_types_supported",
    "scopes_supported",
    "claims_supported",
    "id_token_signing_alg_values_supported",
    "token_endpoint_auth_methods_supported",
    "code_challenge_methods_supported",
    "subject_types_supported",
    "grant_types_supported",
    "authorization_response_iss_parameter_supported",
)
LIST_KEYS = ("token_endpoint_auth_methods_supported",)  # read at save time: a malformed one is an error
MAX_KEYS_KEPT = 20
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
    # What the jwks_uri held when discovery ran (kid, kty, alg, use of each key): None when it was not fetched.
    signing_keys: tuple[dict, ...] | None = None
    # Entra's /organizations/ endpoint: the issuer holds {tenantid}, and the connection needs its allowed tenants.
    multi_tenant: bool = False


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
    try:
        url = check_url(normalize_discovery_url(check_url(url)))
    except FetchError as exc:
        raise DiscoveryError(exc.message, exc.code) from None
    _refuse_multi_tenant(url)
    multi_tenant = entra.is_organizations_url(url)
    document = _fetch_json(url, what="the discovery document", endpoint="discovery")
    _check_required(document, url)
    if multi_tenant:
        _check_organizations_issuer(document["issuer"], url)
    else:
        _check_issuer(document["issuer"], url)
        _refuse_personal_accounts_tenant(document["issuer"])
    _check_endpoints(document)
    _check_lists(document)
    signing_keys = _check_jwks(document["jwks_uri"])
    return Discovery(
        discovery_url=url,
        issuer=document["issuer"],
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        userinfo_endpoint=document.get("userinfo_endpoint") or "",
        document=_kept(document),
        signing_keys=signing_keys,
        multi_tenant=multi_tenant,
    )


def _fetch_json(url: str, *, what: str, endpoint: str) -> dict:
    try:
        result = fetch(url, accept="application/json", endpoint=endpoint)
    except FetchError as exc:
        raise DiscoveryError(f"Could not fetch {what}: {exc.message}", exc.code) from None
    if result.status != 200:
        raise DiscoveryError(
            f"{url} answered HTTP {result.status} instead of {what}. Check the Discovery URL; "
            "it usually ends with /.well-known/openid-configuration.",
            "http_status",
        )
    return _parse_json(result.body, url)


def _refuse_multi_tenant(url: str) -> None:
    """/common/ and /consumers/ let personal Microsoft accounts in, which no organization's connection may."""
    segment = entra.multi_tenant_segment(url)
    if segment and segment != entra.ORGANIZATIONS:
        who = "personal Microsoft accounts only" if segment == "consumers" else "any tenant and personal accounts"
        raise DiscoveryError(
            f"This is Entra ID's multi-tenant endpoint /{segment}/, which signs in {who}; it is refused. "
            + _use_a_tenant(url),
            "entra_multi_tenant",
        )
    _refuse_personal_accounts_tenant(url.removesuffix(WELL_KNOWN))


def _refuse_personal_accounts_tenant(issuer: str) -> None:
    """The tenant of personal Microsoft accounts has a tenant-shaped URL, and is /consumers/ all the same."""
    first = urlsplit(issuer).path.strip("/").split("/", 1)[0].lower()
    is_entra_shaped = entra.is_entra(issuer) or entra.tenant_of_issuer(issuer)
    if first == entra.PERSONAL_ACCOUNTS_TENANT and is_entra_shaped:
        raise DiscoveryError(
            f"{entra.PERSONAL_ACCOUNTS_TENANT} is the tenant of personal Microsoft accounts (what /consumers/ "
            "signs in), not an organization's; it is refused. " + _use_a_tenant(issuer),
            "entra_multi_tenant",
        )


def _use_a_tenant(url: str) -> str:
    return (
        f"Use your tenant-specific URL: {entra.tenant_specific_form(url)} (the Directory (tenant) ID is on the app "
        "registration's Overview page); or, for work and school accounts of several tenants, "
        f"{_organizations_url(url)} with the list of allowed tenants below."
    )


def _organizations_url(url: str) -> str:
    return entra.issuer_of_tenant(entra.organizations_issuer(url), entra.ORGANIZATIONS) + WELL_KNOWN


def _check_organizations_issuer(issuer: str, url: str) -> None:
    """The /organizations/ v2.0 document names the issuer template; each token's tid fills it in at sign-in."""
    expected = entra.organizations_issuer(url)
    if issuer != expected or url != _organizations_url(url):
        raise DiscoveryError(
            f"The discovery document at {url} says its issuer is {issuer!r}; Entra ID's /organizations/ v2.0 "
            f"endpoint names {expected}. Use {_organizations_url(url)} as the Discovery URL (v2.0, not v1.0).",
            "issuer_mismatch",
        )


def _parse_json(body: bytes, url: str) -> dict:
    try:
        document = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise DiscoveryError(
            f"{url} did not return JSON. Check that the Discovery URL points at the OpenID configuration, "
            "not at a sign-in page.",
            "not_json",
        ) from None
    if not isinstance(document, dict):
        raise DiscoveryError(f"{url} returned JSON that is not an object; it is not a discovery document.", "not_json")
    return document


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python accepts them, databases do not


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
            continue  # the required ones were checked already; the others are optional
        if not isinstance(value, str):
            raise DiscoveryError(f"The discovery document's {key} is not a URL.", "bad_endpoint")
        try:
            check_url(value)
        except FetchError as exc:
            raise DiscoveryError(
                f"The discovery document's {key} is not usable: {exc.message}", "bad_endpoint"
            ) from None


def _check_lists(document: dict) -> None:
    for key in LIST_KEYS:
        value = document.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
            raise DiscoveryError(
                f"The discovery document's {key} is not a list of names (OpenID Connect Discovery 1.0 §3): "
                f"{json.dumps(value)[:200]}. Check the IdP's configuration.",
                "bad_document",
            )


def _check_jwks(jwks_uri: str) -> tuple[dict, ...]:
    """The IdP's signing keys must be reachable now, or no ID token could ever be verified; what they are is kept
    for the connection's pre-flight checklist, which must not fetch them at every page view."""
    jwks = _fetch_json(jwks_uri, what="the IdP's signing keys (jwks_uri)", endpoint="jwks")
    keys = jwks.get("keys")
    if not isinstance(keys, list) or not any(isinstance(k, dict) and k.get("kty") for k in keys):
        raise DiscoveryError(
            f"The signing keys at {jwks_uri} (the discovery document's jwks_uri) hold no key, so no ID token could "
            "be verified. Check the IdP's configuration.",
            "empty_jwks",
        )
    return tuple(_key_summary(k) for k in keys if isinstance(k, dict) and k.get("kty"))[:MAX_KEYS_KEPT]


def _key_summary(key: dict) -> dict:
    """The public identifiers of a key, never its material: short strings, the IdP controls them."""
    return {
        name: key[name][:100]
        for name in ("kid", "kty", "alg", "use")
        if isinstance(key.get(name), str) and "\x00" not in key[name]
    }


def _kept(document: dict) -> dict:
    def clean(value):
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return value if "\x00" not in value else None
        if isinstance(value, list):
            return [item for item in value if isinstance(item, str) and "\x00" not in item]
        return None

    kept = {key: clean(document.get(key)) for key in KEPT_KEYS}
    return {key: value for key, value in kept.items() if value not in (None, "", [])}
