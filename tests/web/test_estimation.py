"""Estimation from a reviewed linkage run, in the web: the job, the figures, the pages.

The runs here are built from published capture-history tables (the engine's
own fixtures, tests/engines/data/mse/): one cluster per person, one record per
list the person is on. The job must give the figures of the engine called
directly on the same table; LCMCR runs are tiny.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from django.utils import timezone, translation

from memoria.analysis import actions
from memoria.analysis.estimation import (
    EstimationSettings,
    capture_table,
    engine_tables,
    fingerprint,
    run_estimate,
)
from memoria.analysis.models import Estimate, LinkageRun
from memoria.analysis.progress import stored
from memoria.audit.models import AuditEntry
from memoria.cases.io.jobs import seal
from memoria.jobs.models import Job
from memoria.jobs.queue import JobContext
from memoria.jobs.worker import Worker, drain
from memoria.mse import EstimateOptions, LcmcrSettings, estimate_population, read_capture_table
from memoria.mse.progress import BOOTSTRAP, LCMCR_ROUND, phase
from tests.web.base import MemoriaTestCase

DATA = Path(__file__).resolve().parents[1] / "engines" / "data" / "mse"
WESTERN = DATA / "sparsemse_Western.csv"  # Farrell et al. 2019: stepwise A:E, 2,483
TINY = {"chains": 2, "burn_in": 0, "iterations": 100, "seed": 7}


def run_from_table(organization, path: Path, states=None) -> LinkageRun:
    """A finished linkage run whose reviewed clusters are the people of a capture table.

    ``states``, if given, names a state for each person in turn (for strata).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = read_capture_table(path)[None]
    names = {f"list{j}": name for j, name in enumerate(table.lists)}
    records, clusters, values = [], {}, {}
    person = 0
    for history, count in zip(table.histories, table.counts, strict=True):
        for _copy in range(int(count)):
            person += 1
            for j in np.flatnonzero(history):
                fingerprint_ = f"p{person}l{j}"
                records.append([fingerprint_, f"list{j}"])
                clusters[fingerprint_] = person
                if states:
                    values[fingerprint_] = {"state": states[person % len(states)], "period": ""}
    run = LinkageRun.objects.create(organization=organization)
    graph = {"records": records, "links": [], "sources": names}
    run.sealed_graph = seal(organization.pk, graph, actions.GRAPH_CONTEXT)
    run.sealed_clusters = seal(
        organization.pk, {"clusters": clusters, "lists": list(names.values()), "histories": []},
        actions.CLUSTERS_CONTEXT,
    )  # fmt: skip
    run.summary = {"records": len(records), "clusters": person, "review_pairs": 0}
    run.save()
    run.values = values
    return run


class EstimateFixture(MemoriaTestCase):
    def setUp(self):
        super().setUp()
        self.run = run_from_table(self.org, WESTERN)

    def start(self, user=None, run=None, **fields):
        self.client.force_login(user or self.analyst)
        data = {"methods": ["loglinear", "lcmcr"], "strata": "", **TINY, **fields}
        run = run or self.run
        return self.client.post(
            f"/o/{run.organization.slug}/linkage/runs/{run.pk}/estimates/", data
        )

    def estimate_url(self, estimate: Estimate, report: bool = False) -> str:
        base = f"/o/{estimate.organization.slug}/linkage/estimates/{estimate.pk}/"
        return base + ("report/" if report else "")


