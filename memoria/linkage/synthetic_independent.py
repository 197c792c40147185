"""A second generator of fictional Mexican victim lists, independent of Memoria's name rules.

``memoria.linkage.synthetic`` draws nicknames from ``memoria.names`` and makes
phonetic typos that Memoria's phonetic key folds, so it favours Memoria by
construction. This generator shares nothing with ``memoria.names``: it does
not import it, and its name tables, nickname source and error rules were
written separately, from general knowledge of how Mexican lists are kept. A
model that does well here does well for reasons that are not its own tables.
It reuses only the :class:`~memoria.linkage.synthetic.SyntheticLists`
container, so the benchmark and the tests read both generators the same way.

Assumptions (written by us, not measured on any registry):

* People: 24% women; ages at the event from a gamma distribution (median
  about 27); events 2007-2024; given names and surnames drawn from the tables
  below with Zipf-like weights, about a third of people with a compound given
  name (José Luis, María de los Ángeles, Juan Carlos); 12% are relatives of
  the previous person (both surnames and municipality shared, half taken the
  same day); 2% copy another person's full name (namesakes). 35% of adult
  women are married; some lists write them with "de" and the husband's
  paternal surname in place of (or after) their maternal surname.
* Nicknames come from our own table of hipocorísticos (Mago → Margarita,
  Lupe → Guadalupe, Chuy → Jesús, Pepe → José, Paco → Francisco, Nacho →
  Ignacio, Memo → Guillermo, Lalo → Eduardo, Toño → Antonio, Concha →
  Concepción, Chela → Graciela...), plus diminutives in -ito/-ita.
* Typos, each applied to a single word: a neighbouring key on a QWERTY
  keyboard, an OCR confusion (rn/m, cl/d, li/h, vv/w, O/0, I/1, S/5, B/8,
  e/c), two adjacent letters transposed, a dropped letter, a doubled letter,
  and truncation at a fixed field width.
* Four list styles:

  - ``ministerio`` (official list): one ``full_name`` column, surnames first
    without a comma ("HERNANDEZ GARCIA JOSE LUIS"; "TORRES JORGE" when the
    maternal surname is unknown), capitals without accents, birth dates
    day-first with 1900-01-01 for unknown, sex H/M;
  - ``padron`` (registry export): separate columns, capitals, fields truncated
    to 12 characters, "N/D", "S/N", "SIN DATO", "XXX" or "DESCONOCIDO" for a
    missing maternal surname, sentinel birth dates, a compound given name
    sometimes split across columns ("JOSE" | "LUIS HERNANDEZ" | "GARCIA"),
    married women as "DE <husband>";
  - ``familias`` (families' collective): separate columns, mixed case with or
    without accents, nicknames, ages instead of birth dates, married names
    ("López de Hernández"), missing maternal surnames, event dates off by
    days;
  - ``notas`` (press clippings, scanned): one ``full_name`` column in civil
    order (sometimes surname-first), OCR errors, nicknames, ages off by a
    year or two, dates given only to the month.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass

import pandas as pd

from memoria.linkage.synthetic import SyntheticLists

# fmt: off
# Given names (weight), written for this generator; compound seconds separate.
_MEN = {
    "José": 9, "Juan": 7, "Jesús": 4, "Luis": 4, "Miguel": 3.5, "Francisco": 3.5,
    "Antonio": 3, "Jorge": 3, "Alejandro": 3, "Carlos": 3, "Pedro": 2, "Manuel": 2.5,
    "Ricardo": 1.5, "Eduardo": 1.5, "Fernando": 1.5, "Roberto": 1.5, "Javier": 1.5,
    "Daniel": 1.5, "Guillermo": 1.2, "Ignacio": 1.2, "Salvador": 1.0, "Rafael": 1.0,
    "Sergio": 1.2, "Mario": 1.0, "Raúl": 1.0, "Martín": 1.0, "Arturo": 1.0, "Enrique": 1.0,
    "Víctor": 1.0, "Héctor": 0.9, "Óscar": 0.9, "Gerardo": 0.8, "Ángel": 0.9,
    "Adrián": 0.7, "Gustavo": 0.6, "Rubén": 0.6, "Alfredo": 0.6, "Ernesto": 0.6,
    "Rodolfo": 0.5, "Joaquín": 0.5, "Gabriel": 0.7, "Andrés": 0.6, "Alfonso": 0.5,
    "Agustín": 0.4, "Gregorio": 0.3, "Ramón": 0.6, "Armando": 0.6, "Felipe": 0.6,
    "Hugo": 0.5, "Julio": 0.5, "César": 0.6, "Marco": 0.4, "Israel": 0.5, "Omar": 0.5,
    "Iván": 0.5, "Abel": 0.3, "Efraín": 0.3, "Isidro": 0.3, "Leonardo": 0.4,
    "Bernardo": 0.3, "Lorenzo": 0.3, "Santiago": 0.3, "Tomás": 0.3, "Emilio": 0.3,
    "Benjamín": 0.3, "Cristian": 0.5, "Brayan": 0.3, "Kevin": 0.3, "Édgar": 0.5,
    "Jaime": 0.5, "Rogelio": 0.4, "Margarito": 0.2, "Anselmo": 0.15, "Nicolás": 0.3,
    "Crisóforo": 0.05, "Eleuterio": 0.05, "Filiberto": 0.1, "Tiburcio": 0.05,
}
_WOMEN = {
    "María": 12, "Guadalupe": 3, "Juana": 2, "Ana": 2, "Margarita": 1.5, "Rosa": 1.5,
    "Patricia": 1.4, "Leticia": 1.0, "Verónica": 1.2, "Elizabeth": 1.0, "Gabriela": 1.0,
    "Alejandra": 1.0, "Teresa": 1.0, "Concepción": 0.8, "Graciela": 0.7, "Rosario": 0.7,
    "Dolores": 0.7, "Socorro": 0.6, "Refugio": 0.4, "Consuelo": 0.5, "Yolanda": 0.7,
    "Josefina": 0.6, "Beatriz": 0.5, "Alicia": 0.6, "Silvia": 0.8, "Martha": 0.9,
    "Lucía": 0.5, "Irma": 0.5, "Carmen": 0.8, "Esther": 0.5, "Adriana": 0.8,
    "Claudia": 0.8, "Araceli": 0.5, "Norma": 0.6, "Sandra": 0.6, "Mónica": 0.6,
    "Karla": 0.5, "Daniela": 0.6, "Brenda": 0.5, "Jessica": 0.4, "Itzel": 0.3,
    "Xóchitl": 0.2, "Soledad": 0.3, "Catalina": 0.3, "Isabel": 0.5, "Cecilia": 0.4,
    "Francisca": 0.4, "Antonia": 0.4, "Ignacia": 0.1, "Eufemia": 0.05, "Petra": 0.2,
}
_MEN_SECONDS = (
    "Luis", "Carlos", "Manuel", "Antonio", "de Jesús", "Ángel", "Alberto", "Francisco",
    "Javier", "Alfredo", "Guadalupe", "Ramón", "Pablo", "Daniel", "Armando",
)
_WOMEN_SECONDS = (
    "Guadalupe", "de Jesús", "del Carmen", "de los Ángeles", "de la Luz", "Elena",
    "Isabel", "Fernanda", "Concepción", "del Rosario", "Teresa", "Luisa", "Eugenia",
)
# Surnames (weight), common first; the long tail below gets small weights.
_COMMON_SURNAMES = {
    "Hernández": 6.0, "García": 4.5, "Martínez": 4.0, "López": 3.8, "González": 3.5,
    "Rodríguez": 2.6, "Pérez": 2.6, "Sánchez": 2.4, "Ramírez": 2.2, "Cruz": 1.8,
    "Flores": 1.6, "Gómez": 1.5, "Morales": 1.2, "Vázquez": 1.2, "Reyes": 1.2,
    "Jiménez": 1.1, "Torres": 1.1, "Díaz": 1.0, "Gutiérrez": 1.0, "Ruiz": 0.9,
    "Mendoza": 0.9, "Aguilar": 0.9, "Ortiz": 0.8, "Moreno": 0.8, "Castillo": 0.7,
    "Romero": 0.7, "Álvarez": 0.7, "Méndez": 0.6, "Chávez": 0.6, "Rivera": 0.6,
    "Juárez": 0.6, "Ramos": 0.5, "Domínguez": 0.5, "Herrera": 0.5, "Medina": 0.5,
    "Castro": 0.5, "Vargas": 0.5, "Guzmán": 0.5, "Velázquez": 0.5, "Muñoz": 0.4,
    "Rojas": 0.4, "Contreras": 0.4, "Salazar": 0.4, "Luna": 0.4, "Ortega": 0.4,
    "Santiago": 0.4, "Guerrero": 0.4, "Estrada": 0.35, "Bautista": 0.35, "Cortés": 0.35,
    "De la Cruz": 0.3, "De la Rosa": 0.15, "Del Ángel": 0.12, "De los Santos": 0.12,
    "San Juan": 0.05, "Montes de Oca": 0.05,
}
_RARE_SURNAMES = (
    "Acevedo", "Alcántara", "Almaraz", "Altamirano", "Anaya", "Apolinar", "Aranda",
    "Arreola", "Arriaga", "Balderas", "Barajas", "Barragán", "Becerra", "Bermúdez",
    "Bocanegra", "Bustamante", "Cabello", "Cadena", "Calvillo", "Canales", "Carbajal",
    "Casillas", "Cázares", "Ceballos", "Cedillo", "Cisneros", "Colín", "Corona",
    "Covarrubias", "Cuevas", "Chacón", "Chimal", "Dávila", "Durán", "Echeverría",
    "Elizondo", "Escalante", "Esparza", "Fajardo", "Frías", "Galindo", "Gallardo",
    "Gamboa", "Garza", "Godínez", "Granados", "Guardado", "Hinojosa", "Huerta",
    "Ibáñez", "Infante", "Jaramillo", "Jasso", "Ledesma", "Leyva", "Limón", "Llamas",
    "Loera", "Lugo", "Macías", "Madrigal", "Magaña", "Manríquez", "Marín", "Mata",
    "Mireles", "Mondragón", "Montalvo", "Munguía", "Murillo", "Navarrete", "Nieto",
    "Olmos", "Oropeza", "Pantoja", "Paredes", "Parra", "Partida", "Peralta", "Pichardo",
    "Plascencia", "Portillo", "Quiroz", "Rendón", "Rentería", "Ríos", "Rocha",
    "Saavedra", "Sáenz", "Samaniego", "Sauceda", "Segura", "Sepúlveda", "Sierra",
    "Tamayo", "Tello", "Tovar", "Urbina", "Uribe", "Valadez", "Valdivia", "Vallejo",
    "Varela", "Vela", "Verdugo", "Villalobos", "Villarreal", "Yáñez", "Zamarripa",
    "Zapata", "Zaragoza", "Zavaleta", "Tzompaxtle", "Xochipa", "Tepetla", "Cuaxiloa",
    "Chablé", "Uc", "Dzul", "Kumul", "Tamay", "Cahuich", "Ixtlahuaca", "Tlaseca",
    "Amezcua", "Ayón", "Bañuelos", "Bojórquez", "Cárcamo", "Coronado", "Félix",
    "Gaxiola", "Inzunza", "Lizárraga", "Osuna", "Quintero", "Sotelo", "Valenzuela",
)
# Our hipocorísticos: civil name -> nicknames a family or the press uses.
_NICKNAMES = {
    "Margarita": ("Mago", "Magos", "Maggie"), "Guadalupe": ("Lupe", "Lupita", "Pita"),
    "Jesús": ("Chuy", "Chucho", "Chuyito"), "José": ("Pepe", "Chepe", "Pepito"),
    "Francisco": ("Paco", "Pancho", "Kiko", "Frank"), "Ignacio": ("Nacho",),
    "Guillermo": ("Memo", "Guille"), "Eduardo": ("Lalo",), "Antonio": ("Toño", "Tony"),
    "Concepción": ("Concha", "Conchita", "Conchis"), "Graciela": ("Chela", "Gracie"),
    "Alejandro": ("Alex", "Jando"), "Alejandra": ("Ale", "Jandra"),
    "Enrique": ("Quique", "Kike"), "Rosario": ("Chayo", "Charo"),
    "Salvador": ("Chava", "Chavita"), "Refugio": ("Cuca", "Cuquita"),
    "Socorro": ("Coco", "Soco"), "Dolores": ("Lola", "Lolita"),
    "Roberto": ("Beto", "Robe"), "Alberto": ("Beto",), "Alfredo": ("Fredy",),
    "Rodolfo": ("Fito", "Rodo"), "Gregorio": ("Goyo",), "Isidro": ("Chilo",),
    "Manuel": ("Manolo", "Meme"), "Luis": ("Güicho", "Wicho"), "Ramón": ("Moncho",),
    "Teresa": ("Tere", "Teté"), "Beatriz": ("Bety",), "Josefina": ("Fina", "Pepa"),
    "Carmen": ("Mela", "Menchu"), "Leticia": ("Lety", "Leti"), "Verónica": ("Vero",),
    "Patricia": ("Paty", "Pati"), "Gabriela": ("Gaby",), "Elizabeth": ("Liz", "Eli"),
    "Daniel": ("Dani",), "Gerardo": ("Jerry",), "Fernando": ("Fer", "Nando"),
    "Ricardo": ("Richi",), "Mario": ("Marito",), "Juana": ("Juanita",),
    "Francisca": ("Pancha", "Paquita"), "Antonia": ("Toña",), "Cecilia": ("Ceci",),
    "Catalina": ("Cata",), "Santiago": ("Chago",), "Rogelio": ("Roge",),
    "Ignacia": ("Nacha",), "Carlos": ("Charly",), "Joaquín": ("Quino",),
    "Lucía": ("Lucha",), "Esther": ("Tere",), "Martha": ("Marthita",),
}
# QWERTY neighbours of each letter (the layout of most office keyboards in Mexico
# is Latin American, with the same letter rows).
_QWERTY_ROWS = ("qwertyuiop", "asdfghjklñ", "zxcvbnm")
# OCR confusions in scanned press pages: (what was printed, what was read).
_OCR = (
    ("rn", "m"), ("m", "rn"), ("cl", "d"), ("d", "cl"), ("li", "h"), ("w", "vv"),
    ("O", "0"), ("o", "0"), ("I", "1"), ("l", "1"), ("S", "5"), ("B", "8"), ("e", "c"),
    ("c", "e"), ("a", "o"), ("n", "ri"), ("h", "b"), ("u", "ii"),
)
_MISSING_TEXT = ("N/D", "S/N", "SIN DATO", "DESCONOCIDO", "XXX", "X", "NO ESPECIFICADO", "S/D")
_SENTINEL_BIRTH = ("1900-01-01", "01/01/1900")
_STATES = (
    "14", "28", "15", "30", "19", "16", "26", "12", "09", "32", "25", "08", "05", "21",
    "11", "17", "02", "24", "20", "18", "10", "22", "13", "07", "27", "06", "01", "29",
    "03", "04", "23", "31",
)
# fmt: on


def _neighbours() -> dict[str, str]:
    grid = {ch: (r, c) for r, row in enumerate(_QWERTY_ROWS) for c, ch in enumerate(row)}
    out = {}
    for ch, (r, c) in grid.items():
        near = [
            other
            for other, (r2, c2) in grid.items()
            if other != ch and abs(r2 - r) <= 1 and abs(c2 - c) <= (1 if r2 == r else 0)
        ]
        out[ch] = "".join(near)
    return out


_NEIGHBOURS = _neighbours()


def _plain(text: str) -> str:
    """Accents removed (ñ too, as most official exports write NUNEZ)."""
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


@dataclass(frozen=True)
class _Style:
    name: str
    capture: float
    duplicate: float
    layout: str  # "surname_first" | "columns" | "civil"
    upper: float  # capitals
    accents_kept: float
    nickname: float
    typo: float  # per word: keyboard, transposition, drop, double
    ocr: float  # per word
    truncate: int  # field width, 0 = none
    missing_maternal: float
    placeholder_maternal: float  # missing maternal written as N/D...
    married_name: float  # married women written with "de" + husband
    split_compound: float  # compound given name split across columns
    drop_second_given: float
    swap_order: float  # for civil layout: surname-first anyway
    birth_date: float
    sentinel_birth: float
    age: float
    age_error: float
    event_shift_days: int
    event_shift: float
    event_month_only: float
    municipality: float
    state_only: float
    sex_style: str
    date_style: str


_STYLES = (
    _Style(
        name="ministerio",
        capture=0.6,
        duplicate=0.03,
        layout="surname_first",
        upper=1.0,
        accents_kept=0.0,
        nickname=0.0,
        typo=0.03,
        ocr=0.0,
        truncate=0,
        missing_maternal=0.06,
        placeholder_maternal=0.0,
        married_name=0.1,
        split_compound=0.0,
        drop_second_given=0.0,
        swap_order=0.0,
        birth_date=0.8,
        sentinel_birth=0.12,
        age=0.1,
        age_error=0.0,
        event_shift_days=0,
        event_shift=0.0,
        event_month_only=0.0,
        municipality=0.9,
        state_only=0.05,
        sex_style="HM",
        date_style="dmy",
    ),
    _Style(
        name="padron",
        capture=0.5,
        duplicate=0.04,
        layout="columns",
        upper=1.0,
        accents_kept=0.0,
        nickname=0.0,
        typo=0.03,
        ocr=0.0,
        truncate=12,
        missing_maternal=0.1,
        placeholder_maternal=0.6,
        married_name=0.3,
        split_compound=0.12,
        drop_second_given=0.1,
        swap_order=0.0,
        birth_date=0.65,
        sentinel_birth=0.15,
        age=0.25,
        age_error=0.0,
        event_shift_days=0,
        event_shift=0.0,
        event_month_only=0.0,
        municipality=0.85,
        state_only=0.1,
        sex_style="words",
        date_style="iso",
    ),
    _Style(
        name="familias",
        capture=0.45,
        duplicate=0.05,
        layout="columns",
        upper=0.2,
        accents_kept=0.5,
        nickname=0.25,
        typo=0.05,
        ocr=0.0,
        truncate=0,
        missing_maternal=0.2,
        placeholder_maternal=0.1,
        married_name=0.5,
        split_compound=0.0,
        drop_second_given=0.35,
        swap_order=0.0,
        birth_date=0.2,
        sentinel_birth=0.0,
        age=0.7,
        age_error=0.05,
        event_shift_days=10,
        event_shift=0.3,
        event_month_only=0.0,
        municipality=0.7,
        state_only=0.2,
        sex_style="words",
        date_style="dmy",
    ),
    _Style(
        name="notas",
        capture=0.35,
        duplicate=0.0,
        layout="civil",
        upper=0.5,
        accents_kept=0.4,
        nickname=0.12,
        typo=0.03,
        ocr=0.06,
        truncate=0,
        missing_maternal=0.3,
        placeholder_maternal=0.0,
        married_name=0.2,
        split_compound=0.0,
        drop_second_given=0.3,
        swap_order=0.12,
        birth_date=0.0,
        sentinel_birth=0.0,
        age=0.85,
        age_error=0.15,
        event_shift_days=30,
        event_shift=0.4,
        event_month_only=0.15,
        municipality=0.6,
        state_only=0.3,
        sex_style="none",
        date_style="text",
    ),
)

_MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip


def _weighted(rng: random.Random, table: dict[str, float]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


class _Population:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.surnames = dict(_COMMON_SURNAMES)
        for rank, name in enumerate(_RARE_SURNAMES):
            self.surnames[name] = 0.25 / (1 + rank) ** 0.3
        self.s_names, self.s_weights = list(self.surnames), list(self.surnames.values())
        self.m_names, self.m_weights = list(_MEN), list(_MEN.values())
        self.f_names, self.f_weights = list(_WOMEN), list(_WOMEN.values())
        self.s_cum = _cumulative(self.s_weights)
        self.m_cum = _cumulative(self.m_weights)
        self.f_cum = _cumulative(self.f_weights)

    def surname(self) -> str:
        return self.rng.choices(self.s_names, cum_weights=self.s_cum)[0]

    def given(self, female: bool) -> str:
        names, cum = (self.f_names, self.f_cum) if female else (self.m_names, self.m_cum)
        first = self.rng.choices(names, cum_weights=cum)[0]
        chance = 0.6 if first in ("María", "José", "Juan") else 0.2
        if self.rng.random() < chance:
            second = self.rng.choice(_WOMEN_SECONDS if female else _MEN_SECONDS)
            if second != first:
                return f"{first} {second}"
        return first


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _people(n_people: int, rng: random.Random) -> pd.DataFrame:
    pop = _Population(rng)
    rows: list[dict] = []
    start = dt.date(2007, 1, 1)
    for person_id in range(n_people):
        female = rng.random() < 0.24
        event = start + dt.timedelta(days=rng.randrange(18 * 365))
        age = max(1, min(85, round(rng.gammavariate(5.5, 5.2))))
        birth = event - dt.timedelta(days=age * 365 + rng.randrange(365))
        state = rng.choice(_STATES[:12]) if rng.random() < 0.7 else rng.choice(_STATES)
        row = {
            "person_id": person_id,
            "female": female,
            "given": pop.given(female),
            "paternal": pop.surname(),
            "maternal": pop.surname(),
            "husband": pop.surname() if female and age >= 20 and rng.random() < 0.35 else "",
            "birth": birth,
            "event": event,
            "state": state,
            "municipality": f"{state}{min(int(rng.paretovariate(0.9)), 125):03d}",
        }
        roll = rng.random()
        if rows and roll < 0.12:
            kin = rows[-1]
            row.update(
                paternal=kin["paternal"],
                maternal=kin["maternal"],
                state=kin["state"],
                municipality=kin["municipality"],
            )
            if rng.random() < 0.5:
                row["event"] = kin["event"]
        elif rows and roll < 0.14:
            other = rows[rng.randrange(len(rows))]
            row.update(
                female=other["female"],
                given=other["given"],
                paternal=other["paternal"],
                maternal=other["maternal"],
                husband="",
            )
        rows.append(row)
    return pd.DataFrame(rows)


class _Writer:
    """Writes one person the way one list style would."""

    def __init__(self, style: _Style, rng: random.Random) -> None:
        self.s = style
        self.rng = rng

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    # Errors on one word -------------------------------------------------
    def typo(self, word: str) -> str:
        if len(word) < 4:
            return word
        i = self.rng.randrange(1, len(word) - 1)
        kind = self.rng.randrange(4)
        if kind == 0:  # neighbouring key
            near = _NEIGHBOURS.get(word[i].lower())
            if not near:
                return word
            ch = self.rng.choice(near)
            return word[:i] + (ch.upper() if word[i].isupper() else ch) + word[i + 1 :]
        if kind == 1:  # transposition
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if kind == 2:  # dropped letter
            return word[:i] + word[i + 1 :]
        return word[:i] + word[i] + word[i:]  # doubled letter

    def ocr(self, word: str) -> str:
        options = [(a, b) for a, b in _OCR if a in word[1:]]
        if not options:
            return word
        a, b = self.rng.choice(options)
        i = word.find(a, 1)
        return word[:i] + b + word[i + len(a) :]

    def word(self, word: str) -> str:
        if self.chance(self.s.typo):
            word = self.typo(word)
        if self.chance(self.s.ocr):
            word = self.ocr(word)
        return word

    def words(self, text: str) -> str:
        return " ".join(self.word(w) if len(w) > 3 else w for w in text.split())

    def case(self, text: str, upper: bool, accents: bool) -> str:
        if not accents:
            text = _plain(text)
        return text.upper() if upper else text

    # Parts --------------------------------------------------------------
    def given(self, given: str) -> str:
        parts = given.split(" ", 1)
        if self.chance(self.s.nickname):
            pick = parts[1] if len(parts) == 2 and self.chance(0.35) else parts[0]
            nicks = _NICKNAMES.get(pick)
            if nicks:
                return self.rng.choice(nicks)
            if pick.endswith(("o", "a")) and len(pick) > 3 and self.chance(0.5):
                return pick[:-1] + ("ita" if pick.endswith("a") else "ito")
        if len(parts) == 2 and self.chance(self.s.drop_second_given):
            return parts[0]
        return given

    def record(self, person: dict) -> dict:
        s, rng = self.s, self.rng
        upper = self.chance(s.upper)
        accents = self.chance(s.accents_kept)
        given = self.words(self.given(person["given"]))
        paternal = self.words(person["paternal"])
        maternal = self.words(person["maternal"])
        married = person["husband"] and self.chance(s.married_name)
        if married:
            husband = self.words(person["husband"])
            # "López de Hernández": the husband's surname takes the maternal
            # slot; sometimes it follows both surnames.
            maternal = f"de {husband}" if self.chance(0.7) else f"{maternal} de {husband}"
        elif self.chance(s.missing_maternal):
            maternal = ""
        record: dict = {}
        if s.layout == "columns":
            g, p, m = given, paternal, maternal
            if (
                " " in g
                and not g.split(" ", 1)[1].startswith("de")
                and self.chance(s.split_compound)
            ):
                first, second = g.split(" ", 1)
                g, p = first, f"{second} {p}"
            if not m and self.chance(s.placeholder_maternal):
                m = rng.choice(_MISSING_TEXT)
            if s.truncate:
                g, p, m = (x[: s.truncate].rstrip() for x in (g, p, m))
            record["given_names"] = self.case(g, upper, accents)
            record["paternal_surname"] = self.case(p, upper, accents)
            record["maternal_surname"] = self.case(m, upper, accents)
        else:
            surname_first = s.layout == "surname_first" or self.chance(s.swap_order)
            parts = [paternal, maternal, given] if surname_first else [given, paternal, maternal]
            record["full_name"] = self.case(" ".join(x for x in parts if x), upper, accents)
        record["sex"] = self.sex(person["female"])
        record["birth_date"], record["age"] = "", ""
        roll = rng.random()
        if roll < s.birth_date:
            if self.chance(s.sentinel_birth):
                record["birth_date"] = rng.choice(_SENTINEL_BIRTH)
            else:
                record["birth_date"] = self.date(person["birth"], False)
        elif roll < s.birth_date + s.age:
            event, birth = person["event"], person["birth"]
            age = event.year - birth.year - ((event.month, event.day) < (birth.month, birth.day))
            if self.chance(s.age_error):
                age += rng.choice((-2, -1, 1))
            record["age"] = str(max(age, 0))
        event = person["event"]
        if self.chance(s.event_shift):
            event += dt.timedelta(days=rng.randint(-s.event_shift_days, s.event_shift_days))
        record["event_date"] = self.date(event, self.chance(s.event_month_only))
        record["state"], record["municipality"] = "", ""
        roll = rng.random()
        if roll < s.municipality:
            record["state"], record["municipality"] = person["state"], person["municipality"]
        elif roll < s.municipality + s.state_only:
            record["state"] = person["state"]
        return record

    def sex(self, female: bool) -> str:
        if self.s.sex_style == "none":
            return ""
        if self.s.sex_style == "HM":
            return "M" if female else "H"
        return "MUJER" if female else "HOMBRE"

    def date(self, date: dt.date, month_only: bool) -> str:
        if month_only:
            return f"{date.year:04d}-{date.month:02d}"
        if self.s.date_style == "dmy":
            return date.strftime("%d/%m/%Y")
        if self.s.date_style == "text":
            return f"{date.day} de {_MONTHS[date.month - 1]} de {date.year}"
        return date.isoformat()


def generate_lists(n_people: int, seed: int = 0) -> SyntheticLists:
    """Fictional victims and four lists written in the styles above.

    Each source is a DataFrame in the standard schema plus ``person_id`` (the
    truth). Deterministic from ``seed``; record ids are shuffled.
    """
    rng = random.Random(f"independent-{seed}")
    people = _people(n_people, rng)
    sources: dict[str, pd.DataFrame] = {}
    records = people.to_dict("records")
    for index, style in enumerate(_STYLES):
        style_rng = random.Random(f"independent-{seed}-{index}")
        writer = _Writer(style, style_rng)
        rows = []
        for person in records:
            if style_rng.random() >= style.capture:
                continue
            copies = 2 if style_rng.random() < style.duplicate else 1
            for _ in range(copies):
                rows.append({**writer.record(person), "person_id": person["person_id"]})
        style_rng.shuffle(rows)
        frame = pd.DataFrame(rows)
        frame.insert(
            0, "record_id", [f"{style.name[:3].upper()}{i:07d}" for i in range(len(frame))]
        )
        sources[style.name] = frame
    truth_people = people.rename(columns={"given": "given_names"})
    truth_people["sex"] = truth_people.pop("female").map({True: "female", False: "male"})
    return SyntheticLists(sources, truth_people, seed)
