from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    name = "memoria.analysis"
    label = "analysis"
    verbose_name = _("Analysis")

    def ready(self) -> None:
        from memoria.analysis import jobs, official_actions  # noqa: F401  (register the jobs)
