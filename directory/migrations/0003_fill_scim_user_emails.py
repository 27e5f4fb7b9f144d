"""Fill SCIMUserEmail from the emails each SCIM user's stored resource holds, by the rule new writes use
(directory.scim.users._email_rows as it stands when this migration was written): one row per email that says
anything, value and type lower-cased. Writes refuse a value longer than 254 characters or a type longer than 64; a
resource stored before could hold one, which is cut to the column here (a filter then misses only that address).
"""

from django.db import migrations

BATCH = 500


def rows_of(attributes) -> list[tuple[str, str, bool | None]]:
    emails = attributes.get("emails") if isinstance(attributes, dict) else None
    rows = []
    for email in emails if isinstance(emails, list) else []:
        if not isinstance(email, dict):
            continue
        value = email.get("value") if isinstance(email.get("value"), str) else ""
        kind = email.get("type") if isinstance(email.get("type"), str) else ""
        primary = email.get("primary") if isinstance(email.get("primary"), bool) else None
        value, kind = value.strip().lower()[:254], kind.lower()[:64]
        if value or kind or primary is not None:
            rows.append((value, kind, primary))
    return rows


def fill(apps, schema_editor):
    SCIMUser = apps.get_model("directory", "SCIMUser")
    SCIMUserEmail = apps.get_model("directory", "SCIMUserEmail")
    batch = []
    for pk, attributes in SCIMUser.objects.values_list("pk", "attributes").iterator(chunk_size=BATCH):
        batch += [SCIMUserEmail(scim_user_id=pk, value_key=v, type=t, primary=p) for v, t, p in rows_of(attributes)]
        if len(batch) >= BATCH:
            SCIMUserEmail.objects.bulk_create(batch)
            batch = []
    SCIMUserEmail.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0002_scim_user_emails"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
