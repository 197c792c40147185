"""The job queue in this process: keys, claims, leases, retries, periodic tasks, heartbeats.

The worker as its own process (kill -9, SIGTERM, two workers) is tested in
test_jobs_process.py.
"""

from __future__ import annotations

import datetime as dt

from django.test import TestCase
from django.utils import timezone

from memoria.accounts.models import Organization
from memoria.config import JOBS_KEEP_DAYS_MAX
from memoria.jobs import queue
from memoria.jobs.models import Job, JobData, PeriodicRun, WorkerHeartbeat
from memoria.jobs.registry import PERIODIC, JobError, job_handler, register_periodic
from memoria.jobs.worker import Worker, drain, worker_status

EFFECT = "tests.create_organization"
FAILING = "tests.fail_after_writing"
calls: list[str] = []


def _create(job, context) -> dict:
    Organization.objects.create(
        name=f"Efecto {job.payload['n']}", slug=f"efecto-{job.payload['n']}", kind="other"
    )
    return {"created": 1}


def _prepare(job, context) -> str:
    context.progress("check", 1, 2)
    return "checked"


@job_handler(EFFECT, prepare=_prepare)
def _create_after_prepare(job, context) -> dict:
    assert context.prepared == "checked"
    return _create(job, context)


@job_handler(FAILING)
def _fail(job, context) -> dict:
    _create(job, context)
    # The text of an unexpected error may quote data: it must not reach the job row.
    raise RuntimeError("duplicate key (curp)=(PELJ850101MCHRPN09)")


@job_handler("tests.refuse")
def _refuse(job, context) -> dict:
    raise JobError("The list has moved; queue it again.")


def effects() -> int:
    return Organization.objects.filter(slug__startswith="efecto-").count()


