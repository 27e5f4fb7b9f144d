"""Fill the two new OIDC columns for existing connections.

entra_tenant_id: from the stored issuer, by the rule new saves use (connections.oidc.entra.tenant_of_issuer).

token_endpoint_auth_method: the standard's default is client_secret_basic, but every existing connection has so far
sent client_secret_post, and those whose provider accepts it work today. So an existing connection keeps
client_secret_post unless its stored discovery document lists client_secret_basic without client_secret_post: those
could never have worked, and get client_secret_basic. Owners can change it on the connection's form.

Identities of connections that are not Entra but were keyed on the unchecked tid and oid claims (entra:<tid>:<oid>)
are removed: they will never match again (those connections are keyed on iss and sub now), and each person's next
sign-in links afresh by verified email under the usual rules, instead of failing as a reused email.
"""

from django.db import migrations

from connections.oidc.entra import tenant_of_issuer


def fill(apps, schema_editor):
    OIDCSettings = apps.get_model("connections", "OIDCSettings")
    SSOIdentity = apps.get_model("connections", "SSOIdentity")
    for oidc in OIDCSettings.objects.all():
        oidc.entra_tenant_id = tenant_of_issuer(oidc.issuer)
        methods = (oidc.discovery_document or {}).get("token_endpoint_auth_methods_supported")
        methods = methods if isinstance(methods, list) else []
        basic_only = "client_secret_basic" in methods and "client_secret_post" not in methods
        oidc.token_endpoint_auth_method = "client_secret_basic" if basic_only else "client_secret_post"
        oidc.save(update_fields=["entra_tenant_id", "token_endpoint_auth_method"])
        if not oidc.entra_tenant_id:
            SSOIdentity.objects.filter(connection_id=oidc.connection_id, subject__startswith="entra:").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0004_oidc_entra_tenant_and_client_auth"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
