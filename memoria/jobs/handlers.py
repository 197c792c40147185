"""The jobs app's own periodic task: forget finished jobs after a while."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from memoria.jobs.models import Job, WorkerHeartbeat
from memoria.jobs.registry import register_periodic


def prune() -> int:
    """Delete jobs finished more than ``MEMORIA_JOBS_KEEP_DAYS`` days ago (30 unless set),
    with their sealed data (a failed linkage run's unreadable values), and old heartbeats.

    Not audited, like the deletion of expired exports: nobody chose it, and the
    audit entries of what started the job (a run, an import) stay."""
    now = timezone.now()
    kept_from = now - dt.timedelta(days=settings.MEMORIA_JOBS_KEEP_DAYS)
    deleted, _ = Job.objects.filter(status__in=Job.FINISHED, finished_at__lt=kept_from).delete()
    WorkerHeartbeat.objects.filter(last_seen__lt=now - dt.timedelta(days=1)).delete()
    return deleted


register_periodic("jobs.prune", prune, every_seconds=3600)
