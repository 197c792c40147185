"""Small-cell suppression of a table of counts, primary and complementary. No Django here.

A published table of counts is cells (rows × columns) and, optionally, its row
totals, its column totals and the grand total. *Primary* suppression hides
every count from 1 to ``k - 1`` (a zero is shown: it names no one), margins
included. Hiding a cell is not enough when the totals are published: in a row
``3, 12, 20`` with total 35, the hidden 3 is 35 − 12 − 20. *Complementary*
suppression hides further cells until no hidden count can be worked out
exactly from the published ones by adding and subtracting.

Why the rule below is exact. Write the table with its margins as a signed
table in which every row and every column sums to zero (cells +x, row totals
−T, column totals −T, the grand total +G). Each row and column is a node of a
bipartite graph and each hidden entry an edge between its row and its column.
The published entries give, for every node, the sum of its hidden edges; a
row or column whose sum is not published (no totals) gives nothing, so all
such nodes are merged into one free node. The hidden values can move without
changing any published sum exactly along a cycle of hidden edges (+d, −d,
+d… round it; through the free node nothing needs to balance). So a hidden
entry is determined by the published ones if and only if it lies on no cycle:
if its edge is a *bridge* of the graph of hidden edges. ``suppress`` hides,
while a bridge remains, the entry that closes a cycle through it: among the
entries joining the two sides the bridge separates, an inner cell before a
total, a positive count before a zero, the smallest, then the first. (Bounds
remain: a hidden entry is known to lie between 0 and what its lines allow;
the page says "fewer than k" anyway.) Those bounds can pin a count too: in
``1, 1, 10`` with total 12 the two hidden counts add up to 2 and each is at
least 1, so both are 1. A count shown "withheld" is not "fewer than k" either, so
a reader knows it is 0 or at least k (at least k where the page lists it only
because it is at least 1): in ``1, 5, 30`` with total 36, hiding the 1 and the
5 pins both (1 + 5 = 6, and the withheld one cannot be 1 to 4).
``pinned_by_bounds`` finds such counts by mixed-integer programming, and
``suppress`` hides one more entry of their line until none is.

This protects one table at a time. Tables that share a margin must be
published from the same ``suppress`` result (the public site takes states and
years from one table, and sex and age from another), and the same data must
not be published over overlapping periods that a reader could subtract.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

# The k where nobody chose one (the public site's default; its coordinators choose 3 to 50).
DEFAULT_K = 5

# A position in the table with its margins: (row, column), where row == rows is
# the column-totals row and column == columns the row-totals column.
Position = tuple[int, int]


@dataclass
class Table:
    """The result of ``suppress``: which entries are hidden, and why."""

    cells: list[list[int]]
    row_totals: list[int] | None
    column_totals: list[int] | None
    grand_total: int | None
    primary: set[Position] = field(default_factory=set)  # below k
    complementary: set[Position] = field(default_factory=set)  # hidden to protect them
    # Counts a reader still works out with everything hidden (four places listed, each
    # "fewer than 5", total "fewer than 5": each is 1). Only hiding the whole table helps.
    exposed: set[Position] = field(default_factory=set)

    @property
    def hidden(self) -> set[Position]:
        return self.primary | self.complementary

    def is_hidden(self, row: int, column: int) -> bool:
        return (row, column) in self.hidden

    def row_total_hidden(self, row: int) -> bool:
        return (row, len(self.cells[0]) if self.cells else 0) in self.hidden

    def column_total_hidden(self, column: int) -> bool:
        return (len(self.cells), column) in self.hidden

    @property
    def grand_total_hidden(self) -> bool:
        return (len(self.cells), len(self.cells[0]) if self.cells else 0) in self.hidden


def below_threshold(count: int, k: int) -> bool:
    """Primary suppression: a count from 1 to k − 1."""
    return 0 < count < k


def _entries(
    cells: Sequence[Sequence[int]], row_totals: bool, column_totals: bool
) -> dict[Position, int]:
    rows = len(cells)
    columns = len(cells[0]) if rows else 0
    entries = {(r, c): int(cells[r][c]) for r in range(rows) for c in range(columns)}
    if row_totals:
        for r in range(rows):
            entries[(r, columns)] = sum(int(v) for v in cells[r])
    if column_totals:
        for c in range(columns):
            entries[(rows, c)] = sum(int(cells[r][c]) for r in range(rows))
    if row_totals and column_totals:
        entries[(rows, columns)] = sum(int(v) for row in cells for v in row)
    return entries


def _nodes(position: Position, rows: int, columns: int, row_totals: bool, column_totals: bool):
    """The two graph nodes an entry joins; a line whose sum is not published is "free"."""
    r, c = position
    # Row r's sum is published when its total is (row_totals) for an inner row; the
    # column-totals row (r == rows) balances when the grand total's line is published.
    row_published = row_totals if r < rows else (row_totals and column_totals)
    column_published = column_totals if c < columns else (row_totals and column_totals)
    row_node = ("row", r) if row_published else ("free",)
    column_node = ("column", c) if column_published else ("free",)
    return row_node, column_node


def _reachable(start, edges: list[tuple], skip: int) -> set:
    adjacent: dict = {}
    for i, (a, b) in enumerate(edges):
        if i == skip:
            continue
        adjacent.setdefault(a, []).append(b)
        adjacent.setdefault(b, []).append(a)
    seen, todo = {start}, [start]
    while todo:
        for other in adjacent.get(todo.pop(), []):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen


def recoverable(
    hidden: set[Position],
    rows: int,
    columns: int,
    row_totals: bool = True,
    column_totals: bool = True,
) -> set[Position]:
    """The hidden entries a reader could work out exactly from the published ones."""
    ordered = sorted(hidden)
    edges = [_nodes(p, rows, columns, row_totals, column_totals) for p in ordered]
    found = set()
    for i, (a, b) in enumerate(edges):
        if a != b and b not in _reachable(a, edges, skip=i):
            found.add(ordered[i])
    return found


def suppress(
    cells: Sequence[Sequence[int]],
    k: int = 5,
    row_totals: bool = True,
    column_totals: bool = True,
    positive: bool = False,
    *,
    known_positive: Collection[Position] = (),
    withhold: Collection[Position] = (),
) -> Table:
    """Hide the counts below ``k`` and enough others that none can be worked out.

    ``cells``: a rectangular table of non-negative counts. ``row_totals`` /
    ``column_totals``: whether those margins are published (the grand total is
    published when both are). ``positive``: the reader knows every cell is at
    least 1 (a page that lists only the places with an incident), so a count
    shown as "withheld", not "fewer than k", is known to be at least k.
    ``known_positive``: the same for these entries only (the totals of rows and
    columns a page lists because they have a case). ``withhold``: entries to
    withhold from the start (a total another table published hidden).
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    rows = len(cells)
    columns = len(cells[0]) if rows else 0
    if any(len(row) != columns for row in cells):
        raise ValueError("the table is not rectangular")
    if any(int(v) < 0 for row in cells for v in row):
        raise ValueError("counts cannot be negative")
    entries = _entries(cells, row_totals, column_totals)
    exposed: set[Position] = set()
    primary = {p for p, count in entries.items() if below_threshold(count, k)}
    hidden = set(primary) | (set(withhold) & set(entries))
    while True:
        bridges = sorted(recoverable(hidden, rows, columns, row_totals, column_totals))
        if bridges:
            hidden.add(
                _complement(bridges[0], hidden, entries, rows, columns, row_totals, column_totals)
            )
            continue
        pinned = pinned_by_bounds(
            hidden,
            primary,
            entries,
            rows,
            columns,
            row_totals,
            column_totals,
            k,
            positive,
            known_positive,
        )
        if not pinned:
            break
        if len(hidden) == len(entries):
            exposed = {p for p in pinned if entries[p]}
            break
        hidden |= {_widen(p, hidden, entries, rows, columns) for p in pinned}
    table = Table(
        [list(map(int, row)) for row in cells],
        [entries[(r, columns)] for r in range(rows)] if row_totals else None,
        [entries[(rows, c)] for c in range(columns)] if column_totals else None,
        entries.get((rows, columns)),
        primary,
        hidden - primary,
        exposed,
    )
    return table


