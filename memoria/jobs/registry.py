"""What the worker can run: job handlers by kind, and periodic tasks.

Apps register both in ``AppConfig.ready()``::

    @job_handler("cases.import", prepare=check_upload)
    def write_upload(job, context): ...

    register_periodic("audit.seal", seal_pending, every_seconds=60)

    register_loop("alerts.deliver", send_due, poll_seconds=1.0)

A loop runs in its own thread of every worker, beside the jobs, so a long job
never delays it: ``func(context)`` does what is due now and returns how much
it did; when it did nothing the thread sleeps ``poll_seconds``. ``context``
is a ``LoopContext`` (the worker's id, its lease, and ``should_stop()``).

A handler runs inside the transaction that marks its job done, so its writes
land together with that mark or not at all. ``prepare``, if given, runs first,
outside that transaction: it may only read, or write what is safe to write
again (each write its own short transaction), and it can report progress the
web sees at once. Its return value is ``context.prepared`` in the handler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


class JobError(Exception):
    """A failure whose message is safe to show (no names, no identities)."""


class PermanentJobError(JobError):
    """A failure that retrying cannot fix: the job fails at once."""


@dataclass(frozen=True)
class Handler:
    kind: str
    run: Callable
    prepare: Callable | None = None


@dataclass(frozen=True)
class Periodic:
    name: str
    func: Callable[[], object]
    every_seconds: int


@dataclass(frozen=True)
class Loop:
    name: str
    func: Callable[[LoopContext], int]
    poll_seconds: float


@dataclass(frozen=True)
class LoopContext:
    worker_id: str
    lease_seconds: int
    should_stop: Callable[[], bool]


HANDLERS: dict[str, Handler] = {}
PERIODIC: dict[str, Periodic] = {}
LOOPS: dict[str, Loop] = {}


def job_handler(kind: str, prepare: Callable | None = None) -> Callable:
    """Register the decorated function as the handler of jobs of ``kind``."""

    def register(func: Callable) -> Callable:
        HANDLERS[kind] = Handler(kind, func, prepare)
        return func

    return register


def register_periodic(name: str, func: Callable[[], object], every_seconds: int) -> None:
    """Have the worker call ``func()`` about every ``every_seconds`` seconds.

    With several workers, each due run is claimed by one of them (a conditional
    update on ``PeriodicRun``). ``func`` should be quick, or hand its work to a job.
    """
    if every_seconds < 1:
        raise ValueError("every_seconds must be at least 1")
    PERIODIC[name] = Periodic(name, func, every_seconds)


def register_loop(name: str, func: Callable[[LoopContext], int], poll_seconds: float) -> None:
    """Have every worker run ``func(context)`` in a thread of its own, every ``poll_seconds``
    when idle. ``func`` must claim its own work atomically (several workers run it)."""
    if poll_seconds <= 0:
        raise ValueError("poll_seconds must be positive")
    LOOPS[name] = Loop(name, func, poll_seconds)


def handler_for(kind: str) -> Handler | None:
    return HANDLERS.get(kind)
