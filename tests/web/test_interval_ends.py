"""An interval with no upper end (a profile likelihood that never comes back under
its cut-off) is said in words on the pages, and drawn to the chart's edge."""

from __future__ import annotations

import math

from django.template.loader import render_to_string
from django.test import SimpleTestCase
from django.utils import translation

from memoria.analysis.estimation import interval_chart
from memoria.analysis.templatetags.analysis_tags import bound

INF = float("inf")


class IntervalEndTests(SimpleTestCase):
    def test_an_end_the_data_do_not_give_is_said_in_words(self):
        with translation.override("es-mx"):
            self.assertEqual(bound(INF), "sin límite superior")
            self.assertEqual(bound(1234.6), "1,235")
        with translation.override("en"):
            self.assertEqual(bound(INF), "no upper end")

    def test_a_model_average_without_an_upper_end_never_prints_inf(self):
        part = {
            "models": 113,
            "criterion": "BIC",
            "estimate": 1510.2,
            "low": 1200.0,
            "high": INF,
            "best": 1490.0,
            "carrying": 1,
        }
        with translation.override("es-mx"):
            page = render_to_string("analysis/_average_models.html", {"part": part})
        self.assertIn("1,200 – sin límite superior", page)
        self.assertNotIn("inf", page)

    def test_the_strata_chart_runs_an_open_interval_to_its_edge(self):
        rows = [
            {"label": "Chihuahua", "estimate": 900.0, "low": 700.0, "high": INF},
            {"label": "Jalisco", "estimate": 400.0, "low": 350.0, "high": 520.0},
        ]
        chart = interval_chart(rows, width=640, label_width=150)
        open_row, closed_row = chart["rows"]
        numbers = [v for row in chart["rows"] for v in row.values() if isinstance(v, float)]
        self.assertTrue(all(math.isfinite(v) for v in numbers if v is not INF))
        self.assertEqual(open_row["x_high"], 150 + 640 - 150 - 20)  # the edge
        self.assertLess(closed_row["x_high"], open_row["x_high"])
        self.assertGreater(open_row["x_high"], open_row["x"])
