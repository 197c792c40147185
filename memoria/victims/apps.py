from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VictimsConfig(AppConfig):
    name = "memoria.victims"
    label = "victims"
    verbose_name = _("Victims' registry and reparations")

    def ready(self) -> None:
        from memoria.victims import reminders  # noqa: F401  (registers the periodic reminders)
