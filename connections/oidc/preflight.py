"""The OIDC lines of the pre-flight checklist, from the settings row and what discovery fetched at save time."""

from connections.oidc import client_auth, entra
from connections.oidc.discovery import WELL_KNOWN
from connections.oidc.models import ASYMMETRIC_ALGORITHMS, SECRET_MIN_BYTES, OIDCSettings, TenantLookup
from connections.preflight import AT_IDP, FAIL, PASS, WARN, Check
from connections.sp import oidc_redirect_uri

SAVE_AGAIN = "Open the form below and save the connection again: the save fetches the discovery document anew."


def oidc_checks(oidc: OIDCSettings) -> list[Check]:
    tenants = [allowed_tenants_check(oidc)] if oidc.entra_multi_tenant else []
    return [
        discovery_check(oidc),
        issuer_check(oidc),
        *tenants,
        signing_keys_check(oidc),
        auth_method_check(oidc),
        id_token_signing_check(oidc),
        email_scope_check(oidc),
        redirect_uri_check(),
    ]


def discovery_check(oidc: OIDCSettings) -> Check:
    return Check(
        "Discovery document reachable",
        PASS,
        f"HTTP 200 and a JSON discovery document at {oidc.discovery_url}",
        f"Fetched and valid on {oidc.discovered_at:%Y-%m-%d %H:%M} UTC, when the connection was saved",
    )


def issuer_check(oidc: OIDCSettings) -> Check:
    expected = oidc.discovery_url
    issuer = oidc.issuer
    said = f"issuer {issuer} + {WELL_KNOWN}"
    if oidc.entra_multi_tenant:  # the template, with organizations for {tenantid}, names the document itself
        issuer = entra.issuer_of_tenant(issuer, entra.ORGANIZATIONS)
        said = f"issuer {oidc.issuer} (each token's tid fills in {entra.TENANT_PLACEHOLDER})"
    received = issuer.rstrip("/") + WELL_KNOWN
    if received == expected:
        return Check("Issuer matches the discovery URL", PASS, expected, said)
    return Check(
        "Issuer matches the discovery URL",
        FAIL,
        expected,
        f"issuer {oidc.issuer} + {WELL_KNOWN}",
        f"Use {received} as the Discovery URL (OpenID Connect Discovery 1.0 §4.3).",
    )


def allowed_tenants_check(oidc: OIDCSettings) -> Check:
    """/organizations/ signs in any tenant's people: which ones may, and what Entra ID said of each."""
    label = "Allowed Entra ID tenants"
    expected = "At least one tenant, each found at Entra ID; every other tenant is refused (entra_tenant_not_allowed)"
    tenants = list(oidc.allowed_tenants.all())
    if not tenants:
        return Check(label, FAIL, expected, "None: nobody can sign in", "List the allowed tenants in the form below.")
    received = "; ".join(_describe_tenant(tenant) for tenant in tenants)
    unchecked = [str(t.tenant_id) for t in tenants if t.lookup != TenantLookup.FOUND]
    if unchecked:
        return Check(
            label,
            WARN,
            expected,
            received,
            f"Entra ID did not answer for {', '.join(unchecked)} when it was added: check the IDs on each tenant's "
            "Overview page, then save the connection again to look them up anew.",
        )
    return Check(label, PASS, expected, received)


def _describe_tenant(tenant) -> str:
    name = f"{tenant.label} ({tenant.tenant_id})" if tenant.label else str(tenant.tenant_id)
    if tenant.lookup != TenantLookup.FOUND:
        return f"{name}, not checked at Entra ID"
    return f"{name}, found" + (f" (region {tenant.region})" if tenant.region else "")


