"""The protection app's one clock: deadlines are compared with ``now()``.

Everything that decides whether a deadline passed reads the time here, so a
test can move this clock forward (``monkeypatch.setattr(clock, "now", ...)``)
and watch a deadline pass, in the web server and the worker alike.
"""

from __future__ import annotations

import datetime

from django.utils import timezone


def now() -> datetime.datetime:
    return timezone.now()


def today() -> datetime.date:
    return timezone.localtime(now()).date()
