"""Series of counts as they leave an organization for a partner: suppressed, labelled.

A series lists only the categories with at least one record, so the reader
knows each listed count is at least 1; ``suppress_series(positive=True)`` takes
that into account, and a count it withholds is known to be at least k. Stored
values: a whole number, ``"small"`` (from 1 to k − 1) or ``"hidden"`` (at
least k, withheld so that a small one cannot be worked out). A series whose small
counts follow from how many there are (four categories "fewer than 5" with a total
"fewer than 5": one each) leaves with no rows, its total and ``"withheld": True``.
"""

from __future__ import annotations

from memoria.disclosure.suppression import one_row_positive as _suppressed

SMALL, HIDDEN = "small", "hidden"


def series(counts: dict[str, int], k: int, total: bool) -> dict:
    """``{"rows": [[category, value]…], "total": value}`` (no total unless ``total``)."""
    keys = sorted(key for key, count in counts.items() if count)
    if not keys:
        return {"rows": [], **({"total": 0} if total else {})}
    values = [counts[key] for key in keys]
    if total:
        small, large, total_hidden = _suppressed(values, k)
        if k > 2 and sum(values) < k and len(values) == k - 1:
            # Each from 1 to k − 1, adding up to at most k − 1: each is 1 (the engine's
            # "exposed"). Only the total leaves; the reader is told the rows are withheld.
            return {"rows": [], "total": SMALL, "withheld": True}
    else:  # nothing to subtract from: only the small counts are hidden
        small, large, total_hidden = {i for i, n in enumerate(values) if n < k}, set(), False

    def shown(i: int, count: int):
        if i in small:
            return SMALL
        if i in large:
            return HIDDEN
        return count

    found: dict = {
        "rows": [[key, shown(i, n)] for i, (key, n) in enumerate(zip(keys, values, strict=True))]
    }
    if total:
        whole = sum(values)
        found["total"] = (SMALL if whole < k else HIDDEN) if total_hidden else whole
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


def cover(table: dict, covers, k: int, keys: set[str] | None = None) -> None:
    """Withhold one more count of ``table`` (no total: a case counts under several
    categories) when the small ones are pinned by a sum the reader knows they reach.

    Every case has a violation, so the counts by violation add up to at least the
    year's cases; every case with a perpetrator has a kind (at least the cases with
    a perpetrator, and the state agents' kinds at least the cases naming one).
    ``covers``: that published figure (a number, or "small" / "hidden": at least 1,
    at least k); ``keys``: only these categories count. With cases 10, homicide 6,
    disappearance "fewer than 5", the disappearance is 4: the homicide is withheld too
    (a listed count, so at least k, with no upper bound). With no shown count to
    withhold, the rows are withheld (``"withheld": True``).
    """
    at_least = covers if isinstance(covers, int) else (1 if covers == SMALL else k)
    rows = [row for row in table["rows"] if keys is None or row[0] in keys]
    values = [row[1] for row in rows]
    small = sum(1 for v in values if v == SMALL)
    shown = [row for row in rows if isinstance(row[1], int)]
    if not small or HIDDEN in values or sum(r[1] for r in shown) + small * (k - 1) > at_least:
        return
    if shown:
        min(shown, key=lambda row: (row[1], row[0]))[1] = HIDDEN
    else:
        table["rows"] = []
        table["withheld"] = True
