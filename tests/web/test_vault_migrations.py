"""Existing installations keep their authenticators and attachments across the migrations.

accounts 0003 re-seals AES-CTR authenticator seeds with AES-GCM; cases 0008
turns attachments stored as encrypted base64 text into encrypted bytes. Each
test goes back to the earlier schema with real data, then forward again.
"""

from __future__ import annotations

import base64
import datetime
import importlib
import re
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase
from django_otp.oath import TOTP

from memoria.accounts.models import Organization, SealedTOTPDevice, User, two_factor_key
from memoria.cases import actions as case_actions
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

    def setUp(self):
        super().setUp()
        ensure_reference_data()
        # The privacy migrations work in batches: one row each here, so several run.
        for name in (
            "0012_uniq_encrypt_source_intervention_dates",
            "0013_uniq_encrypt_sex_age_band",
        ):
            module = importlib.import_module(f"memoria.cases.migrations.{name}")
            patcher = mock.patch.object(module, "BATCH", 1)
            patcher.start()
            self.addCleanup(patcher.stop)

    def tearDown(self):
        migrate()  # whatever happened, leave the schema complete
        super().tearDown()

    def make_user(self) -> User:
        organization = Organization.objects.create(name="Centro", slug="centro", kind="other")
        user = User.objects.create_user("c@centro.example", "x" * 20, full_name="Coordinación")
        user.memberships.create(organization=organization, role="coordinator")
        return user

    def test_it_reseals_authenticator_seeds_with_gcm(self):
        user = self.make_user()
        device = SealedTOTPDevice.objects.create(user=user, name="app", confirmed=True)
        seed = device.bin_key
        plain = SealedTOTPDevice.objects.create(user=user, name="old", confirmed=True)
        plain_seed = plain.bin_key

        migrate(("accounts", "0002_sealed_two_factor_devices"))
        ((stored,),) = raw("SELECT key FROM otp_totp_totpdevice WHERE id = %s", [device.pk])
        self.assertTrue(re.fullmatch(r"[0-9a-f]{72}", stored))  # the earlier AES-CTR form
        self.assertEqual(seeds.open_legacy_ctr_seed(stored, two_factor_key(), user.pk), seed)
        raw("UPDATE otp_totp_totpdevice SET key = %s WHERE id = %s", [plain_seed.hex(), plain.pk])

        migrate()
        for pk, expected in ((device.pk, seed), (plain.pk, plain_seed)):
            ((stored,),) = raw("SELECT key FROM otp_totp_totpdevice WHERE id = %s", [pk])
            self.assertTrue(stored.startswith("g1:"))
            self.assertNotIn(expected.hex(), stored)
            resealed = SealedTOTPDevice.objects.get(pk=pk)
            self.assertEqual(resealed.bin_key, expected)
            self.assertTrue(resealed.verify_token(f"{TOTP(expected).token():06d}"))

    def test_it_converts_attachments_to_encrypted_bytes_and_back(self):
        user = self.make_user()
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
        ((new_size,),) = raw("SELECT LENGTH(content) FROM cases_attachment")

        migrate(("cases", "0007_event_newest_first_index"))
        ((stored,),) = raw("SELECT content FROM cases_attachment WHERE id = %s", [attachment.pk])
        self.assertTrue(is_ciphertext(stored))  # the earlier form: encrypted base64 text
        plaintext = decrypt_text(stored, "cases.attachment.content")
        self.assertEqual(base64.b64decode(plaintext), content)
        old_size = len(stored)

        migrate()
        self.assertEqual(Attachment.objects.get(pk=attachment.pk).content, content)
        ((stored,),) = raw("SELECT content FROM cases_attachment WHERE id = %s", [attachment.pk])
        self.assertNotIn(b"acta de la fiscal", bytes(stored))
        self.assertEqual(len(bytes(stored)), len(content) + 64)
        self.assertEqual(new_size, len(content) + 64)
        self.assertLess(new_size, 0.6 * old_size)  # 1.78 times the file before

    def test_it_encrypts_the_dates_of_sources_and_interventions_and_back(self):
        user = self.make_user()
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

        migrate(("cases", "0011_uniq_pad_search_index"))
        (source_date,), (authority, date), empty = stored()
        self.assertEqual(str(source_date), "2019-03-20")
        self.assertEqual(
            (authority, str(date)), ("Fiscalía Especializada de Chihuahua", "2019-03-22")
        )
        self.assertEqual(empty, ("", None))

        migrate()
        (source_date,), (authority, date), empty = stored()
        self.assertNotIn("2019", source_date + date)
        self.assertNotIn("Fiscalía", authority)
        self.assertEqual(empty, ("", None))
        self.assertEqual(Source.objects.get(pk=source.pk).date, datetime.date(2019, 3, 20))
        moved = Intervention.objects.get(pk=intervention.pk)
        self.assertEqual(moved.date, datetime.date(2019, 3, 22))
        self.assertEqual(moved.authority, "Fiscalía Especializada de Chihuahua")

    def test_it_encrypts_sex_and_age_band_and_back(self):
        user = self.make_user()
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

        migrate(("cases", "0012_uniq_encrypt_source_intervention_dates"))
        self.assertEqual(raw(query, [act.victim_id]), [("female", "day", "18-29")])

        migrate()
        (stored,) = raw(query, [act.victim_id])
        self.assertTrue(all(is_ciphertext(value) for value in stored))
        person = Person.objects.get(pk=act.victim_id)
        self.assertEqual(
            (person.sex, person.birth_precision, person.age_band), ("female", "day", "18-29")
        )
        self.assertEqual(person.get_sex_display(), "Mujer")

    def test_the_statistics_show_the_same_figures_before_and_after_the_privacy_migrations(self):
        from memoria.cases.demo import load_demo_cases
        from memoria.cases.statistics import dashboard

        organization = self.make_user().memberships.get().organization

        def figures() -> dict:
            shown = dashboard(organization)
            charts = ("by_month", "by_year", "by_violation", "by_state")
            return {
                "totals": shown["totals"],
                "without_month": shown["without_month"],
                **{name: [(b.label, b.count) for b in shown[name].bars] for name in charts},
            }

        load_demo_cases(organization, count=150)
        after = figures()
        self.assertEqual(after["totals"]["events"], 150)
        migrate(("cases", "0009_event_facets"))
        self.assertEqual(figures(), after)
