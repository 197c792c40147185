"""Large exports as background jobs, their files kept sealed until their requester downloads them.

An export of more than ``LARGE_EXPORT_ACTS`` acts is queued instead of built
during the request: the worker writes the file (the progress the job's page
shows), then, in the transaction that marks the job done, the audit entry. The
file lives in ``<data dir>/exports/`` (folder 0700, file 0600), encrypted
under the organization's key in 1 MiB chunks whether or not it holds
identities, so a copy of the folder says nothing. Only the member who asked
for it can download it; it is deleted once downloaded, and the worker deletes
any left behind after ``KEEP_HOURS``.
"""

from __future__ import annotations

import datetime as dt
import os
import struct
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from memoria.cases.io.exporter import FORMATS, export_records
from memoria.jobs.queue import enqueue
from memoria.jobs.registry import PermanentJobError, job_handler, register_periodic
from memoria.vault.cipher import decrypt_bytes, encrypt_bytes

EXPORT = "cases.export"
# Above this many acts an export runs as a job: the CSV of the demo's 4,300
# acts takes about a second to build, an XLSX about two (docs/benchmarks.md),
# long enough for a proxy or an impatient click to cut a download.
LARGE_EXPORT_ACTS = 2000
KEEP_HOURS = 24
CHUNK_BYTES = 1 << 20
LENGTH = struct.Struct(">I")


def exports_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "exports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    return folder


def export_path(job_id: int) -> Path:
    return exports_dir() / f"export-{job_id}.sealed"


def _chunk_context(job_id: int, index: int, last: bool) -> str:
    # The job, the chunk's place and whether it ends the file are all
    # authenticated: chunks cannot be swapped between files, reordered or cut off.
    return f"cases.export:{job_id}:{index}:{'end' if last else 'more'}"


class SealedFile:
    """A binary sink that encrypts what it is given, chunk by chunk, into a private file.

    It knows its position (``tell``) but cannot seek, which is all ``zipfile``
    and the CSV writer need. ``close()`` writes the final chunk and moves the
    file into place; ``discard()`` removes a partial one.
    """

    def __init__(self, path: Path, organization_id: int, job_id: int) -> None:
        self.path, self.partial = path, path.with_suffix(".partial")
        self.organization_id, self.job_id = organization_id, job_id
        descriptor = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self.file = os.fdopen(descriptor, "wb")
        self.buffer = bytearray()
        self.index = self.written = 0

    def write(self, data: bytes) -> int:
        self.buffer += data
        self.written += len(data)
        while len(self.buffer) >= CHUNK_BYTES:
            self._seal(bytes(self.buffer[:CHUNK_BYTES]), last=False)
            del self.buffer[:CHUNK_BYTES]
        return len(data)

    def tell(self) -> int:
        return self.written

    def flush(self) -> None:
        pass

    def _seal(self, data: bytes, last: bool) -> None:
        context = _chunk_context(self.job_id, self.index, last)
        sealed = encrypt_bytes(self.organization_id, data, context)
        self.file.write(LENGTH.pack(len(sealed)) + sealed)
        self.index += 1

    def close(self) -> None:
        self._seal(bytes(self.buffer), last=True)
        self.buffer.clear()
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.partial, self.path)

    def discard(self) -> None:
        self.file.close()
        self.partial.unlink(missing_ok=True)


def read_sealed(path: Path, organization_id: int, job_id: int) -> Iterator[bytes]:
    """The plaintext of a sealed export, chunk by chunk; a cut or altered file raises."""
    from memoria.vault.keys import VaultError

    with path.open("rb") as file:
        index = 0
        while True:
            header = file.read(LENGTH.size)
            if len(header) < LENGTH.size:
                raise VaultError("the export file ends before its last part")
            blob = file.read(LENGTH.unpack(header)[0])
            try:
                yield decrypt_bytes(
                    blob, _chunk_context(job_id, index, last=True), organization_id=organization_id
                )
                return
            except VaultError:
                pass
            yield decrypt_bytes(
                blob, _chunk_context(job_id, index, last=False), organization_id=organization_id
            )
            index += 1


# -- the job ------------------------------------------------------------------------


def queue_export(organization, actor, fmt: str, identities: bool, language: str):
    return enqueue(
        EXPORT,
        f"{EXPORT}:{organization.pk}:{uuid.uuid4().hex}",
        organization=organization,
        created_by=actor,
        payload={"format": fmt, "identities": identities, "language": language, "via": "web"},
        max_attempts=3,
    )


def _write_file(job, context) -> int:
    """Write the sealed file (outside the job's transaction; a retry writes it again)."""
    from memoria.accounts.models import Organization

    fmt = job.payload.get("format")
    if fmt not in FORMATS:
        raise PermanentJobError(f"unknown export format {fmt!r}")
    organization = Organization.objects.get(pk=job.organization_id)
    sink = SealedFile(export_path(job.pk), organization.pk, job.pk)
    try:
        acts = export_records(
            organization,
            fmt,
            job.payload.get("identities", False),
            sink,
            progress=lambda done, total: context.progress("export", done, total),
            language=job.payload.get("language"),
        )
    except BaseException:
        sink.discard()
        raise
    sink.close()
    return acts


@job_handler(EXPORT, prepare=_write_file)
def _audit_export(job, context) -> dict:
    """The audit entry, in the transaction that marks the export done."""
    from memoria.audit.labels import AuditAction
    from memoria.audit.log import audit

    identities = job.payload.get("identities", False)
    acts = context.prepared
    audit(
        job.created_by,
        job.organization,
        AuditAction.CASES_EXPORT_IDENTITIES if identities else AuditAction.CASES_EXPORT,
        via="web-job",
        job=job.pk,
        format=job.payload.get("format"),
        identities=identities,
        acts=acts,
    )
    return {"acts": acts, "downloaded": False}


def delete_expired_exports(now: dt.datetime | None = None) -> int:
    """Delete export files older than ``KEEP_HOURS`` (and partial ones a crash left)."""
    limit = (now or timezone.now()).timestamp() - KEEP_HOURS * 3600
    deleted = 0
    for path in exports_dir().glob("export-*"):
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


register_periodic("cases.export_cleanup", delete_expired_exports, every_seconds=600)
