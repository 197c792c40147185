"""Enqueue, claim, run and finish jobs.

Claiming is one atomic conditional update, so two workers never hold the same
job: on PostgreSQL the candidate row is taken with ``SELECT ... FOR UPDATE
SKIP LOCKED``; on SQLite (one writer at a time) an ``UPDATE ... WHERE id = ...
AND <still due>`` either changes the row or loses the race. A claim gives a
lease; a job still "running" after its lease expired (its worker was killed)
is due again: every job runs at least once.

A handler's writes and the job's "done" mark commit in one transaction, which
also locks the job row and checks the claim is still ours (same worker, same
attempt). A worker killed inside it leaves nothing; a worker whose lease was
taken over rolls back. So a job takes effect exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from memoria.jobs.models import Job, JobData
from memoria.jobs.registry import JobError, PermanentJobError, handler_for

logger = logging.getLogger("memoria.jobs")

DEFAULT_LEASE_SECONDS = 60
BACKOFF_BASE_SECONDS = 10
BACKOFF_MAX_SECONDS = 3600
PROGRESS_EVERY_SECONDS = 0.5
# The phase shown while a job's single write transaction runs (see docs/operations.md).
SAVING = "saving"

ProgressCallback = Callable[[str, int, int], None]


class LostClaim(Exception):
    """Another worker took this job over (our lease expired): roll back, let it run."""


class Released(Exception):
    """The worker is stopping: the job goes back to the queue untouched."""


def enqueue(
    kind: str,
    key: str,
    *,
    organization=None,
    created_by=None,
    payload: dict | None = None,
    sealed_input: str = "",
    max_attempts: int = 5,
) -> Job:
    """Queue a job of ``kind`` once per ``key``: the same key gives back the same job.

    ``payload`` holds ids and options only; anything naming a person goes in
    ``sealed_input``, encrypted by the caller.
    """
    if handler_for(kind) is None:
        raise ValueError(f"no handler is registered for jobs of kind {kind!r}")
    user = created_by if getattr(created_by, "is_authenticated", False) else None
    with transaction.atomic():
        job, created = Job.objects.get_or_create(
            idempotency_key=key,
            defaults={
                "kind": kind,
                "organization": organization,
                "created_by": user,
                "payload": payload or {},
                "max_attempts": max_attempts,
            },
        )
        if created and sealed_input:
            JobData.objects.create(job=job, sealed_input=sealed_input)
    return job


def _due(now: dt.datetime) -> Q:
    queued = Q(status=Job.Status.QUEUED, run_after__lte=now)
    abandoned = Q(status=Job.Status.RUNNING, lease_expires_at__lt=now)
    return queued | abandoned


def claim(
    worker_id: str, lease_seconds: int = DEFAULT_LEASE_SECONDS, job_id: int | None = None
) -> Job | None:
    """Take the next due job (or job ``job_id`` if due) for ``worker_id``; None if none."""
    now = timezone.now()
    due = Job.objects.filter(_due(now))
    if job_id is not None:
        due = due.filter(pk=job_id)
    claimed = {
        "status": Job.Status.RUNNING,
        "claimed_by": worker_id,
        "lease_expires_at": now + dt.timedelta(seconds=lease_seconds),
        "attempts": F("attempts") + 1,
        "started_at": now,
        "progress_phase": "",
    }
    if connection.vendor == "postgresql":
        with transaction.atomic():
            job = due.select_for_update(skip_locked=True).order_by("run_after", "pk").first()
            if job is None:
                return None
            Job.objects.filter(pk=job.pk).update(**claimed)
            pk = job.pk
    else:
        pk = due.order_by("run_after", "pk").values_list("pk", flat=True).first()
        # The due condition is checked again by the UPDATE itself: whoever writes first wins.
        if pk is None or not Job.objects.filter(_due(now), pk=pk).update(**claimed):
            return None
    return Job.objects.get(pk=pk)


@dataclass
class JobContext:
    """What a handler gets besides its job: progress reporting and sealed data."""

    job: Job
    worker_id: str
    on_progress: ProgressCallback | None = None
    should_stop: Callable[[], bool] = lambda: False
    prepared: object = None
    # Sealed by the handler; stored with the "done" mark, or with a permanent failure.
    output: str | None = None
    in_transaction: bool = False
    _last_write: float = field(default=0.0, repr=False)

    @property
    def sealed_input(self) -> str:
        data = JobData.objects.filter(job_id=self.job.pk).first()
        return data.sealed_input if data else ""

    def progress(self, phase: str, done: int, total: int) -> None:
        """Report progress. Written at once outside the job's write transaction
        (during ``prepare``); inside it nobody else could see it, so it is skipped."""
        if self.on_progress:
            self.on_progress(phase, done, total)
        if self.in_transaction:
            return
        if self.should_stop():
            raise Released
        now = time.monotonic()
        if done < total and now - self._last_write < PROGRESS_EVERY_SECONDS:
            return
        self._last_write = now
        _mine(self.job, self.worker_id).update(
            progress_phase=phase[:40], progress_done=done, progress_total=total
        )


def _mine(job: Job, worker_id: str):
    """The job's row if our claim still holds (same worker, same attempt)."""
    return Job.objects.filter(
        pk=job.pk, status=Job.Status.RUNNING, claimed_by=worker_id, attempts=job.attempts
    )