class JobQueueTests(TestCase):
    def test_it_gives_back_the_same_job_for_the_same_key(self):
        first = queue.enqueue(EFFECT, "k-1", payload={"n": 1})
        again = queue.enqueue(EFFECT, "k-1", payload={"n": 2})
        self.assertEqual(first.pk, again.pk)
        self.assertEqual(Job.objects.count(), 1)
        self.assertEqual(again.payload, {"n": 1})

    def test_it_refuses_a_kind_nobody_handles(self):
        with self.assertRaises(ValueError):
            queue.enqueue("tests.nobody", "k")

    def test_it_runs_a_job_once_and_records_its_result(self):
        job = queue.enqueue(EFFECT, "k-1", payload={"n": 1}, sealed_input="mv1:sealed")
        self.assertEqual(drain(), 1)
        self.assertEqual(drain(), 0)
        job.refresh_from_db()
        self.assertEqual(job.status, Job.Status.DONE)
        self.assertEqual(job.result, {"created": 1})
        self.assertEqual(job.attempts, 1)
        self.assertEqual(effects(), 1)
        self.assertEqual(JobData.objects.get(job=job).sealed_input, "")  # deleted at the end

    def test_it_claims_a_job_once_until_its_lease_expires(self):
        job = queue.enqueue(EFFECT, "k-1", payload={"n": 1})
        claimed = queue.claim("worker-a", lease_seconds=60)
        self.assertEqual(claimed.pk, job.pk)
        self.assertEqual(claimed.status, Job.Status.RUNNING)
        self.assertIsNone(queue.claim("worker-b"))
        Job.objects.filter(pk=job.pk).update(
            lease_expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
        again = queue.claim("worker-b")
        self.assertEqual((again.pk, again.claimed_by, again.attempts), (job.pk, "worker-b", 2))

    def test_it_rolls_back_a_worker_whose_job_was_taken_over(self):
        queue.enqueue(EFFECT, "k-1", payload={"n": 1})
        stale = queue.claim("worker-a")
        Job.objects.filter(pk=stale.pk).update(
            lease_expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
        current = queue.claim("worker-b")
        self.assertEqual(queue.run_job(stale, "worker-a"), Job.Status.RUNNING)
        self.assertEqual(effects(), 0)
        self.assertEqual(queue.run_job(current, "worker-b"), Job.Status.DONE)
        self.assertEqual(effects(), 1)

    def test_it_undoes_a_failed_job_and_retries_it_later_with_a_safe_message(self):
        job = queue.enqueue(FAILING, "k-1", payload={"n": 1}, max_attempts=2)
        drain()
        job.refresh_from_db()
        self.assertEqual(effects(), 0)  # the handler's write rolled back
        self.assertEqual(job.status, Job.Status.QUEUED)
        self.assertGreater(job.run_after, timezone.now() + dt.timedelta(seconds=5))
        self.assertIn("RuntimeError", job.error)
        self.assertNotIn("PELJ850101MCHRPN09", job.error)
        self.assertEqual(drain(), 0)  # not due yet: backing off
        Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
        drain()
        job.refresh_from_db()
        self.assertEqual((job.status, job.attempts), (Job.Status.FAILED, 2))
        self.assertEqual(effects(), 0)

    def test_it_backs_off_exponentially(self):
        self.assertEqual(
            [queue.backoff_seconds(n) for n in (1, 2, 3, 4, 20)], [10, 20, 40, 80, 3600]
        )

    def test_it_shows_a_handlers_own_message(self):
        job = queue.enqueue("tests.refuse", "k-1", max_attempts=1)
        drain()
        job.refresh_from_db()
        self.assertEqual(job.status, Job.Status.FAILED)
        self.assertEqual(job.error, "The list has moved; queue it again.")

    def test_it_cancels_only_a_job_nobody_runs_yet(self):
        waiting = queue.enqueue(EFFECT, "k-1", payload={"n": 1})
        self.assertTrue(queue.cancel(waiting))
        self.assertEqual(drain(), 0)
        running = queue.enqueue(EFFECT, "k-2", payload={"n": 2})
        queue.claim("worker-a")
        self.assertFalse(queue.cancel(running))

    def test_it_puts_back_a_job_being_prepared_when_the_worker_stops(self):
        job = queue.enqueue(EFFECT, "k-1", payload={"n": 1})
        claimed = queue.claim("worker-a")
        status = queue.run_job(claimed, "worker-a", should_stop=lambda: True)
        job.refresh_from_db()
        self.assertEqual((status, job.status, job.attempts), ("queued", "queued", 0))
        self.assertEqual(effects(), 0)

    def test_it_reports_progress_while_preparing(self):
        seen = []
        job = queue.enqueue(EFFECT, "k-1", payload={"n": 1})
        queue.run_here(job, "cli", on_progress=lambda *step: seen.append(step))
        self.assertIn(("check", 1, 2), seen)
        self.assertEqual(seen[-1], ("saving", 1, 1))


class PeriodicTaskTests(TestCase):
    def setUp(self):
        calls.clear()
        register_periodic("tests.tick", lambda: calls.append("tick"), every_seconds=60)
        self.addCleanup(PERIODIC.pop, "tests.tick")

    def test_it_calls_a_periodic_function_when_it_is_due(self):
        worker = Worker(worker_id="w")
        worker.run_due_periodic()
        worker.run_due_periodic()
        self.assertEqual(calls, ["tick"])
        PeriodicRun.objects.filter(name="tests.tick").update(
            last_run_at=timezone.now() - dt.timedelta(seconds=61)
        )
        worker.run_due_periodic()
        self.assertEqual(calls, ["tick", "tick"])

    def test_it_refuses_a_period_below_one_second(self):
        with self.assertRaises(ValueError):
            register_periodic("tests.never", lambda: None, every_seconds=0)

    def test_it_keeps_going_when_a_periodic_function_fails(self):
        register_periodic("tests.broken", lambda: 1 / 0, every_seconds=60)
        self.addCleanup(PERIODIC.pop, "tests.broken")
        Worker(worker_id="w").run_due_periodic()
        self.assertEqual(calls, ["tick"])
        self.assertEqual(
            PeriodicRun.objects.get(name="tests.broken").last_error, "ZeroDivisionError"
        )


class PruneTests(TestCase):
    """The worker deletes finished jobs, and what they kept sealed, after
    ``MEMORIA_JOBS_KEEP_DAYS`` (30 unless set)."""

    def finished(self, key: str, status: str, days_ago: float) -> Job:
        job = queue.enqueue(EFFECT, key, payload={"n": 1})
        JobData.objects.create(job=job, sealed_output="sealed values of a failed run")
        Job.objects.filter(pk=job.pk).update(
            status=status, finished_at=timezone.now() - dt.timedelta(days=days_ago)
        )
        return job

    def run_prune(self) -> None:
        PeriodicRun.objects.filter(name="jobs.prune").delete()  # due now
        Worker(worker_id="w").run_due_periodic()
        self.assertEqual(PeriodicRun.objects.get(name="jobs.prune").last_error, "")

    def test_it_deletes_failed_jobs_and_their_sealed_output_after_30_days(self):
        old = self.finished("k-1", Job.Status.FAILED, 31)
        recent = self.finished("k-2", Job.Status.FAILED, 29)
        self.run_prune()
        self.assertFalse(Job.objects.filter(pk=old.pk).exists())
        self.assertFalse(JobData.objects.filter(job_id=old.pk).exists())
        self.assertTrue(JobData.objects.filter(job_id=recent.pk).exists())

    def test_it_keeps_finished_jobs_as_many_days_as_set(self):
        failed = self.finished("k-1", Job.Status.FAILED, 8)
        done = self.finished("k-2", Job.Status.DONE, 8)
        recent = self.finished("k-3", Job.Status.FAILED, 6)
        waiting = queue.enqueue(EFFECT, "k-4", payload={"n": 4})
        Job.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - dt.timedelta(days=60))
        with self.settings(MEMORIA_JOBS_KEEP_DAYS=7):
            self.run_prune()
        self.assertEqual(set(Job.objects.values_list("pk", flat=True)), {recent.pk, waiting.pk})
        self.assertFalse(JobData.objects.filter(job_id__in=[failed.pk, done.pk]).exists())
        self.assertTrue(JobData.objects.filter(job_id=recent.pk).exists())

    def test_it_keeps_finished_jobs_for_the_longest_time_allowed(self):
        old = self.finished("k-1", Job.Status.FAILED, 365 * 50)
        with self.settings(MEMORIA_JOBS_KEEP_DAYS=JOBS_KEEP_DAYS_MAX):
            self.run_prune()  # no error: the oldest date kept is a real date
        self.assertTrue(JobData.objects.filter(job_id=old.pk).exists())


class HeartbeatTests(TestCase):
    def test_it_says_no_worker_runs_before_one_started(self):
        self.assertEqual(worker_status()["running"], False)

    def test_it_says_a_worker_runs_while_its_heartbeat_is_fresh(self):
        worker = Worker(worker_id="w")
        worker._beat()
        self.assertTrue(worker_status()["running"])
        WorkerHeartbeat.objects.update(last_seen=timezone.now() - dt.timedelta(minutes=5))
        status = worker_status()
        self.assertFalse(status["running"])
        self.assertGreaterEqual(status["seen_seconds"], 299)