class EstimateJobTests(EstimateFixture):
    def test_the_job_gives_the_engines_figures_on_a_published_table(self):
        response = self.start()
        self.assertEqual(response.status_code, 302)
        estimate = Estimate.objects.get()
        page = self.client.get(response["Location"])
        self.assertContains(page, "data-refresh")
        self.assertEqual(drain(), 1)
        job = Job.objects.get(kind="analysis.estimate")
        self.assertEqual(job.status, Job.Status.DONE, job.error)
        estimate.refresh_from_db()
        report = estimate.result["report"]
        # The published stepwise figure (Farrell et al. 2019, via SparseMSE).
        self.assertAlmostEqual(report["loglinear"]["estimate"], 2483, delta=0.5)
        # The engine called directly on the CSV, with the same settings.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            direct = estimate_population(
                read_capture_table(WESTERN),
                EstimateOptions(
                    methods=("loglinear", "lcmcr"),
                    seed=7,
                    lcmcr=LcmcrSettings(chains=2, burn_in=0, iterations=100, seed=7, processes=1),
                ),
            )
        self.assertEqual(report["observed"], 345)
        self.assertEqual(report["loglinear"]["estimate"], direct["loglinear"]["estimate"])
        self.assertEqual(report["loglinear"]["interval"], direct["loglinear"]["interval"])
        self.assertEqual(report["lcmcr"]["median"], direct["lcmcr"]["median"])
        self.assertEqual(report["lcmcr"]["interval"], direct["lcmcr"]["interval"])
        self.assertEqual(
            report["lcmcr"]["diagnostics"]["rhat"], direct["lcmcr"]["diagnostics"]["rhat"]
        )
        self.assertEqual(
            sum(report["lcmcr"]["histogram"]["counts"])
            + report["lcmcr"]["histogram"]["below"]
            + report["lcmcr"]["histogram"]["above"],
            20,
        )

    def test_the_page_shows_histories_estimates_charts_and_diagnostics(self):
        self.start()
        drain()
        estimate = Estimate.objects.get()
        self.client.force_login(self.coordinator)
        page = self.client.get(self.estimate_url(estimate))
        self.assertEqual(page.status_code, 200)
        body = page.content.decode()
        self.assertIn("Historias de captura", body)
        self.assertIn("2,483", body.replace("\u202f", ",").replace(" ", ","))
        self.assertIn("<svg", body)
        self.assertIn("chart-bar", body)
        # Tiny chains: the words say they cannot be trusted.
        self.assertIn("ESS", body.upper().replace("TAMAÑO EFECTIVO", "ESS"))
        self.assertIn("combinaciones de listas", body)
        self.assertEqual(page["Cache-Control"], "no-store, private")
        entry = AuditEntry.objects.get(action="estimation.view")
        self.assertEqual(entry.actor_id, self.coordinator.pk)
        self.assertTrue(AuditEntry.objects.filter(action="estimation.start").exists())
        self.assertTrue(AuditEntry.objects.filter(action="estimation.done").exists())

    def test_the_printable_report_says_what_it_counts_and_cannot(self):
        self.start()
        drain()
        estimate = Estimate.objects.get()
        page = self.client.get(self.estimate_url(estimate, report=True))
        self.assertContains(page, "Lo que esta estimación cuenta")
        self.assertContains(page, "Lo que no puede contar")
        self.assertContains(page, estimate.fingerprint)
        self.assertContains(page, "@media print", count=0)  # the CSS is a file
        self.assertTrue(AuditEntry.objects.filter(action="estimation.report").exists())

    def test_a_rerun_with_the_same_inputs_says_it_reproduces(self):
        self.start(token="a")
        self.start(token="b")
        self.start(token="c", seed=8)
        self.assertEqual(drain(), 3)
        first, second, other = Estimate.objects.order_by("pk")
        self.assertEqual(first.fingerprint, second.fingerprint)
        self.assertNotEqual(first.fingerprint, other.fingerprint)
        self.assertIsNone(first.reproduces)
        self.assertEqual(second.reproduces, first)
        self.assertTrue(second.reproduced)
        self.assertIsNone(other.reproduces)
        page = self.client.get(self.estimate_url(second))
        self.assertContains(page, f"los mismos datos que la estimación #{first.pk}")

    def test_the_same_form_sent_twice_starts_one_estimate(self):
        self.start(token="same")
        self.start(token="same")
        self.assertEqual(Estimate.objects.count(), 1)

    def test_it_estimates_by_state_and_adds_up(self):
        run = run_from_table(self.org, WESTERN, states=["08", "19"])
        with mock.patch("memoria.analysis.estimation.record_strata", return_value=run.values):
            self.start(run=run, strata="state", methods=["loglinear"])
            drain()
        estimate = Estimate.objects.get(run=run)
        self.assertIsNotNone(estimate.result, Job.objects.get().error)
        report = estimate.result["report"]
        self.assertEqual(set(report["strata"]), {"08", "19"})
        total = sum(part["loglinear"]["estimate"] for part in report["strata"].values())
        self.assertAlmostEqual(report["loglinear"]["estimate"], total)
        page = self.client.get(self.estimate_url(estimate))
        self.assertContains(page, "Chihuahua")
        self.assertContains(page, "Estimaciones por estrato")
        self.assertContains(page, "chart-interval")

    def two_list_run(self) -> LinkageRun:
        """A run over two lists of one person each: too few lists to estimate."""
        run = LinkageRun.objects.create(
            organization=self.org, summary={"records": 2, "clusters": 2}
        )
        graph = {
            "records": [["a", "l1"], ["b", "l2"]],
            "links": [],
            "sources": {"l1": "A", "l2": "B"},
        }
        run.sealed_graph = seal(self.org.pk, graph, actions.GRAPH_CONTEXT)
        run.sealed_clusters = seal(
            self.org.pk, {"clusters": {"a": 1, "b": 2}}, actions.CLUSTERS_CONTEXT
        )
        run.save()
        return run

    def test_a_run_over_two_lists_fails_with_a_reason(self):
        run = self.two_list_run()
        response = self.start(run=run)
        drain()
        self.assertEqual(Job.objects.get().status, Job.Status.FAILED)
        self.assertContains(self.client.get(response["Location"]), "al menos tres listas")

    def test_a_failed_estimate_whose_job_was_deleted_says_so(self):
        run = self.two_list_run()
        response = self.start(run=run)
        drain()
        Job.objects.update(finished_at=timezone.now() - dt.timedelta(days=31))
        Worker(worker_id="w").run_due_periodic()  # 30 days unless set
        self.assertFalse(Job.objects.exists())
        page = self.client.get(response["Location"])
        self.assertContains(page, "Esta estimación no terminó y su tarea se eliminó")
        self.assertContains(page, "las tareas se eliminan 30 días después de terminar")
        self.assertNotContains(page, "La estimación se está guardando.")
        # The run's list of estimates says so too.
        self.assertContains(
            self.client.get(f"/o/{run.organization.slug}/linkage/runs/{run.pk}/estimates/"),
            "— no terminó",
        )

    def test_an_estimate_started_in_english_fails_in_english(self):
        run = self.two_list_run()
        self.client.cookies["memoria_language"] = "en"
        response = self.start(run=run)
        drain()  # the worker's own language is Spanish
        page = self.client.get(response["Location"])
        self.assertContains(page, "An estimate needs at least three lists with people")
        self.assertNotContains(page, "al menos tres listas")

    def test_a_stratum_too_small_is_named_by_its_state_not_its_code(self):
        run = self.two_list_run()
        states = {"a": {"state": "03", "period": ""}, "b": {"state": "03", "period": ""}}
        with mock.patch("memoria.analysis.estimation.record_strata", return_value=states):
            response = self.start(run=run, strata="state")
            drain()
        page = self.client.get(response["Location"])
        self.assertContains(page, "el estrato Baja California Sur tiene 2")
        self.assertNotContains(page, "estrato 03")

    def test_the_result_is_kept_encrypted(self):
        self.start()
        drain()
        stored = json.dumps(list(Estimate.objects.values()), default=str)
        self.assertNotIn('"lists"', stored)
        self.assertNotIn("2483", stored)


