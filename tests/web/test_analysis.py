"""Record linkage from the web: lists, runs in the worker, the review queue.

Most tests build a run from a small hand-made engine result (three records,
two links), so they are fast; ``LinkageJobTests`` runs the real engine in the
worker (``drain``) on lists from the project's generator.
"""

from __future__ import annotations

import datetime
import io
import json
from unittest import mock

import pandas as pd
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from memoria.analysis import actions
from memoria.analysis.models import (
    LinkageList,
    LinkageRun,
    OfficialDataset,
    PairDecision,
    ReviewPair,
)
from memoria.analysis.sources import SHARED_KEYS, Source, list_source
from memoria.audit.models import AuditEntry
from memoria.cases.models import Person, Visibility
from memoria.jobs.models import Job, JobData
from memoria.jobs.worker import Worker, drain
from memoria.linkage.pipeline import LinkageResult
from memoria.linkage.schema import read_source
from memoria.linkage.synthetic import generate_lists
from memoria.sharing import agreements
from tests.web.base import MemoriaTestCase
from tests.web.network_fixtures import TODAY, SharingFixtures, on

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
            f"/o/{slug}/linkage/lists/{linkage_list.pk}/delete/",
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


class MethodTests(ReviewFixture):
    """A page with a form shows it to GET and HEAD and acts on POST; any other
    method is refused (405), not answered with the form."""

    def test_the_list_deletion_page_asks_on_get_and_head_and_refuses_other_methods(self):
        linkage_list = LinkageList.objects.create(organization=self.org, name="Fiscalía")
        url = f"/o/{self.org.slug}/linkage/lists/{linkage_list.pk}/delete/"
        self.client.force_login(self.analyst)
        self.assertContains(self.client.get(url), "¿Eliminar «Fiscalía» y sus 0 filas?")
        self.assertEqual(self.client.head(url).status_code, 200)
        for method in ("put", "delete", "patch", "options"):
            with self.subTest(method=method):
                response = getattr(self.client, method)(url)
                self.assertEqual(response.status_code, 405)
                self.assertEqual(response["Allow"], "GET, HEAD, POST")
        self.assertTrue(LinkageList.objects.filter(pk=linkage_list.pk).exists())
        self.assertFalse(AuditEntry.objects.filter(action="linkage.list_delete").exists())

    def test_every_form_page_of_the_analyses_refuses_put_delete_and_patch(self):
        run = self.make_run()
        pair = ReviewPair.objects.filter(run=run).first()
        linkage_list = LinkageList.objects.create(organization=self.org, name="Fiscalía")
        dataset = OfficialDataset.objects.create(
            organization=self.org, source="sesnsp", name="Víctimas"
        )
        linkage = f"/o/{self.org.slug}/linkage/"
        official = f"/o/{self.org.slug}/official-figures/"
        pages = [
            linkage,
            linkage + "lists/new/",
            linkage + f"lists/{linkage_list.pk}/columns/",
            linkage + f"lists/{linkage_list.pk}/delete/",
            self.url(run, pair),
            self.url(run) + "estimates/",
            official + "new/",
            official + f"{dataset.pk}/columns/",
        ]
        self.client.force_login(self.coordinator)
        for url in pages:
            for method in ("put", "delete", "patch"):
                with self.subTest(url=url, method=method):
                    self.assertEqual(getattr(self.client, method)(url).status_code, 405)
        self.assertFalse(PairDecision.objects.exists())
        self.assertEqual(LinkageRun.objects.count(), 1)


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

    def run_with_a_spoiled_list(self, people: int, spoil) -> tuple[LinkageRun, list]:
        """A run, worked by the worker, of a fiscalía list and a collective's list
        that ``spoil`` edited; pages in English."""
        generated = generate_lists(people, seed=5)
        colectivo = generated.sources["colectivo"].astype(object)
        spoil(colectivo)
        self.client.force_login(self.analyst)
        lists = [
            self.upload("fiscalia", list_csv(generated.sources["fiscalia"])),
            self.upload("colectivo", list_csv(colectivo)),
        ]
        self.client.cookies["memoria_language"] = "en"
        run = self.start(lists)
        drain()
        return run, lists

    def test_it_links_uploaded_lists_in_the_worker_and_keeps_answers_across_runs(self):
        generated = generate_lists(150, seed=3)
        # Real lists carry impossible dates and placeholders: read as unknown, and said.
        fiscalia = generated.sources["fiscalia"]
        fiscalia.loc[0, "birth_date"] = "1999-02-29"
        fiscalia.loc[1, "maternal_surname"] = "N/D"
        fiscalia.loc[2, "maternal_surname"] = "SIN DATO"
        self.client.force_login(self.analyst)
        lists = [
            self.upload(name, list_csv(generated.sources[name]))
            for name in ("fiscalia", "colectivo")
        ]
        # Each list's delete button says which list it deletes (to a screen reader too).
        page = self.client.get(f"/o/{self.org.slug}/linkage/")
        self.assertContains(page, 'Eliminar<span class="visually-hidden"> la lista «fiscalia»')
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
        page = self.client.get(f"/o/{self.org.slug}/linkage/runs/{run.pk}/")
        unknown = {(row[0], row[1], row[3]) for row in page.context["read_as_unknown"]}
        self.assertEqual(
            unknown, {("fiscalia", "Fecha de nacimiento", 1), ("fiscalia", "Apellido materno", 2)}
        )
        self.assertContains(page, "Fechas que no pueden existir o no se pueden leer")
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

    def test_deleting_a_list_asks_first_naming_it_and_its_rows(self):
        generated = generate_lists(20, seed=3)
        self.client.force_login(self.analyst)
        linkage_list = self.upload("fiscalia", list_csv(generated.sources["fiscalia"]))
        url = f"/o/{self.org.slug}/linkage/lists/{linkage_list.pk}/delete/"
        page = self.client.get(f"/o/{self.org.slug}/linkage/")
        self.assertContains(page, f'href="{url}"')
        page = self.client.get(url)
        self.assertContains(page, f"¿Eliminar «fiscalia» y sus {linkage_list.row_count} filas?")
        self.assertContains(page, '<form method="post">')
        self.assertTrue(LinkageList.objects.filter(pk=linkage_list.pk).exists())
        self.assertFalse(AuditEntry.objects.filter(action="linkage.list_delete").exists())
        response = self.client.post(url)
        self.assertRedirects(response, f"/o/{self.org.slug}/linkage/")
        self.assertFalse(LinkageList.objects.filter(pk=linkage_list.pk).exists())
        entry = AuditEntry.objects.get(action="linkage.list_delete")
        self.assertEqual(entry.actor_id, self.analyst.pk)

    def test_a_list_with_unreadable_values_fails_naming_its_fields_in_the_readers_language(self):
        def spoil(colectivo):
            colectivo.loc[0, "age"] = "treinta"  # not a number of years ("N/D" is unknown)
            colectivo.loc[1, "state"] = "Chihuahua"  # a state's name: read as its code
            colectivo.loc[[2, 5, 6], "state"] = "Gondor"  # neither a code nor a state

        run, lists = self.run_with_a_spoiled_list(60, spoil)
        job = Job.objects.get(kind="analysis.linkage")
        self.assertEqual(job.status, Job.Status.FAILED)
        page = self.client.get(f"/o/{self.org.slug}/linkage/runs/{run.pk}/")
        self.assertContains(page, "Some values cannot be read")
        # Rows as the file shows them: the header is row 1, the first person row 2.
        self.assertContains(page, "colectivo: Age, row 2;")
        self.assertContains(page, "colectivo: State (INEGI code or name), rows 4, 7, 8).")
        problems = [(p["list"], p["row"], p["field"], p["value"]) for p in page.context["problems"]]
        self.assertEqual(
            problems,
            [
                ("colectivo", 2, "Age", "treinta"),
                ("colectivo", 4, "State (INEGI code or name)", "Gondor"),
                ("colectivo", 7, "State (INEGI code or name)", "Gondor"),
                ("colectivo", 8, "State (INEGI code or name)", "Gondor"),
            ],
        )
        self.assertContains(page, '<td data-label="Value">“Gondor”</td>', html=False)
        # The values themselves are kept sealed: the job's error is stored in clear.
        self.assertNotIn("Gondor", job.error)
        # So is the list's name (encrypted with the list): the clear error gives its number.
        self.assertNotIn("colectivo", job.error)
        self.assertIn(f"list #{lists[1].pk}: Age, row 2;", job.error)
        self.assertNotIn("Gondor", JobData.objects.get(job=job).sealed_output)

    def test_deleting_a_list_deletes_the_values_a_failed_run_kept_of_it(self):
        def spoil(colectivo):
            colectivo.loc[0, "age"] = "treinta"

        run, lists = self.run_with_a_spoiled_list(40, spoil)
        url = f"/o/{self.org.slug}/linkage/runs/{run.pk}/"
        page = self.client.get(url)
        self.assertEqual([p["value"] for p in page.context["problems"]], ["treinta"])
        self.client.post(f"/o/{self.org.slug}/linkage/lists/{lists[1].pk}/delete/")
        # Its rows "cannot be brought back": the failed run no longer shows its values.
        page = self.client.get(url)
        self.assertEqual(page.context["problems"], [])
        self.assertNotContains(page, "treinta")
        self.assertNotContains(page, "colectivo")
        self.assertContains(page, "The linkage failed.")

    def test_a_failed_runs_values_are_deleted_with_its_job_after_the_days_set(self):
        def spoil(colectivo):
            colectivo.loc[0, "age"] = "treinta"

        run, _lists = self.run_with_a_spoiled_list(40, spoil)
        url = f"/o/{self.org.slug}/linkage/runs/{run.pk}/"
        self.assertContains(self.client.get(url), "treinta")
        # Eight days later, on an installation that keeps finished jobs for seven.
        Job.objects.update(finished_at=timezone.now() - datetime.timedelta(days=8))
        with self.settings(MEMORIA_JOBS_KEEP_DAYS=7):
            Worker(worker_id="w").run_due_periodic()
            page = self.client.get(url)
        self.assertFalse(JobData.objects.exists())
        self.assertNotContains(page, "treinta")
        self.assertContains(page, "This linkage did not finish, and its job was deleted")
        self.assertContains(page, "jobs are deleted 7 days after they end")
        self.assertNotContains(page, "The linkage is being saved.")
        # The list of runs says so too (it showed the job's status, now gone).
        with self.settings(MEMORIA_JOBS_KEEP_DAYS=7):
            runs = self.client.get(f"/o/{self.org.slug}/linkage/")
        self.assertContains(runs, "did not finish")

    def test_a_list_may_name_its_states_as_people_write_them(self):
        generated = generate_lists(40, seed=7)
        colectivo = generated.sources["colectivo"].astype(object)
        written = ["Veracruz", "Edo. de México", "CDMX", "ciudad de mexico", "COAHUILA",
                   "Michoacán", "michoacan de ocampo", "Querétaro", "N/D", "09"]  # fmt: skip
        codes = ["30", "15", "09", "09", "05", "16", "16", "22", None, "09"]
        colectivo["state"] = [written[i % len(written)] for i in range(len(colectivo))]
        self.client.force_login(self.analyst)
        lists = [
            self.upload("fiscalia", list_csv(generated.sources["fiscalia"])),
            self.upload("colectivo", list_csv(colectivo)),
        ]
        run = self.start(lists)
        self.assertEqual(drain(), 1)
        job = Job.objects.get(kind="analysis.linkage")
        self.assertEqual(job.status, Job.Status.DONE, job.error)
        # The engine, and an estimate by state, read the codes.
        colectivo_list = LinkageList.objects.get(pk=lists[1].pk)
        frame = read_source(list_source(colectivo_list).frame, "colectivo")
        expected = [codes[i % len(codes)] for i in range(len(colectivo))]
        self.assertEqual(list(frame["state"]), expected)
        run.refresh_from_db()
        self.assertEqual(
            run.summary["records"], len(generated.sources["fiscalia"]) + len(colectivo)
        )
        # The reviewer still sees the state as the list wrote it.
        shown = list_source(colectivo_list).shown
        self.assertIn("Edo. de México", {values.get("state") for values in shown.values()})

    def test_a_run_just_claimed_by_the_worker_counts_no_steps_yet(self):
        self.client.force_login(self.analyst)
        response = self.client.post(f"/o/{self.org.slug}/linkage/", {"include_cases": "on"})
        Job.objects.update(status=Job.Status.RUNNING)  # claimed; no step reported yet
        page = self.client.get(response["Location"])
        self.assertContains(page, "Vinculando los registros.")
        self.assertNotContains(page, "paso 0 de 0")

    def test_a_run_being_saved_says_so_not_its_last_step(self):
        self.client.force_login(self.analyst)
        response = self.client.post(f"/o/{self.org.slug}/linkage/", {"include_cases": "on"})
        Job.objects.update(
            status=Job.Status.RUNNING, progress_phase="saving", progress_done=9, progress_total=10
        )
        page = self.client.get(response["Location"])
        self.assertContains(page, "Se está guardando la vinculación.")
        self.assertNotContains(page, "paso 9 de 10")

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


