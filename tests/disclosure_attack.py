"""An attacker of published counts: what a reader can work out about each hidden one.

Written apart from ``memoria.disclosure`` so that it does not share its
mistakes. A reader knows the shown counts, that a count "fewer than k" is from
1 to k − 1, that a "withheld" count is not from 1 to k − 1 (those are
labelled), so 0 or at least k, and at least k where the page lists it only
because it is at least 1; and every sum and inequality the outputs imply. The
attacker finds, by mixed-integer programming, the least and the greatest whole
value each hidden count can take. Protected means: every hidden count that is
not zero can take at least two values (a withheld count then can be k or
more). A hidden zero may be found to be zero: zeros are shown anyway, they
name no one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

SMALL, HIDDEN = "small", "hidden"
BIG = 10**6  # larger than any count in a test


@dataclass
class Model:
    k: int
    names: list[str] = field(default_factory=list)
    lower: list[int] = field(default_factory=list)
    upper: list[int] = field(default_factory=list)
    either: list[int] = field(default_factory=list)  # 0, or from k
    withheld: list[int] = field(default_factory=list)
    equal: list[tuple[dict, float]] = field(default_factory=list)  # {var: coeff} = const
    at_least: list[tuple[dict, float]] = field(default_factory=list)  # {var: coeff} >= const

    def value(self, name: str, value, listed: bool = False) -> tuple[dict, int]:
        """A published value as a linear term: a constant, or an unknown with its domain."""
        if isinstance(value, int):
            return {}, value
        i = len(self.names)
        self.names.append(name)
        if value == SMALL:
            self.lower.append(1), self.upper.append(self.k - 1)
        else:
            assert value == HIDDEN, value
            self.withheld.append(i)
            self.lower.append(self.k if listed else 0), self.upper.append(BIG)
            if not listed:
                self.either.append(i)
        return {i: 1}, 0

    @staticmethod
    def _difference(parts: list[tuple[dict, int]], whole: tuple[dict, int]) -> tuple[dict, int]:
        """Σ parts − whole, as (coefficients of the hidden counts, constant on the right)."""
        terms: dict = {}
        constant = 0
        for part, c in parts:
            for i, a in part.items():
                terms[i] = terms.get(i, 0) + a
            constant += c
        for i, a in whole[0].items():
            terms[i] = terms.get(i, 0) - a
        return terms, whole[1] - constant

    def sums(self, parts: list[tuple[dict, int]], whole: tuple[dict, int]) -> None:
        """Σ parts = whole."""
        self.equal.append(self._difference(parts, whole))

    def sums_at_least(self, parts: list[tuple[dict, int]], whole: tuple[dict, int]) -> None:
        """Σ parts ≥ whole."""
        self.at_least.append(self._difference(parts, whole))

    def ranges(self) -> dict[str, tuple[int, int]]:
        """The least and greatest value of every hidden count."""
        n, m = len(self.names), len(self.either)
        if not n:
            return {}
        rows, low, high = [], [], []
        for terms, constant in self.equal + self.at_least:
            if not terms:
                continue
            row = np.zeros(n + m)
            for i, a in terms.items():
                row[i] = a
            rows.append(row)
            low.append(constant)
        high = [c for terms, c in self.equal if terms] + [np.inf] * sum(
            1 for terms, _c in self.at_least if terms
        )
        for j, i in enumerate(self.either):
            row = np.zeros(n + m)
            row[i], row[n + j] = 1, -self.k
            rows.append(row), low.append(0), high.append(np.inf)
            row = np.zeros(n + m)
            row[i], row[n + j] = 1, -BIG
            rows.append(row), low.append(-np.inf), high.append(0)
        constraints = [LinearConstraint(np.array(rows), low, high)] if rows else []
        bounds = Bounds(self.lower + [0] * m, self.upper + [1] * m)
        found = {}
        for i, name in enumerate(self.names):
            ends = []
            for sense in (1, -1):
                cost = np.zeros(n + m)
                cost[i] = sense
                result = milp(
                    cost, constraints=constraints, bounds=bounds, integrality=np.ones(n + m)
                )
                assert result.status == 0, (name, result.message)
                ends.append(round(result.x[i]))
            found[name] = (ends[0], ends[1])
        return found

    def exposed(self) -> dict[str, int]:
        """The hidden counts a reader works out exactly, but for zeros: {name: value}."""
        return {name: low for name, (low, high) in self.ranges().items() if low == high and low}


def series(model: Model, name: str, values: list, listed: bool) -> list[tuple[dict, int]]:
    return [model.value(f"{name}[{i}]", v, listed) for i, v in enumerate(values)]


def public_site(figures: dict) -> Model:
    """Everything the public site publishes (``Publication.figures``: every page, map and
    download shows these values) as what a reader can work out from it."""
    model = Model(figures["k"])
    cases = model.value("cases", figures["cases"], listed=True)
    if "places" in figures:
        places = figures["places"]
        # A state or year is listed only when it has a case.
        states = series(model, "state", places["state_totals"], True)
        years = series(model, "year", places["year_totals"], True)
        cells = [
            [model.value(f"cell[{r}][{c}]", v) for c, v in enumerate(row)]
            for r, row in enumerate(places["cells"])
        ]
        for r, row in enumerate(cells):
            model.sums(row, states[r])
        for c, total in enumerate(years):
            model.sums([row[c] for row in cells], total)
        model.sums(states, cases)
        model.sums(years, cases)
    if "sex" in figures:
        totals = []
        for key in ("sex", "age"):  # every category listed, zeros shown
            parts = series(model, key, figures[key]["values"], False)
            total = model.value(f"{key}.total", figures[key]["total"], listed=True)
            model.sums(parts, total)
            totals.append(total)
        model.sums([totals[0]], totals[1])  # the same direct victims
        model.sums_at_least([totals[0]], cases)  # every case has a direct victim
    for key, listed in (("violations", True), ("perpetrators", True), ("profiles", False)):
        if key not in figures:
            continue
        parts = series(model, key, figures[key]["values"], listed)
        for part in parts:  # a case counts once in each
            model.sums_at_least([cases], part)
        if key == "violations":  # every act has a violation: each case counts at least once
            model.sums_at_least(parts, cases)
    return model
