"""The delivery loop every ``memoria worker`` runs in a thread of its own.

It polls the delivery queue every second (not on the periodic tasks'
cadence), sends what is due one delivery at a time, and stops between two
deliveries when the worker is asked to stop (SIGTERM): a send under way
finishes (it is bounded by half the lease), nothing more is claimed, and
anything claimed and not sent is put back.
"""

from __future__ import annotations

from memoria.alerts import engine
from memoria.jobs.registry import LoopContext, register_loop

POLL_SECONDS = 1.0


def deliver(context: LoopContext) -> int:
    try:
        return engine.send_due(
            context.worker_id, context.lease_seconds, should_stop=context.should_stop
        )
    finally:
        if context.should_stop():
            engine.release(context.worker_id)


register_loop("alerts.deliver", deliver, poll_seconds=POLL_SECONDS)
