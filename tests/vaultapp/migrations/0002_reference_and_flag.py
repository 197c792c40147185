import memoria.vault.fields
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("vaultapp", "0001_initial"),
        ("places", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="protectednote",
            name="state",
            field=memoria.vault.fields.EncryptedReferenceField(
                blank=True, null=True, to="places.State", verbose_name="state"
            ),
        ),
        migrations.AddField(
            model_name="protectednote",
            name="urgent",
            # No column default: it would have to be a ciphertext (rows added
            # before this read as "no" until saved).
            field=memoria.vault.fields.EncryptedBooleanField(
                blank=True, default=None, verbose_name="urgent"
            ),
            preserve_default=False,
        ),
    ]