class FingerprintTests(MemoriaTestCase):
    def setUp(self):
        super().setUp()
        self.run = run_from_table(self.org, WESTERN)
        self.table = capture_table(actions.run_graph(self.run), actions.run_clusters(self.run))

    def test_the_histories_are_the_published_table(self):
        direct = read_capture_table(WESTERN)[None]
        built = engine_tables(self.table)[None]
        self.assertEqual(built.observed, direct.observed)
        self.assertEqual(built.list_totals(), direct.list_totals())
        np.testing.assert_array_equal(built.full_cells()[1], direct.full_cells()[1])

    def test_it_changes_with_counts_and_settings_not_with_list_names(self):
        settings = EstimationSettings(**TINY)
        print_ = fingerprint(self.table, settings)
        self.assertEqual(print_, fingerprint(json.loads(json.dumps(self.table)), settings))
        renamed = {**self.table, "lists": [f"x{name}" for name in self.table["lists"]]}
        self.assertEqual(print_, fingerprint(renamed, settings))
        more = json.loads(json.dumps(self.table))
        more["strata"][""][0][-1] += 1
        self.assertNotEqual(print_, fingerprint(more, settings))
        self.assertNotEqual(
            print_, fingerprint(self.table, EstimationSettings(**{**TINY, "iterations": 200}))
        )

    def test_the_same_settings_give_the_same_figures(self):
        settings = EstimationSettings(**TINY)
        self.assertEqual(run_estimate(self.table, settings), run_estimate(self.table, settings))


