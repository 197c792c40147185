from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProtectionConfig(AppConfig):
    name = "memoria.protection"
    label = "protection"
    verbose_name = _("Protection")

    def ready(self) -> None:
        from memoria.alerts.recipients import register_contact_source
        from memoria.jobs.registry import register_periodic
        from memoria.protection.alert_contacts import support_circle_contacts
        from memoria.protection.overdue import EVERY_SECONDS, raise_overdue_alerts

        register_periodic("protection.overdue", raise_overdue_alerts, every_seconds=EVERY_SECONDS)
        # Urgent alerts can go to the support circles.
        register_contact_source("protection", support_circle_contacts)
