"""Hostile and random values posted to every form of the official lists.

The same machinery as ``test_fuzz_forms.py`` (see docs/development.md,
"Fuzzing the forms"): a failed request writes nothing, a successful one
writes exactly its record (and its audit entry), no page echoes a script,
and no response is a server error.
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from memoria.jobs.models import Job
from memoria.jobs.worker import drain
from memoria.search import actions
from memoria.search.models import RegistryDecision
from memoria.search.official import check_official_table, write_official
from memoria.search.official_jobs import queue_report
from tests.web.search_fixtures import file_data
from tests.web.test_fuzz_forms import EveryFormFuzzed, FormFuzz, FuzzCase, Target, fuzz_test, walk
from tests.web.test_search_official import REGISTRY_MAPPING, REGISTRY_ROWS, registry_csv

CSV = registry_csv(*REGISTRY_ROWS)


def hold_official_upload(test) -> None:
    upload = SimpleUploadedFile("registro.csv", CSV, content_type="text/csv")
    response = test.client.post(
        test.url("search:official_import"), {"kind": "rnpdno", "file": upload}
    )
    assert response.status_code == 302, response.status_code


TARGETS = [
    Target(
        "search:official_import",
        always_writes=False,  # the table waits in the session, sealed
        audited=False,
        files={"file": CSV},
        valid=lambda case: {"kind": "rnpdno"},
    ),
    Target(
        "search:official_columns",
        creates=Job,
        audited=False,  # queued: the worker audits the import itself
        prepare=hold_official_upload,
        valid=lambda case: REGISTRY_MAPPING,
        examples=8,
    ),
    Target(
        "search:registry_run",
        creates=Job,
        audited=False,  # the worker audits the comparison
        form_on="search:registry_absent",
        fieldless=True,
        examples=3,
    ),
    Target(
        "search:registry_decide",
        creates=RegistryDecision,
        form_on="search:registry_absent",
        # Each example decides the pair afresh (the previous example's decision is gone).
        prepare=lambda test: RegistryDecision.objects.all().delete(),
        valid=lambda case: {"file": case.cousin.pk, "record": case.registry.pk, "same": "no"},
        examples=6,
    ),
]
NO_FORM = {
    "search:official",
    "search:official_job",
    "search:registry_reverse",
    "search:registry_absent",  # its forms post to registry_run and registry_decide
}


def official_routes() -> set[str]:
    from django.urls import get_resolver

    return {
        name
        for name, pattern in walk(get_resolver().url_patterns)
        if pattern.callback.__module__ == "memoria.search.official_views"
    }


class OfficialFuzzCase(FuzzCase):
    """The cases fixtures, an imported registry and a comparison with one uncertain pair."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        from memoria.cases.io.readers import read_table

        report = check_official_table(read_table(CSV, "r.csv"), REGISTRY_MAPPING, "rnpdno")
        write_official(report, cls.org, cls.documenter)
        cls.registry = next(
            r
            for r in cls.org_registry()
            if r.rnpdno_folio == "RNP-001"  # HERNANDEZ GARCIA JOSE LUIS
        )
        # Same surnames, another given name: an uncertain pair.
        act = cls.add_victim_to(cls.event, "Pedro", "Hernández", "García")
        cls.cousin = actions.open_file(act.victim, cls.documenter, file_data(rnpdno_folio=""))
        queue_report(cls.org, cls.documenter, "fuzz")
        drain()

    @classmethod
    def org_registry(cls):
        from memoria.search.models import AnteMortemFile

        return AnteMortemFile.objects.filter(organization=cls.org, source="rnpdno")

    @classmethod
    def add_victim_to(cls, event, given, paternal, maternal):
        from memoria.cases import actions as case_actions
        from tests.web.cases_fixtures import term

        return case_actions.add_victim(
            event,
            cls.documenter,
            {
                "given_names": given,
                "paternal_surname": paternal,
                "maternal_surname": maternal,
                "sex": "male",
                "visibility": "private",
            },
            {"violation_type": term("violation_type", "enforced_disappearance")},
            {"kind": term("perpetrator_kind", "army"), "confidence": "high", "basis": None},
        )


class OfficialFormFuzz(FormFuzz, OfficialFuzzCase):
    forms: dict = {}


for _target in TARGETS:
    _test = fuzz_test(_target)
    setattr(OfficialFormFuzz, _test.__name__, _test)


class OfficialFuzzCoverageTests(EveryFormFuzzed, OfficialFuzzCase):
    targets = TARGETS
    no_form = NO_FORM
    app_name = "the official lists"
    fuzz_file = "tests/web/test_fuzz_official.py"

    def routes(self):
        return official_routes()
