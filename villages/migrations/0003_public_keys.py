"""Opaque public keys for townships and villages (published pages and QR codes never show ids).

Added nullable, filled row by row with a fresh key, then made unique and required.
"""

from django.db import migrations, models

import villages.models


def fill_keys(apps, schema_editor):
    for name in ("Township", "Village"):
        model = apps.get_model("villages", name)
        for row in model.objects.filter(public_key__isnull=True).only("pk"):
            model.objects.filter(pk=row.pk).update(public_key=villages.models.new_public_key())


class Migration(migrations.Migration):
    dependencies = [("villages", "0002_township_reminder_days")]

    operations = [
        migrations.AddField(
            model_name="township",
            name="public_key",
            field=models.CharField("公开页面标识", max_length=16, null=True, editable=False),
        ),
        migrations.AddField(
            model_name="village",
            name="public_key",
            field=models.CharField("公开页面标识", max_length=16, null=True, editable=False),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="township",
            name="public_key",
            field=models.CharField(
                "公开页面标识",
                max_length=16,
                unique=True,
                default=villages.models.new_public_key,
                editable=False,
            ),
        ),
        migrations.AlterField(
            model_name="village",
            name="public_key",
            field=models.CharField(
                "公开页面标识",
                max_length=16,
                unique=True,
                default=villages.models.new_public_key,
                editable=False,
            ),
        ),
    ]
