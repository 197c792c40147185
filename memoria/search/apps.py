from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "memoria.search"
    label = "search"
    verbose_name = _("Search for the disappeared")

    def ready(self) -> None:
        # Registers the job handlers in every process: the official lists' imports and
        # reports (memoria.search.official_jobs) and re-matching (search.rematch).
        from memoria.search import official_jobs, review  # noqa: F401
