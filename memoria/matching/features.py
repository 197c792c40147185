"""Read free Spanish text (marks, teeth, clothes, hair) into comparable tokens.

A token is a short string such as ``m:tattoo:forearm:flower`` (a tattoo of a
flower on the forearm), ``t:MARIA`` (letters written in a tattoo),
``d:missing:U:i1`` (an upper central incisor lost before death),
``c:tshirt:red`` or ``b:nike``. Family and forensic wording reach the same
token through :mod:`memoria.matching.vocabulary`.

Some tokens refine another (``m:tattoo:forearm:flower`` refines
``m:tattoo:forearm``); :func:`parent` gives the refined one, so that the
score counts the refinement by its conditional frequency and not twice.

Parsing is cached by item: the same wording met twice is read once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from memoria.matching import vocabulary as V

_ACCENTS = str.maketrans("áàäâãéèëêíìïîóòöôõúùüûñç", "aaaaaeeeeiiiiooooouuuunc")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalize(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces."""
    lowered = text.lower().translate(_ACCENTS)
    if not lowered.isascii():
        lowered = unicodedata.normalize("NFKD", lowered)
        lowered = "".join(c for c in lowered if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", lowered).split())


class _Phrases:
    """Finds the phrases of one vocabulary table in normalized text, longest first."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table
        keys = sorted(table, key=len, reverse=True)
        self.pattern = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in keys) + r")\b")

    def find(self, text: str) -> list[str]:
        return [self.table[m.group(0)] for m in self.pattern.finditer(text)]

    def first(self, text: str) -> str | None:
        match = self.pattern.search(text)
        return self.table[match.group(0)] if match else None

    def spans(self, text: str) -> list[tuple[int, str]]:
        return [(m.start(), self.table[m.group(0)]) for m in self.pattern.finditer(text)]


KINDS = _Phrases(V.MARK_KINDS)
REGIONS = _Phrases(V.REGIONS)
MOTIFS = _Phrases(V.MOTIFS)
TEETH = _Phrases(V.TOOTH_CLASSES)
ARCHES = _Phrases(V.ARCHES)
EVENTS = _Phrases(V.DENTAL_EVENTS)
MATERIALS = _Phrases(V.DENTAL_MATERIALS)
GARMENTS = _Phrases(V.GARMENTS)
COLOURS = _Phrases(V.COLOURS)
BRANDS = _Phrases(V.BRANDS)
HAIR_COLOURS = _Phrases(V.HAIR_COLOURS)
HAIR_LENGTHS = _Phrases(V.HAIR_LENGTHS)
_UNASSESSABLE = re.compile("|".join(re.escape(p) for p in V.UNASSESSABLE))
_NO_MARKS = re.compile("|".join(re.escape(p) for p in V.NO_MARKS))

# Written letters: a quoted word, or a word in capitals (not a Roman numeral).
_QUOTED = re.compile(r"[\"“”'«»]([^\"“”'«»]{2,30})[\"“”'«»]")
_CAPITALS = re.compile(r"\b[A-ZÁÉÍÓÚÑÜ]{3,}\b")
_NUMBERS = re.compile(r"\b(?:19|20)\d\d\b")
_FDI = re.compile(r"\b([1-4][1-8])\b")
_FDI_CONTEXT = re.compile(r"\b(?:pieza|piezas|organo|organos|od|diente|dientes|dental|dentales)\b")
_FDI_CLASS = {1: "i1", 2: "i2", 3: "c", 4: "p", 5: "p", 6: "m", 7: "m", 8: "m"}
_ABDOMINAL = frozenset({"appendix", "cesarean", "gallbladder", "hernia"})
_ITEMS = re.compile(r"[;\n]")
_CLOTHING_ITEMS = re.compile(r"[;,\n]")


def parent(token: str) -> str | None:
    """The token that ``token`` refines, or None for a first-level token."""
    kind, _, rest = token.partition(":")
    parts = rest.split(":")
    if kind == "m":
        if parts[1] == "any":
            return None  # a motif wherever it is: counted on its own
        return f"m:{parts[0]}:{parts[1]}" if len(parts) >= 3 else None
    if kind in ("d", "c") and len(parts) >= 2:
        return f"{kind}:{parts[0]}"
    return None


@dataclass
class MarkSummary:
    """What a marks field says, beyond its tokens."""

    tokens: list[str] = field(default_factory=list)
    tattoo_groups: int = 0  # bit i: a tattoo in region group i
    any_item: bool = False
    unassessable: bool = False
    states_none: bool = False


def _letters(raw: str) -> list[str]:
    found = []
    for quoted in _QUOTED.findall(raw):
        found.extend(w for w in normalize(quoted).upper().split() if len(w) >= 3)
    for word in _CAPITALS.findall(raw):
        found.append(normalize(word).upper())
    found.extend(_NUMBERS.findall(raw))
    return sorted(set(found))


@lru_cache(maxsize=200_000)
def mark_item(raw: str) -> tuple[tuple[str, ...], int]:
    """Tokens of one mark item and its tattoo region groups (a bit mask)."""
    text = normalize(raw)
    kind = KINDS.first(text)
    if kind is None:
        return (), 0
    regions = REGIONS.find(text)
    region = regions[0] if regions else None
    motifs = sorted(set(MOTIFS.find(text)) - ({"flower"} if kind != "tattoo" else set()))
    if region is None and set(motifs) & _ABDOMINAL:
        region = "abdomen"
    tokens = []
    base = f"m:{kind}:{region or 'any'}"
    tokens.append(base)
    if region is not None and kind not in V.SKIN_KINDS:
        tokens.append(f"m:{kind}:any")  # an implant or a fracture, whatever the bone is called
    for motif in motifs:
        tokens.append(f"{base}:{motif}")
        if region is not None:  # the motif, wherever the family placed it
            tokens.append(f"m:{kind}:any:{motif}")
    if kind == "tattoo":
        tokens.extend(f"t:{w}" for w in _letters(raw))
    groups = 0
    if kind == "tattoo" and region is not None:
        groups = 1 << V.REGION_GROUPS[region]
    elif kind == "tattoo":
        groups = 1 << 7  # somewhere unknown
    return tuple(tokens), groups


@lru_cache(maxsize=20_000)
def marks(raw: str) -> MarkSummary:
    """Read a whole marks field (items separated by ``;``)."""
    summary = MarkSummary()
    if not raw:
        return summary
    text = normalize(raw)
    summary.unassessable = bool(_UNASSESSABLE.search(text))
    summary.states_none = bool(_NO_MARKS.search(text))
    for item in _ITEMS.split(raw):
        tokens, groups = mark_item(item.strip())
        if tokens:
            summary.any_item = True
            summary.tokens.extend(tokens)
            summary.tattoo_groups |= groups
    return summary


@lru_cache(maxsize=200_000)
def dental_item(raw: str) -> tuple[str, ...]:
    """Tokens of one dental finding."""
    text = normalize(raw)
    if "post mortem" in text or "postmortem" in text:
        return ()
    event = EVENTS.first(text)
    if event is None:
        return ()
    tokens = [f"d:{event}"]
    places: set[str] = set()
    if _FDI_CONTEXT.search(text):
        for number in _FDI.findall(text):
            quadrant, tooth = int(number[0]), int(number[1])
            places.add(f"{'U' if quadrant <= 2 else 'L'}:{_FDI_CLASS[tooth]}")
    if not places:
        arches = ARCHES.find(text) or ["U", "L"]  # an unsaid arch may be either
        for tooth in TEETH.find(text):
            for arch in arches:
                places.add(f"{arch}:{tooth}")
    for place in sorted(places):
        tokens.append(f"d:{event}:{place}")
    if event == "crown":
        tokens.extend(f"d:crown:{m}" for m in sorted(set(MATERIALS.find(text))))
    return tuple(dict.fromkeys(tokens))


@lru_cache(maxsize=50_000)
def dental(raw: str) -> tuple[str, ...]:
    if not raw:
        return ()
    tokens: list[str] = []
    for item in re.split(r"[;,\n]", raw):
        tokens.extend(dental_item(item.strip()))
    return tuple(dict.fromkeys(tokens))


@lru_cache(maxsize=200_000)
def _clothing_item(item: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    text = normalize(item)
    garments = [g for _, g in sorted(GARMENTS.spans(text))]
    colours = sorted(set(COLOURS.find(text)))
    brands = sorted(set(BRANDS.find(text)))
    return tuple(garments[:1]), tuple(colours), tuple(brands)


@lru_cache(maxsize=50_000)
def clothing(raw: str) -> tuple[str, ...]:
    """Tokens of garments and belongings: garment, garment with colour, brand.

    Items are separated by ``,`` or ``;``; an item with a colour or brand but
    no garment ("color rojo") qualifies the garment before it.
    """
    if not raw:
        return ()
    tokens: list[str] = []
    garment = None
    for item in _CLOTHING_ITEMS.split(raw):
        garments, colours, brands = _clothing_item(item.strip())
        if garments:
            garment = garments[0]
            tokens.append(f"c:{garment}")
        if garment is not None:
            tokens.extend(f"c:{garment}:{c}" for c in colours)
        tokens.extend(f"b:{b}" for b in brands)
    return tuple(dict.fromkeys(tokens))


@lru_cache(maxsize=50_000)
def hair(colour: str, length: str = "") -> tuple[str, ...]:
    """Hair tokens from a colour and a length (or from a sentence about hair)."""
    tokens = [f"h:{c}" for c in sorted(set(HAIR_COLOURS.find(normalize(colour))))]
    tokens += [f"h:len:{x}" for x in sorted(set(HAIR_LENGTHS.find(normalize(length))))]
    return tuple(dict.fromkeys(tokens))


@lru_cache(maxsize=50_000)
def hair_in_notes(notes: str) -> tuple[str, ...]:
    """Hair tokens from forensic notes ("cabello negro, corto")."""
    text = normalize(notes)
    tokens: list[str] = []
    for match in re.finditer(r"\b(?:cabello|pelo|cabellera)\b((?:\s+\w+){1,4})", text):
        tokens.extend(hair(match.group(1), match.group(1)))
    return tuple(dict.fromkeys(tokens))
