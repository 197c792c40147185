from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "memoria.alerts"
    label = "alerts"
    verbose_name = _("Alerts and delivery")

    def ready(self) -> None:
        from memoria.alerts import worker  # noqa: F401  (register the delivery loop)
