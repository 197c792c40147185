"""The demo network's search, reports, public site and counts-only agreements: loaded
through the actions, once, and shown on their pages (memoria.search.demo,
memoria.reports.demo, memoria.public.demo, memoria.network.demo)."""

from __future__ import annotations

from django.test import TestCase

from memoria.accounts.models import Membership, Organization, User
from memoria.accounts.roles import Role
from memoria.analysis.demo import DEMO_LISTS
from memoria.analysis.models import LinkageList, LinkageRun
from memoria.audit.models import AuditEntry
from memoria.cases.models import Event, Person
from memoria.core.demo import load_demo_network
from memoria.jobs.models import Job
from memoria.jobs.worker import drain
from memoria.public.models import Publication
from memoria.reports.demo import DEMO_REPORTS
from memoria.reports.models import Report, ReportChannel
from memoria.search import models as search
from memoria.search.review import REMATCH, score_key
from memoria.sharing.models import Agreement, AgreementFigures
from tests.web.base import TwoFactorClient, ensure_reference_data

KINDS = (
    search.AnteMortemFile,
    search.AnteMortemMark,
    search.FamilyContact,
    search.SearchSite,
    search.BrigadeDay,
    search.RemainsRecord,
    search.PostMortemMark,
    search.DentalFinding,
    search.Candidate,
    Report,
    ReportChannel,
    Publication,
    LinkageList,
    LinkageRun,
    Event,
    Person,
    Job,
    AuditEntry,
    Agreement,
    AgreementFigures,
)


def counts() -> dict[str, int]:
    return {kind.__name__: kind.objects.count() for kind in KINDS}


