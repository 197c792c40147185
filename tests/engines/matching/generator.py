"""Fictional ante-mortem / post-mortem files with the truth, deterministic from a seed.

Every person, grave and remains here is invented. The wording tables below are
this generator's own and deliberately not the engine's vocabulary
(``memoria.matching.vocabulary``): families and forensic services are given
several phrasings each, some of which the engine does not know, so the
benchmark measures the engine on wording it was not built around.

What the generator shares with the engine's assumptions (see docs/matching.md):
a person's age at death is close to their age at disappearance; forensic age
and stature ranges usually contain the truth; remains are mostly found in the
state where the person was last seen; skin marks are lost on skeletonized and
fragmented remains while healed fractures, implants and amputations remain.

    frames = generate(2000, 3000, seed=7)
    frames.missing, frames.remains, frames.truth   # DataFrames of strings
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import pandas as pd

SIDES_FAMILY = ("derecho", "izquierdo", "derecha", "izquierda")
SIDES_FORENSIC = ("derecho", "izquierdo", "der.", "izq.")

REGION_WORDS = {
    # region: (family phrasings, forensic phrasings); {s} is a side
    "forearm": (
        ("antebrazo {s}", "brazo {s} abajo del codo", "en el antebrazo"),
        (
            "cara anterior de antebrazo {s}",
            "cara posterior del antebrazo {s}",
            "tercio distal de antebrazo {s}",
        ),
    ),
    "arm": (
        ("brazo {s}", "brazo {s} arriba del codo", "bícep {s}"),
        ("cara lateral de brazo {s}", "región braquial {s}"),
    ),
    "shoulder": (("hombro {s}",), ("región deltoidea {s}", "hombro {s}")),
    "chest": (("pecho", "pecho del lado {s}"), ("región pectoral {s}", "cara anterior de tórax")),
    "back": (
        ("espalda", "espalda alta", "en medio de la espalda"),
        ("región escapular", "región dorsal", "región interescapular"),
    ),
    "abdomen": (
        ("panza", "estómago", "abdomen"),
        ("mesogastrio", "flanco {s}", "región umbilical"),
    ),
    "hand": (
        ("mano {s}", "en la mano {s} entre los dedos"),
        ("dorso de mano {s}", "región dorsal de mano {s}"),
    ),
    "neck": (("cuello", "nuca"), ("región cervical posterior", "cara lateral de cuello")),
    "calf": (
        ("pantorrilla {s}", "chamorro {s}", "pierna {s} por atrás"),
        ("región gemelar {s}", "cara posterior de pierna {s}"),
    ),
    "thigh": (
        ("muslo {s}", "pierna {s} arriba"),
        ("cara lateral de muslo {s}", "región femoral {s}"),
    ),
    "ankle": (("tobillo {s}",), ("región maleolar {s}",)),
    "buttock": (("pompa", "nalga {s}"), ("región glútea {s}",)),
}
MOTIF_WORDS = {
    "virgin": (
        ("la Virgen de Guadalupe", "una virgencita", "la guadalupana"),
        ("imagen religiosa femenina", "figura mariana con resplandor"),
    ),
    "santa_muerte": (("la Santa Muerte", "la flaca"), ("figura esquelética con túnica y guadaña",)),
    "flower": (
        ("una rosa", "flores", "una rosa roja"),
        ("motivo floral", "rosa", "flor con tallo y hojas"),
    ),
    "heart": (("un corazón", "corazón con flecha"), ("figura de corazón", "corazón atravesado")),
    "star": (("estrellas", "una estrella"), ("figura estelar de cinco puntas", "estrellas")),
    "eagle": (("un águila", "águila con serpiente"), ("ave rapaz con alas extendidas",)),
    "scorpion": (("un alacrán",), ("figura de arácnido (alacrán)", "escorpión")),
    "skull": (("una calavera",), ("cráneo humano estilizado", "calavera")),
    "tribal": (("un tribal", "rayas tribales"), ("diseño geométrico tipo tribal", "grecas")),
    "butterfly": (("una mariposa",), ("lepidóptero", "mariposa")),
    "wolf": (("un lobo",), ("cabeza de cánido",)),
    "dragon": (("un dragón",), ("figura de dragón",)),
    "christ": (
        ("la cara de Cristo", "un Cristo"),
        ("rostro masculino con corona de espinas", "imagen religiosa masculina"),
    ),
    "rosary": (("un rosario",), ("rosario con cruz",)),
    "clown": (("un payaso",), ("rostro de payaso",)),
}
NAMES = (
    "MARIA",
    "JOSE",
    "LUPITA",
    "ANGEL",
    "CARMEN",
    "JUAN",
    "ROSA",
    "MIGUEL",
    "SOFIA",
    "LUIS",
    "ALEJANDRA",
    "DANIEL",
    "FERNANDA",
    "JORGE",
    "KARLA",
    "PEDRO",
    "VALERIA",
    "RAUL",
    "ITZEL",
    "MARTIN",
    "XIMENA",
    "OSCAR",
    "PAOLA",
    "JESUS",
    "LETICIA",
    "ARTURO",
    "YESENIA",
    "EDGAR",
    "BRENDA",
    "ULISES",
    "MAMA",
    "PAPA",
    "DULCE",
    "ABRIL",
    "EMILIANO",
    "RENATA",
    "SANTIAGO",
)
COLOURS = {
    # colour: (family, forensic)
    "blue": (("azul",), ("azul", "azul marino")),
    "black": (("negro", "negra"), ("negro", "color negro")),
    "white": (("blanco", "blanca"), ("blanco", "color blanco")),
    "red": (("rojo", "roja"), ("rojo", "color rojo")),
    "grey": (("gris",), ("gris", "gris jaspeado")),
    "green": (("verde",), ("verde", "verde olivo")),
    "brown": (("café",), ("café", "color marrón")),
    "beige": (("beige", "caqui"), ("beige", "color arena")),
    "maroon": (("guinda", "vino"), ("color vino", "guinda")),
    "yellow": (("amarillo", "amarilla"), ("amarillo",)),
}
GARMENTS = {
    # garment: (family, forensic, for women only)
    "jeans": (
        ("pantalón de mezclilla {c}", "jeans {c}"),
        ("pantalón de mezclilla color {c}", "pantalón tipo jeans {c}"),
        False,
    ),
    "tshirt": (
        ("playera {c}", "camiseta {c}"),
        ("playera manga corta color {c}", "camiseta de algodón {c}"),
        False,
    ),
    "polo": (("playera tipo polo {c}",), ("playera tipo polo color {c}",), False),
    "shirt": (("camisa {c} a cuadros", "camisa {c}"), ("camisa manga larga color {c}",), False),
    "hoodie": (
        ("sudadera {c}",),
        ("sudadera con capucha color {c}", "prenda con capucha {c}"),
        False,
    ),
    "jacket": (("chamarra {c}",), ("chamarra tipo rompevientos color {c}",), False),
    "shorts": (("short {c}",), ("bermuda color {c}",), False),
    "sneakers": (("tenis {c}",), ("calzado deportivo color {c}",), False),
    "boots": (("botas {c}",), ("botas de trabajo color {c}",), False),
    "cap": (("gorra {c}",), ("gorra tipo beisbolera color {c}",), False),
    "blouse": (("blusa {c}",), ("blusa color {c}",), True),
    "dress": (("vestido {c}",), ("vestido color {c}",), True),
    "skirt": (("falda {c}",), ("falda color {c}",), True),
}
BRANDS = (
    "Nike",
    "Adidas",
    "Puma",
    "Converse",
    "Vans",
    "Levi's",
    "Chivas",
    "América",
    "Charly",
    "Pirma",
)
BELONGINGS = (
    (("reloj {b}",), ("reloj de pulsera marca {b}",), ("Casio", "Timex", "Nike")),
    (("celular {b}",), ("teléfono móvil marca {b}",), ("Samsung", "Motorola", "Huawei", "Xiaomi")),
    (("cadena de oro", "cadenita con una cruz"), ("cadena de metal dorado con dije",), ()),
    (("anillo de plata",), ("anillo de metal plateado",), ()),
    (("pulsera de hilo rojo",), ("pulsera de hilo color rojo",), ()),
)
TEETH_FAMILY = {
    11: "diente de enfrente de arriba",
    21: "diente de enfrente de arriba",
    13: "colmillo de arriba",
    23: "colmillo de arriba",
    36: "muela de abajo",
    46: "muela de abajo",
    16: "muela de arriba",
    26: "muela de arriba",
    31: "diente de abajo de enfrente",
    41: "diente de abajo de enfrente",
}
STATE_WEIGHTS = [
    1,
    3,
    1,
    1,
    3,
    2,
    2,
    3,
    4,
    2,
    6,
    5,
    2,
    9,
    8,
    6,
    5,
    2,
    4,
    2,
    3,
    1,
    2,
    3,
    4,
    5,
    2,
    9,
    1,
    7,
    1,
    4,
]  # a fictional skew: some states report far more


@dataclass
class Person:
    pid: int
    sex: str
    age: int
    birth: dt.date
    seen: dt.date
    state: int
    municipality: int
    stature: int
    hair: tuple[str, str]
    marks: list[dict] = field(default_factory=list)
    dental: list[tuple[str, int, str]] = field(default_factory=list)
    clothing: list[tuple[str, str, str | None]] = field(default_factory=list)
    belongings: list[tuple[int, str | None]] = field(default_factory=list)


@dataclass
class Frames:
    missing: pd.DataFrame
    remains: pd.DataFrame
    truth: pd.DataFrame


class _Generator:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.pid = 0

    # People --------------------------------------------------------------
    def person(self, like: Person | None = None) -> Person:
        r = self.r
        self.pid += 1
        sex = like.sex if like else ("male" if r.random() < 0.8 else "female")
        age = (
            max(13, min(75, like.age + r.randint(-4, 4)))
            if like
            else int(min(75, max(13, r.gauss(29, 11))))
        )
        if like:
            seen = (
                like.seen + dt.timedelta(days=r.randint(-20, 20)) if r.random() < 0.5 else like.seen
            )
            state = like.state
        else:
            seen = dt.date(2008, 1, 1) + dt.timedelta(days=r.randint(0, 365 * 17))
            state = r.choices(range(1, 33), weights=STATE_WEIGHTS)[0]
        birth = seen - dt.timedelta(days=int(age * 365.25) + r.randint(0, 364))
        municipality = state * 1000 + (
            like.municipality % 1000 if like and r.random() < 0.7 else r.randint(1, 40)
        )
        stature = int(r.gauss(170 if sex == "male" else 158, 7))
        hair = (
            r.choice(("negro", "castaño oscuro", "castaño claro", "güero", "entrecano")),
            r.choice(("corto", "rapado", "largo", "mediano")),
        )
        p = Person(self.pid, sex, age, birth, seen, state, municipality, stature, hair)
        for _ in range(r.choices((0, 1, 2, 3), weights=(3, 4, 3, 1))[0]):
            p.marks.append(self.mark(p))
        if like and like.marks and r.random() < 0.7:  # a look-alike shares a tattoo motif
            shared = dict(r.choice(like.marks))
            shared["region"] = r.choice(list(REGION_WORDS))
            p.marks.append(shared)
        if r.random() < 0.3:
            for _ in range(r.randint(1, 2)):
                p.dental.append(self.tooth())
        garments = [g for g, v in GARMENTS.items() if sex == "female" or not v[2]]
        for g in r.sample(garments, r.randint(2, 4)):
            brand = (
                r.choice(BRANDS)
                if r.random() < 0.2 and g in ("sneakers", "tshirt", "cap", "jeans", "hoodie")
                else None
            )
            p.clothing.append((g, r.choice(list(COLOURS)), brand))
        if r.random() < 0.35:
            k = r.randrange(len(BELONGINGS))
            p.belongings.append((k, r.choice(BELONGINGS[k][2]) if BELONGINGS[k][2] else None))
        return p

    def mark(self, p: Person) -> dict:
        r = self.r
        kind = r.choices(
            ("tattoo", "scar", "mole", "piercing", "fracture", "implant", "amputation"),
            weights=(10, 4, 2, 1.5, 1, 0.7, 0.4),
        )[0]
        mark = {"kind": kind, "region": r.choice(list(REGION_WORDS)), "side": r.randrange(2)}
        if kind == "tattoo":
            mark["motif"] = r.choice(list(MOTIF_WORDS)) if r.random() < 0.8 else None
            if r.random() < 0.35:
                mark["name"] = r.choice(NAMES)
            elif r.random() < 0.1:
                mark["name"] = str(r.randint(1970, 2020))
        elif kind == "scar":
            mark["cause"] = r.choice(
                ("appendix", "gunshot", "knife", "burn")
                + (("cesarean",) if p.sex == "female" else ())
            )
        elif kind in ("fracture", "implant"):
            mark["bone"] = r.choice(("arm", "forearm", "leg", "clavicle"))
        elif kind == "amputation":
            mark["finger"] = r.choice(("índice", "meñique", "anular"))
        return mark

    def tooth(self) -> tuple[str, int, str]:
        r = self.r
        what = r.choice(("missing", "missing", "crown", "braces", "filling", "prosthesis"))
        return what, r.choice(list(TEETH_FAMILY)), r.choice(("oro", "metal"))

    # Wording -------------------------------------------------------------
    def region_text(self, mark: dict, forensic: bool) -> str:
        phrases = REGION_WORDS[mark["region"]][forensic]
        sides = SIDES_FORENSIC if forensic else SIDES_FAMILY
        return self.r.choice(phrases).format(
            s=sides[mark["side"] + (2 if self.r.random() < 0.3 else 0)]
        )

    def mark_text(self, mark: dict, forensic: bool) -> str:
        r = self.r
        where = self.region_text(mark, forensic)
        kind = mark["kind"]
        if kind == "tattoo":
            motif = r.choice(MOTIF_WORDS[mark["motif"]][forensic]) if mark.get("motif") else ""
            name = mark.get("name")
            if forensic:
                text = f"tatuaje en {where}: {motif or 'diseño no identificable'}"
                if name:
                    text += r.choice(
                        (f' con la leyenda "{name}"', f' con texto que se lee "{name}"')
                    )
                return text
            text = r.choice(
                (
                    f"tatuaje en {where} de {motif or 'un dibujo'}",
                    f"tiene tatuado {motif or 'un dibujo'} en {where}",
                    f"tatuaje {where}: {motif or 'dibujo'}",
                )
            )
            if name:
                text += r.choice((f" con el nombre {name}", f" que dice {name}"))
            return text
        if kind == "scar":
            cause = mark["cause"]
            if forensic:
                return {
                    "appendix": "cicatriz quirúrgica en fosa iliaca derecha",
                    "cesarean": "cicatriz quirúrgica transversal suprapúbica",
                    "gunshot": "cicatriz compatible con lesión por proyectil de arma de fuego "
                    f"en {where}",
                    "knife": f"cicatriz lineal por arma blanca en {where}",
                    "burn": f"cicatriz por quemadura en {where}",
                }[cause]
            return {
                "appendix": r.choice(
                    (
                        "cicatriz de la operación del apéndice",
                        "la cicatriz de cuando lo operaron de apendicitis",
                    )
                ),
                "cesarean": "cicatriz de cesárea",
                "gunshot": f"cicatriz de un balazo en {where}",
                "knife": f"cicatriz de una cuchillada en {where}",
                "burn": f"marca de quemadura en {where}",
            }[cause]
        if kind == "mole":
            return f"nevo en {where}" if forensic else f"un lunar grande en {where}"
        if kind == "piercing":
            return f"perforación en {where}" if forensic else f"arete en {where}"
        if kind in ("fracture", "implant"):
            side = mark["side"]
            bone = {
                "arm": (("brazo", "húmero")),
                "forearm": ("brazo", "radio"),
                "leg": ("pierna", "tibia"),
                "clavicle": ("clavícula", "clavícula"),
            }[mark["bone"]][forensic]
            s = (SIDES_FORENSIC if forensic else SIDES_FAMILY)[side]
            if kind == "fracture":
                return (
                    f"fractura consolidada de {bone} {s}"
                    if forensic
                    else f"se quebró el {bone} {s} hace años"
                )
            return (
                f"material de osteosíntesis en {bone} {s}"
                if forensic
                else f"tiene una placa en el {bone} {s}"
            )
        s = (SIDES_FORENSIC if forensic else SIDES_FAMILY)[mark["side"]]
        if forensic:
            return f"amputación de falange distal de dedo {mark['finger']} de mano {s}"
        return f"le falta la punta del dedo {mark['finger']} de la mano {s}"

    def dental_text(self, item, forensic: bool) -> str:
        what, tooth, material = item
        if forensic:
            return {
                "missing": f"ausencia ante mortem de pieza {tooth}",
                "crown": f"corona de metal {'amarillo' if material == 'oro' else 'plateado'} "
                f"en pieza {tooth}",
                "braces": "aparatología ortodóntica fija",
                "filling": f"obturación con amalgama en pieza {tooth}",
                "prosthesis": f"prótesis removible {'superior' if tooth < 30 else 'inferior'}",
            }[what]
        name = TEETH_FAMILY[tooth]
        return {
            "missing": self.r.choice((f"le falta un {name}", f"no tiene el {name}")),
            "crown": self.r.choice((f"corona de {material} en un {name}", f"diente de {material}")),
            "braces": self.r.choice(("usa frenos", "trae brackets")),
            "filling": "tiene tapaduras en las muelas",
            "prosthesis": f"usa placa dental {'de arriba' if tooth < 30 else 'de abajo'}",
        }[what]

    def clothing_text(self, p: Person, forensic: bool, keep: float) -> str:
        r = self.r
        items = []
        for garment, colour, brand in p.clothing:
            if forensic and r.random() > keep:
                continue
            if forensic and r.random() < 0.1:
                colour = r.choice(list(COLOURS))  # faded or stained
            c = r.choice(COLOURS[colour][forensic])
            text = r.choice(GARMENTS[garment][forensic]).format(c=c)
            if brand:
                text += f" marca {brand}" if forensic else f" {brand}"
            items.append(text)
        for k, brand in p.belongings:
            if forensic and r.random() > keep:
                continue
            items.append(r.choice(BELONGINGS[k][forensic]).format(b=brand or ""))
        return ("; " if forensic else ", ").join(items)


def _iso(d: dt.date) -> str:
    return d.isoformat()


def generate(n_missing: int, n_remains: int, seed: int = 2026, found_share: float = 0.3) -> Frames:
    """Fictional missing.csv / remains.csv / truth.csv frames (all strings)."""
    g = _Generator(seed)
    r = g.r
    people = [g.person() for _ in range(n_missing)]
    # Groups who vanished together (same day and place, similar ages).
    for start in range(0, n_missing - 5, 40):
        if r.random() < 0.5:
            head = people[start]
            for other in people[start + 1 : start + r.randint(2, 5)]:
                other.seen, other.state, other.municipality = (
                    head.seen,
                    head.state,
                    head.municipality,
                )
                other.age = max(13, head.age + r.randint(-6, 6))
                other.birth = other.seen - dt.timedelta(
                    days=int(other.age * 365.25) + r.randint(0, 364)
                )
    missing_rows = [_am_row(g, p) for p in people]

    remains_rows: list[dict] = []
    truth: list[tuple[str, str]] = []
    found_people = [p for p in people if r.random() < found_share]
    budget = int(n_remains * 0.45)
    graves: dict[tuple, tuple[dt.date, int]] = {}
    for p in found_people:
        if len(remains_rows) >= budget:
            break
        key = (p.seen, p.municipality)
        if key in graves and r.random() < 0.8:  # the group lies in the same grave
            found, municipality = graves[key]
            state = municipality // 1000
        else:
            gap = r.choices(
                (r.randint(1, 180), r.randint(180, 3 * 365), r.randint(3 * 365, 15 * 365)),
                weights=(4, 3.5, 2.5),
            )[0]
            found = p.seen + dt.timedelta(days=gap)
            if r.random() < 0.8:
                state = p.state
                municipality = (
                    p.municipality if r.random() < 0.5 else state * 1000 + r.randint(1, 40)
                )
            else:
                state = r.choices(range(1, 33), weights=STATE_WEIGHTS)[0]
                municipality = state * 1000 + r.randint(1, 40)
            graves[key] = (found, municipality)
        if found > dt.date(2026, 11, 30):
            found = dt.date(2026, 11, 30)
        parts = r.choices((1, 2, 3), weights=(85, 11, 4))[0]
        for _ in range(parts):
            row = _pm_row(g, p, found, municipality, split=parts > 1)
            remains_rows.append(row)
            truth.append((f"AM-{p.pid:07d}", row["remains_id"]))
    # Remains of people nobody in the file reported, some looking like someone who is.
    while len(remains_rows) < n_remains:
        like = r.choice(people) if r.random() < 0.25 else None
        stranger = g.person(like=like)
        gap = r.randint(1, 6 * 365)
        found = min(stranger.seen + dt.timedelta(days=gap), dt.date(2026, 11, 30))
        municipality = (
            stranger.municipality if r.random() < 0.6 else stranger.state * 1000 + r.randint(1, 40)
        )
        remains_rows.append(_pm_row(g, stranger, found, municipality, split=False))
    order = list(range(len(remains_rows)))
    r.shuffle(order)
    remains_rows = [remains_rows[i] for i in order]
    for i, row in enumerate(remains_rows):
        old = row["remains_id"]
        row["remains_id"] = f"PM-{i + 1:07d}"
        row["_old"] = old
    renamed = {row["_old"]: row["remains_id"] for row in remains_rows}
    remains = pd.DataFrame(remains_rows).drop(columns="_old")
    truth_frame = pd.DataFrame(
        [(m, renamed[x]) for m, x in truth], columns=["missing_id", "remains_id"]
    )
    return Frames(pd.DataFrame(missing_rows), remains, truth_frame)


def _am_row(g: _Generator, p: Person) -> dict:
    r = g.r
    marks = [g.mark_text(m, forensic=False) for m in p.marks if r.random() < 0.8]
    dental = [g.dental_text(d, forensic=False) for d in p.dental if r.random() < 0.7]
    seen = p.seen + dt.timedelta(days=r.choice((0, 0, 0, 1, 2, 5)))  # reported a few days late
    seen_text = (
        _iso(seen)
        if r.random() < 0.93
        else (seen.strftime("%Y-%m") if r.random() < 0.7 else str(seen.year))
    )
    age = p.age + (r.choice((-1, 1)) if r.random() < 0.1 else 0)
    return {
        "missing_id": f"AM-{p.pid:07d}",
        "sex": p.sex if r.random() < 0.98 else "",
        "birth_date": _iso(p.birth)
        if r.random() < 0.5
        else (str(p.birth.year) if r.random() < 0.3 else ""),
        "age_at_disappearance": str(age) if r.random() < 0.93 else "",
        "last_seen_date": seen_text,
        "last_seen_state": f"{p.state:02d}" if r.random() < 0.98 else "",
        "last_seen_municipality": f"{p.municipality:05d}" if r.random() < 0.9 else "",
        "stature_cm": str(int(round((p.stature + r.gauss(0, 3)) / 5) * 5))
        if r.random() < 0.8
        else "",
        "build": r.choice(("thin", "medium", "heavy", "")),
        "skin": r.choice(("light", "medium", "dark", "")),
        "hair_color": p.hair[0] if r.random() < 0.8 else "",
        "hair_length": p.hair[1] if r.random() < 0.7 else "",
        "eye_color": r.choice(("café oscuro", "café claro", "miel", "verdes", "")),
        "marks": "; ".join(marks),
        "dental": "; ".join(dental),
        "clothing": g.clothing_text(p, forensic=False, keep=1.0) if r.random() < 0.9 else "",
        "notes": "Salió de su casa y ya no regresó.",
    }


def _pm_row(g: _Generator, p: Person, found: dt.date, municipality: int, split: bool) -> dict:
    r = g.r
    years = (found - p.seen).days / 365.25
    if split:
        condition = r.choice(("fragmented", "partial", "skeletonized"))
    elif years < 0.1:
        condition = r.choices(("complete", "partial"), weights=(8, 2))[0]
    elif years < 1:
        condition = r.choices(("complete", "partial", "skeletonized"), weights=(3, 3, 4))[0]
    else:
        condition = r.choices(("partial", "skeletonized", "fragmented"), weights=(1, 6, 3))[0]
    skin = {"complete": 0.85, "partial": 0.45, "skeletonized": 0.0, "fragmented": 0.0}[condition]
    marks = []
    for m in p.marks:
        is_skin = m["kind"] in ("tattoo", "scar", "mole", "piercing")
        keep = skin if is_skin else (0.7 if not split else 0.35)
        if r.random() < keep:
            marks.append(g.mark_text(m, forensic=True))
    if skin == 0 and r.random() < 0.5:
        marks.append("piel no valorable por el estado de los restos")
    elif not marks and skin > 0 and r.random() < 0.6:
        marks.append("sin tatuajes visibles")
    dental = [
        g.dental_text(d, forensic=True) for d in p.dental if r.random() < (0.4 if split else 0.7)
    ]
    wrong_sex = {"complete": 0.005, "partial": 0.02, "skeletonized": 0.06, "fragmented": 0.1}[
        condition
    ]
    unknown_sex = {"complete": 0.02, "partial": 0.08, "skeletonized": 0.15, "fragmented": 0.4}[
        condition
    ]
    x = r.random()
    if x < wrong_sex:
        sex = "female" if p.sex == "male" else "male"
    elif x < wrong_sex + unknown_sex:
        sex = "undetermined"
    else:
        sex = p.sex
    death_age = p.age + (r.randint(0, 3) if r.random() < 0.1 else 0)
    error = {"complete": 3, "partial": 4, "skeletonized": 5, "fragmented": 7}[condition]
    centre = death_age + r.gauss(0, error / 2)
    half = r.randint(3, 2 + error)
    age_min, age_max = int(centre - half), int(centre + half)
    if r.random() < 0.08:  # a range that misses by 1 to 5 years
        shift = r.randint(1, 5)
        if r.random() < 0.5:
            age_min, age_max = death_age + shift, death_age + shift + 2 * half
        else:
            age_min, age_max = death_age - shift - 2 * half, death_age - shift
    age_known = r.random() < (0.95 if condition != "fragmented" else 0.6)
    stature_known = (
        r.random()
        < {"complete": 0.95, "partial": 0.7, "skeletonized": 0.75, "fragmented": 0.3}[condition]
    )
    width = {"complete": 2, "partial": 5, "skeletonized": 6, "fragmented": 9}[condition]
    s = p.stature + r.gauss(0, width / 2)
    notes = r.choice(
        (
            "Localizado en fosa clandestina por brigada de búsqueda.",
            "Ingreso a SEMEFO.",
            "Hallazgo en predio baldío.",
        )
    )
    if condition == "complete" and r.random() < 0.7:
        notes += f" Cabello {p.hair[0]} {p.hair[1]}."
    return {
        "remains_id": f"X-{p.pid}-{r.random():.8f}",
        "found_date": _iso(found),
        "found_state": f"{municipality // 1000:02d}",
        "found_municipality": f"{municipality:05d}" if r.random() < 0.85 else "",
        "sex_estimate": sex,
        "age_min": str(max(age_min, 10)) if age_known else "",
        "age_max": str(max(age_max, 12)) if age_known and r.random() < 0.95 else "",
        "stature_min_cm": str(int(s - width)) if stature_known else "",
        "stature_max_cm": str(int(s + width)) if stature_known else "",
        "marks": "; ".join(marks),
        "dental": "; ".join(dental),
        "clothing": g.clothing_text(p, forensic=True, keep=0.35 if split else 0.6),
        "condition": condition,
        "notes": notes,
    }
