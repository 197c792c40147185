"""The public incidents map suppresses its places on every request: time of the engine
(graph and integer programs) against the direct rule for one row, same answer.

    PYTHONPATH=. .venv/bin/python bench/incidents_suppression.py
"""

from __future__ import annotations

import time

import numpy as np

from memoria.disclosure import suppress_positive_series, suppress_series


def timed(function, *args) -> tuple[float, object]:
    start = time.perf_counter()
    found = function(*args)
    return time.perf_counter() - start, found


def main() -> None:
    rng = np.random.default_rng(2)
    cases = {f"{n} places, mostly 1 (geometric p={p})": [int(x) for x in rng.geometric(p, n)]
             for n in (30, 100, 300) for p in (0.5, 0.85)}  # fmt: skip
    cases["120 places: 60 of 1 and 60 of 5"] = [1] * 60 + [5] * 60
    print(f"{'series':45} {'engine s':>9} {'direct s':>9}  same")
    for label, counts in cases.items():
        slow, engine = timed(lambda c: suppress_series(c, 5, total=True, positive=True), counts)
        fast, direct = timed(suppress_positive_series, counts)
        same = (engine.primary, engine.complementary, engine.exposed) == (
            direct.primary, direct.complementary, direct.exposed)  # fmt: skip
        print(f"{label:45} {slow:9.3f} {fast:9.4f}  {same}")


if __name__ == "__main__":
    main()
