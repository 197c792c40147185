"""Record linkage from the web: lists, runs in the worker, the review queue.

Most tests build a run from a small hand-made engine result (three records,
two links), so they are fast; ``LinkageJobTests`` runs the real engine in the
worker (``drain``) on lists from the project's generator.
"""

from __future__ import annotations

import io
import json
from unittest import mock

import pandas as pd
from django.core.files.uploadedfile import SimpleUploadedFile

from memoria.analysis import actions
from memoria.analysis.models import LinkageList, LinkageRun, PairDecision, ReviewPair
from memoria.analysis.sources import Source
from memoria.audit.models import AuditEntry
from memoria.jobs.models import Job, JobData
from memoria.jobs.worker import drain
from memoria.linkage.pipeline import LinkageResult
from memoria.linkage.synthetic import generate_lists
from tests.web.base import MemoriaTestCase

EVIDENCE = json.dumps(
    [
        {"comparison": "surnames", "level": "both surnames agree", "bayes_factor": 812.0},
        {"comparison": "given_name", "level": "given names differ", "bayes_factor": 0.05},
    ]
)


def fake_result(links: list[tuple[str, str, float, bool]]) -> tuple[list[Source], LinkageResult]:
    """Records A, B, C of one list and the engine's scored pairs between them."""
    shown = {
        "A": {
            "list": "Fiscalía",
            "row": 2,
            "given_names": "JOSE LUIS",
            "paternal_surname": "HERNANDEZ",
        },
        "B": {"list": "Fiscalía", "row": 3, "given_names": "Pepe", "paternal_surname": "Hernández"},
        "C": {"list": "Fiscalía", "row": 4, "given_names": "José", "paternal_surname": "Hernández"},
    }
    source = Source("list1", "Fiscalía", pd.DataFrame(), shown)
    clusters = pd.DataFrame(
        {"source": ["list1"] * 3, "record_id": ["A", "B", "C"], "cluster_id": [1, 1, 1]}
    )
    pairs = pd.DataFrame(
        {
            "unique_id_l": [f"list1:{a}" for a, *_ in links],
            "unique_id_r": [f"list1:{b}" for _a, b, *_ in links],
            "match_probability": [p for *_ab, p, _l in links],
            "linked": [linked for *_abp, linked in links],
        }
    )
    review = pd.DataFrame(
        {
            "record_id_l": [a for a, *_ in links],
            "record_id_r": [b for _a, b, *_ in links],
            "match_probability": [p for *_ab, p, _l in links],
            "match_weight": [3.0] * len(links),
            "evidence": [EVIDENCE] * len(links),
        }
    )
    summary = {"records": 3, "linked_pairs": 2, "clusters": 1, "threshold": 0.9}
    return [source], LinkageResult(clusters, pairs, review, pd.DataFrame(), summary)


LINKS = [("A", "B", 0.95, True), ("B", "C", 0.93, True), ("A", "C", 0.6, False)]


class ReviewFixture(MemoriaTestCase):
    def make_run(self, organization=None) -> LinkageRun:
        run = LinkageRun.objects.create(organization=organization or self.org)
        sources, result = fake_result(LINKS)
        actions.save_run_result(run, sources, result)
        return run

    def url(self, run: LinkageRun, pair: ReviewPair | None = None) -> str:
        base = f"/o/{run.organization.slug}/linkage/runs/{run.pk}/"
        return base + (f"pairs/{pair.pk}/" if pair else "")

    def decide(self, run, pair, decision: str, user=None):
        self.client.force_login(user or self.analyst)
        current = PairDecision.objects.filter(pair_key=pair.pair_key).first()
        version = current.version if current else 0
        return self.client.post(self.url(run, pair), {"decision": decision, "version": version})


