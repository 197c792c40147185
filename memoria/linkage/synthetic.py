"""Synthetic lists of fictional Mexican victims, with the true identities.

Used by the tests and by ``bench/linkage_benchmark.py``; everything is drawn
from one seed, so the same call always returns the same lists and no large
test data needs to be committed.

What makes it realistic (and hard):

* surnames follow the real skew of Mexican lists: the frequency table below
  was written by the Memoria team from general knowledge of Mexican surname
  frequencies (it is not copied from any registry); its ~140 surnames carry
  61% of draws, led by Hernández, García, Martínez, López and González; the
  rest come from the long tail of Faker's ``es_MX`` surnames;
* compound given names (José Luis, María Guadalupe, María de la Luz);
* families: relatives share both surnames and a municipality, and are
  sometimes taken on the same day (the hardest false matches);
* namesakes: different people with the same common name;
* each source has its own errors: capitals without accents, Spanish phonetic
  typos, keyboard typos, missing or swapped surnames, nicknames, full-name-only
  columns with initials, age instead of birth date, shifted or partial event
  dates, wrong or missing municipality, duplicates within the source.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from memoria.names import NICKNAMES, strip_accents
from memoria.names.frequencies import COMMON_SURNAMES

# fmt: off
# Surnames from Nahuatl, Maya and other roots that Faker's list lacks.
EXTRA_SURNAMES = (
    "Xolalpa", "Cuautle", "Tzompa", "Chan", "Canul", "Pech", "Poot", "Tun", "Cauich", "Ek",
    "Itzá", "Tepox", "Coatl", "Ixtepan", "Xicoténcatl", "Tlatelpa", "Huitrón", "Xochihua",
    "Mazatl", "Tecuapetla", "Yáñez", "Quiñones", "Ybarra", "Bárcenas", "Zárate", "Villaseñor",
    "Olvera", "Quezada", "Zepeda", "Bañuelos", "Arzate", "Xalpa", "Cuéllar", "Gaytán",
)
# Given names: (name, relative weight). Compound names are built from these.
MALE_NAMES = {
    "José": 6.0, "Juan": 5.0, "Luis": 3.5, "Jesús": 3.2, "Miguel": 3.0, "Francisco": 2.8,
    "Antonio": 2.6, "Alejandro": 2.5, "Carlos": 2.5, "Jorge": 2.2, "Pedro": 1.8,
    "Manuel": 1.8, "Ricardo": 1.5, "Eduardo": 1.5, "Fernando": 1.4, "Roberto": 1.4,
    "Javier": 1.4, "Daniel": 1.3, "Guillermo": 1.0, "Ignacio": 0.9, "Salvador": 0.9,
    "Alberto": 1.0, "Sergio": 1.2, "Mario": 1.1, "Raúl": 1.0, "Martín": 1.0, "Arturo": 1.0,
    "Enrique": 0.9, "Víctor": 0.9, "Rafael": 0.8, "Héctor": 0.8, "Óscar": 0.8, "Gerardo": 0.7,
    "Ángel": 0.8, "Adrián": 0.6, "Gustavo": 0.5, "Rubén": 0.6, "Alfredo": 0.5, "Ernesto": 0.5,
    "Everardo": 0.2, "Heriberto": 0.2, "Ulises": 0.3, "Cuauhtémoc": 0.15, "Rodolfo": 0.4,
}
FEMALE_NAMES = {
    "María": 8.0, "Guadalupe": 3.0, "Ana": 2.0, "Rosa": 1.6, "Patricia": 1.4, "Laura": 1.3,
    "Verónica": 1.2, "Leticia": 1.0, "Elizabeth": 1.0, "Alejandra": 1.1, "Gabriela": 1.0,
    "Teresa": 0.9, "Adriana": 0.9, "Silvia": 0.9, "Margarita": 0.8, "Claudia": 0.8,
    "Araceli": 0.6, "Consuelo": 0.5, "Concepción": 0.5, "Rosario": 0.6, "Dolores": 0.5,
    "Yolanda": 0.6, "Josefina": 0.5, "Beatriz": 0.5, "Alicia": 0.5, "Graciela": 0.4,
    "Mónica": 0.6, "Xóchitl": 0.3, "Ximena": 0.3, "Fernanda": 0.4, "Daniela": 0.6,
    "Lorena": 0.5, "Norma": 0.6, "Isabel": 0.5, "Esperanza": 0.4, "Luz": 0.5,
}
# Share of disappearance records by state (INEGI code), rough and written by us.
STATE_WEIGHTS = {
    "14": 12.0, "28": 11.0, "15": 10.0, "30": 6.0, "19": 6.0, "16": 5.0, "26": 5.0,
    "12": 4.0, "09": 4.0, "32": 3.5, "25": 3.5, "08": 3.5, "05": 3.0, "21": 3.0, "11": 3.0,
    "17": 2.0, "02": 2.0, "24": 1.5, "20": 1.5, "18": 1.2, "10": 1.0, "22": 1.0, "13": 1.0,
    "07": 1.0, "27": 0.8, "06": 0.8, "01": 0.6, "29": 0.5, "03": 0.5, "04": 0.4,
    "23": 0.6, "31": 0.3,
}
# fmt: on
COMPOUND_FEMALE_SECONDS = (
    "Guadalupe",
    "de la Luz",
    "del Carmen",
    "Elena",
    "Isabel",
    "Fernanda",
    "de Jesús",
    "Teresa",
    "Concepción",
    "de los Ángeles",
    "José",
)
COMPOUND_MALE_SECONDS = (
    "Luis",
    "Carlos",
    "Manuel",
    "Antonio",
    "de Jesús",
    "Francisco",
    "Alberto",
    "Ángel",
    "Pablo",
    "Guadalupe",
    "Eduardo",
)


@dataclass(frozen=True)
class SourceProfile:
    """How one source captures and distorts records."""

    name: str
    capture: float  # probability that a person appears in this source
    duplicate: float = 0.0  # probability of a second record of the same person
    full_name_only: bool = False
    upper_no_accents: float = 0.0
    drop_accents: float = 0.0
    phonetic_typo: float = 0.0
    keyboard_typo: float = 0.0
    missing_maternal: float = 0.0
    swapped_surnames: float = 0.0
    nickname: float = 0.0
    initial_second_name: float = 0.0
    drop_second_name: float = 0.0
    birth_date: float = 1.0  # share with a birth date
    age: float = 0.0  # share with age (when no birth date)
    age_error: float = 0.0
    event_shift_days: int = 0
    event_shift: float = 0.0
    event_partial: float = 0.0
    municipality: float = 1.0
    state_only: float = 0.0
    wrong_municipality: float = 0.0
    sex: float = 1.0
    sex_style: str = "female/male"
    date_style: str = "iso"


DEFAULT_SOURCES: tuple[SourceProfile, ...] = (
    SourceProfile(
        "fiscalia",
        capture=0.6,
        duplicate=0.03,
        upper_no_accents=1.0,
        phonetic_typo=0.04,
        keyboard_typo=0.02,
        missing_maternal=0.03,
        birth_date=0.85,
        age=0.1,
        municipality=0.9,
        state_only=0.05,
        sex_style="H/M",
    ),
    SourceProfile(
        "colectivo",
        capture=0.5,
        duplicate=0.05,
        drop_accents=0.4,
        phonetic_typo=0.1,
        keyboard_typo=0.03,
        missing_maternal=0.15,
        nickname=0.2,
        drop_second_name=0.3,
        birth_date=0.2,
        age=0.7,
        event_shift=0.3,
        event_shift_days=10,
        municipality=0.7,
        state_only=0.2,
        sex_style="mujer/hombre",
    ),
    SourceProfile(
        "prensa",
        capture=0.35,
        full_name_only=True,
        drop_accents=0.3,
        phonetic_typo=0.06,
        keyboard_typo=0.02,
        missing_maternal=0.25,
        swapped_surnames=0.08,
        nickname=0.1,
        initial_second_name=0.3,
        drop_second_name=0.2,
        birth_date=0.0,
        age=0.8,
        age_error=0.1,
        event_shift=0.4,
        event_shift_days=30,
        event_partial=0.1,
        municipality=0.6,
        state_only=0.3,
        wrong_municipality=0.1,
        sex=0.5,
    ),
    SourceProfile(
        "registro",
        capture=0.55,
        duplicate=0.04,
        drop_accents=0.5,
        phonetic_typo=0.05,
        keyboard_typo=0.02,
        missing_maternal=0.05,
        swapped_surnames=0.03,
        birth_date=0.6,
        age=0.3,
        event_partial=0.1,
        municipality=0.85,
        state_only=0.1,
        wrong_municipality=0.05,
        date_style="dd/mm/yyyy",
    ),
)


@dataclass
class SyntheticLists:
    """Generated sources (standard schema plus a ``person_id`` truth column)."""

    sources: dict[str, pd.DataFrame]
    people: pd.DataFrame
    seed: int
    notes: dict[str, int] = field(default_factory=dict)

    def truth(self) -> pd.DataFrame:
        """source, record_id, person_id for every record."""
        frames = [f[["record_id", "person_id"]].assign(source=n) for n, f in self.sources.items()]
        return pd.concat(frames, ignore_index=True)[["source", "record_id", "person_id"]]


def _weighted(table: dict[str, float]) -> tuple[list[str], np.ndarray]:
    names = [k for k, v in table.items() if v > 0]
    weights = np.array([table[k] for k in names], dtype=float)
    return names, weights / weights.sum()


def _pick(rng: np.random.Generator, names: list[str], cdf: np.ndarray) -> str:
    """One weighted draw; ``searchsorted`` on a cumulative table is much faster
    than ``rng.choice(p=...)`` when called a million times."""
    return names[min(int(np.searchsorted(cdf, rng.random(), side="right")), len(names) - 1)]


def _surname_table() -> tuple[list[str], np.ndarray]:
    """Common surnames scaled to 61% of draws, the long tail sharing 39%."""
    from faker.providers.person.es_MX import Provider

    common, common_p = _weighted(COMMON_SURNAMES)
    tail = sorted(set(Provider.last_names) | set(EXTRA_SURNAMES) - set(common))
    tail = [t for t in tail if t not in COMMON_SURNAMES]
    # A gentle Zipf over the tail: even rare surnames are not all equally rare.
    tail_p = 1.0 / np.arange(1, len(tail) + 1) ** 0.6
    rng = np.random.default_rng(7)  # fixed: the table itself never changes
    rng.shuffle(tail_p)
    probabilities = np.concatenate([common_p * 0.61, tail_p / tail_p.sum() * 0.39])
    return common + tail, probabilities


class _People:
    """Draws people, families and namesakes."""

    def __init__(self, rng: np.random.Generator) -> None:
        from faker.providers.person.es_MX import Provider

        self.rng = rng
        self.surnames, self.surname_p = _surname_table()
        male = dict(MALE_NAMES)
        female = dict(FEMALE_NAMES)
        for name in Provider.first_names_male:
            male.setdefault(name.replace("  ", " "), 0.08)
        for name in Provider.first_names_female:
            female.setdefault(name.replace("  ", " "), 0.08)
        self.male, self.male_p = _weighted(male)
        self.female, self.female_p = _weighted(female)
        self.states, self.state_p = _weighted(STATE_WEIGHTS)
        self.cdf = {
            key: np.cumsum(getattr(self, f"{key}_p"))
            for key in ("surname", "male", "female", "state")
        }

    def given(self, sex: str) -> str:
        key = "female" if sex == "female" else "male"
        first = _pick(self.rng, getattr(self, key), self.cdf[key])
        compound = 0.45 if first in ("María", "José", "Juan") else 0.2
        if " " not in first and self.rng.random() < compound:
            seconds = COMPOUND_FEMALE_SECONDS if sex == "female" else COMPOUND_MALE_SECONDS
            second = seconds[self.rng.integers(len(seconds))]
            if second != first:
                return f"{first} {second}"
        return first

    def surname(self) -> str:
        return _pick(self.rng, self.surnames, self.cdf["surname"])

    def municipality(self) -> tuple[str, str]:
        state = _pick(self.rng, self.states, self.cdf["state"])
        # A few big municipalities hold most cases in each state.
        number = min(int(self.rng.zipf(1.6)), 120)
        return state, f"{state}{number:03d}"


def _random_date(rng: np.random.Generator, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=int(rng.integers(0, (end - start).days)))


def _age_at(birth: dt.date, event: dt.date) -> int:
    return event.year - birth.year - ((event.month, event.day) < (birth.month, birth.day))


def generate_people(
    n_people: int, seed: int = 0, family_share: float = 0.15, namesake_share: float = 0.02
) -> pd.DataFrame:
    """The true victims: one row per person with their real attributes.

    ``family_share`` of people are relatives of the previous person (same two
    surnames and municipality; half of them taken the same day);
    ``namesake_share`` copy another person's full name but nothing else.
    """
    rng = np.random.default_rng(seed)
    draw = _People(rng)
    rows: list[dict] = []
    start_event, end_event = dt.date(2006, 12, 1), dt.date(2024, 12, 31)
    for person_id in range(n_people):
        sex = "female" if rng.random() < 0.22 else "male"
        event = _random_date(rng, start_event, end_event)
        age = int(np.clip(rng.gamma(6.0, 5.0), 1, 85))
        birth = event - dt.timedelta(days=age * 365 + int(rng.integers(0, 365)))
        row = {
            "person_id": person_id,
            "sex": sex,
            "given": draw.given(sex),
            "paternal": draw.surname(),
            "maternal": draw.surname(),
            "birth": birth,
            "event": event,
        }
        row["state"], row["municipality"] = draw.municipality()
        roll = rng.random()
        if rows and roll < family_share:
            relative = rows[-1]
            row.update(
                paternal=relative["paternal"],
                maternal=relative["maternal"],
                state=relative["state"],
                municipality=relative["municipality"],
            )
            if rng.random() < 0.5:
                row["event"] = relative["event"]
        elif rows and roll < family_share + namesake_share:
            other = rows[int(rng.integers(len(rows)))]
            row.update(
                sex=other["sex"],
                given=other["given"],
                paternal=other["paternal"],
                maternal=other["maternal"],
            )
        rows.append(row)
    return pd.DataFrame(rows)


_PHONETIC_SWAPS = (
    ("v", "b"),
    ("b", "v"),
    ("z", "s"),
    ("s", "z"),
    ("ll", "y"),
    ("y", "ll"),
    ("ce", "se"),
    ("ci", "si"),
    ("que", "ke"),
    ("qui", "ki"),
    ("ge", "je"),
    ("gi", "ji"),
    ("je", "ge"),
    ("x", "j"),
    ("ñ", "n"),
    ("rr", "r"),
    ("ez", "es"),
    ("es", "ez"),
    ("h", ""),
)


class _Distorter:
    """Applies one source's errors to one person."""

    def __init__(self, profile: SourceProfile, rng: random.Random) -> None:
        self.p = profile
        self.rng = rng

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def phonetic_typo(self, word: str) -> str:
        lower = word.lower()
        options = [(a, b) for a, b in _PHONETIC_SWAPS if a in lower]
        if not options:
            return word
        a, b = self.rng.choice(options)
        index = lower.find(a) if a != "h" else (0 if lower.startswith("h") else -1)
        if index < 0:
            return word
        replaced = word[:index] + b + word[index + len(a) :]
        return replaced[:1].upper() + replaced[1:] if word[:1].isupper() else replaced

    def keyboard_typo(self, word: str) -> str:
        if len(word) < 4:
            return word
        i = self.rng.randrange(1, len(word) - 1)
        if self.chance(0.5):
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        return word[:i] + word[i + 1 :]

    def word(self, word: str) -> str:
        if self.chance(self.p.phonetic_typo):
            word = self.phonetic_typo(word)
        if self.chance(self.p.keyboard_typo):
            word = self.keyboard_typo(word)
        return word

    def given(self, given: str) -> str:
        parts = given.split(" ", 1)
        if self.chance(self.p.nickname):
            nick = _NICKNAMES_OF.get(
                strip_accents(parts[-1] if self.chance(0.3) else parts[0]).lower()
            )
            if nick:
                return self.rng.choice(nick).capitalize()
        if len(parts) == 2 and not parts[1].startswith(("de ", "del ")):
            if self.chance(self.p.initial_second_name):
                return f"{parts[0]} {parts[1][0]}."
            if self.chance(self.p.drop_second_name):
                return parts[0]
        return " ".join(self.word(w) for w in given.split())

    def text(self, value: str) -> str:
        if self.chance(self.p.upper_no_accents):
            return strip_accents(value).upper()
        if self.chance(self.p.drop_accents):
            return strip_accents(value)
        return value


