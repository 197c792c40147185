"""Capture-history tables: reading, validating and aggregating the input.

A capture history says on which lists an individual appears (one 0/1 value per
list). The estimators only need how many individuals share each history, so
every input form (one row per history with a ``count`` column, one row per
individual, or the linkage engine's one row per cluster with a ``cluster_id``)
is reduced to the same :class:`CaptureTable`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

#: Columns recognised as the number of individuals sharing a history.
COUNT_COLUMNS = ("count", "freq", "frequency")
#: Columns that identify a row (an individual or a linked cluster), never a list.
ID_COLUMNS = ("cluster_id", "id", "record_id", "person_id")
#: Log-linear models enumerate all 2**J - 1 observable cells; beyond this it is
#: neither feasible nor sensible (most cells are empty), use LCMCR instead.
MAX_LISTS_FULL_TABLE = 15


class CaptureTableError(ValueError):
    """The input cannot be read as a capture-history table; the message says why."""


class MseWarning(UserWarning):
    """Something the analyst must know about an estimate (dropped list, poor mixing)."""


@dataclass(frozen=True)
class CaptureTable:
    """Counts of individuals per observed capture history.

    ``histories`` holds one row per distinct observed history (0/1 per list) and
    ``counts`` how many individuals share it; every count is positive.
    ``input_lists`` names every list column of the input in its order, including
    lists dropped for having no individuals: strata of one input drop different
    lists, and their totals are labelled by this common order.
    """

    lists: tuple[str, ...]
    histories: np.ndarray
    counts: np.ndarray
    input_lists: tuple[str, ...] = ()
    _full: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_lists(self) -> int:
        return len(self.lists)

    @property
    def observed(self) -> int:
        """Number of distinct individuals seen on at least one list."""
        return int(self.counts.sum())

    def list_totals(self) -> dict[str, int]:
        """How many individuals each list recorded."""
        totals = self.histories.T.astype(np.int64) @ self.counts
        return {name: int(t) for name, t in zip(self.lists, totals, strict=True)}

    def overlaps(self) -> np.ndarray:
        """J × J matrix: individuals recorded on both list i and list j."""
        h = self.histories.astype(np.int64)
        return (h * self.counts[:, None]).T @ h

    def full_cells(self) -> tuple[np.ndarray, np.ndarray]:
        """All 2**J - 1 observable histories and their counts (zeros included).

        Row ``c - 1`` is the history whose bits, list 0 as the lowest bit, spell
        ``c``; the order is fixed so that tables of the same lists align.
        """
        if "cells" not in self._full:
            if self.n_lists > MAX_LISTS_FULL_TABLE:
                raise CaptureTableError(
                    f"{self.n_lists} lists are too many for log-linear models "
                    f"(at most {MAX_LISTS_FULL_TABLE}); use --method lcmcr"
                )
            patterns = all_histories(self.n_lists)
            counts = np.zeros(len(patterns), dtype=np.int64)
            np.add.at(counts, history_codes(self.histories) - 1, self.counts)
            self._full["cells"] = (patterns, counts)
        return self._full["cells"]

    def with_full_counts(self, counts: np.ndarray) -> CaptureTable:
        """The same lists with new counts over :meth:`full_cells` (for resampling)."""
        patterns, _ = self.full_cells()
        keep = counts > 0
        return CaptureTable(
            self.lists, patterns[keep], np.asarray(counts[keep], dtype=np.int64), self.input_lists
        )


def all_histories(n_lists: int) -> np.ndarray:
    """Every non-empty 0/1 history over ``n_lists`` lists, in code order 1 … 2**J - 1."""
    codes = np.arange(1, 2**n_lists, dtype=np.int64)
    return ((codes[:, None] >> np.arange(n_lists)) & 1).astype(np.int8)


def history_codes(histories: np.ndarray) -> np.ndarray:
    """Integer code of each history: list ``j`` contributes bit ``j``."""
    weights = 1 << np.arange(histories.shape[1], dtype=np.int64)
    return histories.astype(np.int64) @ weights


def table_from_arrays(
    lists: list[str] | tuple[str, ...], histories: np.ndarray, counts: np.ndarray
) -> CaptureTable:
    """Build a validated table from a 0/1 matrix and counts (duplicates are summed)."""
    import pandas as pd

    frame = pd.DataFrame(np.asarray(histories), columns=list(lists))
    frame["count"] = np.asarray(counts)
    return table_from_frame(frame)


def table_from_frame(
    frame: pd.DataFrame, *, count_column: str | None = None, ignore: tuple[str, ...] = ()
) -> CaptureTable:
    """Validate a data frame of capture histories and aggregate it.

    List columns are all columns except the count column (``count``, ``freq``),
    identifier columns (``cluster_id``, ``id``…) and ``ignore``. Without a count
    column each row is one individual. Raises :class:`CaptureTableError` with a
    message naming the column and row at fault.
    """
    if frame.empty:
        raise CaptureTableError("the table has no rows")
    count_column = count_column or _find_column(frame, COUNT_COLUMNS)
    skipped = {c for c in frame.columns if str(c).lower() in ID_COLUMNS} | set(ignore)
    list_columns = [c for c in frame.columns if c != count_column and c not in skipped]
    if not list_columns:
        raise CaptureTableError("no list columns found (one 0/1 column per list is needed)")
    histories = np.column_stack([_binary_column(frame, c) for c in list_columns])
    counts = _count_column(frame, count_column)
    empty_rows = np.flatnonzero(histories.sum(axis=1) == 0)
    if len(empty_rows):
        raise CaptureTableError(
            f"row {empty_rows[0] + 1} is on no list (all zeros): individuals never "
            "recorded cannot be in the input, the method estimates them"
        )
    return _aggregate([str(c) for c in list_columns], histories, counts)


def read_capture_table(
    path: str | Path, *, strata: list[str] | None = None, ignore: tuple[str, ...] = ()
) -> dict[str | None, CaptureTable]:
    """Read a CSV of capture histories, one table per stratum (key ``None`` if unstratified)."""
    if not strata:
        plain = _read_plain(path, ignore)
        if plain is not None:
            return {None: plain}
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except FileNotFoundError as error:
        raise CaptureTableError(f"file not found: {path}") from error
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise CaptureTableError(f"cannot read {path} as CSV: {error}") from error
    return split_strata(frame, strata or [], ignore=ignore)


def _read_plain(path: str | Path, ignore: tuple[str, ...]) -> CaptureTable | None:
    """The common case without pandas (slow to import): plain 0/1 columns and counts.

    Returns ``None`` for anything unusual (odd values, repeated names, empty
    rows, unreadable file), which the pandas reader then handles and explains.
    """
    import csv

    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    if len(rows) < 2 or len(set(rows[0])) != len(rows[0]):
        return None
    header = rows[0]
    lower = [name.lower() for name in header]
    count_index = next((k for k, name in enumerate(lower) if name in COUNT_COLUMNS), None)
    skipped = {k for k, name in enumerate(header) if name.lower() in ID_COLUMNS or name in ignore}
    list_index = [k for k in range(len(header)) if k != count_index and k not in skipped]
    if not list_index or any(len(row) != len(header) for row in rows[1:]):
        return None
    body = rows[1:]
    if any(row[k] not in ("0", "1") for row in body for k in list_index):
        return None
    if count_index is not None and not all(row[count_index].isdigit() for row in body):
        return None
    histories = np.array([[row[k] == "1" for k in list_index] for row in body], dtype=np.int8)
    if np.any(histories.sum(axis=1) == 0):
        return None
    counts = (
        np.array([int(row[count_index]) for row in body], dtype=np.int64)
        if count_index is not None
        else np.ones(len(body), dtype=np.int64)
    )
    return _aggregate([header[k] for k in list_index], histories, counts)


def split_strata(
    frame: pd.DataFrame, strata: list[str], *, ignore: tuple[str, ...] = ()
) -> dict[str | None, CaptureTable]:
    """One validated table per combination of the stratum columns' values."""
    missing = [s for s in strata if s not in frame.columns]
    if missing:
        raise CaptureTableError(f"stratum column not found: {', '.join(missing)}")
    if not strata:
        return {None: table_from_frame(frame, ignore=ignore)}
    if frame[strata].isna().any().any():
        raise CaptureTableError("a stratum column has empty values")
    tables: dict[str | None, CaptureTable] = {}
    for key, part in frame.groupby(strata, sort=True):
        label = "/".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
        rest = part.drop(columns=strata).reset_index(drop=True)
        try:
            tables[label] = table_from_frame(rest, ignore=ignore)
        except CaptureTableError as error:
            raise CaptureTableError(f"stratum {label}: {error}") from error
    return tables


