"""Hostile and random values posted to every form of record linkage, estimation and
the official figures (the ``analysis`` app), as the analyst who uses them.

The same machinery as ``test_fuzz_forms.py`` (see docs/development.md, "Fuzzing the
forms"): a failed request writes nothing, a successful one writes exactly its record
(and its audit entry), no page echoes a script, and no response is a server error.
"""

from __future__ import annotations

from memoria.accounts.roles import Role
from memoria.analysis import actions, official, official_actions
from memoria.analysis.estimation import EstimationSettings
from memoria.analysis.models import LinkageList, LinkageRun, OfficialDataset, PairDecision
from memoria.cases.io.readers import read_table
from memoria.jobs.models import Job
from tests.web.test_analysis import LINKS, fake_result
from tests.web.test_fuzz_forms import EveryFormFuzzed, FormFuzz, FuzzCase, Target, fuzz_test, walk
from tests.web.test_official_figures import SESNSP_MAPPING, sesnsp_file

LIST_CSV = (
    "nombre,apellido_paterno,apellido_materno,fecha_nacimiento\n"
    "José Luis,Hernández,García,01/05/1990\n"
    "María,Torres,,1985\n"
).encode()
LIST_MAPPING = {
    "given_names": "nombre",
    "paternal_surname": "apellido_paterno",
    "maternal_surname": "apellido_materno",
    "birth_date": "fecha_nacimiento",
}
SESNSP = sesnsp_file()


def hold_official(test) -> None:
    """A SESNSP file waiting for its columns (the fixture's own is kept for the others)."""
    test.held_dataset = official_actions.upload(
        test.org, test.analyst, official.SESNSP, "IDM_NM_2024.csv", SESNSP
    )


TARGETS = [
    Target(
        "analysis:list_upload",
        role=Role.ANALYST,
        creates=LinkageList,
        files={"file": LIST_CSV},
        valid=lambda case: {"name": "Lista del colectivo"},
    ),
    Target(
        "analysis:list_columns",
        role=Role.ANALYST,
        edits=(LinkageList, "held_list"),
        route_fixtures={"list_id": "held_list"},
        valid=lambda case: LIST_MAPPING,
    ),
    Target(
        "analysis:list_delete",
        role=Role.ANALYST,
        removes=(LinkageList, "doomed_list"),
        route_fixtures={"list_id": "doomed_list"},
        fieldless=True,
        examples=3,
    ),
    Target(
        "analysis:linkage",
        role=Role.ANALYST,
        creates=LinkageRun,
        valid=lambda case: {"lists": case.ready_list.pk},
    ),
    Target(
        "analysis:run_again",
        role=Role.ANALYST,
        creates=LinkageRun,
        form_on="analysis:run",
        fieldless=True,
        examples=3,
    ),
    Target(
        "analysis:pair",
        role=Role.ANALYST,
        creates=PairDecision,
        # A refused answer shows the two records again, and that read is audited.
        refusal_audit=frozenset({"linkage.pair_view"}),
        route_fixtures={"pair_id": "review_pair"},
        valid=lambda case: {"decision": "same", "version": 0},
    ),
    Target(
        "analysis:estimates",
        role=Role.ANALYST,
        creates=Job,  # the estimate and the job that computes it
        valid=lambda case: {
            "methods": "loglinear",
            "criterion": "bic",  # averaging over models, every order
            "max_order": 99,
            "chains": 2,
            "burn_in": 0,
            "iterations": 100,
            "seed": 1,
        },
    ),
    Target(
        "official_figures:upload",
        role=Role.ANALYST,
        creates=OfficialDataset,
        files={"file": SESNSP},
        valid=lambda case: {"source": official.SESNSP},
    ),
    Target(
        "official_figures:columns",
        role=Role.ANALYST,
        creates=Job,  # queued: the worker audits the import itself
        audited=False,
        prepare=hold_official,
        route_fixtures={"dataset_id": "held_dataset"},
        valid=lambda case: SESNSP_MAPPING,
        examples=8,
    ),
    Target(
        "official_figures:delete",
        role=Role.ANALYST,
        removes=(OfficialDataset, "dataset"),
        form_on="official_figures:list",
        fieldless=True,
        examples=3,
    ),
    Target(
        "official_figures:compare",
        method="get",
        role=Role.ANALYST,
        succeeds=lambda response: response.status_code == 200,
        audited=False,  # figures only: nobody's identity is shown
        always_writes=False,
    ),
]
NO_FORM = {
    "analysis:run",  # its form posts to analysis:run_again
    "analysis:queue",
    "analysis:histories",
    "analysis:estimate",
    "analysis:estimate_report",
    "official_figures:list",  # its forms post to official_figures:delete
}


def analysis_routes() -> set[str]:
    from django.urls import get_resolver

    return {
        name
        for name, pattern in walk(get_resolver().url_patterns)
        if pattern.callback.__module__.startswith("memoria.analysis.")
    }