class SharedPeopleTests(SharingFixtures):
    """A partner's shared people as one more list: chosen on the run's form, read from
    the shared copies by the job (audited in both logs), never stored with the run."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.generated = generate_lists(150, seed=3)
        sexes = {"Hombre": "male", "Mujer": "female"}
        with on(TODAY):
            for row in cls.generated.sources["colectivo"].itertuples():
                Person.objects.create(
                    organization=cls.partner,
                    given_names=row.given_names,
                    paternal_surname=row.paternal_surname,
                    maternal_surname=row.maternal_surname,
                    sex=sexes.get(row.sex, "unknown"),
                    age=int(row.age) if row.age else None,
                    visibility=Visibility.PARTNERS,
                    consent_recorded_at=timezone.now(),
                )
            cls.agreement = cls.partner_shares(
                "named",
                {"cases.person": list(SHARED_KEYS[:-1])},  # all but the CURP
                "Cruce de listas para la búsqueda.",
            )

    def share_a_person_without_a_name(self) -> Person:
        """A person the agreement shares whose copy carries no name and no CURP."""
        nameless = Person.objects.create(
            organization=self.partner,
            sex="female",
            visibility=Visibility.PARTNERS,
            consent_recorded_at=timezone.now(),
        )
        agreements.apply(self.agreement)
        return nameless

    def test_an_analyst_links_a_partners_people_with_a_list_of_her_own(self):
        self.share_a_person_without_a_name()
        self.client.force_login(self.analyst)
        page = self.client.get(f"/o/{self.org.slug}/linkage/")
        # Counted from the agreement's fields: the nameless person too, "up to".
        self.assertContains(page, "Acompañamiento Psicosocial del Norte: hasta 83 personas")
        fiscalia = LinkageJobTests.upload(
            self, "fiscalia", list_csv(self.generated.sources["fiscalia"])
        )
        response = self.client.post(
            f"/o/{self.org.slug}/linkage/",
            {"lists": [fiscalia.pk], "partners": [self.partner.pk]},
        )
        self.assertEqual(response.status_code, 302)
        run = LinkageRun.objects.latest("pk")
        self.assertEqual(list(run.partners.all()), [self.partner])
        drain()
        job = Job.objects.get(kind="analysis.linkage")
        self.assertEqual(job.status, Job.Status.DONE, job.error)
        run.refresh_from_db()
        fiscalia_rows = len(self.generated.sources["fiscalia"])
        self.assertEqual(run.summary["records"], fiscalia_rows + 82)
        # The run says how many it linked: those whose copy carried a name.
        page = self.client.get(f"/o/{self.org.slug}/linkage/runs/{run.pk}/")
        self.assertEqual(page.context["shared_people"], [(self.partner, 82)])
        self.assertContains(page, "Personas que comparte Acompañamiento Psicosocial del Norte")
        # The partner's people are one list of the capture histories, linked to ours.
        clusters = actions.run_clusters(run)
        self.assertEqual(
            set(clusters["lists"]),
            {"fiscalia", "Compartida por Acompañamiento Psicosocial del Norte"},
        )
        together = {}
        for record, source in actions.run_graph(run)["records"]:
            together.setdefault(clusters["clusters"][record], set()).add(source)
        self.assertTrue(any(len(sources) == 2 for sources in together.values()))
        # The read is in both logs, once per run, with how many people.
        owner = AuditEntry.objects.get(action="share.viewed", organization=self.partner)
        reader = AuditEntry.objects.get(action="share.read", organization=self.org)
        self.assertEqual((owner.details["people"], owner.details["linkage_run"]), (82, run.pk))
        self.assertEqual(reader.details["owner"], self.partner.pk)
        # No shared value is stored with the run: only where to read it again.
        shared_pairs = [
            pair
            for pair in ReviewPair.objects.filter(run=run)
            if "shared_by" in pair.details["left"] or "shared_by" in pair.details["right"]
        ]
        self.assertTrue(shared_pairs)
        # A pair of a listed record and a shared person (a pair of two of the partner's
        # people would be read, and audited, twice).
        pair = next(
            pair
            for pair in shared_pairs
            if ("shared_by" in pair.details["left"]) != ("shared_by" in pair.details["right"])
        )
        shared_side = "left" if "shared_by" in pair.details["left"] else "right"
        side = pair.details[shared_side]
        self.assertEqual(set(side), {"list", "shared_by", "shared"})
        shared_person = Person.objects.get(pk=side["shared"])
        page = self.client.get(f"/o/{self.org.slug}/linkage/runs/{run.pk}/pairs/{pair.pk}/")
        self.assertContains(page, shared_person.paternal_surname)
        self.assertEqual(
            AuditEntry.objects.filter(action="share.viewed", organization=self.partner).count(), 2
        )
        # Our log says which partner's person the page read, as for any shared read.
        read = AuditEntry.objects.filter(action="share.read", organization=self.org).latest("pk")
        self.assertEqual(
            (read.details["owner"], read.details["object_id"]), (self.partner.pk, side["shared"])
        )
        # The partner revokes the agreement: the pair no longer shows the person.
        agreements.revoke(
            self.agreement, self.partner_coordinator, self.partner, version=self.agreement.version
        )
        page = self.client.get(f"/o/{self.org.slug}/linkage/runs/{run.pk}/pairs/{pair.pk}/")
        self.assertEqual(page.status_code, 200)
        gone = page.context[shared_side]
        self.assertEqual(gone, {"list": side["list"], "gone": True})  # no value of the person
        # Nor how their values compared with ours ("surname: exact" tells the surname).
        self.assertEqual(page.context["evidence"], [])
        self.assertNotContains(page, "Por qué el modelo")
        self.assertContains(page, "ya no se comparte")
        # And the form no longer offers the partner.
        page = self.client.get(f"/o/{self.org.slug}/linkage/")
        self.assertNotContains(page, "Acompañamiento Psicosocial del Norte: hasta")

    def test_the_linkage_page_decrypts_no_shared_copy_to_count_the_people(self):
        from memoria.vault import fields as vault

        self.share_a_person_without_a_name()
        decrypt = vault.decrypt_text

        def refuse_shared(value, context, **kwargs):
            if context.startswith("sharing."):
                raise AssertionError(f"the page decrypted {context}")
            return decrypt(value, context, **kwargs)

        self.client.force_login(self.analyst)
        with mock.patch.object(vault, "decrypt_text", side_effect=refuse_shared) as patched:
            page = self.client.get(f"/o/{self.org.slug}/linkage/")
            self.assertContains(page, "Acompañamiento Psicosocial del Norte: hasta 83 personas")
            # The check itself works: reading a copy goes through it and fails.
            from memoria.sharing.models import SharedRecord

            with self.assertRaises(AssertionError):
                _ = SharedRecord.objects.filter(organization=self.org).first().content
        self.assertTrue(patched.called)

    def test_an_estimate_leaves_out_the_people_no_longer_shared(self):
        """Share, link, stop sharing, estimate: the run still holds the partner's people
        (their pairs, answers, clusters), but the estimate no longer counts them."""
        from memoria.analysis.models import Estimate
        from tests.web.test_estimation import TINY

        self.client.force_login(self.analyst)
        lists = []
        for name in ("fiscalia", "prensa", "registro"):
            upload = SimpleUploadedFile(
                f"{name}.csv", list_csv(self.generated.sources[name]), content_type="text/csv"
            )
            response = self.client.post(
                f"/o/{self.org.slug}/linkage/lists/new/", {"name": name, "file": upload}
            )
            page = self.client.get(response["Location"])  # the columns it guesses: taken
            mapping = {key: value for key, value in page.context["form"].initial.items() if value}
            self.assertEqual(self.client.post(response["Location"], mapping).status_code, 302)
            lists.append(LinkageList.objects.latest("pk"))
        response = self.client.post(
            f"/o/{self.org.slug}/linkage/",
            {"lists": [item.pk for item in lists], "partners": [self.partner.pk]},
        )
        self.assertEqual(response.status_code, 302)
        drain()
        run = LinkageRun.objects.get()
        self.assertTrue(run.finished, run.job.error)
        graph, clusters = actions.run_graph(run), actions.run_clusters(run)["clusters"]
        sources_of: dict = {}
        for record, source in graph["records"]:
            sources_of.setdefault(clusters[record], set()).add(source)
        theirs = {f"shared{self.partner.pk}"}
        only_theirs = sum(1 for found in sources_of.values() if found == theirs)
        self.assertGreater(only_theirs, 0)
        read = AuditEntry.objects.filter(action="share.viewed").count()

        agreements.revoke(
            self.agreement, self.partner_coordinator, self.partner, version=self.agreement.version
        )
        response = self.client.post(
            f"/o/{self.org.slug}/linkage/runs/{run.pk}/estimates/",
            {"methods": ["loglinear"], **TINY},
        )
        self.assertEqual(response.status_code, 302)
        drain()
        estimate = Estimate.objects.get()
        self.assertEqual(estimate.job.status, Job.Status.DONE, estimate.job.error)
        table, report = estimate.result["table"], estimate.result["report"]
        self.assertEqual(report["observed"], len(sources_of) - only_theirs)
        self.assertEqual(table["lists"], ["fiscalia", "prensa", "registro"])
        self.assertEqual(report["left_out"]["people"], only_theirs)
        page = self.client.get(response["Location"])
        self.assertContains(page, "ya no comparten con la tuya")
        self.assertContains(page, "Compartida por Acompañamiento Psicosocial del Norte: 82")
        # The histories the run offers for download leave them out too.
        histories = self.client.get(f"/o/{self.org.slug}/linkage/runs/{run.pk}/histories.csv")
        lines = histories.content.decode().splitlines()
        self.assertEqual(lines[0], "cluster_id,fiscalia,prensa,registro")
        self.assertEqual(len(lines) - 1, len(sources_of) - only_theirs)
        # Found from the agreements, not by reading the partner's copies.
        self.assertEqual(AuditEntry.objects.filter(action="share.viewed").count(), read)

    def test_a_run_whose_creator_lost_the_role_reads_nothing_shared(self):
        from memoria.accounts.models import Membership
        from memoria.accounts.roles import Role

        self.client.force_login(self.analyst)
        response = self.client.post(
            f"/o/{self.org.slug}/linkage/", {"include_cases": "on", "partners": [self.partner.pk]}
        )
        self.assertEqual(response.status_code, 302)
        # Before the worker runs the job, the analyst becomes a reader.
        Membership.objects.filter(user=self.analyst, organization=self.org).update(role=Role.READER)
        drain()
        job = Job.objects.get(kind="analysis.linkage")
        self.assertEqual(job.status, Job.Status.FAILED)
        self.assertIn("ya no puede", job.error)
        self.assertFalse(AuditEntry.objects.filter(action="share.viewed").exists())

    def test_an_expired_agreement_shares_nothing_with_a_run(self):
        self.client.force_login(self.analyst)
        with on(datetime.date(2027, 1, 1)):
            page = self.client.get(f"/o/{self.org.slug}/linkage/")
            self.assertNotContains(page, "Acompañamiento Psicosocial del Norte")
            response = self.client.post(
                f"/o/{self.org.slug}/linkage/", {"partners": [self.partner.pk]}
            )
        self.assertEqual(response.status_code, 200)  # not a choice any more: the form says so
        self.assertFalse(LinkageRun.objects.exists())

    def test_only_what_an_agreement_in_force_grants_is_linked(self):
        """A referral's copy (a CURP the agreement does not grant, a person it does not
        cover) serves the referral, not a run over the partner's people."""
        from memoria.analysis.sources import shared_source
        from memoria.network import actions as network
        from memoria.network.models import Capability as Service

        covered = Person.objects.filter(organization=self.partner).order_by("pk").first()
        covered.curp = "GODE561231HDFRRN09"
        covered.save()
        outside = Person.objects.create(
            organization=self.partner,
            given_names="Zacarías",
            paternal_surname="Xochimilco",
            visibility=Visibility.PARTNERS,  # no recorded consent: not by name
        )
        for person, fields in ((covered, ["curp"]), (outside, ["given_names", "paternal_surname"])):
            network.send_referral(
                self.partner,
                self.partner_coordinator,
                {
                    "recipient": self.org,
                    "capability": Service.PSYCHOSOCIAL,
                    "message": "Acompañamiento.",
                    "person_fields": fields,
                },
                person=person,
            )
        self.client.force_login(self.analyst)
        page = self.client.get(f"/o/{self.org.slug}/linkage/")
        self.assertContains(page, "Acompañamiento Psicosocial del Norte: hasta 82 personas")
        frame = shared_source(self.org, self.partner, "P").frame
        self.assertEqual(len(frame), 82)
        self.assertNotIn("Xochimilco", set(frame["paternal_surname"]))
        self.assertEqual(set(frame["curp"]), {""})

    def test_an_estimate_left_with_two_lists_says_whose_people_went(self):
        """Two lists of ours and a partner's people, no longer shared: the estimate
        cannot run, and says that the partner's people were left out."""
        from memoria.analysis.models import Estimate
        from memoria.cases.io.jobs import seal
        from tests.web.test_estimation import TINY

        shared = f"shared{self.partner.pk}"
        records = [["a", "list1"], ["b", "list2"], ["s", shared], ["c", "list1"], ["t", shared]]
        graph = {"records": records, "links": [],
                 "sources": {"list1": "A", "list2": "B", shared: "Compartida"}}  # fmt: skip
        run = LinkageRun.objects.create(organization=self.org)
        run.sealed_graph = seal(self.org.pk, graph, actions.GRAPH_CONTEXT)
        run.sealed_clusters = seal(
            self.org.pk,
            {"clusters": {"a": 1, "b": 1, "s": 1, "c": 2, "t": 3}, "lists": [], "histories": []},
            actions.CLUSTERS_CONTEXT,
        )
        run.summary = {"records": 5}
        run.save()
        run.partners.set([self.partner])
        self.client.force_login(self.analyst)
        response = self.client.post(
            f"/o/{self.org.slug}/linkage/runs/{run.pk}/estimates/",
            {"methods": ["loglinear"], **TINY},
        )
        self.assertEqual(response.status_code, 302)
        drain()
        job = Estimate.objects.get().job
        self.assertEqual(job.status, Job.Status.FAILED)
        self.assertIn("tiene 2", job.error)
        self.assertIn("ya no se comparten", job.error)
        self.assertIn("Acompañamiento Psicosocial del Norte", job.error)

    def test_a_stratified_estimate_reads_no_partners_people(self):
        """A shared person carries no state or date: an estimate by stratum has nothing
        to read in the partner's copies, and reads none (no entry in its log)."""
        from memoria.analysis.models import Estimate
        from tests.web.test_estimation import TINY, WESTERN, run_from_table

        run = run_from_table(self.org, WESTERN)
        run.partners.set([self.partner])
        self.client.force_login(self.analyst)
        response = self.client.post(
            f"/o/{self.org.slug}/linkage/runs/{run.pk}/estimates/",
            {"methods": ["loglinear"], "strata": "state", **TINY},
        )
        self.assertEqual(response.status_code, 302)
        drain()
        estimate = Estimate.objects.get()
        self.assertEqual(estimate.job.status, Job.Status.DONE, estimate.job.error)
        self.assertFalse(AuditEntry.objects.filter(action="share.viewed").exists())