class EstimatePersonaTests(EstimateFixture):
    def test_an_outsider_gets_404_on_every_page(self):
        self.start()
        drain()
        estimate = Estimate.objects.get()
        self.client.force_login(self.outsider)
        slug = self.other_org.slug
        for path in (
            f"/o/{slug}/linkage/runs/{self.run.pk}/estimates/",
            f"/o/{slug}/linkage/estimates/{estimate.pk}/",
            f"/o/{slug}/linkage/estimates/{estimate.pk}/report/",
        ):
            self.assertEqual(self.client.get(path).status_code, 404, path)
        self.assertEqual(self.client.get(self.estimate_url(estimate)).status_code, 404)
        self.assertFalse(AuditEntry.objects.filter(action="estimation.view").exists())

    def test_a_reader_or_documenter_can_neither_start_nor_see(self):
        self.start()
        drain()
        estimate = Estimate.objects.get()
        for user in (self.reader, self.documenter):
            self.assertEqual(self.start(user=user).status_code, 403)
            for report in (False, True):
                self.assertEqual(
                    self.client.get(self.estimate_url(estimate, report)).status_code, 403
                )
        self.assertEqual(Estimate.objects.count(), 1)

    def test_an_analyst_and_a_coordinator_can_start(self):
        self.assertEqual(self.start(user=self.coordinator, token="c").status_code, 302)
        self.assertEqual(self.start(user=self.analyst, token="a").status_code, 302)
        self.assertEqual(Estimate.objects.count(), 2)

    def test_the_button_says_what_it_does(self):
        self.client.force_login(self.analyst)
        page = self.client.get(f"/o/{self.org.slug}/linkage/runs/{self.run.pk}/estimates/")
        self.assertContains(page, '<button type="submit">Estimar</button>', html=True)

    def test_bad_settings_are_refused(self):
        response = self.start(chains=0, iterations=5, methods=[])
        self.assertEqual(response.status_code, 422)
        self.assertFalse(Estimate.objects.exists())

    def test_an_unfinished_run_has_no_estimate_page(self):
        run = LinkageRun.objects.create(organization=self.org)
        self.client.force_login(self.analyst)
        response = self.client.get(f"/o/{self.org.slug}/linkage/runs/{run.pk}/estimates/")
        self.assertEqual(response.status_code, 302)


@pytest.mark.parametrize("strata", ["state", "period", "state_period"])
def test_a_persons_stratum_is_what_most_of_its_records_say(strata):
    graph = {
        "records": [["a", "l1"], ["b", "l2"], ["c", "l3"], ["d", "l1"]],
        "sources": {"l1": "A", "l2": "B", "l3": "C"},
    }
    clusters = {"clusters": {"a": 1, "b": 1, "c": 1, "d": 2}}
    values = {
        "a": {"state": "08", "period": "2019"},
        "b": {"state": "08", "period": ""},
        "c": {"state": "19", "period": "2019"},
        "d": {"state": "", "period": ""},
    }
    table = capture_table(graph, clusters, strata, values)
    expected = {
        "state": {"08": [[1, 1, 1, 1]], "?": [[1, 0, 0, 1]]},
        "period": {"2019": [[1, 1, 1, 1]], "?": [[1, 0, 0, 1]]},
        "state_period": {"08/2019": [[1, 1, 1, 1]], "?/?": [[1, 0, 0, 1]]},
    }[strata]
    assert table["strata"] == expected