class QueueTests(ReviewFixture):
    def test_it_shows_the_most_uncertain_pair_first_with_its_explanation(self):
        run = self.make_run()
        self.client.force_login(self.analyst)
        response = self.client.get(self.url(run) + "queue/", follow=True)
        pair = response.context["pair"]
        self.assertEqual(pair.match_probability, 0.6)  # closest to 0.5
        self.assertContains(response, "JOSE LUIS")
        self.assertContains(response, "José")
        self.assertContains(response, "Apellidos: ambos apellidos coinciden")
        self.assertContains(response, "×812")
        self.assertContains(response, "÷20")
        self.assertEqual(response["Cache-Control"], "no-store, private")
        self.assertTrue(AuditEntry.objects.filter(action="linkage.pair_view").exists())

    def test_a_hand_typed_skip_is_ignored_not_an_error(self):
        run = self.make_run()
        self.client.force_login(self.analyst)
        for skip in ("abc", "-1", "99999999999999999999999", "1.5"):
            response = self.client.get(self.url(run) + f"queue/?skip={skip}", follow=True)
            self.assertEqual(response.status_code, 200, skip)
            self.assertEqual(response.context["pair"].match_probability, 0.6)

    def test_two_first_answers_at_once_leave_the_first_and_refuse_the_second(self):
        run = self.make_run()
        pair = ReviewPair.objects.get(run=run, match_probability=0.6)
        self.decide(run, pair, "same")
        # The second reviewer's transaction looked for an answer before the first one's
        # committed (simulated: its look-up finds nothing).
        empty = PairDecision.objects.none()
        with mock.patch.object(PairDecision.objects, "select_for_update", return_value=empty):
            self.client.force_login(self.coordinator)
            response = self.client.post(
                self.url(run, pair), {"decision": "different", "version": 0}
            )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(PairDecision.objects.get().decision, "same")
        self.assertEqual(AuditEntry.objects.filter(action="linkage.decide").count(), 1)

    def test_it_keeps_pair_details_and_the_graph_encrypted(self):
        run = self.make_run()
        stored = json.dumps(list(ReviewPair.objects.values()), default=str)
        stored += json.dumps(list(LinkageRun.objects.values()), default=str)
        for clear in ("JOSE", "Pepe", "Hernández", "Fiscalía"):
            self.assertNotIn(clear, stored)
        self.assertEqual(run.summary["clusters"], 1)

    def test_a_different_answer_splits_the_cluster_at_once(self):
        run = self.make_run()
        pair = ReviewPair.objects.get(run=run, match_probability=0.95)
        response = self.decide(run, pair, "different")
        self.assertEqual(response.status_code, 302)
        run.refresh_from_db()
        # A and B apart; C joins the one it matches (B), never both.
        clusters = actions.run_clusters(run)["clusters"]
        self.assertNotEqual(clusters["A"], clusters["B"])
        self.assertEqual(run.summary["clusters"], 2)
        entry = AuditEntry.objects.get(action="linkage.decide")
        self.assertEqual(entry.details["decision"], "different")

    def test_a_same_answer_links_a_pair_the_model_left_apart(self):
        run = self.make_run()
        low = ReviewPair.objects.get(run=run, match_probability=0.6)
        high = ReviewPair.objects.get(run=run, match_probability=0.95)
        self.decide(run, high, "different")
        self.decide(run, low, "same")
        clusters = actions.run_clusters(LinkageRun.objects.get(pk=run.pk))["clusters"]
        self.assertEqual(clusters["A"], clusters["C"])
        self.assertNotEqual(clusters["A"], clusters["B"])

    def test_decisions_hold_for_a_later_run_over_the_same_records(self):
        first = self.make_run()
        pair = ReviewPair.objects.get(run=first, match_probability=0.95)
        self.decide(first, pair, "different")
        second = self.make_run()
        self.assertEqual(second.summary["clusters"], 2)
        self.assertEqual(second.summary["decided"], 1)
        self.client.force_login(self.analyst)
        response = self.client.get(self.url(second) + "queue/", follow=True)
        self.assertNotEqual(response.context["pair"].pair_key, pair.pair_key)
        repeated = ReviewPair.objects.get(run=second, pair_key=pair.pair_key)
        page = self.client.get(self.url(second, repeated))
        self.assertContains(page, "Respondido antes")

    def test_linking_again_repeats_the_runs_sources_and_offers_it_only_after_answers(self):
        linkage_list = LinkageList.objects.create(organization=self.org, name="Fiscalía")
        run = self.make_run()
        run.lists.set([linkage_list])
        run.include_cases = True
        run.save()
        self.client.force_login(self.analyst)
        self.assertNotContains(self.client.get(self.url(run)), "again/")
        pair = ReviewPair.objects.get(run=run, match_probability=0.6)
        self.decide(run, pair, "same")
        page = self.client.get(self.url(run))
        self.assertContains(page, "Vincular de nuevo, aprendiendo de las respuestas")
        token = page.context["token"]
        response = self.client.post(self.url(run) + "again/", {"token": token})
        again = LinkageRun.objects.latest("pk")
        self.assertRedirects(response, self.url(again), fetch_redirect_response=False)
        self.assertNotEqual(again.pk, run.pk)
        self.assertTrue(again.include_cases)
        self.assertEqual(list(again.lists.all()), [linkage_list])
        self.assertEqual(again.job.kind, "analysis.linkage")
        entry = AuditEntry.objects.filter(action="linkage.run").latest("pk")
        self.assertEqual(entry.details["again_of"], run.pk)
        # The same form sent twice starts one run; a hostile token still starts one.
        self.client.post(self.url(run) + "again/", {"token": token})
        self.assertEqual(LinkageRun.objects.count(), 2)
        self.client.post(self.url(run) + "again/", {"token": "\x00" + "x" * 10_000})
        self.assertEqual(LinkageRun.objects.count(), 3)
        self.assertEqual(self.client.get(self.url(run) + "again/").status_code, 405)

    def test_a_stale_answer_is_refused(self):
        run = self.make_run()
        pair = ReviewPair.objects.get(run=run, match_probability=0.6)
        self.decide(run, pair, "same")
        self.client.force_login(self.coordinator)
        response = self.client.post(self.url(run, pair), {"decision": "different", "version": 0})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(PairDecision.objects.get().decision, "same")

    def test_capture_histories_have_one_column_per_list(self):
        run = self.make_run()
        self.client.force_login(self.analyst)
        response = self.client.get(self.url(run) + "histories.csv")
        rows = response.content.decode().splitlines()
        self.assertEqual(rows, ["cluster_id,Fiscalía", "1,1"])


