"""Write paths of the official figures: upload, choose the columns, import (a worker
job), delete. Each is one transaction with its audit entry.

An import is all or nothing: the worker reads the whole file first
(``official.parse``) and writes the counts, in the transaction that marks the
job done, only if no row has a problem; otherwise nothing is written and the
dataset keeps the list of problems for the page (and its file, so the columns
can be chosen again).
"""

from __future__ import annotations

import zlib

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from memoria.analysis import official
from memoria.analysis.models import OfficialCount, OfficialDataset
from memoria.audit.log import audit
from memoria.cases.io.mapping import MappingError
from memoria.jobs.queue import enqueue
from memoria.jobs.registry import PermanentJobError, job_handler

IMPORT = "analysis.official_import"
BATCH = 5000


@transaction.atomic
def upload(organization, actor, source: str, name: str, data: bytes, *, request=None):
    """Keep an uploaded file (compressed) until its columns are chosen."""
    headers, _delimiter = official.read_headers(data)
    dataset = OfficialDataset.objects.create(
        organization=organization,
        source=source,
        name=name[:200],
        held_file=zlib.compress(data),
        mapping=official.guess_mapping(source, headers),
        uploaded_by=actor,
    )
    audit(actor, organization, "official.upload", target=dataset, request=request, source=source)
    return dataset


def held_headers(dataset: OfficialDataset) -> list[str]:
    if not dataset.held_file:
        return []
    return official.read_headers(zlib.decompress(bytes(dataset.held_file)))[0]


class ImportConflict(Exception):
    """The file's columns were chosen, or its import started, since the form was opened."""


@transaction.atomic
def start_import(dataset: OfficialDataset, actor, mapping: dict, version: int, key: str):
    """Save the columns chosen and queue the import; ``version`` is the one the form
    was built from (a second, concurrent choice gets ``ImportConflict``)."""
    locked = OfficialDataset.objects.select_for_update(no_key=True).get(pk=dataset.pk)
    if locked.version != version or locked.status == OfficialDataset.Status.QUEUED:
        raise ImportConflict(_("Someone else started this import meanwhile."))
    locked.mapping = mapping
    locked.status = OfficialDataset.Status.QUEUED
    locked.problems, locked.error = [], ""
    locked.version += 1
    locked.job = enqueue(
        IMPORT,
        f"{IMPORT}:{locked.pk}:{locked.version}:{key}",
        organization=locked.organization,
        created_by=actor,
        payload={"dataset": locked.pk, "language": translation.get_language()},
        max_attempts=3,
    )
    locked.save()
    return locked


def write_counts(dataset: OfficialDataset, parsed: official.Parsed, actor) -> int:
    """Every count of ``parsed`` (the caller holds the transaction); the number written."""
    dataset.counts.all().delete()
    rows = [
        OfficialCount(
            dataset=dataset,
            state=state,
            municipality=municipality,
            year=year,
            month=month,
            category=category,
            count=count,
        )
        for (state, municipality, year, month, category), count in parsed.counts.items()
        if count
    ]
    OfficialCount.objects.bulk_create(rows, batch_size=BATCH)
    dataset.status = OfficialDataset.Status.READY
    dataset.rows = parsed.rows
    dataset.counted_at_state = parsed.unknown_municipalities
    dataset.periods = {str(year): sorted(months) for year, months in parsed.periods.items()}
    dataset.problems, dataset.error = [], ""
    dataset.held_file = b""
    dataset.imported_at = timezone.now()
    dataset.version += 1
    dataset.save()
    audit(
        actor,
        dataset.organization,
        "official.import",
        target=dataset,
        source=dataset.source,
        rows=parsed.rows,
        counts=len(rows),
    )
    return len(rows)


def _fail(dataset_id: int, error: str = "", problems: list | None = None) -> None:
    OfficialDataset.objects.filter(pk=dataset_id).update(
        status=OfficialDataset.Status.FAILED, error=error, problems=problems or []
    )


def problems_of(parsed: official.Parsed) -> list[dict]:
    found = [
        {"row": p.row, "column": p.column, "value": p.value, "message": p.message}
        for p in parsed.problems
    ]
    if parsed.more_problems:
        found.append(
            {
                "row": "",
                "column": "",
                "value": "",
                "message": _("And %(n)s more problems.") % {"n": parsed.more_problems},
            }
        )
    return found


def _read(job, context) -> official.Parsed:
    dataset = OfficialDataset.objects.get(pk=job.payload["dataset"])
    if not dataset.held_file:
        _fail(dataset.pk, _("The file is no longer held; upload it again."))
        raise PermanentJobError(_("The file is no longer held; upload it again."))
    data = zlib.decompress(bytes(dataset.held_file))
    with translation.override(job.payload.get("language") or None):
        try:
            return official.parse(
                dataset.source,
                data,
                dataset.mapping,
                progress=lambda done: context.progress("read", done, 0),
            )
        except MappingError as error:
            _fail(dataset.pk, str(error))
            raise PermanentJobError(str(error)) from error


@job_handler(IMPORT, prepare=_read)
def _write(job, context) -> dict:
    parsed: official.Parsed = context.prepared
    dataset = OfficialDataset.objects.select_for_update(no_key=True).get(pk=job.payload["dataset"])
    if not parsed.ok:
        with translation.override(job.payload.get("language") or None):
            _fail(dataset.pk, problems=problems_of(parsed))
        return {"ok": False, "rows": parsed.rows, "problems": len(parsed.problems)}
    written = write_counts(dataset, parsed, job.created_by)
    return {"ok": True, "rows": parsed.rows, "counts": written}


@transaction.atomic
def delete(dataset: OfficialDataset, actor, *, request=None) -> None:
    audit(actor, dataset.organization, "official.delete", target=dataset, request=request)
    dataset.delete()
