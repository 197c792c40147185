"""Estimates with linkage uncertainty in the web: the option, the job, the pages.

The run is the Western table of test_estimation (one cluster per person, its
records linked with probability 1) plus twenty pairs of people, each seen on
one list, that the model scored at 0.5: every drawn clustering joins about
half of them. A reviewer said one of the pairs is the same person: every draw
joins it.
"""

from __future__ import annotations

from django.conf import settings

from memoria.analysis import actions
from memoria.analysis.models import Estimate, PairDecision
from memoria.cases.io.jobs import seal
from memoria.jobs.models import Job
from memoria.jobs.worker import drain
from tests.web.test_estimation import WESTERN, EstimateFixture, run_from_table

UNCERTAIN = 20


def add_uncertain_pairs(run, organization, decided_by) -> None:
    graph = actions.run_graph(run)
    alone: dict[str, list[str]] = {}
    persons = {}
    for fingerprint, source in graph["records"]:
        person = fingerprint.split("l")[0]
        persons.setdefault(person, []).append((fingerprint, source))
    for records in persons.values():
        if len(records) == 1:
            fingerprint, source = records[0]
            alone.setdefault(source, []).append(fingerprint)
    # A real run's clusters are held together by links the model was sure of.
    certain = [
        [records[0][0], other, 1.0, True, False]
        for records in persons.values()
        for other, _source in records[1:]
    ]
    left, right = alone["list0"], alone["list1"]
    uncertain = [[a, b, 0.5, False, False] for a, b in zip(left, right, strict=False)]
    graph["links"] = uncertain[:UNCERTAIN] + certain
    run.sealed_graph = seal(organization.pk, graph, actions.GRAPH_CONTEXT)
    run.save()
    a, b = graph["links"][0][:2]
    PairDecision.objects.create(
        organization=organization, pair_key=actions.key_of(a, b), decision="same",
        decided_by=decided_by,
    )  # fmt: skip