def test_the_columns_page_guesses_the_headers_official_lists_use():
    from memoria.analysis.sources import guess_list_mapping

    headers = ["FOLIO", "NOMBRE COMPLETO", "SEXO", "FECHA NAC.", "EDAD", "CVE ENT"]
    assert guess_list_mapping(headers) == {
        "record_id": "FOLIO",
        "full_name": "NOMBRE COMPLETO",
        "sex": "SEXO",
        "birth_date": "FECHA NAC.",
        "age": "EDAD",
        "state": "CVE ENT",
    }


def test_the_weights_of_the_evidence_read_as_numbers_not_exponents():
    from django.utils import translation

    from memoria.analysis.explain import explained

    items = [
        {"comparison": "surnames", "level": "both surnames agree", "bayes_factor": 28_436.0},
        {"comparison": "birth", "level": "differ", "bayes_factor": 1 / 21.43},
        {"comparison": "given_name", "level": "differ", "bayes_factor": 95.27},
    ]
    with translation.override("es-mx"):
        factors = [item["factor"] for item in explained(items)]
    assert factors == ["×28,400", "÷21.4", "×95.3"]


def test_every_level_of_the_model_is_explained_in_spanish():
    from django.utils import translation

    from memoria.analysis.explain import explained
    from memoria.linkage.model import build_settings

    settings = build_settings(with_curp=True).get_settings("duckdb").as_dict()
    labels = [
        level["label_for_charts"]
        for comparison in settings["comparisons"]
        for level in comparison["comparison_levels"]
        if not level.get("is_null_level")
    ]
    items = [{"comparison": "", "level": label, "bayes_factor": 2.0} for label in labels]
    with translation.override("es-mx"):
        shown = [item["level"] for item in explained(items)]
    # A level the pair page shows as the engine names it is English on a Spanish page.
    assert [label for label, said in zip(labels, shown, strict=True) if label == said] == []
