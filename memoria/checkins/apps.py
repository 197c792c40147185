from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# How often each worker looks for missed check-ins and due escalation steps.
ESCALATION_POLL_SECONDS = 1.0


class CheckinsConfig(AppConfig):
    name = "memoria.checkins"
    label = "checkins"
    verbose_name = _("Check-ins")

    def ready(self) -> None:
        from memoria.checkins.actions import escalate_due
        from memoria.jobs.registry import register_loop

        def escalate(context) -> int:
            return escalate_due(should_stop=context.should_stop)

        register_loop("checkins.escalate", escalate, poll_seconds=ESCALATION_POLL_SECONDS)
