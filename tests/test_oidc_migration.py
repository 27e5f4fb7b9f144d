"""The migration that fills the new OIDC columns for connections saved before them."""

import pytest
from django.db import connection as db
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

# The organization and the user as they were then too: columns added later (a notification address, first and last
# names) have no default in the database, so rows made with the older models need the older tables.
BEFORE = [
    ("connections", "0003_signin_events"),
    ("tenancy", "0001_initial"),
    ("accounts", "0003_password_throttle_device_and_lift"),
]
AFTER = [("connections", "0005_fill_oidc_entra_tenant_and_client_auth")]
TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def migrate(targets):
    executor = MigrationExecutor(db)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def migrator(transactional_db):
    yield migrate
    migrate(MigrationExecutor(db).loader.graph.leaf_nodes())  # the latest schema again, whatever happened


def test_existing_connections_get_their_tenant_and_keep_a_client_authentication_that_works(migrator):
    apps = migrator(BEFORE)
    Organization = apps.get_model("tenancy", "Organization")
    Connection = apps.get_model("connections", "Connection")
    OIDCSettings = apps.get_model("connections", "OIDCSettings")
    SSOIdentity = apps.get_model("connections", "SSOIdentity")
    User = apps.get_model("accounts", "User")
    org = Organization.objects.create(name="Acme", slug="acme")
    ada = User.objects.create(email="ada@acme.test")

    def saved(name, issuer, methods=None):
        connection = Connection.objects.create(organization=org, kind="oidc", display_name=name)
        document = {"token_endpoint_auth_methods_supported": methods} if methods else {}
        OIDCSettings.objects.create(
            connection=connection,
            discovery_url=issuer + "/.well-known/openid-configuration",
            issuer=issuer,
            authorization_endpoint=issuer + "/authorize",
            token_endpoint=issuer + "/token",
            jwks_uri=issuer + "/keys",
            discovery_document=document,
            discovered_at=timezone.now(),
            client_id="c",
            client_secret_encrypted="x",
        )
        return connection

    entra = saved(
        "Entra", f"https://login.microsoftonline.com/{TENANT}/v2.0", ["client_secret_post", "private_key_jwt"]
    )
    saved("Basic", "https://basic.example", ["client_secret_basic"])
    saved("Silent", "https://silent.example")
    okta = saved("Okta", "https://acme.okta.example")
    SSOIdentity.objects.create(connection=entra, subject=f"entra:{TENANT}:oid-1", user=ada, email="ada@acme.test")
    SSOIdentity.objects.create(connection=okta, subject="entra:forged:oid-1", user=ada, email="ada@acme.test")
    SSOIdentity.objects.create(connection=okta, subject="https://acme.okta.example|s", user=ada, email="ada@acme.test")

    apps = migrator(AFTER)
    OIDCSettings = apps.get_model("connections", "OIDCSettings")
    SSOIdentity = apps.get_model("connections", "SSOIdentity")
    filled = {o.connection.display_name: o for o in OIDCSettings.objects.select_related("connection")}
    assert (filled["Entra"].entra_tenant_id, filled["Entra"].token_endpoint_auth_method) == (
        TENANT,
        "client_secret_post",
    )
    assert filled["Basic"].token_endpoint_auth_method == "client_secret_basic"  # it could never have worked
    assert filled["Silent"].token_endpoint_auth_method == "client_secret_post"  # what has worked so far
    assert filled["Okta"].entra_tenant_id == ""
    # every identity stays: the one keyed on tid and oid moves to iss and sub at the next sign-in
    # (tests/test_oidc_identity_rekey.py), so nobody loses the link to their account
    assert sorted(SSOIdentity.objects.values_list("subject", flat=True)) == [
        f"entra:{TENANT}:oid-1",
        "entra:forged:oid-1",
        "https://acme.okta.example|s",
    ]
