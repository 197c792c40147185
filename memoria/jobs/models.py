"""The job table, the sealed data of a job, the workers' heartbeats, the periodic tasks.

Nothing here is encrypted by this app, so nothing identifying may be stored in
clear: ``payload``, ``result`` and ``error`` hold ids, options, counts and
messages safe to show. Data that names people (an uploaded spreadsheet, the
problems found in its rows) goes in ``JobData`` sealed by the caller with the
organization's key (``memoria.vault.cipher``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)

    kind = models.CharField(max_length=60)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Enqueueing the same key twice gives the same job.
    idempotency_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict, blank=True)  # ids and options only
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=5)
    run_after = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=120, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_phase = models.CharField(max_length=40, blank=True)
    result = models.JSONField(default=dict, blank=True)  # counts
    error = models.TextField(blank=True)  # safe to show: no identities
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "run_after"], name="job_status_run_after")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class JobData(models.Model):
    """A job's input and output, sealed by the caller (never stored in clear).

    The input is deleted when the job ends; the output (for instance the
    problems found in an import's rows) stays, sealed, until the job is pruned
    (``MEMORIA_JOBS_KEEP_DAYS`` after it finished, 30 unless set).
    """

    job = models.OneToOneField(Job, on_delete=models.CASCADE, primary_key=True, related_name="data")
    sealed_input = models.TextField(blank=True)
    sealed_output = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"data of job #{self.job_id}"


class WorkerHeartbeat(models.Model):
    """One row per running ``memoria worker``, updated every few seconds."""

    worker_id = models.CharField(max_length=120, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    current_job = models.ForeignKey(
        Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    stopped = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.worker_id


class PeriodicRun(models.Model):
    """When each periodic task last ran; claimed by a conditional update."""

    name = models.CharField(max_length=120, unique=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name