class PersonaTests(ReviewFixture):
    def test_an_outsider_gets_404_on_every_page(self):
        run = self.make_run()
        pair = ReviewPair.objects.filter(run=run).first()
        linkage_list = LinkageList.objects.create(organization=self.org, name="Fiscalía")
        self.client.force_login(self.outsider)
        slug = self.other_org.slug
        for path in (
            f"/o/{slug}/linkage/runs/{run.pk}/",
            f"/o/{slug}/linkage/runs/{run.pk}/queue/",
            f"/o/{slug}/linkage/runs/{run.pk}/pairs/{pair.pk}/",
            f"/o/{slug}/linkage/runs/{run.pk}/histories.csv",
            f"/o/{slug}/linkage/lists/{linkage_list.pk}/columns/",
        ):
            self.assertEqual(self.client.get(path).status_code, 404, path)
        again = f"/o/{slug}/linkage/runs/{run.pk}/again/"
        self.assertEqual(self.client.post(again).status_code, 404)
        self.assertEqual(self.client.get(self.url(run, pair)).status_code, 404)

    def test_a_reader_or_documenter_cannot_see_or_decide(self):
        run = self.make_run()
        pair = ReviewPair.objects.filter(run=run).first()
        for user in (self.reader, self.documenter):
            response = self.decide(run, pair, "same", user=user)
            self.assertEqual(response.status_code, 403)
            self.client.force_login(user)
            self.assertEqual(self.client.get(self.url(run, pair)).status_code, 403)
            self.assertEqual(self.client.post(self.url(run) + "again/").status_code, 403)
        self.assertFalse(PairDecision.objects.exists())
        self.assertEqual(LinkageRun.objects.count(), 1)

    def test_an_analyst_and_a_coordinator_can_decide(self):
        run = self.make_run()
        pair = ReviewPair.objects.get(run=run, match_probability=0.6)
        self.assertEqual(self.decide(run, pair, "unsure", user=self.coordinator).status_code, 302)
        self.assertEqual(self.decide(run, pair, "same").status_code, 302)
        self.assertEqual(PairDecision.objects.get().decision, "same")


def list_csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.drop(columns=["person_id"]).to_csv(buffer, index=False)
    return buffer.getvalue().encode()


