"""The two-factor device proxies move to accounts; the test-only ProtectedNote leaves.

The proxies own no table (the devices stay in django-otp's tables, and
accounts 0002 declares the same proxies), so deleting them here changes no
row. ProtectedNote was a model for the vault's tests: its table is dropped
(the tests now have their own app, tests.vaultapp).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0002_sealed_two_factor_devices"),
        ("accounts", "0002_sealed_two_factor_devices"),
    ]

    operations = [
        migrations.DeleteModel(name="SealedStaticDevice"),
        migrations.DeleteModel(name="SealedTOTPDevice"),
        migrations.DeleteModel(name="ProtectedNote"),
    ]
