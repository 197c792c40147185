"""Hostile and random values posted to every form of the search app.

The same fuzz as the case forms (``tests/web/test_fuzz_forms.py``, whose
machinery this reuses): every response below 500, a refused request writes
nothing, a success writes exactly its record and its audit entry, nothing
echoes a script. ``test_it_fuzzes_every_form_of_the_search_app`` walks the URL
conf: a new page of the app fails it until it is fuzzed here or named as
having no form.
"""

from __future__ import annotations

import datetime

from django.urls import get_resolver

from memoria.cases import actions as case_actions
from memoria.search import actions
from memoria.search.models import (
    AnteMortemFile,
    AnteMortemMark,
    BrigadeDay,
    DentalFinding,
    FamilyContact,
    PostMortemMark,
    RecipientConsent,
    ReferenceSample,
    RemainsRecord,
    SearchPhoto,
    SearchSite,
)
from tests.web.cases_fixtures import term
from tests.web.test_fuzz_forms import EveryFormFuzzed, FormFuzz, FuzzCase, Target, fuzz_test, walk

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
MARK = {"kind": "tattoo", "region": "forearm", "motif": "rosa", "text": "MARIA"}


def part_targets(kind: str, model, fixture: str, valid: dict, parent: str) -> list[Target]:
    return [
        Target(
            f"search:{kind}_new",
            creates=model,
            valid=lambda case, valid=valid: valid(case) if callable(valid) else valid,
            route_fixtures={parent: parent.removesuffix("_id")},
            examples=4,
        ),
        Target(
            f"search:{kind}_edit",
            edits=(model, fixture),
            route_fixtures={"record_id": fixture, parent: parent.removesuffix("_id")},
            examples=4,
        ),
        Target(
            f"search:{kind}_remove",
            removes=(model, fixture),
            form_on=f"search:{kind}_edit",
            route_fixtures={"record_id": fixture, parent: parent.removesuffix("_id")},
            always_writes=False,  # a stale version removes nothing and says so
            examples=3,
        ),
    ]


TARGETS = [
    Target(
        "search:file_new",
        creates=AnteMortemFile,
        valid=lambda case: {"person": case.free_person.pk, "search_status": "searching"},
        examples=6,
    ),
    Target("search:file_edit", edits=(AnteMortemFile, "file"), examples=6),
    *part_targets("mark", AnteMortemMark, "mark", MARK, "file_id"),
    *part_targets("contact", FamilyContact, "contact", {"name": "Rosa"}, "file_id"),
    *part_targets(
        "sample",
        ReferenceSample,
        "sample",
        {"donor": "Rosa", "sample_kind": "buccal", "held_by": "Fiscalía"},
        "file_id",
    ),
    *part_targets(
        "consent",
        RecipientConsent,
        "consent",
        lambda case: {"recipient": case.third_org.pk, "given_by": "Rosa", "parts": "marks"},
        "file_id",
    ),
    Target(
        "search:file_photo_new",
        creates=SearchPhoto,
        files={"photo": PNG},
        examples=3,
    ),
    Target(
        "search:site_new",
        creates=SearchSite,
        valid=lambda case: {
            "name": "Predio",
            "kind": "well",
            "found_by_kind": "collective",
            "exhumation_status": "not_started",
        },
        examples=6,
    ),
    Target("search:site_edit", edits=(SearchSite, "site"), examples=4),
    Target("search:site_photo_new", creates=SearchPhoto, files={"photo": PNG}, examples=3),
    Target(
        "search:brigade_new",
        creates=BrigadeDay,
        valid=lambda case: {"date": "2024-05-01"},
        examples=6,
    ),
    Target("search:brigade_edit", edits=(BrigadeDay, "day"), examples=4),
    Target(
        "search:remains_new",
        creates=RemainsRecord,
        valid=lambda case: {
            "source": "brigade",
            "sex_estimate": "undetermined",
            "condition": "partial",
            "held_at_kind": "morgue",
            "dna_status": "not_taken",
            "identification_status": "unidentified",
        },
        examples=6,
    ),
    Target("search:remains_edit", edits=(RemainsRecord, "remains"), examples=4),
    Target("search:remains_photo_new", creates=SearchPhoto, files={"photo": PNG}, examples=3),
    *part_targets("pm_mark", PostMortemMark, "pm_mark", MARK, "remains_id"),
    *part_targets(
        "dental", DentalFinding, "dental", {"tooth": "21", "finding": "missing_am"}, "remains_id"
    ),
]

