"""Fill the two new OIDC columns for existing connections.

entra_tenant_id: from the stored issuer, by the rule new saves use (connections.oidc.entra.tenant_of_issuer, as it
stands when this migration was written: Entra's hosts, https, a tenant-specific v2.0 issuer; the loopback test IdP
counts only in development with SSO_ALLOW_INSECURE_IDP).

token_endpoint_auth_method: the standard's default is client_secret_basic, but every existing connection has so far
sent client_secret_post, and those whose provider accepts it work today. So an existing connection keeps
client_secret_post unless its stored discovery document lists client_secret_basic without client_secret_post: those
could never have worked, and get client_secret_basic. Owners can change it on the connection's form.

Identities of connections that are not Entra but were keyed on the tid and oid claims (entra:<tid>:<oid>) are kept:
the person's next sign-in moves them to iss and sub (signin.complete), so nobody loses the link to their account.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.db import migrations

ENTRA_HOSTS = {
    "login.microsoftonline.com",
    "login.microsoftonline.us",
    "login.partner.microsoftonline.cn",
    "login.chinacloudapi.cn",
}
TENANT_ISSUER_PATH = re.compile(
    r"/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/v2\.0/?", re.IGNORECASE
)


def tenant_of_issuer(issuer: str) -> str:
    try:
        parts = urlsplit(issuer)
        port = parts.port
    except ValueError:
        return ""
    match = TENANT_ISSUER_PATH.fullmatch(parts.path)
    if match is None or parts.query or parts.fragment:
        return ""
    entra_host = parts.scheme == "https" and parts.hostname in ENTRA_HOSTS and port is None
    test_idp = settings.SSO_ALLOW_INSECURE_IDP and parts.hostname in {"127.0.0.1", "localhost", "::1"}
    return match.group(1).lower() if entra_host or test_idp else ""


def fill(apps, schema_editor):
    OIDCSettings = apps.get_model("connections", "OIDCSettings")
    for oidc in OIDCSettings.objects.all():
        oidc.entra_tenant_id = tenant_of_issuer(oidc.issuer)
        methods = (oidc.discovery_document or {}).get("token_endpoint_auth_methods_supported")
        methods = methods if isinstance(methods, list) else []
        basic_only = "client_secret_basic" in methods and "client_secret_post" not in methods
        oidc.token_endpoint_auth_method = "client_secret_basic" if basic_only else "client_secret_post"
        oidc.save(update_fields=["entra_tenant_id", "token_endpoint_auth_method"])


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0004_oidc_entra_tenant_and_client_auth"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