class DemoContentTests(TestCase):
    client_class = TwoFactorClient

    @classmethod
    def setUpTestData(cls):
        ensure_reference_data()
        load_demo_network(cases=6)  # a few cases: some files on their people, some recorded
        cls.loaded = counts()
        load_demo_network(cases=6)
        cls.again = counts()
        cls.voces = Organization.objects.get(slug="voces-que-buscan")
        cls.sierra = Organization.objects.get(slug="sierra-viva")

    def sign_in(self, email: str) -> None:
        self.client.force_login(User.objects.get(email=email))

    def test_a_second_load_creates_nothing(self):
        self.assertEqual(self.again, self.loaded)
        for kind, expected in (
            ("AnteMortemFile", 4),
            ("FamilyContact", 4),
            ("SearchSite", 2),
            ("BrigadeDay", 1),
            ("RemainsRecord", 3),
            ("Report", len(DEMO_REPORTS)),
            ("ReportChannel", 1),
            ("LinkageList", len(DEMO_LISTS)),
            ("LinkageRun", 1),
            ("Agreement", 4),  # three counts-only, one by name for the linkage
            ("AgreementFigures", 3),
        ):
            with self.subTest(kind=kind):
                self.assertEqual(self.loaded[kind], expected)
        self.assertGreaterEqual(self.loaded["Candidate"], 2)

    def test_the_matching_job_ran_and_left_nothing_waiting(self):
        jobs = Job.objects.filter(kind=REMATCH, organization=self.voces)
        self.assertEqual([job.status for job in jobs], [Job.Status.DONE])

    def test_the_demo_lists_are_linked_by_the_worker_into_a_review_queue(self):
        run = LinkageRun.objects.get(organization=self.sierra)
        self.assertEqual(run.job.status, Job.Status.QUEUED)  # serve's worker runs it
        self.assertTrue(
            all(item.ready for item in LinkageList.objects.filter(organization=self.sierra))
        )
        drain()
        run.refresh_from_db()
        self.assertTrue(run.finished, run.job.error)
        self.assertGreater(run.summary["records"], 300)  # four lists of 300 people
        self.assertLess(run.summary["clusters"], run.summary["records"])
        analyst = Membership.objects.get(organization=self.sierra, role=Role.ANALYST).user
        self.client.force_login(analyst)
        page = self.client.get(f"/o/sierra-viva/linkage/runs/{run.pk}/queue/", follow=True)
        self.assertEqual(page.status_code, 200)
        self.assertIn("pair", page.context)  # the first uncertain pair, side by side
        self.assertContains(page, "lista ficticia de demostración")

    def test_every_file_is_on_a_disappeared_person_of_the_organization_and_marked_demo(self):
        for file in search.AnteMortemFile.objects.filter(organization=self.voces):
            self.assertEqual(file.person.organization_id, self.voces.pk)
            self.assertIn("ficticio", file.notes)
        for contact in search.FamilyContact.objects.filter(organization=self.voces):
            self.assertIn("(demo)", contact.name)
            self.assertTrue(contact.receives_news)

    def test_the_candidates_page_ranks_the_true_remains_first(self):
        self.sign_in("documentacion@voces-que-buscan.example")
        files = search.AnteMortemFile.objects.filter(organization=self.voces).order_by("pk")
        for file, folio in zip(files[:2], ("-0001", "-0002"), strict=True):
            with self.subTest(file=file.pk):
                best = sorted(file.candidates.all(), key=score_key)[0]
                self.assertTrue(best.remains.semefo_folio.endswith(folio))
                page = self.client.get(f"/o/voces-que-buscan/search/files/{file.pk}/candidates/")
                self.assertEqual(page.status_code, 200)
                self.assertContains(page, best.remains.semefo_folio)
        review = self.client.get("/o/voces-que-buscan/search/review/")
        self.assertContains(review, "SEMEFO-DEMO-")

    def test_the_search_pages_show_the_demo_records(self):
        self.sign_in("lectura@voces-que-buscan.example")
        for path, text in (
            ("", "(demo)"),
            ("sites/", "Predio El Mezquite (demo)"),
            ("brigades/", "Predio El Mezquite (demo)"),
            ("remains/", "SEMEFO-DEMO-2024-0003"),
        ):
            with self.subTest(path=path):
                self.assertContains(self.client.get(f"/o/voces-que-buscan/search/{path}"), text)

    def test_the_public_site_answers_with_figures(self):
        publication = Publication.objects.get(organization=self.sierra)
        self.assertTrue(publication.published)
        self.assertTrue(publication.figures)
        page = self.client.get("/p/sierra-viva/")
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "Sierra Viva")
        self.assertEqual(self.client.get("/p/sierra-viva/data/").status_code, 200)

    def test_the_network_figures_add_the_partners_counts(self):
        self.sign_in("lectura@sierra-viva.example")
        page = self.client.get("/o/sierra-viva/network/figures/")
        self.assertContains(page, "Colectivo Voces que Buscan (demo)")
        self.assertContains(page, "Red de Periodistas del Golfo (demo)")

    def test_a_partner_shares_fictional_people_by_name_for_the_linkage(self):
        from memoria.analysis.demo import DEMO_SHARED_PEOPLE
        from memoria.analysis.sources import shared_source

        agreement = Agreement.objects.get(organization=self.voces, level="named")
        self.assertEqual(agreement.partner, self.sierra)
        self.assertIn("demostración", agreement.purpose)
        cases = Event.objects.filter(organization=self.voces)
        case = next(event for event in cases if "caso ficticio" in event.title)
        self.assertEqual(case.acts.count(), DEMO_SHARED_PEOPLE)
        self.sign_in("analisis@sierra-viva.example")
        page = self.client.get("/o/sierra-viva/linkage/")
        self.assertContains(page, "Colectivo Voces que Buscan (demo): hasta")
        offered = page.context["form"].fields["partners"].queryset
        self.assertEqual(list(offered), [self.voces])
        # Each of the case's people carries a name the linkage can read.
        frame = shared_source(self.sierra, self.voces, "Voces").frame
        names = set(frame["paternal_surname"])
        for act in case.acts.select_related("victim"):
            self.assertIn(act.victim.paternal_surname, names)

    def test_the_feed_shows_the_verified_reports_and_the_queue_the_new_ones(self):
        verified = [spec for spec in DEMO_REPORTS if spec.public_summary]
        feed = self.client.get("/r/sierra-viva/incidents/")
        self.assertEqual(feed.status_code, 200)
        for spec in verified:
            self.assertContains(feed, spec.public_summary)
        self.sign_in("coordinacion@sierra-viva.example")
        queue = self.client.get("/o/sierra-viva/reports/")
        self.assertEqual(queue.status_code, 200)
        self.assertEqual(len(queue.context["waiting"]), len(DEMO_REPORTS) - len(verified))
        self.assertEqual(len(queue.context["decided"]), len(verified))
        self.assertTrue(queue.context["channel_open"])
        reports = Report.objects.filter(organization=self.sierra)
        self.assertTrue(
            all(
                report.received_on < report.decided_at.date()
                for report in reports
                if report.decided_at
            )
        )
        self.assertEqual(self.client.get("/r/sierra-viva/").status_code, 200)
