"""The names of the engine's long tasks, for progress bars and pages.

A task's name is what ``memoria estimate`` shows beside its progress bar
(English, with the stratum). It is a :class:`Phase`: a string that also carries
a stable key and its values, so that a page can say the same thing in its
reader's language without reading the English words.
"""

from __future__ import annotations

#: Keys of the engine's phases (``Phase.key``).
BOOTSTRAP = "bootstrap"
LCMCR = "lcmcr"
LCMCR_ROUND = "lcmcr_round"  # values: the round's number, the R-hat that called for it
CLUSTERINGS = "clusterings"


class Phase(str):
    """A task's name as the command line shows it, with ``key``, ``stratum`` and ``values``.

    >>> phase = Phase("LCMCR, round 2 (R-hat 1.08) (09)", LCMCR_ROUND, "09", 2, "1.08")
    >>> str(phase), phase.key, phase.stratum, phase.values
    ('LCMCR, round 2 (R-hat 1.08) (09)', 'lcmcr_round', '09', ('2', '1.08'))
    """

    key: str
    stratum: str
    values: tuple[str, ...]

    def __new__(cls, text: str, key: str, stratum: str | None = None, *values: object) -> Phase:
        phase = super().__new__(cls, text)
        phase.key = key
        phase.stratum = stratum or ""
        phase.values = tuple(str(value) for value in values)
        return phase


def phase(name: str, key: str, stratum: str | None, *values: object) -> Phase:
    """``name`` with the stratum after it, as the command line shows it."""
    return Phase(f"{name} ({stratum})" if stratum else name, key, stratum, *values)