class AnalysisFuzzCase(FuzzCase):
    """Lists (one ready, one waiting for its columns, one to delete), a finished run with
    pairs to review, an estimate, and official figures imported and waiting."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        table = read_table(LIST_CSV, "lista.csv")
        cls.ready_list = actions.upload_list(cls.org, cls.analyst, "Fiscalía", table)
        actions.set_list_mapping(cls.ready_list, cls.analyst, LIST_MAPPING)
        cls.held_list = actions.upload_list(cls.org, cls.analyst, "Colectivo", table)
        cls.doomed_list = actions.upload_list(cls.org, cls.analyst, "Borrador", table)
        cls.linkage_run = LinkageRun.objects.create(organization=cls.org)
        sources, result = fake_result(LINKS)
        actions.save_run_result(cls.linkage_run, sources, result)
        cls.review_pair, answered = cls.linkage_run.pairs.all()[:2]
        # One answer already given: the run page then offers to link again, learning from it.
        actions.decide_pair(answered, cls.analyst, "different", 0)
        settings = EstimationSettings(methods=("loglinear",))
        cls.estimate = actions.start_estimate(
            cls.linkage_run, cls.analyst, settings, "fuzz", "es-mx"
        )
        cls.dataset = official_actions.upload(
            cls.org, cls.analyst, official.SESNSP, "IDM_NM_2023.csv", SESNSP
        )
        parsed = official.parse(official.SESNSP, SESNSP, SESNSP_MAPPING)
        official_actions.write_counts(cls.dataset, parsed, cls.analyst)
        cls.held_dataset = official_actions.upload(
            cls.org, cls.analyst, official.SESNSP, "IDM_NM_2024.csv", SESNSP
        )
        # Another organization's list and run: their ids are among the hostile values.
        foreign = actions.upload_list(cls.other_org, cls.outsider, "Ajena", table)
        foreign_run = LinkageRun.objects.create(organization=cls.other_org)
        cls.foreign_ids = sorted({*cls.foreign_ids, foreign.pk, foreign_run.pk})

    def route_values(self, target=None) -> dict:
        own = {
            "run_id": self.linkage_run.pk,
            "pair_id": self.review_pair.pk,
            "list_id": self.ready_list.pk,
            "estimate_id": self.estimate.pk,
            "dataset_id": self.dataset.pk,
        }
        return {**own, **super().route_values(target)}


class AnalysisFormFuzz(FormFuzz, AnalysisFuzzCase):
    forms: dict = {}


for _target in TARGETS:
    _test = fuzz_test(_target)
    setattr(AnalysisFormFuzz, _test.__name__, _test)
del _target, _test  # a loop name left in the module would be collected as a test


class AnalysisFuzzCoverageTests(EveryFormFuzzed, AnalysisFuzzCase):
    targets = TARGETS
    no_form = NO_FORM
    app_name = "record linkage, estimation and the official figures"
    fuzz_file = "tests/web/test_fuzz_analysis.py"
    browse_as = "analyst"

    def routes(self):
        return analysis_routes()


class FoundByTheFuzzTests(AnalysisFuzzCase):
    """What the fuzz found, posted with the ordinary test client."""

    def test_a_list_id_no_column_can_hold_is_refused_not_a_server_error(self):
        self.client.force_login(self.analyst)
        response = self.client.post(
            f"/o/{self.org.slug}/linkage/", {"lists": ["9" * 30], "token": "t"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("9" * 30, response.content.decode())  # named in the error
        runs = LinkageRun.objects.filter(organization=self.org).exclude(pk=self.linkage_run.pk)
        self.assertFalse(runs.exists())

    def test_columns_chosen_from_a_stale_page_say_so_and_queue_nothing(self):
        self.client.force_login(self.analyst)
        url = f"/o/{self.org.slug}/official-figures/{self.held_dataset.pk}/columns/"
        stale = {**SESNSP_MAPPING, "version": self.held_dataset.version - 1, "token": "a"}
        jobs = Job.objects.count()
        response = self.client.post(url, stale)
        self.assertEqual(response.status_code, 409)
        self.assertIn(
            "Otra persona inició esta importación mientras tanto.", response.content.decode()
        )
        self.assertEqual(Job.objects.count(), jobs)

    def test_a_token_with_a_nul_still_links_again_once(self):
        """PostgreSQL refuses NUL in text: the job's key came from the posted token."""
        self.client.force_login(self.analyst)
        url = f"/o/{self.org.slug}/linkage/runs/{self.linkage_run.pk}/again/"
        before = LinkageRun.objects.filter(organization=self.org).count()
        response = self.client.post(url, {"token": "a\x00b"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(LinkageRun.objects.filter(organization=self.org).count(), before + 1)
