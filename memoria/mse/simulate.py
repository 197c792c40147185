"""Simulated populations of known size, for checking the estimators.

Each individual belongs to a latent class (heterogeneity: some people are much
harder to document than others) and is recorded by each list independently
given the class, except for optional referrals: being on list ``a`` changes the
chance of being on list ``b`` (list dependence, e.g. one organization passing
its cases to another).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from memoria.mse.tables import CaptureTable, CaptureTableError, table_from_arrays


@dataclass(frozen=True)
class Scenario:
    """A population model: class weights and per-class capture probabilities (lists × classes)."""

    name: str
    size: int
    class_weights: tuple[float, ...]
    capture: tuple[tuple[float, ...], ...]
    #: (a, b, p): individuals on list a are on list b with probability p instead.
    referrals: tuple[tuple[int, int, float], ...] = field(default_factory=tuple)

    @property
    def n_lists(self) -> int:
        return len(self.capture)


def simulate_table(scenario: Scenario, rng: np.random.Generator) -> CaptureTable | None:
    """Draw one population and return what the lists saw (None if too few lists saw anyone)."""
    classes = rng.choice(len(scenario.class_weights), size=scenario.size, p=scenario.class_weights)
    probs = np.asarray(scenario.capture)[:, classes].T
    captured = rng.random(probs.shape) < probs
    for a, b, p in scenario.referrals:
        referred = captured[:, a]
        captured[referred, b] = rng.random(int(referred.sum())) < p
    seen = captured.any(axis=1)
    lists = [f"L{j + 1}" for j in range(scenario.n_lists)]
    try:
        return table_from_arrays(lists, captured[seen].astype(np.int8), np.ones(int(seen.sum())))
    except CaptureTableError:
        return None


SCENARIOS = (
    Scenario("independent", 2000, (1.0,), ((0.15,), (0.2,), (0.25,), (0.1,))),
    Scenario(
        "mild heterogeneity",
        2000,
        (0.6, 0.4),
        ((0.15, 0.45), (0.2, 0.5), (0.12, 0.4), (0.18, 0.35)),
    ),
    Scenario(
        "strong heterogeneity",
        2000,
        (0.7, 0.3),
        ((0.08, 0.5), (0.1, 0.45), (0.05, 0.4), (0.1, 0.3)),
    ),
    Scenario(
        "referral",
        2000,
        (1.0,),
        ((0.2,), (0.15,), (0.2,), (0.15,)),
        referrals=((0, 1, 0.5),),
    ),
)
