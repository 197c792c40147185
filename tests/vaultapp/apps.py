from django.apps import AppConfig


class VaultTestConfig(AppConfig):
    name = "tests.vaultapp"
    label = "vaultapp"
    default_auto_field = "django.db.models.BigAutoField"
