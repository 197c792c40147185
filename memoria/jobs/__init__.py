"""Background jobs: a job table in the database (an outbox) and ``memoria worker``.

After healthchecks' ``sendalerts``: no broker, just rows. Apps register a
handler per kind (``@job_handler("cases.import")``) in ``AppConfig.ready``
and enqueue with ``memoria.jobs.queue.enqueue``; one or more ``memoria
worker`` processes claim queued jobs with an atomic conditional update, run
them and mark them done. A handler's writes and the "done" mark commit in one
transaction, so a worker killed mid-job leaves nothing behind and the job is
claimed again once its lease expires: each job runs at least once and takes
effect exactly once. See docs/operations.md.
"""
