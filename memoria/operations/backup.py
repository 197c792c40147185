"""Encrypted, integrity-checked backups of the database, uploads and wrapped keys.

An archive is a tar stream (``manifest.json``, the database, ``uploads/``,
``keys/organization_keys.json``) cut into 1 MiB chunks, each sealed with
AES-256-GCM. The nonce carries the chunk's number and the associated data the
archive header and whether the chunk is the last one, so a chunk that is
edited, dropped, reordered or cut off makes the restore stop. The manifest
also lists a SHA-256 of every member and the row count of every table.

The archive key comes either from the master key (HKDF with a random salt,
the default) or from a passphrase (scrypt). Either way the archive holds only
*wrapped* data keys: reading any identity from a restored copy also needs the
master key, which is never written into a backup. Keep the master key's
backup apart from the archives.

The database is copied as it is stored, so encrypted values stay ciphertext:
SQLite with its online backup API (safe while the server runs), PostgreSQL
with ``COPY ... TO STDOUT`` of every table inside one repeatable-read
transaction (a consistent snapshot), restored with ``COPY ... FROM STDIN``
into a freshly migrated database.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import secrets
import sqlite3
import struct
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from memoria.operations.files import fsync_directory, write_whole_file

MAGIC = b"MEMORIA-BACKUP-1\n"
CHUNK = 1 << 20
# The scrypt cost written into new archives, and the range a restore accepts. The
# header is authenticated only once the key is derived, so its cost is bounded
# first: scrypt takes 128 * r * n bytes, at most 256 MiB here (the default, 32 MiB).
SCRYPT_N = 1 << 15
SCRYPT_N_RANGE = (1 << 14, 1 << 18)
SCRYPT_R, SCRYPT_P = 8, 1
SCRYPT_MAX_BYTES = 128 * SCRYPT_R * SCRYPT_N_RANGE[1]
SALT_BYTES = 16
NONCE_PREFIX_BYTES = 8
SQLITE_MEMBER = "database/memoria.sqlite3"
PG_PREFIX = "database/postgresql/"


class BackupError(Exception):
    """The archive is damaged, the key is wrong, or the target is not empty."""


# --- keys -------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeySource:
    """Where the archive key comes from: the master key, or a passphrase."""

    master: bytes | None = None
    passphrase: str | None = None

    def header(self) -> dict:
        salt = secrets.token_bytes(16)
        if self.passphrase is not None:
            return {"kdf": "scrypt", "salt": base64.b64encode(salt).decode(), "n": SCRYPT_N}
        from memoria.vault.keys import master_key_id

        return {
            "kdf": "master",
            "salt": base64.b64encode(salt).decode(),
            "master_key_id": master_key_id(self.master),
        }

    def derive(self, header: dict) -> bytes:
        check_header(header)
        salt = base64.b64decode(header["salt"])
        if header["kdf"] == "scrypt":
            if self.passphrase is None:
                raise BackupError("this archive is protected by a passphrase; give it")
            return Scrypt(
                salt=salt,
                length=32,
                n=header["n"],
                r=header.get("r", SCRYPT_R),
                p=header.get("p", SCRYPT_P),
            ).derive(self.passphrase.encode())
        if header["kdf"] == "master":
            if self.master is None:
                raise BackupError("this archive is protected by the master key; give it")
            from memoria.vault.keys import master_key_id

            if master_key_id(self.master) != header.get("master_key_id"):
                raise BackupError(
                    "this archive was made with another master key (fingerprint "
                    f"{header.get('master_key_id')}, given {master_key_id(self.master)})"
                )
            return HKDF(
                algorithm=hashes.SHA256(), length=32, salt=salt, info=b"memoria backup v1"
            ).derive(self.master)
        raise BackupError(f"unknown key derivation {header['kdf']!r}")


def check_header(header) -> None:
    """Refuse a header whose values are out of what Memoria writes, before any is used.

    Nothing in the header is authenticated until the key it describes has been
    derived (it is the associated data of every chunk), so an edited scrypt cost
    could otherwise make a restore allocate many gigabytes before failing.
    """
    if not isinstance(header, dict):
        raise BackupError("the archive header is damaged")
    kdf = header.get("kdf")
    if kdf not in ("scrypt", "master"):
        raise BackupError(f"the archive header names an unknown key derivation: {kdf!r}")
    salt = header.get("salt")
    try:
        salt_ok = isinstance(salt, str) and len(base64.b64decode(salt, validate=True)) == SALT_BYTES
    except ValueError:
        salt_ok = False
    if not salt_ok:
        raise BackupError(f"the archive header's salt is not {SALT_BYTES} bytes of base64")
    if not _is_hex(header.get("nonce_prefix"), 2 * NONCE_PREFIX_BYTES):
        raise BackupError("the archive header's nonce prefix is damaged")
    if kdf == "scrypt":
        _check_scrypt_cost(header)
    elif not _is_hex(header.get("master_key_id"), 16):
        raise BackupError("the archive header's master key fingerprint is damaged")


def _check_scrypt_cost(header: dict) -> None:
    low, high = SCRYPT_N_RANGE
    n = header.get("n")
    if not _is_int(n) or not low <= n <= high or n & (n - 1):
        raise BackupError(
            f"the archive header asks for a scrypt cost n={n!r}; Memoria writes {SCRYPT_N} "
            f"and accepts powers of two from {low} to {high} (the header was edited or damaged)"
        )
    for name, expected in (("r", SCRYPT_R), ("p", SCRYPT_P)):
        value = header.get(name, expected)
        if not _is_int(value) or value != expected:
            raise BackupError(
                f"the archive header asks for a scrypt parameter {name}={value!r}; Memoria "
                f"uses only {name}={expected} (the header was edited or damaged)"
            )


def _is_hex(value, length: int) -> bool:
    return (
        isinstance(value, str)
        and len(value) == length
        and all(c in "0123456789abcdef" for c in value)
    )


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- sealed chunk stream ----------------------------------------------------------------


def _aad(header_bytes: bytes, index: int, last: bool) -> bytes:
    return header_bytes + struct.pack(">Q", index) + (b"L" if last else b"M")


class SealingWriter(io.RawIOBase):
    """A write-only stream that seals what it is given, chunk by chunk, into ``out``."""

    def __init__(self, out, key: bytes, header_bytes: bytes, nonce_prefix: bytes):
        self.out, self.aead, self.header_bytes = out, AESGCM(key), header_bytes
        self.prefix, self.index, self.buffer = nonce_prefix, 0, bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.buffer += data
        while len(self.buffer) > CHUNK:
            self._emit(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]
        return len(data)

    def _emit(self, chunk: bytes, last: bool) -> None:
        nonce = self.prefix + struct.pack(">I", self.index)
        sealed = self.aead.encrypt(nonce, chunk, _aad(self.header_bytes, self.index, last))
        self.out.write(struct.pack(">I", len(sealed)) + sealed)
        self.index += 1

    def finish(self) -> None:
        self._emit(bytes(self.buffer), last=True)
        self.buffer.clear()


class OpeningReader(io.RawIOBase):
    """A read-only stream of the plaintext; raises BackupError on any damage."""

    def __init__(self, source, key: bytes, header_bytes: bytes, nonce_prefix: bytes):
        self.source, self.aead, self.header_bytes = source, AESGCM(key), header_bytes
        self.prefix, self.index, self.buffer, self.done = nonce_prefix, 0, b"", False

    def readable(self) -> bool:
        return True

    def _next(self) -> None:
        size_bytes = self.source.read(4)
        if len(size_bytes) < 4:
            raise BackupError("the archive is cut short (its last part is missing)")
        (size,) = struct.unpack(">I", size_bytes)
        sealed = self.source.read(size)
        if len(sealed) < size:
            raise BackupError("the archive is cut short (its last part is missing)")
        nonce = self.prefix + struct.pack(">I", self.index)
        for last in (False, True):
            try:
                chunk = self.aead.decrypt(nonce, sealed, _aad(self.header_bytes, self.index, last))
            except InvalidTag:
                continue
            self.index += 1
            self.buffer += chunk
            if last:
                if self.source.read(1):
                    raise BackupError("the archive has data after its end")
                self.done = True
            return
        raise BackupError(
            f"part {self.index} of the archive fails its integrity check "
            "(damaged, tampered with, or the wrong key)"
        )

    def read(self, size: int = -1) -> bytes:
        while not self.done and (size < 0 or len(self.buffer) < size):
            self._next()
        if size < 0:
            size = len(self.buffer)
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        return out

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _write_header(out, key_source: KeySource, meta: dict) -> tuple[bytes, bytes, dict]:
    header = {**key_source.header(), **meta, "nonce_prefix": secrets.token_hex(8)}
    header_bytes = json.dumps(header, sort_keys=True).encode() + b"\n"
    out.write(MAGIC + header_bytes)
    return header_bytes, bytes.fromhex(header["nonce_prefix"]), header


def read_header(source) -> tuple[bytes, dict]:
    if source.read(len(MAGIC)) != MAGIC:
        raise BackupError("this is not a Memoria backup archive")
    header_bytes = source.readline(65536)
    try:
        header = json.loads(header_bytes)
    except ValueError:
        raise BackupError("the archive header is damaged") from None
    check_header(header)
    return header_bytes, header


# --- database snapshots -----------------------------------------------------------------


def _vendor(connection) -> str:
    return connection.vendor


def sqlite_snapshot(connection) -> bytes:
    """A consistent copy of the live SQLite database (online backup API), in memory."""
    connection.ensure_connection()
    if connection.in_atomic_block:
        # The backup API would wait forever for this connection's own open
        # transaction (tests run inside one); serialize() reads the same pages.
        data = bytearray(connection.connection.serialize())
    else:
        target = sqlite3.connect(":memory:")
        try:
            connection.connection.backup(target)
            data = bytearray(target.serialize())
        finally:
            target.close()
    # Bytes 18-19 of the header say "WAL mode": a file image must say "rollback
    # journal" to open from memory or alone; the server turns WAL on again.
    if data[18:20] == b"\x02\x02":
        data[18:20] = b"\x01\x01"
    return bytes(data)


def postgres_tables(connection) -> list[str]:
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def postgres_snapshot(connection) -> dict[str, bytes]:
    """Every table as COPY text, read in one repeatable-read snapshot."""
    from django.db import transaction

    dumps = {}
    outer = connection.in_atomic_block
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if not outer:  # inside a caller's transaction (tests), its snapshot is used
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for table in postgres_tables(connection):
            buffer = io.BytesIO()
            qn = connection.ops.quote_name(table)
            with cursor.cursor.copy(f"COPY {qn} TO STDOUT") as copy:
                for data in copy:
                    buffer.write(data)
            dumps[table] = buffer.getvalue()
    return dumps


def table_counts(connection) -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


# --- writing ----------------------------------------------------------------------------


@dataclass
class Manifest:
    created_at: str
    vendor: str
    tables: dict[str, int]
    members: dict[str, str] = field(default_factory=dict)  # name -> sha256
    organization_keys: int = 0

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, sort_keys=True, indent=1).encode()


def _add(tar: tarfile.TarFile, name: str, data: bytes, manifest: Manifest) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))
    manifest.members[name] = hashlib.sha256(data).hexdigest()


def _upload_files(media_root: Path) -> Iterator[tuple[str, Path]]:
    if not media_root.is_dir():
        return
    for path in sorted(media_root.rglob("*")):
        if path.is_file():
            yield path.relative_to(media_root).as_posix(), path


def create_backup(out_path: Path, key_source: KeySource, using: str = "default") -> Manifest:
    """Write an encrypted archive of the database ``using``, the uploads and the wrapped keys."""
    from django.conf import settings
    from django.db import connections
    from django.utils import timezone

    from memoria.vault.models import OrganizationKey

    connection = connections[using]
    vendor = _vendor(connection)
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {vendor}")
    keys_json = json.dumps(
        list(
            OrganizationKey.objects.using(using)
            .order_by("pk")
            .values(
                "organization_id",
                "key_id",
                "wrapped_key",
                "master_key_id",
                "created_at",
                "retired_at",
            )
        ),
        default=str,
        indent=1,
    ).encode()
    if vendor == "sqlite":
        database = {SQLITE_MEMBER: sqlite_snapshot(connection)}
        counts = _sqlite_counts(database)
    else:
        dumps = postgres_snapshot(connection)
        database = {f"{PG_PREFIX}{t}.copy": d for t, d in dumps.items()}
        # Counted in the snapshot itself (COPY text is one line per row, newlines in
        # values escaped): rows written meanwhile must not make a good archive fail.
        counts = {table: data.count(b"\n") for table, data in dumps.items()}
    manifest = Manifest(
        created_at=timezone.now().isoformat(),
        vendor=vendor,
        tables=counts,
        organization_keys=OrganizationKey.objects.using(using).count(),
    )

    def write(out) -> None:
        header_bytes, prefix, _header = _write_header(
            out, key_source, {"format": 1, "vendor": vendor, "created_at": manifest.created_at}
        )
        writer = SealingWriter(out, key_source_key(key_source, header_bytes), header_bytes, prefix)
        with tarfile.open(fileobj=writer, mode="w|") as tar:
            for name, data in database.items():
                _add(tar, name, data, manifest)
            _add(tar, "keys/organization_keys.json", keys_json, manifest)
            for name, path in _upload_files(Path(settings.MEDIA_ROOT)):
                _add(tar, f"uploads/{name}", path.read_bytes(), manifest)
            _add(tar, "manifest.json", manifest.to_json(), Manifest("", "", {}))
        writer.finish()

    # Synced to the disk before it takes its name: a crash never leaves a cut archive there.
    write_whole_file(Path(out_path), write)
    return manifest


def key_source_key(key_source: KeySource, header_bytes: bytes) -> bytes:
    return key_source.derive(json.loads(header_bytes))


def _sqlite_counts(database: dict[str, bytes]) -> dict[str, int]:
    return sqlite_counts(database[SQLITE_MEMBER])


def _sqlite_from_bytes(data: bytes) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.deserialize(data)
    return db


def sqlite_counts(data: bytes) -> dict[str, int]:
    db = _sqlite_from_bytes(data)
    try:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608
    finally:
        db.close()


# --- reading ----------------------------------------------------------------------------


@dataclass
class Archive:
    header: dict
    manifest: Manifest
    members: dict[str, bytes]

    @property
    def uploads(self) -> dict[str, bytes]:
        return {
            name[len("uploads/") :]: data
            for name, data in self.members.items()
            if name.startswith("uploads/")
        }


def archive_header(path: Path) -> dict:
    """The checked header of the archive at ``path`` (how its key is derived, what it holds)."""
    with open(path, "rb") as source:
        return read_header(source)[1]


def read_backup(path: Path, key_source: KeySource) -> Archive:
    """Decrypt and check an archive completely (every chunk, every member's hash)."""
    with open(path, "rb") as source:
        header_bytes, header = read_header(source)
        key = key_source.derive(header)
        reader = OpeningReader(source, key, header_bytes, bytes.fromhex(header["nonce_prefix"]))
        members: dict[str, bytes] = {}
        try:
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for info in tar:
                    if not info.isfile():
                        continue
                    handle = tar.extractfile(info)
                    members[info.name] = handle.read() if handle else b""
            reader.read()  # drain to the sealed end marker
        except tarfile.TarError as error:
            raise BackupError(f"the archive's contents are damaged: {error}") from None
    if "manifest.json" not in members:
        raise BackupError("the archive has no manifest")
    data = json.loads(members.pop("manifest.json"))
    manifest = Manifest(**data)
    for name, digest in manifest.members.items():
        if name not in members:
            raise BackupError(f"{name} is listed in the manifest but missing")
        if hashlib.sha256(members[name]).hexdigest() != digest:
            raise BackupError(f"{name} does not match its checksum")
    return Archive(header, manifest, members)


# --- restoring --------------------------------------------------------------------------


def restore_uploads(archive: Archive, media_root: Path) -> int:
    media_root = Path(media_root)
    count = 0
    for name, data in archive.uploads.items():
        target = (media_root / name).resolve()
        if not str(target).startswith(str(media_root.resolve()) + os.sep):
            raise BackupError(f"refusing to write {name} outside the uploads folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        count += 1
    return count


def restore_sqlite_file(archive: Archive, database_path: Path) -> None:
    """Write the SQLite database of the archive to ``database_path`` (which must not exist)."""
    if archive.manifest.vendor != "sqlite":
        raise BackupError("this archive holds a PostgreSQL database; restore it to PostgreSQL")
    database_path = Path(database_path)
    if database_path.exists():
        raise BackupError(f"{database_path} already exists: restore into a fresh data directory")
    data = archive.members[SQLITE_MEMBER]
    db = _sqlite_from_bytes(data)
    try:
        result = db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()
    if result != "ok":
        raise BackupError(f"the database in the archive fails SQLite's integrity check: {result}")
    database_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(database_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    fsync_directory(database_path.parent)


def restore_postgres(archive: Archive, using: str = "default", replace: bool = False) -> None:
    """Load the archive's tables into a migrated PostgreSQL database, in one transaction.

    The database must hold nothing but what ``migrate`` creates, unless ``replace``.
    """
    from django.core.management.color import no_style
    from django.db import connections, transaction
    from django.db import models as django_models

    if archive.manifest.vendor != "postgresql":
        raise BackupError("this archive holds a SQLite database; restore it to SQLite")
    connection = connections[using]
    dumps = {
        name[len(PG_PREFIX) : -len(".copy")]: data
        for name, data in archive.members.items()
        if name.startswith(PG_PREFIX)
    }
    present = set(postgres_tables(connection))
    missing = sorted(set(dumps) - present)
    if missing:
        raise BackupError(
            "the database lacks tables the archive has (run 'memoria manage migrate' with the "
            f"same Memoria version first): {', '.join(missing)}"
        )
    from memoria.accounts.models import User

    if not replace and User.objects.using(using).exists():
        raise BackupError("the target database already has users: restore into an empty one")
    qn = connection.ops.quote_name
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # Fire pending foreign-key checks (TRUNCATE refuses to run with any), then
        # defer them to the commit, when every table is loaded.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "TRUNCATE " + ", ".join(qn(t) for t in sorted(dumps)) + " RESTART IDENTITY CASCADE"
        )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table, data in sorted(dumps.items()):
            with cursor.cursor.copy(f"COPY {qn(table)} FROM STDIN") as copy:
                copy.write(data)
        from django.apps import apps

        models = [m for m in apps.get_models(include_auto_created=True) if m._meta.managed]
        models = [m for m in models if issubclass(m, django_models.Model)]
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


# --- verification -----------------------------------------------------------------------


@dataclass
class Verification:
    tables: int = 0
    rows: int = 0
    keys: int = 0
    values_decrypted: int = 0
    audit_entries: int = 0
    problems: list[str] = field(default_factory=list)


def verify_database(expected: Manifest, using: str = "default") -> Verification:
    """Check a restored database against the manifest and prove the keys work."""
    from django.db import connections

    from memoria.audit.log import verify_chain
    from memoria.vault.cipher import stored_key_id
    from memoria.vault.keys import VaultError, data_key_by_id
    from memoria.vault.models import OrganizationKey
    from memoria.vault.rotation import _raw_batches, encrypted_columns, open_stored

    connection = connections[using]
    result = Verification()
    counts = table_counts(connection)
    for table, count in expected.tables.items():
        if counts.get(table) != count:
            result.problems.append(f"table {table}: {counts.get(table)} rows, expected {count}")
    result.tables, result.rows = len(counts), sum(counts.values())
    for record in OrganizationKey.objects.using(using):
        try:
            data_key_by_id(record.key_id, using=using)
            result.keys += 1
        except VaultError as error:
            result.problems.append(str(error))
    for column in encrypted_columns():
        for rows in _raw_batches(column, 2000):
            for pk, value in rows:
                if stored_key_id(value) is not None:
                    try:
                        open_stored(column, value, using=using)
                        result.values_decrypted += 1
                    except VaultError as error:
                        result.problems.append(f"{column.label} row {pk}: {error}")
    result.audit_entries, problems = verify_chain()
    result.problems.extend(f"audit log {p}" for p in problems)
    return result
