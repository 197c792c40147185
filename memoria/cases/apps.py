from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "memoria.cases"
    label = "cases"
    verbose_name = _("Case documentation")

    def ready(self) -> None:
        from memoria.cases import caseindex  # noqa: F401  (deleting a case bumps its clock)
        from memoria.cases.io import (  # noqa: F401  (register the import, reindex, export jobs)
            export_jobs,
            jobs,
        )
        from memoria.cases.naming import register_audit_names
        from memoria.cases.sharing import register

        register()
        register_audit_names()
