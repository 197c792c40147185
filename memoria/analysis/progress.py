"""The phases of the analysis jobs, as the job stores them and as a page says them.

The worker stores a phase as a stable key with its values (``Job.progress_phase``,
at most 40 characters: ``key|stratum|value...``), never as words: the engine's
names for its tasks are English (``memoria.mse.progress``) and the page that
shows a running job may be read in Spanish or English. :func:`estimate_status`
gives the sentence in the reader's language.
"""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from memoria.mse.progress import BOOTSTRAP, CLUSTERINGS, LCMCR, LCMCR_ROUND

#: Reading the states and dates of the run's sources (strata).
SOURCES = "sources"
#: Drawing clusterings from the run's pair probabilities (linkage uncertainty).
CLUSTERINGS_DRAWN = "clusterings_drawn"
SEPARATOR = "|"


def stored(phase: str) -> str:
    """A phase as ``Job.progress_phase`` keeps it: the key, the stratum and the
    values of an engine's :class:`~memoria.mse.progress.Phase`; other phases
    (the job's own keys) as they are."""
    key = getattr(phase, "key", None)
    if key is None:
        return str(phase)
    return SEPARATOR.join([key, phase.stratum, *phase.values])[:40]


def estimate_status(job) -> str:
    """What a running estimate is doing, in the reader's language."""
    key, _sep, rest = (job.progress_phase or "").partition(SEPARATOR)
    stratum, *values = rest.split(SEPARATOR) if rest else ("",)
    counts = {
        "done": number_format(job.progress_done, force_grouping=True),
        "total": number_format(job.progress_total, force_grouping=True),
    }
    if key == SOURCES:
        return _("Reading the states and dates of the lists.")
    if key == BOOTSTRAP:
        text = _("Bootstrap: replicate %(done)s of %(total)s.") % counts
    elif key == LCMCR:
        text = _("LCMCR: iteration %(done)s of %(total)s.") % counts
    elif key == LCMCR_ROUND and len(values) == 2:
        text = _(
            "LCMCR, round %(round)s (the chains did not agree yet: R-hat %(rhat)s): "
            "iteration %(done)s of %(total)s."
        ) % {**counts, "round": values[0], "rhat": values[1]}
    elif key == CLUSTERINGS_DRAWN:
        text = _("Drawing clusterings from the pairs' probabilities: %(done)s of %(total)s.")
        text %= counts
    elif key == CLUSTERINGS:
        text = _("Estimating on each clustering drawn: %(done)s of %(total)s.") % counts
    elif job.progress_total:
        text = _("Estimating: %(done)s of %(total)s.") % counts
    else:
        return _("Estimating.")
    if stratum:
        from memoria.analysis.estimate_pages import stratum_name

        return _("%(stratum)s: %(text)s") % {"stratum": stratum_name(stratum), "text": text}
    return text
