"""The INEGI catalogue (Censo de Población y Vivienda 2020)."""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

CATALOGUE_FILE = "mx_municipalities_census2020.csv"

# ISO 3166-2:MX subdivision codes by INEGI state code, used to key SVG maps.
ISO_CODES = {
    "01": "MX-AGU", "02": "MX-BCN", "03": "MX-BCS", "04": "MX-CAM", "05": "MX-COA",
    "06": "MX-COL", "07": "MX-CHP", "08": "MX-CHH", "09": "MX-CMX", "10": "MX-DUR",
    "11": "MX-GUA", "12": "MX-GRO", "13": "MX-HID", "14": "MX-JAL", "15": "MX-MEX",
    "16": "MX-MIC", "17": "MX-MOR", "18": "MX-NAY", "19": "MX-NLE", "20": "MX-OAX",
    "21": "MX-PUE", "22": "MX-QUE", "23": "MX-ROO", "24": "MX-SLP", "25": "MX-SIN",
    "26": "MX-SON", "27": "MX-TAB", "28": "MX-TAM", "29": "MX-TLA", "30": "MX-VER",
    "31": "MX-YUC", "32": "MX-ZAC",
}  # fmt: skip


def fold(text: str) -> str:
    """Lower-case text without accents or extra spaces, for accent-blind search.

    >>> fold("  San Pedro Tlaquepaque, JALISCO ")
    'san pedro tlaquepaque, jalisco'
    >>> fold("Ñuu Savi")
    'nuu savi'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


@dataclass(frozen=True)
class MunicipalityRecord:
    cvegeo: str
    state_code: str
    code: str
    name: str
    population_total: int
    population_male: int
    population_female: int


@dataclass(frozen=True)
class StateRecord:
    code: str
    name: str
    iso_code: str
    population_total: int
    population_male: int
    population_female: int


@cache
def load_municipalities() -> tuple[MunicipalityRecord, ...]:
    """All 2,478 municipalities, in INEGI code order."""
    text = resources.files("memoria.geo").joinpath("data", CATALOGUE_FILE).read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return tuple(
        MunicipalityRecord(
            cvegeo=row["cvegeo"],
            state_code=row["cve_ent"],
            code=row["cve_mun"],
            name=row["nom_mun"],
            population_total=int(row["population_total"]),
            population_male=int(row["population_male"]),
            population_female=int(row["population_female"]),
        )
        for row in rows
    )


@cache
def load_states() -> tuple[StateRecord, ...]:
    """The 32 states, with population summed from their municipalities."""
    text = resources.files("memoria.geo").joinpath("data", CATALOGUE_FILE).read_text("utf-8")
    names = {row["cve_ent"]: row["nom_ent"] for row in csv.DictReader(text.splitlines())}
    totals: dict[str, list[int]] = {code: [0, 0, 0] for code in names}
    for m in load_municipalities():
        acc = totals[m.state_code]
        acc[0] += m.population_total
        acc[1] += m.population_male
        acc[2] += m.population_female
    return tuple(
        StateRecord(code, names[code], ISO_CODES[code], *totals[code]) for code in sorted(names)
    )


# Other ways lists write a state's name (folded, see ``_state_key``): the short names
# people use, the old name of Mexico City, and the abbreviations of official forms.
STATE_ALIASES = {
    "coahuila": "05", "michoacan": "16", "veracruz": "30", "queretaro de arteaga": "22",
    "estado de mexico": "15", "edo de mexico": "15", "edo mex": "15", "edomex": "15",
    "mexico estado": "15", "cdmx": "09", "ciudad de mexico cdmx": "09",
    "distrito federal": "09", "df": "09", "mexico df": "09", "mexico city": "09",
    "bc": "02", "bcs": "03", "nl": "19", "q roo": "23", "slp": "24",
    "b c": "02", "b c s": "03", "n l": "19", "s l p": "24",
    "ags": "01", "camp": "04", "coah": "05", "col": "06", "chis": "07", "chih": "08",
    "dgo": "10", "gto": "11", "gro": "12", "hgo": "13", "jal": "14", "mex": "15",
    "mich": "16", "mor": "17", "nay": "18", "oax": "20", "pue": "21", "qro": "22",
    "sin": "25", "son": "26", "tab": "27", "tamps": "28", "tlax": "29", "ver": "30",
    "yuc": "31", "zac": "32",
}  # fmt: skip


def _state_key(text: str) -> str:
    """A state's name folded, its punctuation as spaces: "Edo. de México" → "edo de mexico"."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in fold(text)).split())


@cache
def _state_codes() -> dict[str, str]:
    codes = {_state_key(state.name): state.code for state in load_states()}
    return {**codes, **STATE_ALIASES}


def state_code(name: str) -> str | None:
    """The INEGI code of a state written by its name, however lists write it; None if unknown.

    >>> state_code("Veracruz"), state_code("EDO. DE MÉXICO"), state_code("cdmx")
    ('30', '15', '09')
    >>> state_code("Michoacan de Ocampo"), state_code("Estado de Jalisco"), state_code("Narnia")
    ('16', '14', None)
    """
    key = _state_key(name)
    codes = _state_codes()
    if key in codes:
        return codes[key]
    for prefix in ("estado de ", "edo de ", "estado ", "edo "):
        if key.startswith(prefix) and key[len(prefix) :] in codes:
            return codes[key[len(prefix) :]]
    return None


def state_as_code(value: str) -> str:
    """A list's state cell as the linkage engine reads it: its INEGI code when the
    list names the state ("Veracruz", "Edo. de México", "CDMX", "Chih."); anything
    else as written (a code, "N/D", "Gondor"), for the engine to read as a code, as
    unknown, or to refuse with its row.

    >>> state_as_code("Edo. de México"), state_as_code("9"), state_as_code("N/D")
    ('15', '9', 'N/D')
    """
    if value.replace(".", "").strip().isdigit():
        return value
    return state_code(value) or value
