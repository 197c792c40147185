"""The figures of the statistics page as an organization shares them with its network.

Computed on the sharing organization's side from its case index (the same
arrays ``memoria.cases.statistics`` counts), for the cases every person of
which allows counts (``aggregate_events``), and suppressed here, before they
leave the organization: the partner's row (``sharing.AgreementFigures``)
holds only what this module returns.

The shape (docs/statistics.md, "The network's figures"): one set of series
for each year a case began in (key ``""``: the year is not known), so that the
network page can filter by year and add the years up itself; nothing covering
several years is shared, so no count can be worked out by subtracting one
period from another. Each series lists only the categories with at least one
case (a category that is not listed has none):

* ``month`` — cases by the month they began, ``"1"``…``"12"``, ``""`` for a
  case known only by its year; the total is the year's cases;
* ``place`` — cases by municipality (CVEGEO), ``"SS"`` (a state's code) when
  only the state is recorded, ``""`` when neither; the total is the year's
  cases, and the state figures are sums of these parts;
* ``violation``, ``perpetrator`` — cases with at least one act of a type or
  one attribution to a kind (term ids); a case counts under several, so these
  have no total;
* ``profile`` — cases with a victim of a risk profile (flag names), no total;
* ``state_agent`` — the cases with a perpetrator recorded, ``"state"`` when
  one is a state agent, ``"other"`` when none is; the total is those cases;
* ``sex``, ``age`` — direct victims, once in each case, by sex and age band
  codes; the total is the year's victims.

Suppression (``memoria.disclosure.suppress_series``, ``positive=True``: a
listed category has at least one case, so a withheld count is known to be at
least k): a count from 1 to k − 1 becomes ``"small"``, a count withheld so that
a small one cannot be worked out from the total becomes ``"hidden"``. The
series of one year that share a total (``month`` and ``place``: the year's
cases; ``sex`` and ``age``: its victims) hide it together: when one of them
must hide it, every other one hides it too and keeps at least one count
hidden, so that adding up its shown counts does not give the total back.
"""

from __future__ import annotations

import numpy as np
from django.db.models import Q

from memoria.cases import caseindex
from memoria.cases.caseindex import AGE_BANDS, PRECISION_CODE, PROFILE_CODES, SEXES
from memoria.cases.models import (
    PROFILE_FLAGS,
    Act,
    DatePrecision,
    Event,
    IndirectVictim,
    Person,
    Term,
    Visibility,
)
from memoria.sharing import suppressed

FORMAT = 2  # the shape above; older rows (format 1) are replaced by the worker
# Series whose counts add up to the year's total (a partition), and which share it.
TOTAL_GROUPS = {"cases": ("month", "place"), "victims": ("sex", "age")}
PARTITIONS = {"month", "place", "state_agent", "sex", "age"}

# Everyone in the case allows counts: "private" refuses; "memorial" without the
# family's recorded consent refuses (memoria.cases.sharing.person_consent).
ALLOWS_COUNTS = Q(visibility__in=(Visibility.PARTNERS, Visibility.AGGREGATE)) | Q(
    visibility=Visibility.MEMORIAL, consent_recorded_at__isnull=False
)


def aggregate_events(organization_id: int) -> set[int]:
    """The organization's cases whose people all allow counts, in three queries.

    The same rule as ``memoria.cases.sharing.event_consent`` (at least
    ``Consent.AGGREGATE``), for every case at once.
    """
    refusing = Person.objects.filter(organization_id=organization_id).exclude(ALLOWS_COUNTS)
    kept_out = set(
        Act.objects.filter(organization_id=organization_id, victim__in=refusing).values_list(
            "event_id", flat=True
        )
    ) | set(
        IndirectVictim.objects.filter(
            organization_id=organization_id, person__in=refusing
        ).values_list("event_id", flat=True)
    )
    every = set(Event.objects.filter(organization_id=organization_id).values_list("pk", flat=True))
    return every - kept_out


def _tally(codes: np.ndarray, key_of) -> dict[str, int]:
    """Counts of each code (a NumPy pass), keyed by ``key_of(code)``."""
    values, counts = np.unique(codes, return_counts=True)
    return {key_of(int(v)): int(n) for v, n in zip(values.tolist(), counts.tolist(), strict=True)}


def _place_key(code: int) -> str:
    # A municipality's CVEGEO is at least 01001; a state's code is 1 to 32; 0: neither.
    if code >= 1000:
        return f"{code:05d}"
    return f"{code:02d}" if code > 0 else ""


def _terms(values: tuple, rows: np.ndarray) -> dict[str, int]:
    bits, masks = values
    selected = masks[rows]
    found = {}
    for term, position in sorted(bits.items()):
        word, bit = divmod(position, 64)
        count = int(np.count_nonzero(selected[:, word] & np.uint64(1 << bit)))
        if count:
            found[str(term)] = count
    return found


