"""Small hand-made AM/PM files for the engine's known cases."""

from __future__ import annotations

import pandas as pd

from memoria.matching import build_model, read_missing, read_remains
from memoria.matching.schema import MISSING_COLUMNS, REMAINS_COLUMNS

PERSON = {
    "missing_id": "AM-1",
    "sex": "male",
    "age_at_disappearance": "30",
    "last_seen_date": "2020-03-10",
    "last_seen_state": "14",
    "last_seen_municipality": "14039",
    "stature_cm": "170",
}
BODY = {
    "remains_id": "PM-1",
    "found_date": "2020-06-01",
    "found_state": "14",
    "found_municipality": "14039",
    "sex_estimate": "male",
    "age_min": "25",
    "age_max": "35",
    "stature_min_cm": "165",
    "stature_max_cm": "175",
    "condition": "complete",
}


DECOY_MARKS = (
    "tatuaje en región dorsal: grecas",
    "tatuaje en antebrazo izquierdo: figura de corazón",
    "cicatriz en rodilla derecha",
    "nevo en mejilla",
    "tatuaje en mesogastrio: estrellas",
    "sin tatuajes visibles",
    "",
    "tatuaje en región pectoral: ave rapaz",
    "tatuaje en hombro derecho: motivo floral",
    "perforación en pabellón auricular",
)
DECOY_CLOTHES = (
    "pantalón tipo jeans color negro; playera color blanco",
    "sudadera con capucha gris; calzado deportivo negro",
    "",
    "camisa manga larga color verde; botas de trabajo café",
    "bermuda color beige; playera color azul",
    "pantalón de mezclilla azul; gorra negra",
)
DECOY_TEETH = (
    "",
    "",
    "obturación con amalgama en pieza 46",
    "",
    "ausencia ante mortem de pieza 36",
)


def frames(people: list[dict], bodies: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    missing = pd.DataFrame([{c: p.get(c, "") for c in MISSING_COLUMNS} for p in people])
    remains = pd.DataFrame([{c: b.get(c, "") for c in REMAINS_COLUMNS} for b in bodies])
    return missing, remains


def pair(person: dict | None = None, body: dict | None = None, decoys: int = 30):
    """Read one person and one body (plus plain decoy bodies so frequencies mean something)."""
    people = [{**PERSON, **(person or {})}]
    bodies = [{**BODY, **(body or {})}]
    for n in range(decoys):
        bodies.append(
            {
                **BODY,
                "remains_id": f"PM-D{n}",
                "found_state": f"{1 + n % 30:02d}",
                "found_municipality": "",
                "sex_estimate": ("male", "female", "undetermined")[n % 3],
                "age_min": str(15 + (n * 7) % 50),
                "age_max": str(25 + (n * 7) % 50),
                "stature_min_cm": str(150 + (n * 3) % 30),
                "stature_max_cm": str(160 + (n * 3) % 30),
                "marks": DECOY_MARKS[n % len(DECOY_MARKS)],
                "clothing": DECOY_CLOTHES[n % len(DECOY_CLOTHES)],
                "dental": DECOY_TEETH[n % len(DECOY_TEETH)],
            }
        )
    missing, remains = frames(people, bodies)
    am, pm = read_missing(missing), read_remains(remains)
    return am, pm, build_model(am, pm)
