"""Choropleth maps of Mexico's states and municipalities as SVG geometry. No Django here.

The boundaries are INEGI's (Marco Geoestadístico), simplified by
``tools/build_maps.py`` into ``data/mx_states.json`` and
``data/mx_municipalities.json``: coordinates already projected (INEGI's Lambert
conformal conic, metres), snapped to a grid and stored as a first point and
then steps. Projecting them onto the page is a translation and a flip of the
y axis in grid units, so a path is written with relative steps (``l``) as
stored, and the SVG's ``viewBox`` does the scaling.

``choropleth`` classes the values (zero apart; the rest in up to five classes
at rounded quantiles) and gives each area its class and colour, and the legend.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

FILES = {"states": "mx_states.json", "municipalities": "mx_municipalities.json"}
# A sequential palette light to dark (ColorBrewer "OrRd", 5 classes), told apart in
# grey scale too; areas with nothing counted are white-grey, without data hatched grey.
PALETTE = ("#fdcc8a", "#fc8d59", "#e34a33", "#b30000", "#67000d")
ZERO_COLOUR = "#f4f4f4"
MISSING_COLOUR = "#d0d0d0"
MAX_CLASSES = len(PALETTE)


@dataclass(frozen=True)
class Shape:
    code: str
    rings: tuple[tuple[int, ...], ...]  # first point absolute, then steps (grid units)
    box: tuple[int, int, int, int]  # min x, min y, max x, max y


@cache
def shapes(level: str) -> dict[str, Shape]:
    """Every area of ``level`` ("states" or "municipalities") by INEGI code."""
    text = resources.files("memoria.geo").joinpath("data", FILES[level]).read_text("utf-8")
    found = {}
    for code, rings in json.loads(text)["features"].items():
        xs, ys = [], []
        for ring in rings:
            x, y = ring[0], ring[1]
            xs.append(x)
            ys.append(y)
            for i in range(2, len(ring), 2):
                x += ring[i]
                y += ring[i + 1]
                xs.append(x)
                ys.append(y)
        found[code] = Shape(
            code, tuple(tuple(ring) for ring in rings), (min(xs), min(ys), max(xs), max(ys))
        )
    return found


@lru_cache(maxsize=8192)
def _path(level: str, code: str, top: int) -> str:
    return path(shapes(level)[code], top)


def path(shape: Shape, top: int) -> str:
    """The SVG path of ``shape`` with y flipped below ``top`` (the box's highest y)."""
    parts = []
    for ring in shape.rings:
        steps = " ".join(
            f"{ring[i]} {-ring[i + 1]}" for i in range(2, len(ring), 2)
        )  # y grows downwards on the page
        parts.append(f"M{ring[0]} {top - ring[1]}l{steps}z")
    return "".join(parts)


@dataclass
class LegendClass:
    low: float
    high: float
    colour: str
    count: int = 0  # areas in the class


@dataclass
class Area:
    code: str
    d: str
    value: float | None
    colour: str
    label: str = ""
    text: str = ""  # the value as the page shows it


@dataclass
class Map:
    view_box: str
    areas: list[Area]
    legend: list[LegendClass]
    zero_areas: int = 0
    missing_codes: list[str] = field(default_factory=list)  # asked for, without geometry


def nice(value: float) -> float:
    """``value`` rounded up to 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 or 10 times a power of ten."""
    if value <= 0:
        return 0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * power * (1 + 1e-9):
            return step * power
    return 10 * power


def breaks(values: list[float], classes: int = MAX_CLASSES, whole: bool = True) -> list[float]:
    """Upper bounds of up to ``classes`` classes of the positive ``values`` at rounded
    quantiles; the last bound is the maximum. ``whole``: bounds are whole numbers."""
    positive = sorted(v for v in values if v > 0)
    if not positive:
        return []
    bounds = []
    for k in range(1, classes):
        quantile = positive[min(len(positive) - 1, math.ceil(k * len(positive) / classes) - 1)]
        bound = nice(quantile)
        if whole:
            bound = max(1, math.ceil(bound))
        if bound < positive[-1] and (not bounds or bound > bounds[-1]):
            bounds.append(bound)
    bounds.append(positive[-1])
    return bounds


def classify(value: float, bounds: list[float]) -> int:
    """The class (0-based) of a positive value."""
    for i, bound in enumerate(bounds):
        if value <= bound:
            return i
    return len(bounds) - 1


def choropleth(
    level: str,
    values: dict[str, float],
    codes: list[str] | None = None,
    labels: dict[str, str] | None = None,
    whole: bool = True,
) -> Map:
    """The areas of ``codes`` (all of ``level`` by default) coloured by ``values``
    (a code not in ``values`` counts as zero)."""
    everything = shapes(level)
    codes = sorted(everything) if codes is None else list(codes)
    drawn = [everything[code] for code in codes if code in everything]
    missing = [code for code in codes if code not in everything]
    bounds = breaks([values.get(code, 0) for code in codes], whole=whole)
    legend = [
        LegendClass(low=(bounds[i - 1] if i else 0), high=bound, colour=PALETTE[i])
        for i, bound in enumerate(bounds)
    ]
    if drawn:
        left = min(shape.box[0] for shape in drawn)
        bottom = min(shape.box[1] for shape in drawn)
        right = max(shape.box[2] for shape in drawn)
        top = max(shape.box[3] for shape in drawn)
    else:
        left = bottom = right = top = 0
    areas, zero = [], 0
    for shape in drawn:
        value = values.get(shape.code, 0)
        if value > 0:
            cls = classify(value, bounds)
            legend[cls].count += 1
            colour = PALETTE[cls]
        else:
            zero += 1
            colour = ZERO_COLOUR
        areas.append(
            Area(
                shape.code,
                _path(level, shape.code, top),
                value,
                colour,
                (labels or {}).get(shape.code, ""),
            )
        )
    margin = max(1, (right - left) // 100)
    view_box = f"{left - margin} {-margin} {right - left + 2 * margin} {top - bottom + 2 * margin}"
    return Map(view_box, areas, legend, zero, missing)
