"""Does a log-linear model have a finite, identifiable estimate on these data?

Sparse tables (many empty cells, lists that never overlap) often make the
maximum-likelihood estimate infinite or the dark figure unidentifiable; a GLM
fitted anyway "converges" to a meaningless number. Following Chan, Silverman &
Vincent (2021), two-list terms whose lists never overlap are fixed at minus
infinity (the cells containing both lists are removed), then

* existence is the linear-programming test of Fienberg & Rinaldo (2012): the
  MLE exists iff some strictly positive table has the observed margins;
* identifiability is full column rank of the remaining design matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: An interaction term: the indices of its lists, ascending (two for a two-list
#: term, three or more in hierarchical models with higher-order terms).
Pair = tuple[int, ...]


@dataclass(frozen=True)
class Design:
    """The Poisson regression for one model on one table.

    ``rows`` are indices into the full list of observable cells that remain once
    cells containing a non-overlapping term of the model are removed;
    ``fitted_pairs`` are the model's interaction terms that are estimated and
    ``empty_pairs`` those fixed at minus infinity (nobody is on all their lists).
    """

    matrix: np.ndarray
    counts: np.ndarray
    rows: np.ndarray
    fitted_pairs: tuple[Pair, ...]
    empty_pairs: tuple[Pair, ...]

    @property
    def n_parameters(self) -> int:
        """Parameters of the model, counting the ones fixed by empty overlaps."""
        return self.matrix.shape[1] + len(self.empty_pairs)


@dataclass(frozen=True)
class ModelCheck:
    """Outcome of the existence and identifiability tests."""

    exists: bool
    identifiable: bool

    @property
    def ok(self) -> bool:
        return self.exists and self.identifiable

    def reason(self) -> str:
        if self.ok:
            return "estimable"
        problems = []
        if not self.exists:
            problems.append("no finite maximum-likelihood estimate")
        if not self.identifiable:
            problems.append("not identifiable")
        return " and ".join(problems)


def build_design(patterns: np.ndarray, counts: np.ndarray, pairs: tuple[Pair, ...]) -> Design:
    """Design matrix (intercept, main effects, interaction terms) over the observable cells.

    A term whose lists nobody is on together is fixed at minus infinity: the
    cells containing it are removed (for two-list terms, as SparseMSE does; a
    higher-order term containing such a pair is empty too).
    """
    keep = np.ones(len(patterns), dtype=bool)
    fitted, empty = [], []
    for term in pairs:
        if len(term) == 2:  # the common case, twice as fast as the general one
            inside = (patterns[:, term[0]] == 1) & (patterns[:, term[1]] == 1)
        else:
            inside = patterns[:, list(term)].all(axis=1)
        if counts[inside].sum() == 0:
            empty.append(term)
            keep &= ~inside
        else:
            fitted.append(term)
    rows = np.flatnonzero(keep)
    p = patterns[rows].astype(float)
    columns = [np.ones(len(rows)), *p.T, *(_product(p, term) for term in fitted)]
    return Design(np.column_stack(columns), counts[rows], rows, tuple(fitted), tuple(empty))


def _product(p: np.ndarray, term: Pair) -> np.ndarray:
    return p[:, term[0]] * p[:, term[1]] if len(term) == 2 else p[:, list(term)].prod(axis=1)


def check_design(design: Design) -> ModelCheck:
    """Run both tests on a design."""
    rank = np.linalg.matrix_rank(design.matrix)
    identifiable = bool(rank == design.matrix.shape[1])
    return ModelCheck(exists=mle_exists(design.matrix, design.counts), identifiable=identifiable)


def mle_exists(matrix: np.ndarray, counts: np.ndarray) -> bool:
    """Fienberg–Rinaldo test: is there a table m > 0 with ``matrix.T @ m == matrix.T @ counts``?

    Maximise s subject to the margins and m_i ≥ s; the MLE exists iff s > 0.
    """
    if np.all(counts > 0):
        return True  # the observed table itself is a strictly positive solution
    from scipy.optimize import linprog  # slow to import: only for tables with empty cells

    n_cells, n_par = matrix.shape
    # Variables: m (n_cells) then s. Scale so the tolerance is relative to the data.
    scale = max(float(counts.sum()), 1.0)
    objective = np.zeros(n_cells + 1)
    objective[-1] = -1.0
    equalities = np.hstack([matrix.T, np.zeros((n_par, 1))])
    margins = matrix.T @ (counts / scale)
    inequalities = np.hstack([-np.eye(n_cells), np.ones((n_cells, 1))])
    result = linprog(
        objective,
        A_ub=inequalities,
        b_ub=np.zeros(n_cells),
        A_eq=equalities,
        b_eq=margins,
        bounds=[(0, None)] * n_cells + [(0, 1)],
        method="highs",
    )
    if result.status != 0:
        return False
    return bool(-result.fun > 1e-9)