def _nicknames_of() -> dict[str, list[str]]:
    reverse: dict[str, list[str]] = {}
    for nickname, names in NICKNAMES.items():
        for name in names:
            if " " not in name:
                reverse.setdefault(name, []).append(nickname)
    return reverse


_NICKNAMES_OF = _nicknames_of()


def _format_date(date: dt.date, style: str, partial: bool) -> str:
    if partial:
        return f"{date.year:04d}-{date.month:02d}"
    if style == "dd/mm/yyyy":
        return date.strftime("%d/%m/%Y")
    return date.isoformat()


def _sex_value(sex: str, style: str) -> str:
    styles = {
        "H/M": {"female": "M", "male": "H"},
        "mujer/hombre": {"female": "Mujer", "male": "Hombre"},
    }
    return styles.get(style, {}).get(sex, sex)


def _record(person: pd.Series, d: _Distorter) -> dict:
    p, rng = d.p, d.rng
    given = d.given(person["given"])
    paternal, maternal = d.word(person["paternal"]), d.word(person["maternal"])
    if d.chance(p.swapped_surnames):
        paternal, maternal = maternal, paternal
    if d.chance(p.missing_maternal):
        maternal = ""
    record: dict = {}
    if p.full_name_only:
        record["full_name"] = d.text(" ".join(x for x in (given, paternal, maternal) if x))
    else:
        record.update(
            given_names=d.text(given),
            paternal_surname=d.text(paternal),
            maternal_surname=d.text(maternal),
        )
    record["sex"] = _sex_value(person["sex"], p.sex_style) if d.chance(p.sex) else ""
    event = person["event"]
    if d.chance(p.event_shift):
        event = event + dt.timedelta(days=rng.randint(-p.event_shift_days, p.event_shift_days))
    record["event_date"] = _format_date(event, p.date_style, d.chance(p.event_partial))
    roll = rng.random()
    record["birth_date"], record["age"] = "", ""
    if roll < p.birth_date:
        record["birth_date"] = _format_date(person["birth"], p.date_style, False)
    elif roll < p.birth_date + p.age:
        age = _age_at(person["birth"], person["event"])
        if d.chance(p.age_error):
            age += rng.choice((-2, -1, 1, 2))
        record["age"] = str(max(age, 0))
    record["state"], record["municipality"] = "", ""
    roll = rng.random()
    if roll < p.municipality:
        record["state"], record["municipality"] = person["state"], person["municipality"]
        if d.chance(p.wrong_municipality):
            record["municipality"] = f"{person['state']}{rng.randint(1, 120):03d}"
    elif roll < p.municipality + p.state_only:
        record["state"] = person["state"]
    return record


def generate_lists(
    n_people: int, seed: int = 0, profiles: Sequence[SourceProfile] = DEFAULT_SOURCES
) -> SyntheticLists:
    """Fictional victims and the lists in which they appear.

    Each source is a DataFrame in the standard schema plus ``person_id`` (the
    truth, ignored by the importer). Record ids are shuffled so that record
    order gives nothing away.
    """
    people = generate_people(n_people, seed)
    sources: dict[str, pd.DataFrame] = {}
    for index, profile in enumerate(profiles):
        rng = random.Random(seed * 1000 + index)
        distorter = _Distorter(profile, rng)
        rows = []
        for person in people.itertuples(index=False):
            person_s = person._asdict()
            if rng.random() >= profile.capture:
                continue
            copies = 2 if rng.random() < profile.duplicate else 1
            for _ in range(copies):
                rows.append({**_record(person_s, distorter), "person_id": person.person_id})
        rng.shuffle(rows)
        frame = pd.DataFrame(rows)
        frame.insert(
            0, "record_id", [f"{profile.name[:3].upper()}-{i:07d}" for i in range(len(frame))]
        )
        sources[profile.name] = frame
    return SyntheticLists(sources, people, seed)