def signing_keys_check(oidc: OIDCSettings) -> Check:
    label = "Signing keys present"
    expected = f"At least one signing key at {oidc.jwks_uri}"
    keys = oidc.signing_keys
    if keys is None:
        return Check(
            label, WARN, expected, "Not recorded: the connection was saved before the keys were kept", SAVE_AGAIN
        )
    signing = [k for k in keys if isinstance(k, dict) and k.get("use", "sig") == "sig"]
    if not signing:
        return Check(
            label,
            FAIL,
            expected,
            f"{len(keys)} key(s), none for signatures",
            "Check the IdP's configuration: no ID token could be verified.",
        )
    count = f"{len(signing)} signing key{'s' if len(signing) != 1 else ''}"
    return Check(label, PASS, expected, f"{count}: {', '.join(_describe_key(k) for k in signing)}")


def _describe_key(key: dict) -> str:
    text = " ".join(part for part in (key.get("kty"), key.get("alg")) if part)
    return f"{text} (kid {key['kid']})" if key.get("kid") else text


def auth_method_check(oidc: OIDCSettings) -> Check:
    label = "Token endpoint authentication"
    methods = client_auth.supported(oidc.discovery_document)
    chosen = oidc.token_endpoint_auth_method
    if methods is None:
        return Check(label, PASS, "client_secret_basic (the document lists no methods: the standard's default)", chosen)
    expected = f"One the provider allows: {', '.join(methods)}"
    if chosen in methods:
        return Check(label, PASS, expected, chosen)
    return Check(label, FAIL, expected, chosen, "Choose Automatic under Client authentication and save.")


def id_token_signing_check(oidc: OIDCSettings) -> Check:
    """The algorithm chosen against the discovery document's id_token_signing_alg_values_supported."""
    label = "ID token signing algorithm"
    chosen = oidc.id_token_signing_alg
    offered = oidc.discovery_document.get("id_token_signing_alg_values_supported")
    if chosen in SECRET_MIN_BYTES:
        wanted, usable = f"{chosen}, checked with the client secret", [chosen]
    else:
        wanted, usable = "RS, PS or ES, with the IdP's published keys", sorted(ASYMMETRIC_ALGORITHMS)
    if not isinstance(offered, list) or not all(isinstance(a, str) for a in offered):
        return Check(label, WARN, wanted, "The discovery document lists no algorithms", "Run Test connection.")
    received = f"The provider offers {', '.join(offered) or 'none'}"
    if any(a in usable for a in offered):
        return Check(label, PASS, wanted, received)
    secret = [a for a in offered if a in SECRET_MIN_BYTES]
    fix = (
        f"Choose {secret[0]} under ID token signing, if the IdP is set to it for this client."
        if secret and chosen not in SECRET_MIN_BYTES
        else "Choose under ID token signing an algorithm the provider offers (RS, PS or ES: The IdP's public keys)."
    )
    return Check(label, FAIL, wanted, received, fix)


def email_scope_check(oidc: OIDCSettings) -> Check:
    label = "Scopes that carry an email"
    scopes = oidc.scopes.split()
    is_entra = bool(oidc.entra_tenant_id) or oidc.entra_multi_tenant
    expected = "openid, and email or profile (Entra ID)" if is_entra else "openid and email"
    received = " ".join(scopes)
    if "openid" not in scopes:
        return Check(label, FAIL, expected, received, "Add openid to Scopes: without it the IdP sends no ID token.")
    carriers = {"email", "profile"} if is_entra else {"email"}
    if not carriers & set(scopes):
        return Check(label, FAIL, expected, received, "Add email to Scopes, or no email address reaches KloudSSO.")
    offered = oidc.discovery_document.get("scopes_supported")
    if isinstance(offered, list) and offered and "email" in scopes and "email" not in offered:
        return Check(
            label,
            WARN,
            expected,
            f"{received} (the provider's scopes_supported does not list email)",
            "Run Test connection: it shows whether the ID token carries an email claim.",
        )
    return Check(label, PASS, expected, received)


def redirect_uri_check() -> Check:
    return Check(
        "Redirect URI registered at the IdP",
        AT_IDP,
        oidc_redirect_uri(),
        "Only a test sign-in can tell",
        "Register it as a Web redirect URI (Entra ID: App registration → Authentication), then run Test connection.",
    )
