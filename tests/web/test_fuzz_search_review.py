"""Hostile and random values posted to the decision on a possible match.

The same fuzz as the case forms (``tests/web/test_fuzz_forms.py``): every
response below 500, a refused decision writes nothing, a success changes
exactly the candidate (one version more) with its decision row and its audit
entry, nothing echoes a script.
"""

from __future__ import annotations

from memoria.search.models import Candidate
from tests.web.search_fixtures import SearchFixtures
from tests.web.test_fuzz_forms import FormFuzz, FuzzCase, Target, fuzz_test

TARGETS = [
    Target(
        "search:candidate",
        edits=(Candidate, "candidate"),
        valid=lambda case: {"to_status": "under_review"},
        examples=20,
    ),
]


class ReviewFuzzCase(FuzzCase, SearchFixtures):
    """A possible match of this organization, and one of another."""

    def setUp(self):
        super().setUp()
        self.candidate = self.make_candidate(self.org)
        foreign = self.make_candidate(self.other_org)
        self.foreign_ids = sorted({*self.foreign_ids, foreign.pk})

    def make_candidate(self, organization) -> Candidate:
        return Candidate.objects.create(
            organization=organization,
            file=self.make_file(organization),
            remains=self.make_remains(organization),
            score=2.5,
            reasons={"evidence": [{"code": "sex", "weight": 0.3, "detail": ""}], "exclusions": []},
        )

    def route_values(self, target: Target | None = None) -> dict:
        return {**super().route_values(target), "candidate_id": self.candidate.pk}


class ReviewFuzz(FormFuzz, ReviewFuzzCase):
    """One test per form of the review (added below)."""


for _target in TARGETS:
    _test = fuzz_test(_target)
    setattr(ReviewFuzz, _test.__name__, _test)
