import uuid

import django.utils.timezone
from django.db import migrations, models


def fill_public_ids(apps, schema_editor):
    SAMLCertificate = apps.get_model("connections", "SAMLCertificate")
    for certificate in SAMLCertificate.objects.filter(public_id__isnull=True).only("pk"):
        certificate.public_id = uuid.uuid4()
        certificate.save(update_fields=["public_id"])


class Migration(migrations.Migration):
    """Certificates get a public ID (the Retire button's URL), when they were added and when one last signed a
    sign-in; OIDC connections an optional client secret expiry. The public ID is added empty, filled, then made
    unique: a unique default on existing rows would give them all the same value."""

    dependencies = [
        ("connections", "0008_service_provider_next_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="samlcertificate",
            name="public_id",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="samlcertificate",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False),
        ),
        migrations.AddField(
            model_name="samlcertificate",
            name="added_at",
            field=models.DateTimeField(default=django.utils.timezone.now, help_text="When the owner put it on file."),
        ),
        migrations.AddField(
            model_name="samlcertificate",
            name="last_signed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="oidcsettings",
            name="client_secret_expires_on",
            field=models.DateField(
                blank=True,
                help_text="Given by the owner (Entra shows it beside the secret): the owners are reminded before then.",
                null=True,
            ),
        ),
    ]