def test_a_record_left_out_leaves_its_cluster_and_a_list_left_empty_goes():
    """A partner's person no longer shared: their cluster loses the record (still counted
    through the others), a cluster of only such records is no one, and the partner's
    list, once empty, is no list of the table."""
    from memoria.analysis.estimation import left_out_people, person_histories

    graph = {
        "records": [["a", "l1"], ["b", "l2"], ["s1", "s"], ["c", "l3"], ["s2", "s"], ["d", "l1"]],
        "sources": {"l1": "A", "l2": "B", "s": "Shared", "l3": "C"},
    }
    clusters = {"clusters": {"a": 1, "b": 1, "s1": 1, "c": 2, "s2": 3, "d": 4}}
    whole = capture_table(graph, clusters)
    assert whole["lists"] == ["A", "B", "Shared", "C"]
    assert sum(row[-1] for row in whole["strata"][""]) == 4
    one = capture_table(graph, clusters, left_out={"s2"})
    assert one["lists"] == ["A", "B", "Shared", "C"]
    assert one["strata"][""] == [[1, 1, 1, 0, 1], [1, 0, 0, 0, 1], [0, 0, 0, 1, 1]]
    both = capture_table(graph, clusters, left_out={"s1", "s2"})
    assert both["lists"] == ["A", "B", "C"]
    assert both["strata"][""] == [[1, 1, 0, 1], [1, 0, 0, 1], [0, 0, 1, 1]]
    assert left_out_people(graph, clusters, {"s1", "s2"}) == 1
    assert person_histories(graph, clusters, {"s1", "s2"}) == (
        ["A", "B", "C"],
        [[1, 1, 0], [0, 0, 1], [1, 0, 0]],
    )


def test_the_words_say_when_chains_disagree_or_cannot_show_it():
    from django.utils import translation

    from memoria.analysis.estimate_pages import diagnostics

    table = {
        "lists": ["A", "B", "C"],
        "strata": {"": [[1, 1, 0, 10], [1, 0, 0, 40], [0, 0, 1, 30]]},
    }
    disagree = {"lcmcr": {"diagnostics": {"chains": 4, "rhat": 1.45, "ess_bulk": 900.0,
                                          "chain_medians": [1700, 1750, 2100, 2300]}}}  # fmt: skip
    one = {"lcmcr": {"diagnostics": {"chains": 1, "rhat": None, "ess_bulk": 500.0}}}
    with translation.override("en"):
        words = [item["text"] for item in diagnostics(table, disagree, {"": ""})]
        assert any("chains disagree (R-hat 1.450" in text for text in words)
        assert any('"A" and "C" share nobody' in text for text in words)
        assert any("4 of the 7 combinations" in text for text in words)
        words = [item["text"] for item in diagnostics(table, one, {"": ""})]
        assert any("one chain cannot show" in text for text in words)


MADIGAN_YORK = DATA / "madigan_york_5list.csv"  # averaged by BIC: 622 [597, 660] (docs)
UK6 = DATA / "sparsemse_UKdat.csv"  # six lists


def test_one_pair_that_overlaps_too_much_is_not_called_fine():
    """The demo's cases, two lists and a small one: only one pair of lists shares anyone,
    and it shares more than independent lists could. Nothing says the lists are
    independent: one two-list estimate has nothing to be compared with."""
    from memoria.analysis.estimate_pages import _dependence

    table = {
        "lists": ["Casos", "Fiscalía", "Colectivo", "Prueba"],
        "strata": {
            "": [
                [1, 0, 0, 0, 7946],
                [0, 1, 1, 0, 70],
                [0, 1, 0, 0, 107],
                [0, 0, 1, 0, 79],
                [0, 0, 0, 1, 5],
            ]  # fmt: skip
        },
    }
    with translation.override("en"):
        found = _dependence(table)
    assert [item for item in found if item["level"] == "ok"] == []
    assert any("share 70 people, more than independent" in item["text"] for item in found)


def _plain(body: str) -> str:
    """Figures as the tests write them, whatever the locale's thousands separator."""
    return body.replace("\u202f", ",").replace("\xa0", ",")


