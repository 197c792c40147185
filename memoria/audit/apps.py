from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "memoria.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from memoria.audit import signals  # noqa: F401  (connects the login receivers)
        from memoria.audit.log import rewrap_key
        from memoria.vault.rotation import register_rewrap_hook

        register_rewrap_hook(rewrap_key)  # the audit key follows the master key