def _lines(rows: int, columns: int, row_totals: bool, column_totals: bool) -> list[list]:
    """Each published equation as (position, sign) pairs that sum to zero."""
    lines = []
    if row_totals:
        for r in range(rows):
            lines.append([((r, c), 1) for c in range(columns)] + [((r, columns), -1)])
    if column_totals:
        for c in range(columns):
            lines.append([((r, c), 1) for r in range(rows)] + [((rows, c), -1)])
    if row_totals and column_totals:
        lines.append([((rows, c), 1) for c in range(columns)] + [((rows, columns), -1)])
        lines.append([((r, columns), 1) for r in range(rows)] + [((rows, columns), -1)])
    return lines


def pinned_by_bounds(
    hidden: set[Position],
    primary: set[Position],
    entries: dict[Position, int],
    rows: int,
    columns: int,
    row_totals: bool,
    column_totals: bool,
    k: int,
    positive: bool = False,
    known_positive: Collection[Position] = (),
) -> list[Position]:
    """Hidden entries a reader could work out from the published ones *and* what the
    page says of the hidden ones. A count "fewer than k" is from 1 to k − 1. Any other
    hidden count ("withheld") is not from 1 to k − 1 either (those are labelled), so it
    is 0 or at least k; at least k when the reader knows it is at least 1 (``positive``:
    every entry; ``known_positive``: these entries, e.g. the total of a row that is
    listed only because it has a case). (A row ``1, 1, 10`` with total 12: the two
    hidden counts add up to 2 and each is at least 1, so both are 1. A row ``1, 5, 30``
    with total 36, the 5 withheld: 1 + 5 = 6, and a withheld count is 0 or at least 5,
    so it is 5 and the other 1.) Found by mixed-integer programming: the least and the
    greatest whole value each can take."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    ordered = sorted(hidden)
    n = len(ordered)
    index = {p: i for i, p in enumerate(ordered)}
    at_least_one = set(known_positive)
    # An upper bound no hidden count can reach (the model needs one for "0 or ≥ k").
    big = 2 * sum(entries.values()) + k * (n + 2)
    lower, upper, either = [], [], []
    for p in ordered:
        if p in primary:
            lower.append(1), upper.append(k - 1)
        elif positive or p in at_least_one:
            lower.append(k), upper.append(big)
        else:
            lower.append(0), upper.append(big)
            either.append(index[p])  # 0, or from k: a binary switch z, k·z ≤ x ≤ big·z
    equations, targets = [], []
    for line in _lines(rows, columns, row_totals, column_totals):
        if not any(p in index for p, _sign in line):
            continue
        row = [0.0] * n
        target = 0.0
        for p, sign in line:
            if p in index:
                row[index[p]] += sign
            else:
                target -= sign * entries[p]
        equations.append(row)
        targets.append(target)
    if not equations:
        return []
    size = n + len(either)
    matrix = np.zeros((len(equations) + 2 * len(either), size))
    matrix[: len(equations), :n] = equations
    low_side = list(targets) + [0.0, -np.inf] * len(either)
    high_side = list(targets) + [np.inf, 0.0] * len(either)
    for j, i in enumerate(either):
        base = len(equations) + 2 * j
        matrix[base, i], matrix[base, n + j] = 1, -k  # x − k·z ≥ 0
        matrix[base + 1, i], matrix[base + 1, n + j] = 1, -big  # x − big·z ≤ 0
    constraints = LinearConstraint(matrix, low_side, high_side)
    bounds = Bounds(lower + [0] * len(either), upper + [1] * len(either))
    integrality = np.ones(size)
    # Every solution found is a table a reader cannot rule out: an entry that takes two
    # values among them is not pinned, and needs no program of its own.
    seen_low = [float("inf")] * n
    seen_high = [float("-inf")] * n
    found = []
    for i, p in enumerate(ordered):
        if upper[i] - lower[i] < 1:
            continue  # what the label itself says ("fewer than 2" is 1): nothing to add
        for sense in (1.0, -1.0):
            if seen_high[i] - seen_low[i] >= 0.5:
                break
            cost = np.zeros(size)
            cost[i] = sense
            result = milp(cost, constraints=constraints, bounds=bounds, integrality=integrality)
            if result.status != 0:
                break
            for j in range(n):
                seen_low[j] = min(seen_low[j], result.x[j])
                seen_high[j] = max(seen_high[j], result.x[j])
        else:
            if seen_high[i] - seen_low[i] < 0.5:
                found.append(p)
    return found


def _widen(
    pinned: Position, hidden: set[Position], entries: dict[Position, int], rows: int, columns: int
) -> Position:
    """The published entry to hide so that ``pinned`` can take more than one value:
    one of its row or column, an inner positive count first, the smallest."""
    r, c = pinned

    def rank(position: Position) -> tuple:
        pr, pc = position
        count = entries[position]
        return (pr == rows or pc == columns, count == 0, count, position)

    published = [p for p in entries if p not in hidden]
    near = [p for p in published if p[0] == r or p[1] == c]
    return min(near or published, key=rank)


def _complement(
    bridge: Position,
    hidden: set[Position],
    entries: dict[Position, int],
    rows: int,
    columns: int,
    row_totals: bool,
    column_totals: bool,
) -> Position:
    """The published entry to hide so that ``bridge`` lies on a cycle of hidden entries."""
    ordered = sorted(hidden)
    edges = [_nodes(p, rows, columns, row_totals, column_totals) for p in ordered]
    i = ordered.index(bridge)
    a, b = edges[i]
    side_a = _reachable(a, edges, skip=i)
    side_b = _reachable(b, edges, skip=i)

    def rank(position: Position) -> tuple:
        r, c = position
        margin = r == rows or c == columns
        count = entries[position]
        return (margin, count == 0, count, position)

    published = [p for p in entries if p not in hidden]
    crossing = []
    for p in published:
        x, y = _nodes(p, rows, columns, row_totals, column_totals)
        if (x in side_a and y in side_b) or (x in side_b and y in side_a):
            crossing.append(p)
    if crossing:
        return min(crossing, key=rank)
    # No single entry closes a cycle: grow a side by one entry and try again.
    touching = [
        p
        for p in published
        if set(_nodes(p, rows, columns, row_totals, column_totals)) & (side_a | side_b)
    ]
    if touching:
        return min(touching, key=rank)
    return min(published, key=rank)  # pragma: no cover - the graph always has one


def suppress_series(
    counts: Sequence[int],
    k: int = 5,
    total: bool = True,
    positive: bool = False,
    *,
    withhold_total: bool = False,
) -> Table:
    """One row of counts (one category each) with its total, if ``total``.

    With ``total=False`` (a case can fall in several categories, so the counts do
    not add up to anything published) only the counts below ``k`` are hidden.
    ``positive``: as for ``suppress`` (every count is at least 1, and the reader knows it).
    ``withhold_total``: withhold the total from the start (another series with the
    same total published it hidden).
    """
    if positive and any(int(v) < 1 for v in counts):
        raise ValueError("a positive series has a zero")
    withhold = {(0, len(counts))} if total and withhold_total else set()
    return suppress(
        [list(counts)],
        k,
        row_totals=total,
        column_totals=False,
        positive=positive,
        withhold=withhold,
    )


def _ranges(small: int, large: int, rest: int, k: int) -> list[tuple[int, int]]:
    """What a reader can tell of each hidden count of a series with a shown total: the
    least and greatest value it can take, given that the hidden ones add up to
    ``total`` minus the shown ones, a small one is 1 to k − 1 and another hidden one at
    least k. ``small``, ``large``: how many hidden counts of each kind; ``rest``: their
    sum. (In one row these bounds are exact: the same answer as the linear programs of
    ``memoria.disclosure.suppression.pinned_by_bounds``.)"""
    found = []
    for _ in range(small):
        most_of_others = None if large else (small - 1) * (k - 1)
        low = 1 if most_of_others is None else max(1, rest - most_of_others)
        high = min(k - 1, rest - (small - 1) - large * k)
        found.append((low, high))
    for _ in range(large):
        most_of_others = None if large > 1 else small * (k - 1)
        low = k if most_of_others is None else max(k, rest - most_of_others)
        high = rest - small - (large - 1) * k
        found.append((low, high))
    return found


def one_row_positive(counts: Sequence[int], k: int) -> tuple[set[int], set[int], bool]:
    """Positions of a series with its total (every count at least 1) to show as small and
    as withheld, and whether the total is withheld.

    The rule of ``suppress_series(..., total=True, positive=True)`` for one row, without
    its graph and linear programs (a year's places can be two thousand counts): hide the
    counts below k; while a hidden count can be worked out exactly (one hidden alone,
    or the bounds pin it), hide the smallest shown count; with none left, the total.
    Tests check that both give the same answer."""
    total = sum(counts)
    if total < k:
        return set(range(len(counts))), set(), True
    small = {i for i, n in enumerate(counts) if n < k}
    large: set[int] = set()
    shown = sorted((n, i) for i, n in enumerate(counts) if n >= k)
    while small or large:
        rest = total - sum(n for n, _i in shown)
        ranges = _ranges(len(small), len(large), rest, k)
        # With k = 2, "fewer than 2" already says 1: the label itself, nothing worked out.
        told = [k == 2] * len(small) + [False] * len(large)
        alone = len(small) + len(large) == 1  # the total minus the shown counts gives it
        if not alone and all(
            high > low or said for (low, high), said in zip(ranges, told, strict=True)
        ):
            return small, large, False
        if not shown:
            return small, large, True
        large.add(shown.pop(0)[1])
    return small, large, False


def suppress_positive_series(counts: Sequence[int], k: int = DEFAULT_K) -> Table:
    """``suppress_series(counts, k, total=True, positive=True)`` by the direct rule of
    ``one_row_positive``: the same answer (a test compares them), in microseconds where
    the graph and the integer programs take seconds on a few hundred counts (a public
    page that suppresses on every request)."""
    counts = [int(v) for v in counts]
    if k < 1:
        raise ValueError("k must be at least 1")
    if any(v < 1 for v in counts):
        raise ValueError("a positive series has a zero")
    n = len(counts)
    if not n:
        return Table([[]], [0], None, None)
    small, large, total_hidden = one_row_positive(counts, k)
    primary = {(0, i) for i in small}
    complementary = {(0, i) for i in large}
    total = sum(counts)
    if total_hidden:
        (primary if total < k else complementary).add((0, n))
    exposed: set[Position] = set()
    if k > 2 and total < k and n == k - 1:  # each 1 to k − 1, adding up to k − 1: each 1
        exposed = {(0, i) for i in range(n)} | {(0, n)}
    return Table([counts], [total], None, None, primary, complementary, exposed)
