"""The jobs app's own periodic task: forget finished jobs after a while."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from memoria.jobs.models import Job, WorkerHeartbeat
from memoria.jobs.registry import register_periodic

KEEP_FINISHED_DAYS = 30


def prune() -> int:
    """Delete jobs finished more than 30 days ago (with their sealed data) and old heartbeats."""
    now = timezone.now()
    deleted, _ = Job.objects.filter(
        status__in=Job.FINISHED, finished_at__lt=now - dt.timedelta(days=KEEP_FINISHED_DAYS)
    ).delete()
    WorkerHeartbeat.objects.filter(last_seen__lt=now - dt.timedelta(days=1)).delete()
    return deleted


register_periodic("jobs.prune", prune, every_seconds=3600)
