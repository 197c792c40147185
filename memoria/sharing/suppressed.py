"""Series of counts as they leave an organization for a partner: suppressed, labelled.

A series lists only the categories with at least one record, so the reader
knows each listed count is at least 1; ``suppress_series(positive=True)`` takes
that into account, and a count it withholds is known to be at least k. Stored
values: a whole number, ``"small"`` (from 1 to k − 1) or ``"hidden"`` (at
least k, withheld so that a small one cannot be worked out).
"""

from __future__ import annotations

from memoria.disclosure import suppress_series

SMALL, HIDDEN = "small", "hidden"


def series(counts: dict[str, int], k: int, total: bool) -> dict:
    """``{"rows": [[category, value]…], "total": value}`` (no total unless ``total``)."""
    keys = sorted(key for key, count in counts.items() if count)
    if not keys:
        return {"rows": [], **({"total": 0} if total else {})}
    table = suppress_series([counts[key] for key in keys], k, total=total, positive=True)

    def shown(position: tuple[int, int], count: int):
        if position in table.primary:
            return SMALL
        if position in table.complementary:
            return HIDDEN
        return count

    found: dict = {"rows": [[key, shown((0, i), counts[key])] for i, key in enumerate(keys)]}
    if total:
        found["total"] = shown((0, len(keys)), sum(counts[key] for key in keys))
    return found


def hide_together(tables: list[dict]) -> None:
    """Series with the same total (two ways of dividing the same records) hide it together.

    Each series is suppressed on its own; when one of them had to withhold the
    total, a series that shows it would give it back, and with it the counts
    it protected. So every one withholds it, and a series whose counts are all
    shown withholds its smallest (at least k: a smaller one would be hidden
    already), so that adding its counts up gives only "at least".
    """
    if all(isinstance(table.get("total"), int) for table in tables):
        return
    for table in tables:
        if isinstance(table.get("total"), int):
            table["total"] = HIDDEN
        shown = [row for row in table["rows"] if isinstance(row[1], int)]
        if shown and len(shown) == len(table["rows"]):
            min(shown, key=lambda row: (row[1], row[0]))[1] = HIDDEN