def run_job(
    job: Job,
    worker_id: str,
    on_progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> str:
    """Run a claimed job to its end; return its new status."""
    handler = handler_for(job.kind)
    if handler is None:
        return _fail(job, worker_id, _("This kind of job is not known to this version."))
    if job.attempts > job.max_attempts:
        return _fail(job, worker_id, _("The worker stopped during this job too many times."))
    context = JobContext(job, worker_id, on_progress=on_progress, should_stop=should_stop)
    try:
        if handler.prepare:
            context.prepared = handler.prepare(job, context)
        _mine(job, worker_id).update(progress_phase=SAVING)
        if on_progress:
            on_progress(SAVING, 0, 1)
        context.in_transaction = True
        with transaction.atomic():
            if not list(
                _mine(job, worker_id).select_for_update(no_key=True).values_list("pk", flat=True)
            ):
                raise LostClaim
            result = handler.run(job, context) or {}
            _mine(job, worker_id).update(
                status=Job.Status.DONE,
                result=result,
                error="",
                finished_at=timezone.now(),
                lease_expires_at=None,
                progress_phase="",
            )
            data = {"sealed_input": ""}
            if context.output is not None:
                data["sealed_output"] = context.output
            JobData.objects.filter(job_id=job.pk).update(**data)
        if on_progress:
            on_progress(SAVING, 1, 1)
        return Job.Status.DONE
    except LostClaim:
        logger.warning("job %s: claim lost to another worker; rolled back", job.pk)
        return Job.Status.RUNNING
    except Released:
        _mine(job, worker_id).update(
            status=Job.Status.QUEUED,
            claimed_by="",
            lease_expires_at=None,
            attempts=F("attempts") - 1,
            progress_phase="",
        )
        return Job.Status.QUEUED
    except PermanentJobError as error:
        # A handler may leave what it found (sealed) for the page that says why it failed.
        return _fail(job, worker_id, str(error), output=context.output)
    except JobError as error:
        return _retry_or_fail(job, worker_id, str(error))
    except Exception as error:  # noqa: BLE001 - any failure is retried, then reported
        # The exception's text may quote data (a database error quotes the row):
        # log its type and where it happened, never its message.
        stack = "".join(traceback.format_tb(error.__traceback__))
        logger.error("job %s (%s) failed: %s\n%s", job.pk, job.kind, type(error).__name__, stack)
        message = _("The job stopped on an unexpected error (%(kind)s).") % {
            "kind": type(error).__name__
        }
        return _retry_or_fail(job, worker_id, message)


def backoff_seconds(attempts: int) -> int:
    """10 s, 20 s, 40 s, ... up to an hour."""
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)


def _retry_or_fail(job: Job, worker_id: str, message: str) -> str:
    if job.attempts >= job.max_attempts:
        return _fail(job, worker_id, message)
    _mine(job, worker_id).update(
        status=Job.Status.QUEUED,
        claimed_by="",
        lease_expires_at=None,
        run_after=timezone.now() + dt.timedelta(seconds=backoff_seconds(job.attempts)),
        error=message[:2000],
        progress_phase="",
    )
    return Job.Status.QUEUED


def _fail(job: Job, worker_id: str, message: str, output: str | None = None) -> str:
    with transaction.atomic():
        if _mine(job, worker_id).update(
            status=Job.Status.FAILED,
            error=message[:2000],
            finished_at=timezone.now(),
            lease_expires_at=None,
            progress_phase="",
        ):
            JobData.objects.filter(job_id=job.pk).update(sealed_input="")
            if output is not None:
                JobData.objects.update_or_create(job_id=job.pk, defaults={"sealed_output": output})
    return Job.Status.FAILED


def cancel(job: Job) -> bool:
    """Cancel a job nobody is running yet; return whether it was cancelled."""
    with transaction.atomic():
        cancelled = Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
            status=Job.Status.CANCELLED, finished_at=timezone.now()
        )
        if cancelled:
            JobData.objects.filter(job_id=job.pk).update(sealed_input="")
    return bool(cancelled)


def run_here(job: Job, worker_id: str, on_progress: ProgressCallback | None = None) -> Job:
    """Claim ``job`` and run it in this process (the CLI does, to show a progress bar)."""
    claimed = claim(worker_id, job_id=job.pk)
    if claimed is None:
        raise JobError(_("This job is already being run by a worker, or has finished."))
    run_job(claimed, worker_id, on_progress=on_progress)
    claimed.refresh_from_db()
    return claimed
