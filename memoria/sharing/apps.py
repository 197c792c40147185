from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "memoria.sharing"
    label = "sharing"
    verbose_name = _("Sharing between organizations")

    def ready(self) -> None:
        from memoria.jobs.registry import register_periodic
        from memoria.sharing.agreements import EVERY_SECONDS, refresh_all

        register_periodic("sharing.agreements", refresh_all, every_seconds=EVERY_SECONDS)
