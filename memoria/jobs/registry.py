"""What the worker can run: job handlers by kind, and periodic tasks.

Apps register both in ``AppConfig.ready()``::

    @job_handler("cases.import", prepare=check_upload)
    def write_upload(job, context): ...

    register_periodic("audit.seal", seal_pending, every_seconds=60)

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


HANDLERS: dict[str, Handler] = {}
PERIODIC: dict[str, Periodic] = {}


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


def handler_for(kind: str) -> Handler | None:
    return HANDLERS.get(kind)
