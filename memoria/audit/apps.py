from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

SEAL_EVERY_SECONDS = 5


class AuditConfig(AppConfig):
    name = "memoria.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from memoria.audit import signals  # noqa: F401  (connects the login receivers)
        from memoria.audit.log import rewrap_key
        from memoria.vault.rotation import register_rewrap_hook

        register_rewrap_hook(rewrap_key)  # the audit key follows the master key

        schedule_sealing()


def schedule_sealing() -> None:
    """Have the background worker chain pending audit entries every few seconds.

    The audit page, ``memoria audit verify``, ``memoria backup`` and
    ``memoria audit seal`` (for cron, where no worker runs) seal before they read.
    """
    from memoria.audit.log import seal_pending
    from memoria.jobs.registry import register_periodic

    register_periodic("audit.seal", seal_pending, every_seconds=SEAL_EVERY_SECONDS)
