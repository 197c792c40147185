"""Known-answer and exhaustive tests of small-cell suppression (memoria.disclosure)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from memoria.disclosure import suppress, suppress_series
from memoria.disclosure.suppression import recoverable


def determined(cells, hidden, row_totals=True, column_totals=True) -> set:
    """The hidden entries fixed by the published ones, by linear algebra (independent of
    the graph argument in the module): an unknown is determined when its unit vector lies
    in the row space of the equations restricted to the unknowns."""
    rows, columns = len(cells), len(cells[0])
    values = {(r, c): cells[r][c] for r in range(rows) for c in range(columns)}
    if row_totals:
        for r in range(rows):
            values[(r, columns)] = sum(cells[r])
    if column_totals:
        for c in range(columns):
            values[(rows, c)] = sum(cells[r][c] for r in range(rows))
    if row_totals and column_totals:
        values[(rows, columns)] = sum(map(sum, cells))
    unknowns = sorted(hidden)
    if not unknowns:
        return set()
    equations = []
    if row_totals:  # each row: its cells minus its total
        for r in range(rows + (1 if column_totals else 0)):
            equations.append({(r, c): 1 for c in range(columns)} | {(r, columns): -1})
    if column_totals:
        for c in range(columns + (1 if row_totals else 0)):
            equations.append({(r, c): 1 for r in range(rows)} | {(rows, c): -1})
    matrix = np.array(
        [[eq.get(u, 0) for u in unknowns] for eq in equations] or [[0] * len(unknowns)]
    )
    rank = np.linalg.matrix_rank(matrix)
    found = set()
    for i, unknown in enumerate(unknowns):
        unit = np.zeros(len(unknowns))
        unit[i] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.add(unknown)
    return found


def test_it_hides_counts_from_one_to_k_minus_one_and_shows_zero():
    table = suppress_series([0, 1, 4, 5, 30], k=5, total=False)
    assert table.primary == {(0, 1), (0, 2)}
    assert table.complementary == set()


def test_a_cell_recoverable_by_subtraction_from_the_total_gets_a_complement():
    # 3 + 12 + 20 = 35: with the total published, the hidden 3 is 35 - 12 - 20.
    assert recoverable({(0, 0)}, rows=1, columns=3, column_totals=False) == {(0, 0)}
    table = suppress_series([3, 12, 20], k=5)
    assert table.primary == {(0, 0)}
    assert table.complementary == {(0, 1)}  # the smallest other count
    assert table.row_totals == [35] and not table.row_total_hidden(0)
    assert determined([[3, 12, 20]], table.hidden, column_totals=False) == set()


def test_a_positive_count_is_preferred_to_a_zero_as_the_complement():
    table = suppress_series([3, 0, 10], k=5)
    assert table.complementary == {(0, 2)}


def test_two_small_counts_protect_each_other():
    table = suppress_series([3, 4, 10], k=5)
    assert table.hidden == {(0, 0), (0, 1)}


def test_a_total_below_k_is_hidden_with_its_only_cell():
    table = suppress_series([3], k=5)
    assert table.hidden == {(0, 0), (0, 1)}


def test_in_a_two_way_table_the_complements_close_a_rectangle():
    cells = [[2, 8, 9], [7, 6, 10], [9, 12, 11]]
    table = suppress(cells, k=5)
    assert table.primary == {(0, 0)}
    assert table.complementary == {(0, 1), (1, 0), (1, 1)}
    assert table.grand_total == 74 and not table.grand_total_hidden
    assert determined(cells, table.hidden) == set()


def test_a_small_row_total_is_protected_through_the_other_totals():
    # Row 0 (2 + 2 = 4) is below k; with the column totals and the grand total
    # published, hiding row 0 alone would leave its total as 24 - 20.
    cells = [[2, 2], [10, 10]]
    table = suppress(cells, k=5)
    assert table.primary == {(0, 0), (0, 1), (0, 2)}
    assert table.hidden == {(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)}
    assert determined(cells, table.hidden) == set()


def test_everything_below_k_hides_everything():
    table = suppress([[1, 1], [1, 1]], k=5)
    assert len(table.hidden) == 9


def test_it_refuses_bad_input():
    with pytest.raises(ValueError):
        suppress([[1, 2], [3]])
    with pytest.raises(ValueError):
        suppress([[-1]])
    with pytest.raises(ValueError):
        suppress([[1]], k=0)


@pytest.mark.parametrize("margins", [(True, True), (True, False), (False, True), (False, False)])
def test_exhaustively_no_small_count_is_shown_or_recoverable_in_two_by_two_tables(margins):
    row_totals, column_totals = margins
    for values in itertools.product([0, 1, 2, 5, 7], repeat=4):
        cells = [list(values[:2]), list(values[2:])]
        table = suppress(cells, k=5, row_totals=row_totals, column_totals=column_totals)
        _check(cells, table, row_totals, column_totals)


def test_exhaustively_in_two_by_three_tables():
    for values in itertools.product([0, 2, 6], repeat=6):
        cells = [list(values[:3]), list(values[3:])]
        _check(cells, suppress(cells, k=5), True, True)


def test_exhaustively_in_series_with_their_total():
    for values in itertools.product(range(7), repeat=3):
        table = suppress_series(list(values), k=5)
        _check([list(values)], table, True, False)


def _check(cells, table, row_totals, column_totals):
    rows, columns = len(cells), len(cells[0])
    shown = {}
    for r in range(rows):
        for c in range(columns):
            shown[(r, c)] = cells[r][c]
    if row_totals:
        for r in range(rows):
            shown[(r, columns)] = sum(cells[r])
    if column_totals:
        for c in range(columns):
            shown[(rows, c)] = sum(cells[r][c] for r in range(rows))
    if row_totals and column_totals:
        shown[(rows, columns)] = sum(map(sum, cells))
    for position, count in shown.items():
        if 0 < count < 5:
            assert position in table.hidden, (cells, position)
    assert table.hidden <= set(shown)
    assert determined(cells, table.hidden, row_totals, column_totals) == set(), cells


def test_hidden_counts_cannot_be_worked_out_from_what_fewer_than_k_means():
    # Female 1, male 1, not recorded 10, total 12: the two hidden counts add up to 2 and
    # each is "fewer than 5", so at least 1: both are 1 unless something else is hidden.
    for counts in ([1, 1, 10], [4, 4, 0], [1, 1, 1, 9]):
        table = suppress_series(counts, 5)
        assert table.complementary, counts
    # Rows 0, 9, 2 (11) and 1, 9, 0 (10): 1 + withheld = 10 − 9 gives the 1 away.
    table = suppress([[0, 9, 2], [1, 9, 0]], 5)
    assert (0, 1) in table.hidden or (1, 1) in table.hidden


def test_exhaustively_no_hidden_count_is_pinned_by_its_bounds_in_series():
    from memoria.disclosure.suppression import pinned_by_bounds

    for counts in itertools.product(range(0, 7), repeat=3):
        table = suppress_series(list(counts), 5)
        entries = {(0, c): n for c, n in enumerate(counts)} | {(0, 3): sum(counts)}
        pinned = pinned_by_bounds(table.hidden, table.primary, entries, 1, 3, True, False, 5)
        assert not pinned, counts


def test_where_every_count_is_known_to_be_positive_a_withheld_one_is_at_least_k():
    # Places listed because each has an incident: 1, 7, 5, 1 with total 14. Hiding the
    # 1s and the 5 is not enough: "withheld" is a listed place not "fewer than 5", so at
    # least 5, and 1 + 5 + 1 = 14 − 7 pins all three. The 7 is withheld as well.
    assert suppress_series([1, 7, 5, 1], 5).hidden == {(0, 0), (0, 2), (0, 3)}
    table = suppress_series([1, 7, 5, 1], 5, positive=True)
    assert table.hidden == {(0, 0), (0, 1), (0, 2), (0, 3)}
    with pytest.raises(ValueError):
        suppress_series([0, 7], 5, positive=True)


def test_exhaustively_no_hidden_count_is_pinned_in_positive_series():
    from memoria.disclosure.suppression import pinned_by_bounds

    for counts in itertools.product(range(1, 7), repeat=3):
        table = suppress_series(list(counts), 5, positive=True)
        entries = {(0, c): n for c, n in enumerate(counts)} | {(0, 3): sum(counts)}
        pinned = pinned_by_bounds(
            table.hidden, table.primary, entries, 1, 3, True, False, 5, positive=True
        )
        assert not pinned, counts


def _attack_series(counts, table, k=5, listed=False) -> dict:
    """What a reader works out of a series and its total, published as ``table`` says."""
    from tests.disclosure_attack import HIDDEN, SMALL, Model

    def shown(position, count):
        if position in table.primary:
            return SMALL
        return HIDDEN if position in table.complementary else count

    model = Model(k)
    parts = [model.value(f"c{i}", shown((0, i), n), listed) for i, n in enumerate(counts)]
    total = model.value("total", shown((0, len(counts)), sum(counts)), True)
    model.sums(parts, total)
    return model.exposed()


def test_a_withheld_count_is_known_to_be_zero_or_at_least_k():
    # Women 1, men 5, not recorded 30, total 36. Hiding the 1 and withholding the 5 was
    # the rule: but "withheld" is not "fewer than 5", so the 5 is 0 or at least 5, and
    # 1 + withheld = 36 − 30 = 6 leaves only 5 and 1. The 30 is withheld as well.
    from memoria.disclosure import Table

    before = Table([[1, 5, 30]], [36], None, None, primary={(0, 0)}, complementary={(0, 1)})
    assert _attack_series([1, 5, 30], before) == {"c0": 1, "c1": 5}
    table = suppress_series([1, 5, 30], 5)
    assert table.hidden == {(0, 0), (0, 1), (0, 2)}
    assert _attack_series([1, 5, 30], table) == {}


def test_exhaustively_no_hidden_count_is_worked_out_by_the_attacker_in_series():
    for counts in itertools.product((0, 1, 3, 5, 6), repeat=3):
        assert _attack_series(counts, suppress_series(counts, 5)) == {}, counts
        if all(counts):
            table = suppress_series(counts, 5, positive=True)
            assert _attack_series(counts, table, listed=True) == {}, counts


def test_a_total_withheld_from_the_start_stays_withheld():
    table = suppress_series([6, 7, 8], 5, withhold_total=True)
    assert (0, 3) in table.hidden
    assert _attack_series([6, 7, 8], table) == {}
    assert suppress_series([6, 7, 8], 5).hidden == set()


def test_a_table_that_gives_its_counts_away_with_everything_hidden_says_so():
    # Four places listed, each "fewer than 5", total "fewer than 5": each is 1. Nothing
    # more can be hidden, so the table says which counts are still exposed; the public
    # site then publishes none of it (memoria.public).
    table = suppress_series([1, 1, 1, 1], 5, positive=True)
    assert table.exposed == {(0, 0), (0, 1), (0, 2), (0, 3), (0, 4)}
    assert suppress_series([1, 1, 2], 5, positive=True).exposed == set()
    margins = {(0, 2), (1, 2), (2, 0), (2, 1), (2, 2)}  # two states, two years, listed
    assert suppress([[1, 1], [1, 1]], 5, known_positive=margins).exposed
    assert not suppress([[1, 2], [1, 1]], 5, known_positive=margins).exposed


def test_the_one_row_rule_gives_the_engines_answer_on_positive_series():
    # A public page suppresses its incidents' places on every request: one row, every
    # count at least 1. The direct rule must hide what the graph and programs hide.
    from memoria.disclosure import suppress_positive_series

    rng = np.random.default_rng(16)
    for _ in range(300):
        k = int(rng.choice([2, 3, 5]))
        counts = [
            int(rng.choice([1, 1, 2, 3, 4, 5, 6, 7, 9, 12, 30])) for _ in range(rng.integers(1, 9))
        ]
        engine = suppress_series(counts, k, total=True, positive=True)
        direct = suppress_positive_series(counts, k)
        assert (direct.primary, direct.complementary, direct.exposed) == (
            engine.primary,
            engine.complementary,
            engine.exposed,
        ), (k, counts)
        assert (direct.cells, direct.row_totals) == (engine.cells, engine.row_totals)
