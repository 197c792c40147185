from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "memoria.network"
    label = "network"
    verbose_name = _("Network of organizations")

    def ready(self) -> None:
        from memoria.jobs.registry import register_periodic
        from memoria.network.reminders import EVERY_SECONDS, send_reminders

        register_periodic("network.reminders", send_reminders, every_seconds=EVERY_SECONDS)

        from memoria.network.actions import referral_fields
        from memoria.sharing.registry import register_grant_source

        register_grant_source("network.referrals", referral_fields)
