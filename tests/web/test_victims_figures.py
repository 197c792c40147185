"""Known-answer tests of the victims' figures: counts by body, state and year, and the delays."""

from __future__ import annotations

import csv
import io

from django.test import SimpleTestCase

from memoria.audit.models import AuditEntry
from memoria.victims import actions, figures
from memoria.victims.figures import Filing
from tests.web.victims_fixtures import D, VictimsFixtures, measure_data, request_data


def request(filed, resolved=None, outcome="pending", state="08", measures=()):
    return Filing("request", "ceeav", state, filed, outcome, resolved, tuple(measures))


class TabulateTests(SimpleTestCase):
    """Figures worked out by hand from five requests and three registrations."""

    filings = [
        # Chihuahua's commission, 2023: resolved after 30, 90 and 400 days; one still pending.
        request(D(2023, 1, 1), D(2023, 1, 31), "granted",
                measures=[("granted", "delivered", D(2023, 3, 2)),   # 60 days after filing
                          ("granted", "not_delivered", None)]),
        request(D(2023, 2, 1), D(2023, 5, 2), "partly_granted",
                measures=[("granted", "partly", D(2024, 2, 1)),      # 365 days
                          ("refused", "pending", None)]),
        request(D(2023, 3, 1), D(2024, 4, 4), "refused"),              # 400 days
        request(D(2023, 6, 1)),                                        # pending: no delay yet
        # The same commission, 2024, and one with its resolution typed before its filing.
        request(D(2024, 1, 10), D(2024, 1, 1), "refused"),
        Filing("registration", "renavi", "", D(2023, 5, 5), "registered", D(2023, 9, 1)),
        Filing("registration", "renavi", "", D(2023, 7, 7), "refused", D(2023, 8, 1)),
        Filing("registration", "state", "08", None, "requested"),
    ]  # fmt: skip

    def test_it_counts_by_body_state_and_year(self):
        rows, total = figures.tabulate(self.filings)
        keys = [(r.body, r.state_code, r.year) for r in rows]
        self.assertEqual(
            keys,
            [("ceeav", "08", 2023), ("ceeav", "08", 2024), ("renavi", "", 2023),
             ("state", "08", None)],
        )  # fmt: skip
        chihuahua_2023 = rows[0]
        self.assertEqual(
            (chihuahua_2023.requests, chihuahua_2023.granted, chihuahua_2023.refused),
            (4, 2, 1),
        )
        self.assertEqual((chihuahua_2023.measures_granted, chihuahua_2023.delivered), (3, 2))
        renavi = rows[2]
        self.assertEqual(
            (renavi.registrations, renavi.registered, renavi.registrations_refused), (2, 1, 1)
        )
        self.assertEqual((rows[3].registrations, rows[3].year), (1, None))
        self.assertEqual(
            (total.registrations, total.requests, total.granted, total.refused, total.delivered),
            (3, 5, 2, 2, 2),
        )

    def test_it_takes_the_median_delays_in_days(self):
        rows, total = figures.tabulate(self.filings)
        # 30, 90 and 400 days: the median is the middle one, 90.
        self.assertEqual(rows[0].resolution_days, [30, 90, 400])
        self.assertEqual(rows[0].median_resolution_days, 90)
        # Delivered 60 and 365 days after filing: the median of two is their mean.
        self.assertEqual(rows[0].median_delivery_days, 212.5)
        # A resolution dated before its request is left out, not counted as a negative delay.
        self.assertIsNone(rows[1].median_resolution_days)
        self.assertEqual(total.median_resolution_days, 90)
        self.assertIsNone(rows[2].median_delivery_days)

    def test_it_writes_the_same_table_as_csv(self):
        rows, total = figures.tabulate(self.filings)
        table = list(csv.reader(io.StringIO(figures.as_csv(rows, total, {"08": "Chihuahua"}))))
        self.assertEqual(len(table), 1 + 4 + 1)  # header, rows, total
        self.assertEqual(table[1][:3], [figures.body_label("ceeav"), "Chihuahua", "2023"])
        self.assertEqual(table[1][-2:], ["90", "212.5"])
        self.assertEqual(table[3][1], "Federal")
        self.assertEqual(table[-1][3:7], ["3", "1", "1", "5"])


class FiguresPageTests(VictimsFixtures):
    def test_it_counts_the_recorded_requests_and_exports_them(self):
        record = actions.add_request(
            self.mother,
            self.documenter,
            request_data(self.event, filed_on=D(2024, 3, 1), status="granted",
                         resolved_on=D(2024, 5, 30)),
        )  # fmt: skip
        actions.add_measure(
            record,
            self.documenter,
            measure_data(decision="granted", delivery="delivered", delivered_on=D(2024, 8, 28)),
        )
        self.client.force_login(self.analyst)
        page = self.client.get(self.url("figures"))
        total = page.context["total"]
        self.assertEqual((total.requests, total.granted, total.delivered), (2, 1, 1))
        self.assertEqual((total.median_resolution_days, total.median_delivery_days), (90, 180))
        download = self.client.get(self.url("figures_csv"))
        self.assertEqual(download["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn("attachment;", download["Content-Disposition"])
        rows = list(csv.reader(io.StringIO(download.content.decode())))
        self.assertEqual(rows[0][0], "Registro o comisión")
        self.assertEqual(rows[-1][-2:], ["90", "180"])
        self.assertTrue(AuditEntry.objects.filter(action="victims.figures_export").exists())
        # No names: the figures page and its file carry counts only.
        for content in (page.content.decode(), download.content.decode()):
            self.assertNotIn("Ramírez", content)
            self.assertNotIn("CEEAV-CHIH-77", content)

    def test_the_statistics_page_links_to_them(self):
        self.client.force_login(self.analyst)
        response = self.client.get(f"/o/{self.org.slug}/cases/statistics/")
        self.assertContains(response, self.url("figures"))