class LinkageUncertaintyTests(EstimateFixture):
    def setUp(self):
        super().setUp()
        self.run = run_from_table(self.org, WESTERN)
        add_uncertain_pairs(self.run, self.org, self.coordinator)

    def test_an_analyst_gets_both_intervals_and_the_report_says_what_each_includes(self):
        response = self.start(methods=["loglinear"], linkage_draws=6, token="pooled")
        self.assertEqual(response.status_code, 302)
        self.start(methods=["loglinear"], token="single")
        self.assertEqual(drain(), 2)
        self.assertEqual(list(Job.objects.values_list("status", flat=True)), [Job.Status.DONE] * 2)
        pooled_estimate, single_estimate = Estimate.objects.order_by("pk")
        report = pooled_estimate.result["report"]
        single = report["loglinear"]
        pooled = report["linkage_uncertainty"]
        # The figures on the reviewed clusters are those of the run without the option.
        self.assertEqual(single, single_estimate.result["report"]["loglinear"])
        self.assertEqual(report["observed"], 345)
        self.assertEqual(pooled["clusterings"], 6)
        # The answered pair is joined in every draw; the others about half the time.
        self.assertLessEqual(pooled["observed"]["max"], 344)
        self.assertGreaterEqual(pooled["observed"]["min"], 345 - UNCERTAIN)
        self.assertGreater(len(set(pooled["observed"]["each"])), 1)
        # People joined: more overlap between the lists, fewer people estimated.
        low, high = pooled["loglinear"]["interval"]
        self.assertLess(pooled["loglinear"]["estimate"], single["estimate"])
        self.assertLessEqual(low, min(pooled["loglinear"]["estimates"]))
        self.assertGreaterEqual(high, max(pooled["loglinear"]["estimates"]))
        self.assertNotEqual(pooled_estimate.fingerprint, single_estimate.fingerprint)
        self.assertEqual(pooled_estimate.options["linkage_draws"], 6)
        self.assertNotIn("linkage_draws", single_estimate.options)

        page = self.client.get(self.estimate_url(pooled_estimate))
        self.assertContains(page, "Con la incertidumbre de la vinculación")
        self.assertContains(page, "6 agrupaciones")
        printed = self.client.get(self.estimate_url(pooled_estimate, report=True))
        self.assertContains(printed, "incluyen la duda sobre los pares")
        printed = self.client.get(self.estimate_url(single_estimate, report=True))
        self.assertContains(printed, "no incluyen esa incertidumbre")
        self.assertNotContains(printed, "Con la incertidumbre de la vinculación")

    def test_a_narrower_pooled_interval_is_explained_with_one_clusterings_width(self):
        # The draws join about half of the twenty pairs the reviewed clusters keep
        # apart: fewer people, more overlap, a smaller estimate and a narrower
        # interval on every drawn clustering, and pooled.
        self.start(methods=["loglinear"], linkage_draws=6, token="pooled")
        drain()
        report = Estimate.objects.get().result["report"]
        pooled = report["linkage_uncertainty"]["loglinear"]
        low, high = pooled["interval"]
        single_low, single_high = report["loglinear"]["interval"]
        self.assertLess(high - low, single_high - single_low)
        # Pooling did not shrink the clusterings' own intervals.
        self.assertGreaterEqual(high - low, pooled["median_width"])
        self.assertLess(pooled["median_width"], single_high - single_low)
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        page = self.client.get(self.estimate_url(Estimate.objects.get()))
        self.assertContains(page, 'id="pooled-narrower"')
        self.assertContains(page, "the drawn clusterings are not the reviewed clusters")
        self.assertContains(page, f"{pooled['median_width']:,.0f}</td>")
        # Six clusterings: the page says that is too few for a figure to publish.
        self.assertContains(page, "6 clusterings show their disagreement only roughly")
        self.assertContains(page, "pooling them counts 71% of the disagreement")  # 5/7
        self.assertContains(page, "estimate again with 20 or more")

    def test_with_averaging_the_pooled_figures_include_the_average(self):
        self.start(methods=["loglinear"], criterion="bic", linkage_draws=3, token="average")
        drain()
        estimate = Estimate.objects.get()
        report = estimate.result["report"]
        pooled = report["linkage_uncertainty"]["loglinear"]["model_average"]
        single = report["loglinear"]["model_average"]
        self.assertEqual(len(pooled["estimates"]), 3)
        self.assertNotIn("intervals", pooled)
        low, high = pooled["interval"]
        self.assertLessEqual(low, min(pooled["estimates"]))
        self.assertGreaterEqual(high, max(pooled["estimates"]))
        # The draws join people: the average, as the best model, goes down.
        self.assertLess(pooled["estimate"], single["estimate"])
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        page = self.client.get(self.estimate_url(estimate)).content.decode()
        row = page[page.index('data-pooled="average"') :]
        row = row[: row.index("</tr>")]
        self.assertIn("Log-linear, average over models", row)
        self.assertIn(f"{pooled['estimate']:,.0f}</td>", row)
        self.assertIn(f"{single['interval'][0]:,.0f} – {single['interval'][1]:,.0f}", row)

    def test_the_same_inputs_reproduce_and_a_new_answer_changes_the_fingerprint(self):
        self.start(methods=["loglinear"], linkage_draws=3, token="a")
        self.start(methods=["loglinear"], linkage_draws=3, token="b")
        drain()
        first, second = Estimate.objects.order_by("pk")
        self.assertEqual(first.fingerprint, second.fingerprint)
        self.assertTrue(second.reproduced)
        PairDecision.objects.update(decision="different")
        self.start(methods=["loglinear"], linkage_draws=3, token="c")
        drain()
        third = Estimate.objects.order_by("pk").last()
        self.assertNotEqual(third.fingerprint, first.fingerprint)
        self.assertIsNone(third.reproduces)

    def test_too_many_draws_are_refused(self):
        self.assertEqual(self.start(linkage_draws=101).status_code, 422)
        self.assertEqual(self.start(linkage_draws=-1, token="x").status_code, 422)
        self.assertFalse(Estimate.objects.exists())
