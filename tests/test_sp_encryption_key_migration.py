"""The migration that gives every SP made before encrypted assertions its encryption key pair (and a next one when a
key rotation is under way, so that its finish promotes a pair of each)."""

import pytest
from django.db import connection as db
from django.db.migrations.executor import MigrationExecutor

from connections.sp import generate_key_pair
from kloudsso.crypto import decrypt_secret, encrypt_secret

# The organization as it was then too (a later column has no default in the database), as in test_oidc_migration.
BEFORE = [("connections", "0018_service_provider_encryption_key"), ("tenancy", "0001_initial")]
AFTER = [("connections", "0019_fill_service_provider_encryption_key")]


def migrate(targets):
    executor = MigrationExecutor(db)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def migrator(transactional_db):
    yield migrate
    migrate(MigrationExecutor(db).loader.graph.leaf_nodes())  # the latest schema again, whatever happened


def test_existing_sps_get_an_encryption_key_pair_of_their_own(migrator):
    apps = migrator(BEFORE)
    Organization = apps.get_model("tenancy", "Organization")
    ServiceProvider = apps.get_model("connections", "ServiceProvider")

    def made(slug, *, rotating=False):
        certificate, key = generate_key_pair(common_name="old SP")
        fields = {"next_certificate_pem": certificate, "next_private_key_encrypted": encrypt_secret(key)}
        return ServiceProvider.objects.create(
            organization=Organization.objects.create(name=slug, slug=slug),
            entity_id=f"https://sso.test/{slug}",
            certificate_pem=certificate,
            private_key_encrypted=encrypt_secret(key),
            **(fields if rotating else {}),
        )

    quiet, rotating = made("acme"), made("globex", rotating=True)
    apps = migrator(AFTER)
    ServiceProvider = apps.get_model("connections", "ServiceProvider")
    quiet, rotating = ServiceProvider.objects.get(pk=quiet.pk), ServiceProvider.objects.get(pk=rotating.pk)
    for sp in (quiet, rotating):
        assert sp.encryption_certificate_pem.startswith("-----BEGIN CERTIFICATE-----")
        assert sp.encryption_certificate_pem != sp.certificate_pem
        assert decrypt_secret(sp.encryption_private_key_encrypted).startswith("-----BEGIN PRIVATE KEY-----")
    assert not quiet.next_encryption_certificate_pem
    assert rotating.next_encryption_certificate_pem not in ("", rotating.encryption_certificate_pem)