NO_FORM = {
    "search:list",
    "search:file",
    "search:photo",
    "search:sites",
    "search:site",
    "search:brigades",
    "search:remains_list",
    "search:remains",
}


def search_routes() -> dict:
    return {
        name: pattern
        for name, pattern in walk(get_resolver().url_patterns)
        if pattern.callback.__module__.startswith("memoria.search")
        # The review's pages: the decision form is fuzzed in test_fuzz_search_review.py;
        # the official lists' pages in test_fuzz_official.py.
        and pattern.callback.__module__
        not in ("memoria.search.review_views", "memoria.search.official_views")
    }


class SearchFuzzCase(FuzzCase):
    """An AM file, a site, a brigade day and remains with one part of every kind, twice."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        from memoria.accounts.models import Organization

        cls.third_org = Organization.objects.create(name="Colectivo Tercero", slug="tercero")
        act = case_actions.add_victim(
            cls.second,
            cls.documenter,
            {"given_names": "Luis", "paternal_surname": "Sin Expediente", "sex": "male"},
            {"violation_type": term("violation_type", "enforced_disappearance")},
        )
        cls.free_person = act.victim
        records = cls.search_records(cls.org, cls.documenter, cls.victim)
        (cls.file, cls.mark, cls.contact, cls.sample, cls.consent, cls.site, cls.day) = records[:7]
        (cls.remains, cls.pm_mark, cls.dental, cls.photo) = records[7:]
        other_victim = cls.victim.__class__.objects.filter(
            organization=cls.other_org, acts__isnull=False
        ).first()
        foreign = cls.search_records(cls.other_org, cls.outsider, other_victim)
        cls.foreign_ids = sorted({*cls.foreign_ids, *(record.pk for record in foreign)})

    @classmethod
    def search_records(cls, organization, user, person) -> list:
        file = actions.open_file(person, user, {"sex": "male", "stature_cm": 170})
        other = cls.third_org if organization == cls.org else cls.org
        site = actions.record_site(organization, user, {"name": "Predio", "kind": "well"})
        remains = actions.record_remains(organization, user, {"site": site, "condition": "partial"})
        upload = fuzz_upload()
        return [
            file,
            actions.add_part(file, "mark", user, MARK),
            actions.add_part(file, "contact", user, {"name": "Rosa", "relationship": "madre"}),
            actions.add_part(file, "sample", user, {"donor": "Rosa", "held_by": "Fiscalía"}),
            actions.add_part(
                file, "consent", user, {"recipient": other, "parts": ["marks"], "given_by": "R"}
            ),
            site,
            actions.record_brigade_day(
                organization, user, {"date": datetime.date(2024, 5, 1), "site": site}
            ),
            remains,
            actions.add_part(remains, "pm_mark", user, MARK),
            actions.add_part(remains, "dental", user, {"tooth": "11", "finding": "crown"}),
            actions.add_photo(file, user, upload),
        ]

    def route_values(self, target: Target | None = None) -> dict:
        values = {
            "file_id": self.file.pk,
            "site_id": self.site.pk,
            "day_id": self.day.pk,
            "remains_id": self.remains.pk,
            "photo_id": self.photo.pk,
            "record_id": self.mark.pk,
        }
        own = {**super().route_values(None), **values}
        if target is not None:
            own.update({key: getattr(self, name).pk for key, name in target.route_fixtures.items()})
            if target.removes:
                own["record_id"] = getattr(self, target.removes[1]).pk
        return own


def fuzz_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("foto.png", PNG)


class SearchFileFuzz(FormFuzz, SearchFuzzCase):
    forms: dict = {}


class SearchFieldFuzz(FormFuzz, SearchFuzzCase):
    forms: dict = {}


for _target in TARGETS:
    _class = SearchFileFuzz if _target.name.startswith(("search:file", "search:mark",
        "search:contact", "search:sample", "search:consent")) else SearchFieldFuzz  # fmt: skip
    _test = fuzz_test(_target)
    setattr(_class, _test.__name__, _test)
del _class  # a TestCase left in the module's names would be collected twice


class SearchFuzzCoverageTests(EveryFormFuzzed, SearchFuzzCase):
    targets = TARGETS
    no_form = NO_FORM
    app_name = "the search app"
    fuzz_file = "tests/web/test_fuzz_search.py"

    def routes(self):
        return search_routes()