def _find_column(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    for column in frame.columns:
        if str(column).lower() in names:
            return column
    return None


def _binary_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    import pandas as pd

    values = frame[column]
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0]) + 1
        raise CaptureTableError(f'list column "{column}" is empty in row {row}')
    numeric = pd.to_numeric(values, errors="coerce")
    bad = numeric.isna() | ~numeric.isin([0, 1])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise CaptureTableError(
            f'list column "{column}" has value {str(values.iloc[row])!r} in row {row + 1}; '
            "list columns must be 0 or 1"
        )
    return numeric.to_numpy().astype(np.int8)


def _count_column(frame: pd.DataFrame, column: str | None) -> np.ndarray:
    import pandas as pd

    if column is None:
        return np.ones(len(frame), dtype=np.int64)
    numeric = pd.to_numeric(frame[column], errors="coerce")
    as_float = numeric.to_numpy(dtype=float)
    bad = np.isnan(as_float) | (as_float < 0) | (as_float != np.round(as_float))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise CaptureTableError(
            f'count column "{column}" has value {str(frame[column].iloc[row])!r} in row {row + 1}; '
            "counts must be non-negative integers"
        )
    return as_float.astype(np.int64)


def _aggregate(lists: list[str], histories: np.ndarray, counts: np.ndarray) -> CaptureTable:
    if len(set(lists)) != len(lists):
        raise CaptureTableError("two list columns have the same name")
    totals = histories.T.astype(np.int64) @ counts
    empty = [name for name, total in zip(lists, totals, strict=True) if total == 0]
    if empty:
        warnings.warn(
            f"list(s) with no individuals dropped: {', '.join(empty)}", MseWarning, stacklevel=3
        )
    keep_lists = totals > 0
    input_lists = tuple(lists)
    if keep_lists.sum() < 3:
        raise CaptureTableError(
            f"at least 3 non-empty lists are needed, found {int(keep_lists.sum())}; with two "
            "lists the estimate rests entirely on the untestable assumption of independence"
        )
    histories = histories[:, keep_lists]
    lists = [name for name, k in zip(lists, keep_lists, strict=True) if k]
    keep_rows = counts > 0
    codes = history_codes(histories[keep_rows])
    unique_codes, inverse = np.unique(codes, return_inverse=True)
    summed = np.bincount(inverse, weights=counts[keep_rows]).astype(np.int64)
    unique_histories = ((unique_codes[:, None] >> np.arange(len(lists))) & 1).astype(np.int8)
    return CaptureTable(tuple(lists), unique_histories, summed, input_lists)