class EstimateAveragingTests(EstimateFixture):
    def test_the_job_averages_over_models_as_the_cli_does(self):
        run = run_from_table(self.org, MADIGAN_YORK)
        self.start(run=run, methods=["loglinear"], criterion="bic", max_order=2)
        drain()
        estimate = Estimate.objects.get(run=run)
        self.assertIsNotNone(estimate.result, Job.objects.get().error)
        self.assertEqual(estimate.options["criterion"], "bic")
        loglinear = estimate.result["report"]["loglinear"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            direct = estimate_population(
                read_capture_table(MADIGAN_YORK), EstimateOptions(criterion="bic", seed=7)
            )
        self.assertEqual(loglinear["model_average"], direct["loglinear"]["model_average"])
        average = loglinear["model_average"]
        self.assertAlmostEqual(average["estimate"], 622.3, delta=0.05)
        self.assertEqual([round(v, 1) for v in average["interval"]], [597.3, 660.5])
        self.assertAlmostEqual(loglinear["top_models"][0]["weight"], 0.3838, delta=1e-4)
        page = _plain(self.client.get(self.estimate_url(estimate)).content.decode())
        self.assertIn("Promedio sobre modelos log-lineales", page)
        self.assertIn("622", page)
        self.assertIn("597 – 660", page)
        self.assertIn("Se necesitan 22 modelos para reunir 95% del peso", page)
        self.assertIn("Los modelos con más peso", page)
        self.assertIn("Promedio sobre 1,024 modelos", page)
        self.assertIn("L1:L2, L1:L3, L4:L5", page)  # the best model, with its weight
        self.assertIn("38.4%", page)
        self.assertIn("(modelo L1:L2, L1:L3, L4:L5)", page)  # its terms, not a Python list
        self.assertNotIn("['", page)
        report = self.client.get(self.estimate_url(estimate, report=True))
        self.assertContains(report, "Lo que hace el promedio sobre modelos, y lo que no puede")
        self.assertContains(report, "Supone que uno de los modelos buscados es el correcto")
        self.assertContains(report, "promedio sobre todos los modelos jerárquicos")

    def test_every_order_searches_rcaptures_models(self):
        run = run_from_table(self.org, MADIGAN_YORK)
        self.start(run=run, methods=["loglinear"], criterion="bic", max_order=99)
        drain()
        loglinear = Estimate.objects.get(run=run).result["report"]["loglinear"]
        self.assertEqual(loglinear["max_order"], 4)
        self.assertEqual(loglinear["models_searched"], 6893)  # Rcapture's count for 5 lists

    def test_the_fingerprint_covers_the_averaging_options(self):
        run = run_from_table(self.org, MADIGAN_YORK)
        common = {"run": run, "methods": ["loglinear"]}
        self.start(token="s", **common)
        self.start(token="s2", max_order=3, **common)  # no search: the order is moot
        self.start(token="b", criterion="bic", **common)
        self.start(token="b2", criterion="bic", **common)
        self.start(token="b3", criterion="bic", max_order=3, **common)
        self.start(token="a", criterion="aic", **common)
        self.assertEqual(drain(), 6)
        stepwise, stepwise2, bic, bic2, bic3, aic = Estimate.objects.order_by("pk")
        self.assertNotIn("criterion", stepwise.options)  # older fingerprints hold
        self.assertEqual(stepwise.fingerprint, stepwise2.fingerprint)
        prints = {stepwise.fingerprint, bic.fingerprint, bic3.fingerprint, aic.fingerprint}
        self.assertEqual(len(prints), 4)
        self.assertEqual(bic2.reproduces, bic)
        self.assertTrue(bic2.reproduced)
        self.assertNotEqual(
            bic.result["report"]["loglinear"]["model_average"],
            bic3.result["report"]["loglinear"]["model_average"],
        )

    def test_averaging_without_the_log_linear_method_is_refused(self):
        response = self.start(methods=["lcmcr"], criterion="bic")
        self.assertEqual(response.status_code, 422)
        self.assertContains(response, "Promediar es parte del método log-lineal", status_code=422)
        self.assertFalse(Estimate.objects.exists())

    def test_a_search_too_large_fails_with_a_reason(self):
        run = run_from_table(self.org, UK6)
        response = self.start(run=run, methods=["loglinear"], criterion="bic", max_order=3)
        drain()
        self.assertEqual(Job.objects.get().status, Job.Status.FAILED)
        self.assertContains(self.client.get(response["Location"]), "40,000 modelos como máximo")

    def test_a_reader_cannot_start_an_average_and_an_analyst_can(self):
        average = {"methods": ["loglinear"], "criterion": "bic"}
        for user in (self.reader, self.documenter):
            self.assertEqual(self.start(user=user, **average).status_code, 403)
        self.assertFalse(Estimate.objects.exists())
        self.assertEqual(self.start(user=self.analyst, **average).status_code, 302)
        self.assertEqual(Estimate.objects.get().options["criterion"], "bic")
        entry = AuditEntry.objects.get(action="estimation.start")
        self.assertEqual(entry.actor_id, self.analyst.pk)
        self.assertEqual(entry.details["criterion"], "bic")


class StrataTotalTests(EstimateFixture):
    def test_by_state_the_sum_stands_beside_the_whole_table(self):
        run = run_from_table(self.org, MADIGAN_YORK, states=["08", "19"])
        with mock.patch("memoria.analysis.estimation.record_strata", return_value=run.values):
            self.start(run=run, strata="state", methods=["loglinear", "lcmcr"], criterion="bic")
            drain()
        estimate = Estimate.objects.get(run=run)
        self.assertIsNotNone(estimate.result, Job.objects.get().error)
        report = estimate.result["report"]
        strata = report["strata"].values()
        # The averaged total is the sum of the strata's averages.
        summed = report["loglinear"]["model_average"]
        self.assertAlmostEqual(
            summed["estimate"],
            sum(p["loglinear"]["model_average"]["estimate"] for p in strata),
        )
        self.assertEqual(summed["strata"], 2)
        # The whole table is the published one, estimated as the engine does.
        whole = report["unstratified"]
        self.assertEqual(whole["observed"], report["observed"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            direct = estimate_population(
                read_capture_table(MADIGAN_YORK), EstimateOptions(criterion="bic", seed=7)
            )
        self.assertEqual(whole["loglinear"]["model_average"], direct["loglinear"]["model_average"])
        self.assertNotIn("strata", whole)
        page = _plain(self.client.get(self.estimate_url(estimate)).content.decode())
        self.assertIn("Los estratos sumados y la tabla completa", page)
        self.assertIn("Por qué difieren", page)
        self.assertIn("622", page)  # the whole table's average
        self.assertIn(f"{summed['estimate']:,.0f}", page)
        self.assertIn("los modelos del promedio", page)  # each stratum's own models
        self.assertIn("Aquí la suma de los estratos", page)
        # The whole table's chains are checked in words like the strata's.
        self.assertIn("Tabla completa, sin estratos: Las 2 cadenas de LCMCR", page)

    def test_stratified_fingerprints_cover_the_comparison(self):
        table = capture_table(actions.run_graph(self.run), actions.run_clusters(self.run))
        plain = EstimationSettings(**TINY)
        by_state = EstimationSettings(**{**TINY, "strata": "state"})
        # The same counts under one label: the stratified estimate also computes
        # the whole table, so it never passes for an estimate made before it did.
        self.assertNotEqual(fingerprint(table, plain), fingerprint(table, by_state))


def test_the_words_say_which_way_the_sum_and_the_whole_table_differ():
    from django.utils import translation

    from memoria.analysis.estimate_pages import whole_comparison

    def report(summed: float, whole: float) -> dict:
        figure = {"loglinear": {"estimate": summed, "interval": [summed - 10, summed + 10]}}
        other = {"loglinear": {"estimate": whole, "interval": [whole - 10, whole + 10]}}
        return {**figure, "observed": 50, "unstratified": {**other, "observed": 50}}

    with translation.override("en"):
        higher = whole_comparison(report(130, 100), ["loglinear"])
        lower = whole_comparison(report(80, 100), ["loglinear"])
        close = whole_comparison(report(105, 100), ["loglinear"])
    assert higher["rows"][0]["change"] == "+30%"
    assert not higher["rows"][0]["overlap"]
    assert "sum of the strata is higher" in higher["why"]
    assert "sum of the strata is lower" in lower["why"]
    assert lower["rows"][0]["change"] == "-20%"
    assert "agree within 10%" in close["why"]
    assert close["rows"][0]["overlap"]


class EstimateProgressTests(EstimateFixture):
    """A running estimate says what it is doing in the reader's language, whatever
    the engine (whose progress bars on the command line are English) calls it."""

    def phases_of_a_job(self) -> list[str]:
        run = run_from_table(self.org, WESTERN, states=["03", "19"])
        phases = []
        progress = JobContext.progress

        def recorded(context, phase, done, total):
            phases.append(phase)
            return progress(context, phase, done, total)

        with (
            mock.patch("memoria.analysis.estimation.record_strata", return_value=run.values),
            mock.patch.object(JobContext, "progress", recorded),
        ):
            self.start(run=run, strata="state", methods=["lcmcr"], linkage_draws=2, token="phases")
            self.assertEqual(drain(), 1)
        self.assertEqual(Job.objects.get().status, Job.Status.DONE, Job.objects.get().error)
        return list(dict.fromkeys(phases))

    def page_at(self, phase: str, done: int = 3, total: int = 1_200) -> str:
        response = self.start(token=f"page-{phase}")
        Job.objects.filter(status=Job.Status.QUEUED).update(
            status=Job.Status.RUNNING,
            progress_phase=phase,
            progress_done=done,
            progress_total=total,
        )
        page = self.client.get(response["Location"])
        Job.objects.filter(status=Job.Status.RUNNING).delete()
        return page.content.decode()

    def test_every_phase_of_a_job_reads_in_spanish(self):
        phases = self.phases_of_a_job()
        self.assertIn("lcmcr|03", phases)
        pages = {key: self.page_at(key) for key in phases}
        english = ("iterations", "sources", "clusterings", "LCMCR (", "(03)", "(19)")
        for key, page in pages.items():
            for word in english:
                self.assertNotIn(word, page, key)
        self.assertIn("Leyendo los estados y las fechas de las listas.", pages["sources"])
        self.assertIn("Baja California Sur: LCMCR: iteración 3 de 1,200.", pages["lcmcr|03"])
        self.assertIn("Nuevo León: LCMCR: iteración 3 de 1,200.", pages["lcmcr|19"])
        self.assertIn(
            "Sacando agrupaciones de las probabilidades de los pares: 3 de 1,200.",
            pages["clusterings_drawn"],
        )
        self.assertIn("Estimando sobre cada agrupación sacada: 3 de 1,200.", pages["clusterings|"])

    def test_a_further_round_of_chains_and_the_bootstrap_read_in_either_language(self):
        round_ = stored(phase("LCMCR, round 2 (R-hat 1.08)", LCMCR_ROUND, "09", 2, "1.08"))
        bootstrap = stored(phase("bootstrap", BOOTSTRAP, None))
        self.assertIn(
            "Ciudad de México: LCMCR, ronda 2 (las cadenas aún no coincidían: R-hat 1.08): "
            "iteración 3 de 1,200.",
            self.page_at(round_),
        )
        self.assertIn("Bootstrap: réplica 3 de 1,200.", self.page_at(bootstrap))
        self.client.cookies["memoria_language"] = "en"
        self.assertIn(
            "Ciudad de México: LCMCR, round 2 (the chains did not agree yet: R-hat 1.08): "
            "iteration 3 of 1,200.",
            self.page_at(round_),
        )

    def test_a_job_being_saved_says_so_not_its_last_count(self):
        page = self.page_at("saving", done=1_200, total=1_200)
        self.assertIn("La estimación se está guardando.", page)
        self.assertNotIn("1,200", page)

    def test_a_phase_stored_before_keys_were_still_reads_as_estimating(self):
        self.assertIn("Estimando: 3 de 1,200.", self.page_at("LCMCR (09)"))

    def test_the_command_lines_progress_bars_keep_the_engines_words(self):
        seen = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimate_population(
                read_capture_table(WESTERN),
                EstimateOptions(methods=("lcmcr",), bootstrap=0, lcmcr=LcmcrSettings(**TINY)),
                lambda task, done, total: seen.append(task),
            )
        self.assertEqual(set(seen), {"LCMCR"})
        self.assertEqual(seen[0].key, "lcmcr")