def _year_counts(index: caseindex.Snapshot, rows: np.ndarray) -> dict[str, dict[str, int]]:
    """Every series of one year, exact: {series: {category: count}} (zeros left out)."""
    precise = (index.precisions[rows] == PRECISION_CODE[DatePrecision.DAY]) | (
        index.precisions[rows] == PRECISION_CODE[DatePrecision.MONTH]
    )
    months = index.months[rows]
    # 1 to 12, or 0 for a case known only by its year.
    month_codes = np.where(precise & (months >= 0), months % 12 + 1, 0)
    municipalities, states = index.municipalities[rows], index.states[rows]
    place_codes = np.where(municipalities >= 0, municipalities, np.maximum(states, 0))
    with_perpetrator = (index.perpetrators[1][rows] != 0).any(axis=1)
    state_actor = index.state_actor[rows]
    sexes = index.sexes[rows].sum(axis=0) if len(rows) else np.zeros(len(SEXES), int)
    ages = index.ages[rows].sum(axis=0) if len(rows) else np.zeros(len(AGE_BANDS), int)
    profiles = index.profiles[rows]
    series = {
        "month": _tally(month_codes, lambda code: str(code) if code else ""),
        "place": _tally(place_codes, _place_key),
        "violation": _terms(index.violations, rows),
        "perpetrator": _terms(index.perpetrators, rows),
        "profile": {
            flag: int(np.count_nonzero(profiles & (1 << PROFILE_CODES[flag])))
            for flag, _label in PROFILE_FLAGS
        },
        "state_agent": {
            "state": int(np.count_nonzero(with_perpetrator & state_actor)),
            "other": int(np.count_nonzero(with_perpetrator & ~state_actor)),
        },
        "sex": {str(code): int(n) for code, n in zip(SEXES, sexes.tolist(), strict=True)},
        "age": {str(code): int(n) for code, n in zip(AGE_BANDS, ages.tolist(), strict=True)},
    }
    return {name: {k: n for k, n in counts.items() if n} for name, counts in series.items()}


def _exact(name: str, counts: dict[str, int]) -> dict:
    keys = sorted(counts)
    found: dict = {"rows": [[key, counts[key]] for key in keys]}
    if name in PARTITIONS:
        found["total"] = sum(counts.values())
    return found


def series_of(name: str, counts: dict[str, int], k: int) -> dict:
    return suppressed.series(counts, k, total=name in PARTITIONS)


def suppress_year(counts: dict[str, dict[str, int]], k: int, state_terms: set[str]) -> dict:
    """One year's exact series (``_year_counts``) as they leave: suppressed each, the
    series that share a total hiding it together, and the counts with no total
    guarded against the sums a reader knows they reach (``suppressed.cover``).
    ``state_terms``: the perpetrator kinds (term ids) that are state agents."""
    series = {name: series_of(name, c, k) for name, c in counts.items()}
    for members in TOTAL_GROUPS.values():
        suppressed.hide_together([series[name] for name in members])
    # Every case has a violation; every case with a perpetrator has a kind of one,
    # a state agent's when it names one, another's when not.
    suppressed.cover(series["violation"], series["month"]["total"], k)
    agents = series["state_agent"]
    suppressed.cover(series["perpetrator"], agents.get("total", 0), k)
    named = dict(map(tuple, agents["rows"]))
    for side, keys in (("state", state_terms), ("other", None)):
        if side in named:
            others = set(counts["perpetrator"]) - state_terms if keys is None else keys
            suppressed.cover(series["perpetrator"], named[side], k, others)
    return series


def compute(organization, k: int | None, events: set[int] | None = None) -> dict:
    """The organization's figures by year, suppressed with ``k`` (None: exact, for itself).

    ``events``: count only these cases (those whose people allow it); None: all.
    """
    index = caseindex.snapshot(organization)
    mask = np.ones(len(index), dtype=bool)
    if events is not None:
        mask &= np.isin(index.ids, np.fromiter(events, dtype=np.int64, count=len(events)))
    years = np.where(index.months >= 0, index.months // 12, -1)
    kinds = [int(term) for term in index.perpetrators[0]]
    state_terms = {
        str(pk)
        for pk in Term.objects.filter(pk__in=kinds, state_actor=True).values_list("pk", flat=True)
    }
    found: dict = {}
    for year in sorted({int(y) for y in years[mask].tolist()}):
        rows = np.flatnonzero(mask & (years == year))
        counts = _year_counts(index, rows)
        if k is None:
            series = {name: _exact(name, c) for name, c in counts.items()}
        else:
            series = suppress_year(counts, k, state_terms)
        found[str(year) if year >= 0 else ""] = series
    return {"format": FORMAT, "k": k, "years": found}


def shared(organization, k: int) -> dict:
    """What a counts-only agreement carries of the organization's cases (suppressed)."""
    return compute(organization, k, aggregate_events(organization.pk))
