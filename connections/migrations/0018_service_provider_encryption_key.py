from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0017_single_logout"),
    ]

    operations = [
        migrations.AddField(
            model_name="serviceprovider",
            name="encryption_certificate_pem",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="serviceprovider",
            name="encryption_private_key_encrypted",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="serviceprovider",
            name="next_encryption_certificate_pem",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="serviceprovider",
            name="next_encryption_private_key_encrypted",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="samlsettings",
            name="require_encryption",
            field=models.BooleanField(
                default=False,
                help_text="Refuse a response whose assertion is not encrypted to our SP encryption key.",
                verbose_name="require encrypted assertions",
            ),
        ),
    ]
