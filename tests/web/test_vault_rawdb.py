"""A copy of the database, on its own, reveals none of the protected plaintext.

Known names and a testimony are written through the encrypted fields; then
every byte of the SQLite database (the file image, and a real file with its
WAL written by another process) and every row of every PostgreSQL table (cast
to text) is searched for them.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from memoria.audit.log import audit
from memoria.operations.backup import sqlite_snapshot
from memoria.vault.blind import blind_tokens
from tests.vaultapp.models import ProtectedNote
from tests.web.base import MemoriaTestCase

NAME = "Xochiquetzal Ameyalli Tonatiuh"
ALIAS = "La Güera Ibargüengoitia"
TESTIMONY = "El comandante Zacarías Ibargüengoitia lo subió a la camioneta gris sin placas."
CURP = "TOXA870314MCHNMC09"
PHONE = "+52 614 555 0199"
SECRETS = [
    NAME,
    "Xochiquetzal",
    "Ameyalli",
    "Tonatiuh",
    "Ibargüengoitia",
    "Ibarguengoitia",
    "Zacarías",
    "camioneta gris",
    CURP,
    "555 0199",
    "1987-03-14",
]


SCAN = f"%PDF-1.7 acta: {TESTIMONY}".encode()  # a file, stored as encrypted bytes


def write_protected_records(organization, actor) -> ProtectedNote:
    note = ProtectedNote.objects.create(
        organization=organization,
        title=NAME,
        body=TESTIMONY,
        noted_on=datetime.date(1987, 3, 14),
        data={"alias": ALIAS, "curp": CURP, "phone": PHONE, "lat": 28.63531, "lon": -106.08889},
        scan=SCAN,
    )
    note.title = NAME + " (actualizado)"
    note.save()
    blind_tokens(organization.pk, ["xochiquetzal", "ameyalli", "tonatiuh"])
    audit(actor, organization, "case.create", target=note, fields=["title", "body"])
    return note


def found_in(data: bytes) -> list[str]:
    lowered = data.lower()
    return [
        secret
        for secret in SECRETS
        if secret.lower().encode("utf-8") in lowered or secret.encode("utf-16-le") in data
    ]


class RawDatabaseTests(MemoriaTestCase):
    def test_it_reads_back_what_it_wrote(self):
        note = write_protected_records(self.org, self.coordinator)
        fresh = ProtectedNote.objects.get(pk=note.pk)
        self.assertEqual(fresh.body, TESTIMONY)
        self.assertEqual(fresh.data["curp"], CURP)
        self.assertEqual(fresh.scan, SCAN)

    @pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite file image")
    def test_it_keeps_plaintext_out_of_the_sqlite_file(self):
        write_protected_records(self.org, self.coordinator)
        image = sqlite_snapshot(connection)
        self.assertGreater(len(image), 100_000)
        self.assertIn(b"vaultapp_protectednote", image)
        self.assertIn(b"Alicia Coordinadora", image)  # the scan does see clear text
        self.assertEqual(found_in(image), [])

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL tables")
    def test_it_keeps_plaintext_out_of_every_postgresql_table(self):
        write_protected_records(self.org, self.coordinator)
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
            leaks, rows, seen_clear_text = {}, 0, False
            for table in tables:
                quoted = connection.ops.quote_name(table)
                cursor.execute(f"SELECT CAST(t AS text) FROM {quoted} AS t")  # noqa: S608
                for (text,) in cursor.fetchall():
                    rows += 1
                    seen_clear_text |= "Alicia Coordinadora" in text
                    hits = found_in(text.encode())
                    if hits:
                        leaks.setdefault(table, set()).update(hits)
        self.assertIn("vaultapp_protectednote", tables)
        self.assertGreater(rows, 100)
        self.assertTrue(seen_clear_text)  # the scan does see clear text
        self.assertEqual(leaks, {})


def test_it_keeps_plaintext_out_of_a_real_sqlite_file_and_its_wal(tmp_path: Path):
    """Another process writes to a real data directory; its files hold no plaintext."""
    env = {
        **os.environ,
        "MEMORIA_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    env.pop("DATABASE_URL", None)
    script = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from memoria.accounts.models import Organization, User
from tests.web.test_vault_rawdb import write_protected_records
org = Organization.objects.create(name="Centro", slug="centro", kind="other")
user = User.objects.create_user("c@centro.example", "x" * 20, full_name="Coordinación")
note = write_protected_records(org, user)
from tests.vaultapp.models import ProtectedNote
assert ProtectedNote.objects.get(pk=note.pk).body.startswith("El comandante")
"""
    subprocess.run(
        [sys.executable, "-c", script], env=env, check=True, cwd=Path(__file__).parents[2]
    )
    files = [p for p in tmp_path.iterdir() if p.name.startswith("memoria.sqlite3")]
    assert files, "no database file was written"
    for path in files:
        assert found_in(path.read_bytes()) == [], path.name
    assert not found_in((tmp_path / "keys" / "master.key").read_bytes())
