"""An organization's AM files and remains become the matching engine's tables."""

from __future__ import annotations

import datetime
from decimal import Decimal

from memoria import matching
from memoria.places.models import Municipality, State
from memoria.search import actions
from memoria.search.frames import missing_frame, record_id, remains_frame
from tests.web.search_fixtures import SearchFixtures, mark_data


class SearchFramesTests(SearchFixtures):
    def plant_decoys(self) -> None:
        """Remains that could be many people: the true pair must still come first."""
        sonora = State.objects.get(code="26")
        for index in range(8):
            remains = self.make_remains(
                semefo_folio=f"SEMEFO-{index}",
                found_on=datetime.date(2020 + index % 3, 1 + index, 10),
                sex_estimate="male" if index % 2 else "undetermined",
                age_min=Decimal(18 + index),
                age_max=Decimal(35 + index),
                stature_min_cm=Decimal(160),
                stature_max_cm=Decimal(180),
                clothing="pantalón de mezclilla azul; playera blanca",
                condition="skeletonized" if index % 3 == 0 else "partial",
                state=sonora if index % 4 == 0 else State.objects.get(code="08"),
                municipality=None,
                notes="",
            )
            if index % 2:
                actions.add_part(
                    remains, "pm_mark", self.documenter, mark_data(region="back", motif="virgen")
                )
        # Someone else the organization searches for.
        other = self.make_file(
            sex="male",
            age_at_disappearance=Decimal(40),
            stature_cm=Decimal(165),
            clothing="camisa a cuadros",
            dental_notes="",
        )
        actions.add_part(
            other, "mark", self.documenter, mark_data(region="chest", motif="calavera")
        )

    def test_the_engine_ranks_the_planted_true_pair_first(self):
        self.plant_decoys()
        file = self.make_file()  # José Luis: a rose "MARIA" tattoo, a missing front tooth
        actions.add_part(file, "mark", self.documenter, mark_data())
        actions.add_part(
            file,
            "mark",
            self.documenter,
            mark_data(kind="scar", region="abdomen", side="", motif="", text="", description=""),
        )
        truth = self.make_remains(
            found_on=datetime.date(2021, 6, 2),
            municipality=Municipality.objects.get(cvegeo="08017"),
        )
        actions.add_part(
            truth,
            "pm_mark",
            self.documenter,
            mark_data(motif="flor", text="Maria", description="rosa con letras"),
        )
        actions.add_part(truth, "dental", self.documenter, {"tooth": "21", "finding": "missing_am"})
        actions.add_part(
            truth,
            "dental",
            self.documenter,
            {"tooth": "11", "finding": "crown", "description": "de oro"},
        )
        missing = matching.read_missing(missing_frame(self.org))
        remains = matching.read_remains(remains_frame(self.org))
        self.assertEqual((len(missing), len(remains)), (2, 9))
        result = matching.match(missing, remains, top=5)
        ours = result.candidates[result.candidates.missing_id == f"AM-{file.pk}"]
        best = ours.sort_values("rank").iloc[0]
        self.assertEqual(record_id(best.remains_id), truth.pk)
        self.assertEqual(best["rank"], 1)

    def test_it_writes_structured_records_in_the_engines_wording(self):
        file = self.make_file()
        actions.add_part(file, "mark", self.documenter, mark_data())
        row = missing_frame(self.org).iloc[0]
        self.assertEqual(row.missing_id, f"AM-{file.pk}")
        self.assertEqual(
            row.marks, 'tatuaje antebrazo derecho: rosa "MARIA" Una rosa con el nombre de su mamá.'
        )
        self.assertEqual((row.last_seen_state, row.last_seen_municipality), ("08", "08017"))
        self.assertEqual((row.sex, row.stature_cm, row.age_at_disappearance), ("male", "172", "24"))
        remains = self.make_remains()
        actions.add_part(
            remains, "dental", self.documenter, {"tooth": "21", "finding": "missing_am"}
        )
        row = remains_frame(self.org).iloc[0]
        self.assertEqual(row.dental, "ausencia ante mortem en pieza 21")
        self.assertEqual(row.condition, "partial")

    def test_it_leaves_out_people_found_and_remains_identified(self):
        file = self.make_file()
        self.make_remains(identification_status="identified")
        self.make_remains(found_on=None)
        self.assertEqual(len(missing_frame(self.org)), 1)
        actions.update_file(file, self.documenter, {"search_status": "found_alive"}, file.version)
        self.assertEqual(len(missing_frame(self.org)), 0)
        self.assertEqual(len(remains_frame(self.org)), 0)
        self.assertEqual(len(remains_frame(self.org, only_unidentified=False)), 1)

    def test_it_reads_only_the_organizations_own_records(self):
        self.make_file(self.other_org)
        self.make_remains(self.other_org)
        self.assertTrue(missing_frame(self.org).empty)
        self.assertTrue(remains_frame(self.org).empty)
        matching.read_missing(missing_frame(self.org))  # an empty table is still readable
