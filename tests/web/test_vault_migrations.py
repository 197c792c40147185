"""Existing installations keep their data across the storage and privacy migrations.

accounts 0003 re-seals AES-CTR authenticator seeds with AES-GCM; cases 0008
turns attachments stored as encrypted base64 text into encrypted bytes; cases
0012, 0013 and 0015 encrypt dates, sex and age band, places, statuses and
terms; the case index (0014) replaces SQL counts on clear columns.

Going back and forth through the migrations costs tens of seconds a trip, so one
test does it once: it records real data for every migration, walks down one
migration at a time checking each earlier form, then comes back up once and
checks that everything reads as it was recorded.
"""

from __future__ import annotations

import base64
import datetime
import importlib
import re
from collections import Counter
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase
from django_otp.oath import TOTP

from memoria.accounts.models import Organization, SealedTOTPDevice, User, two_factor_key
from memoria.cases import actions as case_actions
from memoria.cases import caseindex
from memoria.cases.formatting import month_label
from memoria.cases.models import Attachment, Intervention, Person, Source
from memoria.vault import seeds
from memoria.vault.cipher import decrypt_text, is_ciphertext
from tests.web.base import ensure_reference_data
from tests.web.cases_fixtures import case_data, term


def migrate(*targets: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(list(targets) or executor.loader.graph.leaf_nodes())


def raw(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


class MigrationTests(TransactionTestCase):
    serialized_rollback = True  # keep the places and vocabularies the migrations load

    @classmethod
    def _fixture_setup(cls):
        # A transactional test run before this one in the same process ends with a
        # flush after which post_migrate creates the content types and permissions
        # again; the serialized copy brings them back with their ids ("UNIQUE
        # constraint failed"). Empty the tables first, without post_migrate.
        call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)
        super()._fixture_setup()

    def setUp(self):
        super().setUp()
        ensure_reference_data()
        # The privacy migrations work in batches: small ones here, so several run
        # over the demo cases (a batch of one would make the walk take minutes).
        for name in (
            "0012_uniq_encrypt_source_intervention_dates",
            "0013_uniq_encrypt_sex_age_band",
            "0015_encrypt_place_status_profile_terms",
        ):
            module = importlib.import_module(f"memoria.cases.migrations.{name}")
            patcher = mock.patch.object(module, "BATCH", 40)
            patcher.start()
            self.addCleanup(patcher.stop)

    def tearDown(self):
        migrate()  # whatever happened, leave the schema complete
        super().tearDown()

    def make_user(self, slug: str) -> User:
        organization = Organization.objects.create(name=slug.title(), slug=slug, kind="other")
        user = User.objects.create_user(f"c@{slug}.example", "x" * 20, full_name="Coordinación")
        user.memberships.create(organization=organization, role="coordinator")
        return user

    def test_every_migration_goes_back_to_its_earlier_form_and_forward_again(self):
        parts = [
            self.places_statuses_and_terms(),
            self.statistics(),
            self.sex_and_age_band(),
            self.dates_of_sources_and_interventions(),
            self.attachments(),
            self.authenticator_seeds(),
        ]
        # Down one stop at a time; each part checks its earlier form at its stop.
        stops = [
            ("cases", "0014_case_index"),
            ("cases", "0013_uniq_encrypt_sex_age_band"),
            ("cases", "0012_uniq_encrypt_source_intervention_dates"),
            ("cases", "0011_uniq_pad_search_index"),
            ("cases", "0009_event_facets"),  # before every privacy migration
            ("cases", "0007_event_newest_first_index"),
            ("accounts", "0002_sealed_two_factor_devices"),
        ]
        for stop in stops:
            migrate(stop)
            for part in parts:
                check = part.get(stop)
                if check:
                    with self.subTest(stop=stop):
                        check()
        migrate()
        caseindex.clear()
        for part in parts:
            with self.subTest(part=part["name"]):
                part["forward"]()

    # Each part records its data at the current schema and returns its checks:
    # one per stop on the way down (keyed by the stop), and "forward" for the end.

    def authenticator_seeds(self) -> dict:
        user = self.make_user("semillas")
        device = SealedTOTPDevice.objects.create(user=user, name="app", confirmed=True)
        seed = device.bin_key
        plain = SealedTOTPDevice.objects.create(user=user, name="old", confirmed=True)
        plain_seed = plain.bin_key

        def earlier():
            ((stored,),) = raw("SELECT key FROM otp_totp_totpdevice WHERE id = %s", [device.pk])
            self.assertTrue(re.fullmatch(r"[0-9a-f]{72}", stored))  # the earlier AES-CTR form
            self.assertEqual(seeds.open_legacy_ctr_seed(stored, two_factor_key(), user.pk), seed)
            # A seed from before sealing, in clear hex, is sealed on the way up too.
            raw(
                "UPDATE otp_totp_totpdevice SET key = %s WHERE id = %s",
                [plain_seed.hex(), plain.pk],
            )

        def forward():
            for pk, expected in ((device.pk, seed), (plain.pk, plain_seed)):
                ((stored,),) = raw("SELECT key FROM otp_totp_totpdevice WHERE id = %s", [pk])
                self.assertTrue(stored.startswith("g1:"))
                self.assertNotIn(expected.hex(), stored)
                resealed = SealedTOTPDevice.objects.get(pk=pk)
                self.assertEqual(resealed.bin_key, expected)
                self.assertTrue(resealed.verify_token(f"{TOTP(expected).token():06d}"))

        return {
            "name": "seeds",
            ("accounts", "0002_sealed_two_factor_devices"): earlier,
            "forward": forward,
        }

    def attachments(self) -> dict:
        user = self.make_user("adjuntos")
        organization = user.memberships.get().organization
        event = case_actions.register_case(organization, user, case_data(title="Caso"))
        content = b"%PDF-1.7 acta de la fiscal\xeda \x00\xff" * 1000
        source = case_actions.add_source(
            event,
            user,
            {
                "kind": term("source_kind", "official_document"),
                "reliability": "high",
            },
            upload=SimpleUploadedFile("acta.pdf", content, "application/pdf"),
        )
        attachment = Attachment.objects.get(source=source)
        query = "SELECT content FROM cases_attachment WHERE id = %s"
        ((new_size,),) = raw("SELECT LENGTH(content) FROM cases_attachment WHERE id = %s",
                             [attachment.pk])  # fmt: skip
        old_size = []

        def earlier():
            ((stored,),) = raw(query, [attachment.pk])
            self.assertTrue(is_ciphertext(stored))  # the earlier form: encrypted base64 text
            plaintext = decrypt_text(stored, "cases.attachment.content")
            self.assertEqual(base64.b64decode(plaintext), content)
            old_size.append(len(stored))

        def forward():
            self.assertEqual(Attachment.objects.get(pk=attachment.pk).content, content)
            ((stored,),) = raw(query, [attachment.pk])
            self.assertNotIn(b"acta de la fiscal", bytes(stored))
            self.assertEqual(len(bytes(stored)), len(content) + 64)
            self.assertEqual(new_size, len(content) + 64)
            self.assertLess(new_size, 0.6 * old_size[0])  # 1.78 times the file before

        return {
            "name": "attachments",
            ("cases", "0007_event_newest_first_index"): earlier,
            "forward": forward,
        }

    def dates_of_sources_and_interventions(self) -> dict:
        user = self.make_user("fechas")
        organization = user.memberships.get().organization
        event = case_actions.register_case(organization, user, case_data(title="Caso"))
        source = case_actions.add_source(
            event,
            user,
            {
                "kind": term("source_kind", "testimony"),
                "reliability": "high",
                "date": datetime.date(2019, 3, 20),
            },
        )
        intervention = case_actions.add_intervention(
            event,
            user,
            {
                "kind": term("intervention_kind", "complaint_prosecutor"),
                "authority": "Fiscalía Especializada de Chihuahua",
                "date": datetime.date(2019, 3, 22),
            },
        )
        undated = case_actions.add_intervention(
            event, user, {"kind": term("intervention_kind", "complaint_prosecutor")}
        )

        def stored():
            return (
                raw("SELECT date FROM cases_source WHERE id = %s", [source.pk])[0],
                raw(
                    "SELECT authority, date FROM cases_intervention WHERE id = %s",
                    [intervention.pk],
                )[0],
                raw("SELECT authority, date FROM cases_intervention WHERE id = %s", [undated.pk])[
                    0
                ],
            )

        (source_date,), (authority, date), empty = stored()
        self.assertTrue(is_ciphertext(source_date) and is_ciphertext(authority))
        self.assertTrue(is_ciphertext(date))
        self.assertEqual(empty, ("", None))

        def earlier():
            (source_date,), (authority, date), empty = stored()
            self.assertEqual(str(source_date), "2019-03-20")
            self.assertEqual(
                (authority, str(date)), ("Fiscalía Especializada de Chihuahua", "2019-03-22")
            )
            self.assertEqual(empty, ("", None))

        def forward():
            (source_date,), (authority, date), empty = stored()
            self.assertNotIn("2019", source_date + date)
            self.assertNotIn("Fiscalía", authority)
            self.assertEqual(empty, ("", None))
            self.assertEqual(Source.objects.get(pk=source.pk).date, datetime.date(2019, 3, 20))
            moved = Intervention.objects.get(pk=intervention.pk)
            self.assertEqual(moved.date, datetime.date(2019, 3, 22))
            self.assertEqual(moved.authority, "Fiscalía Especializada de Chihuahua")

        return {
            "name": "dates",
            ("cases", "0011_uniq_pad_search_index"): earlier,
            "forward": forward,
        }

    def sex_and_age_band(self) -> dict:
        user = self.make_user("sexo")
        organization = user.memberships.get().organization
        event = case_actions.register_case(organization, user, case_data(title="Caso"))
        act = case_actions.add_victim(
            event,
            user,
            {
                "given_names": "Ana",
                "sex": "female",
                "birth_date": datetime.date(1990, 5, 1),
                "birth_precision": "day",
                "visibility": "private",
            },
            {
                "violation_type": term("violation_type", "homicide"),
                "situation": None,
                "description": "",
            },
            None,
        )
        query = "SELECT sex, birth_precision, age_band FROM cases_person WHERE id = %s"
        (stored,) = raw(query, [act.victim_id])
        self.assertTrue(all(is_ciphertext(value) for value in stored))

        def earlier():
            self.assertEqual(raw(query, [act.victim_id]), [("female", "day", "18-29")])

        def forward():
            (stored,) = raw(query, [act.victim_id])
            self.assertTrue(all(is_ciphertext(value) for value in stored))
            person = Person.objects.get(pk=act.victim_id)
            self.assertEqual(
                (person.sex, person.birth_precision, person.age_band), ("female", "day", "18-29")
            )
            self.assertEqual(person.get_sex_display(), "Mujer")

        return {
            "name": "sex and age band",
            ("cases", "0012_uniq_encrypt_source_intervention_dates"): earlier,
            "forward": forward,
        }

    def places_statuses_and_terms(self) -> dict:
        user = self.make_user("lugares")
        organization = user.memberships.get().organization
        event = case_actions.register_case(
            organization, user, case_data(title="Caso", status="verifying")
        )
        act = case_actions.add_victim(
            event,
            user,
            {"given_names": "Ana", "is_defender": True, "visibility": "private"},
            {
                "violation_type": term("violation_type", "enforced_disappearance"),
                "situation": term("victim_situation", "still_missing"),
                "description": "",
            },
            {"kind": term("perpetrator_kind", "army"), "confidence": "medium", "basis": None},
        )
        other = case_actions.add_victim(
            event,
            user,
            {"given_names": "Luis", "visibility": "private"},
            {
                "violation_type": term("violation_type", "homicide"),
                "situation": None,
                "description": "",
            },
            None,
        )
        mother = term("relationship", "mother")
        case_actions.add_indirect_victim(event, user, act.victim, mother, {"given_names": "Rosa"})
        queries = {
            "event": ("SELECT state_id, municipality_id, status, start_precision "
                      "FROM cases_event WHERE id = %s", event.pk),
            "person": ("SELECT is_defender, is_child FROM cases_person WHERE id = %s",
                       act.victim_id),
            "act": ("SELECT situation_id FROM cases_act WHERE id IN (%s, %s) ORDER BY id",
                    (act.pk, other.pk)),
            "attribution": ("SELECT kind_id FROM cases_attribution WHERE act_id = %s", act.pk),
            "relative": ("SELECT relationship_id FROM cases_indirectvictim WHERE event_id = %s",
                         event.pk),
        }  # fmt: skip

        def stored() -> dict:
            return {
                name: raw(sql, params if isinstance(params, tuple) else [params])
                for name, (sql, params) in queries.items()
            }

        def values(rows) -> list:
            return [value for row in rows for value in row]

        for name, rows in stored().items():
            self.assertTrue(all(is_ciphertext(v) for v in values(rows)), (name, rows))

        def earlier():
            plain = stored()
            self.assertEqual(plain["event"], [("08", "08017", "verifying", "day")])
            self.assertEqual([bool(v) for v in values(plain["person"])], [True, False])
            situation = term("victim_situation", "still_missing").pk
            self.assertEqual([int(v) if v else v for v in values(plain["act"])], [situation, None])
            self.assertEqual(
                int(values(plain["attribution"])[0]), term("perpetrator_kind", "army").pk
            )
            self.assertEqual(int(values(plain["relative"])[0]), mother.pk)

        def forward():
            for name, rows in stored().items():
                self.assertTrue(all(is_ciphertext(v) for v in values(rows)), (name, rows))
            event.refresh_from_db()
            self.assertEqual((event.state.code, event.municipality.name), ("08", "Cuauhtémoc"))
            self.assertEqual((event.status, event.start_precision), ("verifying", "day"))
            person = Person.objects.get(pk=act.victim_id)
            self.assertEqual((person.is_defender, person.is_child), (True, False))
            acts = {a.pk: a for a in event.acts.all()}
            self.assertEqual(acts[act.pk].situation.code, "still_missing")
            self.assertIsNone(acts[other.pk].situation)
            self.assertEqual(acts[act.pk].attributions.get().kind.code, "army")
            self.assertEqual(event.indirect_victims.get().relationship, mother)

        return {
            "name": "places, statuses and terms",
            ("cases", "0014_case_index"): earlier,
            "forward": forward,
        }

    def statistics(self) -> dict:
        """The statistics show the same figures before and after the privacy migrations."""
        from memoria.cases.demo import load_demo_cases
        from memoria.cases.statistics import MONTHS_SHOWN, dashboard

        organization = self.make_user("cifras").memberships.get().organization

        def figures() -> dict:
            shown = dashboard(organization)
            charts = ("by_month", "by_year", "by_violation", "by_state")
            return {
                "totals": shown["totals"],
                "without_month": shown["without_month"],
                **{name: [(b.label, b.count) for b in shown[name].bars] for name in charts},
            }

        def sql_figures() -> dict:
            """The dashboard as it was counted before the case index: SQL on the clear
            month, state and perpetrator columns (schema of 0013)."""
            org = [organization.pk]
            rows = raw(
                "SELECT start_month, start_precision FROM cases_event WHERE organization_id = %s",
                org,
            )
            months = [(datetime.date.fromisoformat(str(m)) if m else None, p) for m, p in rows]
            dated = [m for m, p in months if p in ("day", "month")]
            latest = max(dated)
            shown = []
            year, month = latest.year, latest.month
            for _i in range(MONTHS_SHOWN):
                shown.append(datetime.date(year, month, 1))
                year, month = (year, month - 1) if month > 1 else (year - 1, 12)
            years = Counter(m.year for m, _p in months if m)
            return {
                "by_month": [(month_label(m), dated.count(m)) for m in reversed(shown)],
                "without_month": len(months) - len(dated),
                "by_year": [(str(y), n) for y, n in sorted(years.items())],
                "by_state": [
                    tuple(row)
                    for row in raw(
                        "SELECT s.name, COUNT(*) FROM cases_event e JOIN places_state s "
                        "ON s.code = e.state_id WHERE e.organization_id = %s "
                        "GROUP BY s.name ORDER BY 2 DESC, s.name",
                        org,
                    )
                ],
                "state_acts": raw(
                    "SELECT COUNT(DISTINCT a.act_id) FROM cases_attribution a JOIN cases_term t "
                    "ON t.id = a.kind_id WHERE a.organization_id = %s AND t.state_actor",
                    org,
                )[0][0],
            }

        load_demo_cases(organization, count=150)
        after = figures()
        self.assertEqual(after["totals"]["events"], 150)
        before = {}

        def at_0013():
            before.update(sql_figures())
            self.assertEqual(
                before,
                {
                    **{k: after[k] for k in ("by_month", "without_month", "by_year", "by_state")},
                    "state_acts": after["totals"]["state_acts"],
                },
            )

        def at_0009():
            self.assertEqual(sql_figures(), before)

        def forward():
            self.assertEqual(figures(), after)

        return {
            "name": "statistics",
            ("cases", "0013_uniq_encrypt_sex_age_band"): at_0013,
            ("cases", "0009_event_facets"): at_0009,
            "forward": forward,
        }