class LinkageJobTests(MemoriaTestCase):
    """The whole path with the real engine, run by the worker in this process."""

    def upload(self, name: str, content: bytes) -> LinkageList:
        upload = SimpleUploadedFile(f"{name}.csv", content, content_type="text/csv")
        response = self.client.post(
            f"/o/{self.org.slug}/linkage/lists/new/", {"name": name, "file": upload}
        )
        self.assertEqual(response.status_code, 302, getattr(response, "context", None))
        linkage_list = LinkageList.objects.latest("pk")
        page = self.client.get(response["Location"])
        mapping = {key: value for key, value in page.context["form"].initial.items() if value}
        self.assertEqual(mapping["given_names"], "given_names")
        self.assertEqual(self.client.post(response["Location"], mapping).status_code, 302)
        return linkage_list

    def start(self, lists) -> LinkageRun:
        response = self.client.post(
            f"/o/{self.org.slug}/linkage/", {"lists": [item.pk for item in lists]}
        )
        self.assertEqual(response.status_code, 302)
        return LinkageRun.objects.latest("pk")

    def test_it_links_uploaded_lists_in_the_worker_and_keeps_answers_across_runs(self):
        generated = generate_lists(150, seed=3)
        self.client.force_login(self.analyst)
        lists = [
            self.upload(name, list_csv(generated.sources[name]))
            for name in ("fiscalia", "colectivo")
        ]
        stored = json.dumps(list(LinkageList.objects.values()), default=str)
        self.assertNotIn(generated.sources["fiscalia"]["paternal_surname"].iloc[0], stored)
        run = self.start(lists)
        page = self.client.get(f"/o/{self.org.slug}/linkage/runs/{run.pk}/")
        self.assertContains(page, "data-refresh")
        self.assertEqual(drain(), 1)
        job = Job.objects.get(kind="analysis.linkage")
        self.assertEqual(job.status, Job.Status.DONE, job.error)
        self.assertEqual(JobData.objects.filter(job=job).exclude(sealed_input="").count(), 0)
        run.refresh_from_db()
        self.assertEqual(run.summary["records"], 159)
        pairs = list(ReviewPair.objects.filter(run=run))
        self.assertTrue(pairs)
        # Answer the first pair the queue gives; a second run over the same lists keeps it.
        response = self.client.get(f"/o/{self.org.slug}/linkage/runs/{run.pk}/queue/", follow=True)
        first = response.context["pair"]
        self.client.post(
            f"/o/{self.org.slug}/linkage/runs/{run.pk}/pairs/{first.pk}/",
            {"decision": "different", "version": 0},
        )
        self.assertEqual(run.summary["learned_from"], 0)
        # "Link again" on the run's page: a new run over the same lists.
        response = self.client.post(f"/o/{self.org.slug}/linkage/runs/{run.pk}/again/")
        self.assertEqual(response.status_code, 302)
        again = LinkageRun.objects.latest("pk")
        self.assertEqual(set(again.lists.all()), set(lists))
        drain()
        again.refresh_from_db()
        self.assertEqual(again.summary["decided"], 1)
        # The new run's model learned from the answer: it says so, and the
        # scores of other pairs moved with the weights.
        self.assertEqual(again.summary["learned_from"], 1)
        page = self.client.get(f"/o/{self.org.slug}/linkage/runs/{again.pk}/")
        self.assertContains(page, "El modelo aprendió de 1 respuesta")
        before = dict(
            ReviewPair.objects.filter(run=run).values_list("pair_key", "match_probability")
        )
        after = dict(
            ReviewPair.objects.filter(run=again).values_list("pair_key", "match_probability")
        )
        moved = [k for k in set(before) & set(after) - {first.pair_key} if before[k] != after[k]]
        self.assertTrue(moved)
        clusters = actions.run_clusters(again)["clusters"]
        left, right = first.pair_key.split(":")
        self.assertNotEqual(clusters[left], clusters[right])
        self.assertEqual(set(actions.run_clusters(again)["lists"]), {"fiscalia", "colectivo"})

    def test_a_hand_typed_long_token_still_starts_one_run(self):
        self.client.force_login(self.coordinator)
        url = f"/o/{self.org.slug}/linkage/"
        response = self.client.post(url, {"include_cases": "on", "token": "x" * 500})
        self.assertEqual(response.status_code, 302)
        job = Job.objects.get(kind="analysis.linkage")
        self.assertLessEqual(len(job.idempotency_key), 200)

    def test_a_run_over_the_organizations_cases_needs_records(self):
        self.client.force_login(self.coordinator)
        response = self.client.post(f"/o/{self.org.slug}/linkage/", {"include_cases": "on"})
        self.assertEqual(response.status_code, 302)
        drain()
        job = Job.objects.get(kind="analysis.linkage")
        self.assertEqual(job.status, Job.Status.FAILED)
        page = self.client.get(response["Location"])
        self.assertContains(page, "No hay suficientes registros")
