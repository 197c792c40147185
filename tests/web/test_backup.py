"""Backups: an encrypted archive round-trips every record, and damage is detected."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection

from memoria.audit.log import audit, verify_chain
from memoria.operations.backup import (
    BackupError,
    KeySource,
    create_backup,
    read_backup,
    restore_postgres,
    restore_sqlite_file,
    sqlite_snapshot,
    verify_database,
)
from memoria.vault import keys
from tests.vaultapp.models import ProtectedNote
from tests.web.base import MemoriaTestCase
from tests.web.test_vault_rawdb import TESTIMONY, found_in, write_protected_records

ROOT = Path(__file__).parents[2]


def sqlite_rows(db: sqlite3.Connection) -> dict[str, list[tuple]]:
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {t: sorted(db.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}  # noqa: S608


def postgres_rows() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        rows = {}
        for table in tables:
            cursor.execute(f"SELECT CAST(t AS text) FROM {connection.ops.quote_name(table)} AS t")  # noqa: S608
            rows[table] = sorted(row[0] for row in cursor.fetchall())
    return rows


class BackupRoundTripTests(MemoriaTestCase):
    def setUp(self):
        self.note = write_protected_records(self.org, self.coordinator)
        write_protected_records(self.other_org, self.outsider)
        audit(self.coordinator, self.org, "member.role_changed", role="analyst")
        self.archive_path = Path(self.settings_tmp()) / "copia.mbk"

    def settings_tmp(self) -> str:
        import tempfile

        directory = tempfile.mkdtemp(prefix="memoria-backup-test-")
        self.addCleanup(lambda: __import__("shutil").rmtree(directory, ignore_errors=True))
        return directory

    def master_source(self) -> KeySource:
        return KeySource(master=keys.load_master_key())

    def test_it_writes_an_archive_without_plaintext(self):
        manifest = create_backup(self.archive_path, self.master_source())
        data = self.archive_path.read_bytes()
        self.assertEqual(found_in(data), [])
        self.assertNotIn(b"vaultapp_protectednote", data)  # even the schema is unreadable
        self.assertEqual(manifest.organization_keys, 2)
        self.assertEqual(oct(self.archive_path.stat().st_mode & 0o777), "0o600")

    @pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite restore")
    def test_it_round_trips_every_sqlite_record(self):
        before = sqlite_rows(_image_db(sqlite_snapshot(connection)))
        create_backup(self.archive_path, self.master_source())
        archive = read_backup(self.archive_path, self.master_source())
        restored = self.archive_path.with_name("restaurada.sqlite3")
        restore_sqlite_file(archive, restored)
        after = sqlite_rows(sqlite3.connect(restored))
        self.assertEqual(after.keys(), before.keys())
        for table in before:
            with self.subTest(table=table):
                self.assertEqual(after[table], before[table])
        self.assertGreater(len(after["vaultapp_protectednote"]), 1)
        self.assertEqual(found_in(restored.read_bytes()), [])

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL restore")
    def test_it_round_trips_every_postgresql_record(self):
        before = postgres_rows()
        create_backup(self.archive_path, self.master_source())
        archive = read_backup(self.archive_path, self.master_source())
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM vaultapp_protectednote")
        restore_postgres(archive, replace=True)
        after = postgres_rows()
        self.assertEqual(after.keys(), before.keys())
        for table in before:
            with self.subTest(table=table):
                self.assertEqual(after[table], before[table])
        report = verify_database(archive.manifest)
        self.assertEqual(report.problems, [])
        self.assertGreaterEqual(report.values_decrypted, 8)
        self.assertEqual(ProtectedNote.objects.get(pk=self.note.pk).body, TESTIMONY)
        self.assertEqual(verify_chain()[1], [])

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL snapshot")
    def test_it_counts_rows_in_the_snapshot_not_after_it(self):
        from memoria.operations import backup

        snapshot = backup.postgres_snapshot

        def snapshot_then_write(conn):
            dumps = snapshot(conn)
            # The server keeps working while the archive is written.
            audit(self.coordinator, self.org, "case.list")
            return dumps

        with mock.patch.object(backup, "postgres_snapshot", snapshot_then_write):
            manifest = create_backup(self.archive_path, self.master_source())
        archive = read_backup(self.archive_path, self.master_source())
        restore_postgres(archive, replace=True)
        self.assertEqual(verify_database(manifest).problems, [])

    def test_it_verifies_the_restored_records(self):
        manifest = create_backup(self.archive_path, self.master_source())
        report = verify_database(manifest)
        self.assertEqual(report.problems, [])
        self.assertEqual(report.keys, 2)

    def test_it_round_trips_with_a_passphrase(self):
        create_backup(self.archive_path, KeySource(passphrase="una frase de respaldo larga"))
        archive = read_backup(
            self.archive_path, KeySource(passphrase="una frase de respaldo larga")
        )
        self.assertIn("keys/organization_keys.json", archive.members)
        with self.assertRaises(BackupError):
            read_backup(self.archive_path, KeySource(passphrase="otra frase equivocada"))

    def test_it_refuses_another_master_key(self):
        create_backup(self.archive_path, self.master_source())
        with self.assertRaisesMessage(BackupError, "another master key"):
            read_backup(self.archive_path, KeySource(master=b"\x01" * 32))

    def test_it_detects_a_changed_byte(self):
        create_backup(self.archive_path, self.master_source())
        data = bytearray(self.archive_path.read_bytes())
        data[len(data) // 2] ^= 0x01
        self.archive_path.write_bytes(bytes(data))
        with self.assertRaisesMessage(BackupError, "integrity"):
            read_backup(self.archive_path, self.master_source())

    def test_it_detects_a_cut_archive(self):
        create_backup(self.archive_path, self.master_source())
        data = self.archive_path.read_bytes()
        self.archive_path.write_bytes(data[: len(data) - 100])
        with self.assertRaises(BackupError):
            read_backup(self.archive_path, self.master_source())

    def test_it_detects_an_edited_header(self):
        create_backup(self.archive_path, self.master_source())
        data = self.archive_path.read_bytes().replace(b'"vendor": "', b'"vendor":  "', 1)
        self.archive_path.write_bytes(data)
        with self.assertRaises(BackupError):
            read_backup(self.archive_path, self.master_source())


def _image_db(image: bytes) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.deserialize(image)
    return db


def memoria(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "memoria", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_commands_back_up_and_restore_a_live_sqlite_data_directory(tmp_path: Path):
    """memoria backup → memoria restore into a fresh directory → every row equal."""
    source_dir, target_dir = tmp_path / "origen", tmp_path / "destino"
    env = {**os.environ, "MEMORIA_DATA_DIR": str(source_dir), "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    env.pop("MEMORIA_MASTER_KEY_FILE", None)
    env.pop("MEMORIA_MASTER_KEY", None)
    script = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"  # with the test-only ProtectedNote
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from memoria.accounts.models import Organization, User
from tests.web.test_vault_rawdb import write_protected_records
org = Organization.objects.create(name="Centro", slug="centro", kind="other")
user = User.objects.create_user("c@centro.example", "x" * 20, full_name="Coordinación")
write_protected_records(org, user)
"""
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=ROOT)
    (source_dir / "uploads" / "anexos").mkdir(parents=True)
    (source_dir / "uploads" / "anexos" / "acta.bin").write_bytes(b"MVB1 cifrado")
    archive = tmp_path / "copia.mbk"

    result = memoria("backup", str(archive), env=env)
    assert result.returncode == 0, result.stderr
    assert "Backup written" in result.stdout
    assert found_in(archive.read_bytes()) == []

    restore_env = {k: v for k, v in env.items() if k != "MEMORIA_DATA_DIR"}
    key_file = source_dir / "keys" / "master.key"
    result = memoria(
        "restore",
        str(archive),
        "--data-dir",
        str(target_dir),
        "--master-key-file",
        str(key_file),
        env=restore_env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Restored and verified" in result.stdout
    assert "audit log of 1 entries intact" in result.stdout

    before = sqlite_rows(sqlite3.connect(source_dir / "memoria.sqlite3"))
    after = sqlite_rows(sqlite3.connect(target_dir / "memoria.sqlite3"))
    assert after == before
    assert (target_dir / "uploads" / "anexos" / "acta.bin").read_bytes() == b"MVB1 cifrado"
    assert (target_dir / "keys" / "master.key").read_bytes() == key_file.read_bytes()

    result = memoria(
        "restore",
        str(archive),
        "--data-dir",
        str(target_dir),
        "--master-key-file",
        str(key_file),
        env=restore_env,
    )
    assert result.returncode != 0
    assert "not empty" in result.stderr

    # A key kept outside the data directory (production) is not copied into it.
    elsewhere = tmp_path / "otro-destino"
    result = memoria(
        "restore",
        str(archive),
        "--data-dir",
        str(elsewhere),
        env={**restore_env, "MEMORIA_MASTER_KEY_FILE": str(key_file)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Restored and verified" in result.stdout
    assert not (elsewhere / "keys").exists()
    assert "MEMORIA_MASTER_KEY_FILE" in result.stdout


def test_the_audit_chain_survives_master_rotation_backup_and_restore(tmp_path: Path):
    """Backups made before and after `keys rotate --master` restore with an intact audit log."""
    source_dir = tmp_path / "origen"
    env = {**os.environ, "MEMORIA_DATA_DIR": str(source_dir), "PYTHONPATH": str(ROOT)}
    for name in ("DATABASE_URL", "MEMORIA_MASTER_KEY_FILE", "MEMORIA_MASTER_KEY"):
        env.pop(name, None)
    script = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"  # with the test-only ProtectedNote
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from memoria.accounts.models import Organization
from memoria.audit.log import audit
org = Organization.objects.create(name="Centro", slug="centro", kind="other")
for role in ("reader", "analyst", "documenter"):
    audit(None, org, "member.invited", role=role)
"""
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=ROOT)
    result = memoria("audit", "verify", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    noted = result.stdout.rsplit("Newest entry hash: ", 1)[1].strip()

    before = tmp_path / "antes.mbk"
    assert memoria("backup", str(before), env=env).returncode == 0
    result = memoria("keys", "rotate", "--master", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    after = tmp_path / "despues.mbk"
    assert memoria("backup", str(after), env=env).returncode == 0
    key_file = source_dir / "keys" / "master.key"
    retired = next((source_dir / "keys").glob("master.key.retired-*"))

    restore_env = {k: v for k, v in env.items() if k != "MEMORIA_DATA_DIR"}
    for archive, key, target, entries in (
        (before, retired, tmp_path / "restaurada-antes", 3),
        (after, key_file, tmp_path / "restaurada-despues", 4),  # + keys.master_rotated
    ):
        result = memoria(
            "restore",
            str(archive),
            "--data-dir",
            str(target),
            "--master-key-file",
            str(key),
            env=restore_env,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"audit log of {entries} entries intact" in result.stdout
        result = memoria(
            "audit", "verify", "--expect-head", noted, env={**env, "MEMORIA_DATA_DIR": str(target)}
        )
        assert result.returncode == 0, result.stdout + result.stderr


class HeaderBoundsTests(MemoriaTestCase):
    """The header is authenticated only with the key it describes: its values are
    bounded before anything is derived from them."""

    def header(self, **changes) -> dict:
        from memoria.operations.backup import SCRYPT_N

        header = {
            "kdf": "scrypt",
            "salt": "AAAAAAAAAAAAAAAAAAAAAA==",
            "n": SCRYPT_N,
            "nonce_prefix": "00112233aabbccdd",
            "format": 1,
        }
        header.update(changes)
        return header

    def test_it_accepts_what_memoria_writes(self):
        from memoria.operations.backup import check_header

        check_header(self.header())
        check_header(KeySource(master=b"\x02" * 32).header() | {"nonce_prefix": "00" * 8})
        check_header(KeySource(passphrase="x" * 12).header() | {"nonce_prefix": "00" * 8})

    def test_it_refuses_a_cost_out_of_bounds_before_deriving(self):
        from memoria.operations.backup import check_header

        for changes, named in (
            ({"n": 1 << 24}, "n=16777216"),
            ({"n": 1 << 10}, "n=1024"),
            ({"n": (1 << 15) + 1}, "n=32769"),
            ({"n": "32768"}, "n='32768'"),
            ({"n": True}, "n=True"),
            ({"r": 1 << 10}, "r=1024"),
            ({"p": 64}, "p=64"),
            ({"salt": "x" * 60_000}, "salt"),
            ({"nonce_prefix": "zz"}, "nonce prefix"),
            ({"kdf": "argon9"}, "unknown key derivation"),
            ({"kdf": "master", "master_key_id": "x" * 60_000}, "fingerprint"),
        ):
            with self.subTest(changes=changes):
                with self.assertRaisesMessage(BackupError, named):
                    check_header(self.header(**changes))
                # The same header never reaches a key derivation through a key source.
                with (
                    mock.patch("memoria.operations.backup.Scrypt") as scrypt,
                    mock.patch("memoria.operations.backup.HKDF") as hkdf,
                    self.assertRaisesMessage(BackupError, named),
                ):
                    source = KeySource(passphrase="una frase de respaldo larga")
                    if changes.get("kdf") == "master":
                        source = KeySource(master=keys.load_master_key())
                    source.derive(self.header(**changes))
                scrypt.assert_not_called()
                hkdf.assert_not_called()

    def test_it_refuses_a_header_that_is_not_an_object(self):
        path = Path(tempfile_dir(self)) / "copia.mbk"
        path.write_bytes(b"MEMORIA-BACKUP-1\n[1, 2]\n")
        with self.assertRaisesMessage(BackupError, "header is damaged"):
            read_backup(path, KeySource(passphrase="una frase de respaldo larga"))


def tempfile_dir(test) -> str:
    import shutil
    import tempfile

    directory = tempfile.mkdtemp(prefix="memoria-backup-test-")
    test.addCleanup(lambda: shutil.rmtree(directory, ignore_errors=True))
    return directory


def _limit_memory() -> None:
    # 2 GiB of address space: a restore that trusted a header asking scrypt for
    # 16 GiB fails here instead of taking the machine's memory.
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def _with_header(archive: bytes, **changes) -> bytes:
    import json

    magic, header_line, body = archive.split(b"\n", 2)
    header = json.loads(header_line)
    header.update(changes)
    return magic + b"\n" + json.dumps(header, sort_keys=True).encode() + b"\n" + body


def test_restore_refuses_an_edited_scrypt_cost_and_restores_the_true_archive(tmp_path: Path):
    """`memoria restore` of a passphrase archive whose header asks for a huge scrypt
    cost stops at once, with one line naming the parameter, and writes nothing."""
    source_dir = tmp_path / "origen"
    passphrase = "una frase de respaldo larga"
    env = {
        **os.environ,
        "MEMORIA_DATA_DIR": str(source_dir),
        "PYTHONPATH": str(ROOT),
        "MEMORIA_BACKUP_PASSPHRASE": passphrase,
    }
    for name in ("DATABASE_URL", "MEMORIA_MASTER_KEY_FILE", "MEMORIA_MASTER_KEY"):
        env.pop(name, None)
    assert memoria("manage", "migrate", "-v0", env=env).returncode == 0
    archive = tmp_path / "copia.mbk"
    result = memoria("backup", "--passphrase", str(archive), env=env)
    assert result.returncode == 0, result.stderr
    good = archive.read_bytes()
    key_file = source_dir / "keys" / "master.key"
    restore_env = {k: v for k, v in env.items() if k != "MEMORIA_DATA_DIR"}

    def restore(path: Path, target: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "memoria", "restore", str(path), "--passphrase",
             "--data-dir", str(target), "--master-key-file", str(key_file)],
            env=restore_env, cwd=ROOT, capture_output=True, text=True, timeout=120,
            preexec_fn=_limit_memory,
        )  # fmt: skip

    for changes, named in (
        ({"n": 1 << 24}, "scrypt cost n=16777216"),
        ({"r": 1 << 12}, "scrypt parameter r=4096"),
        ({"p": 1 << 10}, "scrypt parameter p=1024"),
    ):
        tampered = tmp_path / "editada.mbk"
        tampered.write_bytes(_with_header(good, **changes))
        target = tmp_path / f"destino-{next(iter(changes))}"
        result = restore(tampered, target)
        assert result.returncode == 2, result.stdout + result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and named in lines[0], result.stderr
        assert "Traceback" not in result.stderr
        assert not target.exists()

    target = tmp_path / "destino"
    result = restore(archive, target)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Restored and verified" in result.stdout
    assert (target / "memoria.sqlite3").is_file()
