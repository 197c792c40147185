"""The worker loop behind ``memoria worker``: claim, run, sleep briefly; heartbeat.

One thread claims and runs jobs; a second one updates the worker's heartbeat
row and renews the lease of the job it is running every few seconds; each
registered loop (``register_loop``: the alerts' delivery loop) has a thread of
its own, so a long job never delays it. SIGTERM
or SIGINT asks the loop to stop: a job still in its preparing phase is put
back in the queue, a job already writing finishes, a loop finishes what it
is doing, and the worker says it has stopped.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid

from django.db import OperationalError, close_old_connections, connection
from django.db.models import Q
from django.utils import timezone

from memoria.jobs import queue
from memoria.jobs.models import Job, PeriodicRun, WorkerHeartbeat
from memoria.jobs.registry import LOOPS, PERIODIC, Loop, LoopContext

logger = logging.getLogger("memoria.jobs")

HEARTBEAT_SECONDS = 5
# A worker whose heartbeat is older than this is shown as not running.
ALIVE_SECONDS = 60


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    def __init__(
        self,
        worker_id: str | None = None,
        poll_seconds: float = 1.0,
        lease_seconds: int = queue.DEFAULT_LEASE_SECONDS,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.worker_id = worker_id or new_worker_id()
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.stopping = threading.Event()
        self.current: Job | None = None
        self.saving = False  # the current job is inside its write transaction
        self._periodic_checked = 0.0

    # -- the loop ------------------------------------------------------------------

    def stop(self, *_args) -> None:
        self.stopping.set()

    def run(self, once: bool = False) -> int:
        """Work until asked to stop (or, with ``once``, until nothing is due). Returns jobs run."""
        self._beat()
        beat = threading.Thread(target=self._heartbeat_loop, name="heartbeat", daemon=True)
        beat.start()
        loops = [
            threading.Thread(target=self._run_loop, args=(loop,), name=loop.name, daemon=True)
            for loop in LOOPS.values()
        ]
        for thread in loops:
            thread.start()
        ran = 0
        try:
            while not self.stopping.is_set():
                close_old_connections()
                self.run_due_periodic()
                if self.run_one():
                    ran += 1
                    continue
                if once:
                    break
                self.stopping.wait(self.poll_seconds)
        finally:
            self.stopping.set()
            for thread in loops:
                thread.join(timeout=self.lease_seconds)
            beat.join(timeout=self.heartbeat_seconds + 25)
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(
                stopped=True, current_job=None, last_seen=timezone.now()
            )
        return ran

    def run_one(self) -> bool:
        job = queue.claim(self.worker_id, self.lease_seconds)
        if job is None:
            return False
        self.current = job
        try:
            status = queue.run_job(
                job, self.worker_id, on_progress=self._on_progress, should_stop=self.stopping.is_set
            )
            logger.info("job %s (%s): %s", job.pk, job.kind, status)
        finally:
            self.current = None
            self.saving = False
        return True

    def _on_progress(self, phase: str, done: int, total: int) -> None:
        self.saving = phase == queue.SAVING and done < total

    # -- registered loops ----------------------------------------------------------

    def _run_loop(self, loop: Loop) -> None:
        context = LoopContext(self.worker_id, self.lease_seconds, self.stopping.is_set)
        try:
            while not self.stopping.is_set():
                close_old_connections()
                try:
                    did = loop.func(context)
                except Exception:  # noqa: BLE001 - the loop must outlive one bad round
                    logger.exception("loop %s failed", loop.name)
                    did = 0
                if not did:
                    self.stopping.wait(loop.poll_seconds)
        finally:
            connection.close()

    # -- periodic tasks ------------------------------------------------------------

    def run_due_periodic(self) -> int:
        """Run each registered periodic function whose time has come; return how many ran."""
        now = timezone.now()
        ran = 0
        for task in list(PERIODIC.values()):
            PeriodicRun.objects.get_or_create(name=task.name)
            due = Q(last_run_at__isnull=True) | Q(
                last_run_at__lte=now - dt.timedelta(seconds=task.every_seconds)
            )
            if not PeriodicRun.objects.filter(due, name=task.name).update(last_run_at=now):
                continue  # not due, or another worker took this run
            ran += 1
            try:
                task.func()
                error = ""
            except Exception as exc:  # noqa: BLE001 - one failing task must not stop the worker
                logger.exception("periodic task %s failed", task.name)
                error = type(exc).__name__
            PeriodicRun.objects.filter(name=task.name).update(last_error=error)
        return ran

    # -- heartbeat -----------------------------------------------------------------

    def _heartbeat_loop(self) -> None:
        try:
            while not self.stopping.wait(self.heartbeat_seconds):
                self._beat()
        finally:
            connection.close()

    def _beat(self) -> None:
        now = timezone.now()
        job = self.current
        try:
            WorkerHeartbeat.objects.update_or_create(
                worker_id=self.worker_id,
                defaults={
                    "host": socket.gethostname()[:255],
                    "pid": os.getpid(),
                    "last_seen": now,
                    "current_job_id": job.pk if job else None,
                    "stopped": False,
                },
            )
            # Inside the job's write transaction the row is locked (PostgreSQL)
            # or the database is (SQLite): nobody can take the job over then.
            if job is not None and not self.saving:
                queue._mine(job, self.worker_id).update(
                    lease_expires_at=now + dt.timedelta(seconds=self.lease_seconds)
                )
        except OperationalError:
            # SQLite busy while a job writes: the next beat will do.
            logger.debug("heartbeat skipped: database busy")


def worker_status() -> dict:
    """What the web shows about the workers: the most recent heartbeat."""
    latest = WorkerHeartbeat.objects.order_by("-last_seen").first()
    if latest is None:
        return {"running": False, "seen_seconds": None}
    seconds = max(0, int((timezone.now() - latest.last_seen).total_seconds()))
    busy = latest.current_job_id is not None
    running = not latest.stopped and (seconds <= ALIVE_SECONDS or busy and seconds <= 600)
    return {"running": running, "seen_seconds": seconds, "busy": busy}


def drain(worker_id: str = "inline") -> int:
    """Run every due job in this process until none is left (tests, one-off runs)."""
    worker = Worker(worker_id=worker_id)
    ran = 0
    while worker.run_one():
        ran += 1
    return ran
