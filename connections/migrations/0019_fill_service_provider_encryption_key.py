"""Every SP made before encrypted assertions gets its encryption key pair (and a next one when a rotation is under
way, so the rotation's finish promotes a pair of each)."""

from django.db import migrations


def fill(apps, schema_editor):
    from connections.sp import generate_key_pair
    from kloudsso.crypto import encrypt_secret

    ServiceProvider = apps.get_model("connections", "ServiceProvider")
    for sp in ServiceProvider.objects.filter(encryption_certificate_pem="").iterator():
        sp.encryption_certificate_pem, key_pem = generate_key_pair(common_name="KloudSSO SP encryption")
        sp.encryption_private_key_encrypted = encrypt_secret(key_pem)
        fields = ["encryption_certificate_pem", "encryption_private_key_encrypted"]
        if sp.next_certificate_pem and not sp.next_encryption_certificate_pem:
            sp.next_encryption_certificate_pem, key_pem = generate_key_pair(common_name="KloudSSO SP encryption")
            sp.next_encryption_private_key_encrypted = encrypt_secret(key_pem)
            fields += ["next_encryption_certificate_pem", "next_encryption_private_key_encrypted"]
        sp.save(update_fields=fields)


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0018_service_provider_encryption_key"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
