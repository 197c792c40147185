"""Fictional, realistic case data for the demo network and the benchmarks.

Everything is invented and drawn from one seed: the same call always creates
the same events. The distributions are rough profiles written by the Memoria
team from general public knowledge of violence in Mexico since 2006; they are
meant to make the demo and the benchmarks look and behave like real data
(skewed surnames, violent states and years, families that share surnames),
not to be statistics about Mexico.

* States: ``STATE_WEIGHTS`` gives each state a share of events, higher where
  homicides and disappearances have been most reported (Guanajuato, Jalisco,
  Tamaulipas, Estado de México, Guerrero, Chihuahua, Michoacán, Veracruz,
  Sinaloa…). An organization documents mostly in its own states: 80% of its
  events fall there, 20% anywhere by the national profile. Within a state,
  municipalities are drawn in proportion to population^0.8 (Census 2020).
* Years: ``YEAR_WEIGHTS`` rises from 2006 with the militarized security
  policy, peaks around 2011 and again in 2018–2020, and thins in the last
  years, whose cases are documented late.
* Surnames: ``memoria.names.frequencies.COMMON_SURNAMES`` is a frequency
  table we wrote ourselves from general knowledge of Mexican surname
  frequencies (it is not copied from any registry): its ~140 surnames carry
  61% of draws, led by Hernández, García,
  Martínez, López and González; the remaining 39% are spread over Faker's
  ``es_MX`` surnames, nearly evenly. Given names come from Faker's ``es_MX`` lists, with the
  usual compound names (José Luis, María Guadalupe).
* Perpetrators: about a quarter of attributed acts name a state agent
  (municipal, state or federal police, the army, the navy, the National Guard
  from 2019, prosecutors, migration agents), in line with the share of
  disappearances that human-rights bodies have attributed to officials being a
  minority but far from negligible; organized-crime groups and "unknown" lead.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from memoria.accounts.models import Organization
from memoria.cases.io.bulk import bulk_create_sealed, refresh_statistics_after_commit
from memoria.cases.search import index_people
from memoria.geo import fold
from memoria.names.frequencies import COMMON_SURNAMES

# fmt: off
# Rough share of events by state (INEGI code), written by us; see module doc.
STATE_WEIGHTS: dict[str, float] = {
    "11": 9.0, "14": 9.0, "28": 7.5, "15": 8.0, "12": 6.0, "08": 6.0, "16": 6.0, "30": 5.5,
    "25": 4.5, "02": 5.0, "19": 4.0, "26": 4.0, "32": 3.5, "17": 3.0, "20": 2.5, "21": 2.5,
    "09": 3.0, "05": 2.0, "10": 1.5, "24": 1.5, "07": 1.5, "18": 1.2, "22": 1.0, "13": 1.0,
    "27": 1.0, "23": 1.2, "06": 1.5, "01": 0.5, "29": 0.5, "03": 0.5, "04": 0.4, "31": 0.3,
}
# Relative number of documented events by year, written by us; see module doc.
YEAR_WEIGHTS: dict[int, float] = {
    2006: 1.0, 2007: 2.0, 2008: 3.5, 2009: 4.5, 2010: 6.5, 2011: 8.0, 2012: 7.5, 2013: 6.5,
    2014: 6.5, 2015: 6.5, 2016: 7.0, 2017: 8.0, 2018: 9.0, 2019: 9.5, 2020: 9.0, 2021: 9.0,
    2022: 8.5, 2023: 8.0, 2024: 7.0, 2025: 5.0,
}
COMMON_SURNAME_SHARE = 0.61
COMPOUND_MALE = ("Luis", "Carlos", "Manuel", "Antonio", "de Jesús", "Francisco", "Alberto",
                 "Ángel", "Eduardo", "Alfredo")
COMPOUND_FEMALE = ("Guadalupe", "de la Luz", "del Carmen", "Elena", "Isabel", "Fernanda",
                   "de Jesús", "Teresa", "de los Ángeles", "José")
# Given names far more common than Faker's flat lists suggest.
COMMON_MALE = {"José": 8, "Juan": 6, "Luis": 3, "Jesús": 3, "Miguel": 3, "Francisco": 3,
               "Antonio": 2, "Alejandro": 2, "Carlos": 2, "Jorge": 2, "Pedro": 1.5}
COMMON_FEMALE = {"María": 10, "Guadalupe": 3, "Ana": 2, "Rosa": 1.5, "Patricia": 1.5,
                 "Laura": 1.2, "Verónica": 1.2, "Leticia": 1.0, "Juana": 1.0}
# Shares by kind of organization; codes are those of the seeded vocabularies.
VIOLATIONS_BY_KIND: dict[str, dict[str, float]] = {
    "search_collective": {
        "enforced_disappearance": 22, "disappearance_private": 58, "kidnapping": 8,
        "homicide": 4, "threat": 4, "forced_displacement": 2, "torture": 2,
    },
    "journalists_network": {
        "attack_journalist_defender": 30, "threat": 25, "harassment": 15,
        "homicide": 8, "arbitrary_detention": 6, "enforced_disappearance": 4,
        "disappearance_private": 3, "cruel_treatment": 3, "extortion": 3,
        "forced_displacement": 3,
    },
    "default": {
        "enforced_disappearance": 12, "disappearance_private": 18,
        "extrajudicial_execution": 8, "homicide": 14, "femicide": 5, "torture": 9,
        "cruel_treatment": 4, "arbitrary_detention": 9, "kidnapping": 5, "extortion": 3,
        "threat": 5, "harassment": 2, "attack_journalist_defender": 2,
        "forced_displacement": 3, "sexual_violence": 2, "other": 1,
    },
}
# Who is held responsible, for attributed acts. State agents ≈ 25% overall.
PERPETRATOR_WEIGHTS: dict[str, float] = {
    "organized_crime": 42, "unknown": 22, "private_person": 9, "municipal_police": 8,
    "state_police": 6, "army": 4, "federal_police": 2.5, "national_guard": 2.5, "navy": 1.5,
    "prosecutor": 1, "migration_authority": 0.8, "other_official": 0.7,
}
STATE_AGENTS_FOR_DISAPPEARANCE = ("municipal_police", "state_police", "army", "navy",
                                  "national_guard", "federal_police", "prosecutor")
SITUATIONS_BY_VIOLATION = {
    "enforced_disappearance": {"still_missing": 62, "found_dead": 18, "found_alive": 16,
                               "released": 4},
    "disappearance_private": {"still_missing": 62, "found_dead": 18, "found_alive": 16,
                              "released": 4},
    "kidnapping": {"released": 55, "still_missing": 20, "found_dead": 20, "found_alive": 5},
    "arbitrary_detention": {"released": 70, "detained": 30},
    "forced_displacement": {"displaced": 100},
    "homicide": {"dead": 100}, "femicide": {"dead": 100}, "extrajudicial_execution": {"dead": 100},
    "torture": {"injured": 60, "released": 30, "detained": 10},
}
RELATIONSHIP_WEIGHTS = {"mother": 40, "father": 12, "sister": 10, "brother": 9, "spouse": 14,
                        "daughter": 6, "son": 6, "grandparent": 1, "other_relative": 2}
SOURCE_WEIGHTS = {"testimony": 45, "press": 25, "official_document": 12, "ngo_report": 8,
                  "social_media": 7, "court_record": 3}
STATUS_WEIGHTS = {"open": 45, "verifying": 20, "verified": 30, "closed": 5}
PRECISION_WEIGHTS = {"day": 80, "month": 12, "year": 6, "unknown": 2}
GROUPS = ("Grupo armado sin nombre", "Célula local", "Cártel regional (ficticio)",
          "Banda de secuestradores (ficticia)", "Brazo armado de la organización (ficticia)")
NEWSPAPERS = ("Diario del Norte (ficticio)", "El Vigía Regional (ficticio)",
              "Semanario La Voz (ficticio)", "Noticias del Golfo (ficticio)")
# fmt: on

NATIONAL_GUARD_FROM = dt.date(2019, 6, 30)
FEDERAL_POLICE_UNTIL = dt.date(2019, 12, 31)


class WeightedTable:
    """Fast weighted draws from a fixed table (bisect on the cumulative weights)."""

    def __init__(self, weights: dict) -> None:
        self.items = [k for k, w in weights.items() if w > 0]
        self.cumulative = list(itertools.accumulate(weights[k] for k in self.items))

    def draw(self, rng: random.Random):
        point = rng.random() * self.cumulative[-1]
        return self.items[min(bisect.bisect_right(self.cumulative, point), len(self.items) - 1)]


class NameMaker:
    """Mexican names with the real skew: a few surnames everywhere, a long tail."""

    def __init__(self) -> None:
        from faker.providers.person.es_MX import Provider

        common = {fold(name) for name in COMMON_SURNAMES}
        tail = sorted({n for n in Provider.last_names if fold(n) not in common})
        common_total = sum(COMMON_SURNAMES.values())
        # A nearly flat tail: no tail surname outweighs the rarest common ones by much,
        # so the 140 most frequent surnames carry about 61% of draws, as in real lists.
        jitter = random.Random(7)  # fixed: the table itself never changes
        tail_weights = [0.6 + 0.4 * jitter.random() for _ in tail]
        scale = (1 - COMMON_SURNAME_SHARE) / sum(tail_weights)
        weights = {n: w / common_total * COMMON_SURNAME_SHARE for n, w in COMMON_SURNAMES.items()}
        weights.update({n: w * scale for n, w in zip(tail, tail_weights, strict=True)})
        self.surnames = WeightedTable(weights)
        male = dict.fromkeys(Provider.first_names_male, 0.4) | COMMON_MALE
        female = dict.fromkeys(Provider.first_names_female, 0.4) | COMMON_FEMALE
        self.given = {"male": WeightedTable(male), "female": WeightedTable(female)}

    def surname(self, rng: random.Random) -> str:
        return self.surnames.draw(rng)

    def given_names(self, rng: random.Random, sex: str) -> str:
        key = "female" if sex == "female" else "male"
        first = self.given[key].draw(rng)
        chance = 0.5 if first in ("María", "José", "Juan") else 0.15
        if rng.random() < chance:
            second = rng.choice(COMPOUND_FEMALE if key == "female" else COMPOUND_MALE)
            if fold(second) != fold(first):
                return f"{first} {second}"
        return first


def surname_share(names: list[str], top: int = 140) -> float:
    """Share of ``names`` carried by the ``top`` most frequent ones (for tests)."""
    from collections import Counter

    counts = Counter(names)
    return sum(n for _, n in counts.most_common(top)) / max(len(names), 1)


def has_demo_cases(organization: Organization) -> bool:
    from memoria.cases.models import Event

    return Event.objects.filter(organization=organization).exists()


def load_demo_cases(
    organization: Organization,
    count: int = 3000,
    seed: int = 2026,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Create ``count`` fictional events with victims, relatives, perpetrators and
    sources for ``organization``; return how many were created.

    Idempotent: an organization that already has cases is left alone (0).
    Deterministic: the same organization slug, count and seed give the same data.
    One transaction: an interrupted load leaves nothing behind.
    """
    if has_demo_cases(organization):
        return 0
    rng = random.Random(f"{seed}:{organization.slug}")
    with transaction.atomic():
        writer = DemoWriter(organization, rng)
        for done in writer.write(count):
            if progress:
                progress(done, count)
        refresh_statistics_after_commit(count * 3)  # about three rows per event in each table
    return count


def random_date(rng: random.Random, year: int) -> dt.date:
    start = dt.date(year, 1, 1)
    end = min(dt.date(year, 12, 31), timezone.localdate())
    return start + dt.timedelta(days=rng.randint(0, max((end - start).days, 0)))


# fmt: off
OCCUPATIONS = ("Comerciante", "Estudiante", "Albañil", "Jornalero", "Chofer", "Mecánico",
               "Ama de casa", "Campesino", "Empleada", "Obrero", "Taxista", "Enfermera",
               "Maestra", "Pescador", "Músico", "Policía municipal", "Vendedor ambulante",
               "Periodista", "Abogado", "Activista")
ALIASES = ("El Güero", "El Flaco", "La Chata", "El Chino", "El Negro", "Chuy", "Pepe", "Lupita",
           "El Moreno", "La Güera", "El Gordo", "Toño", "Paco", "Nacho", "Memo")
MIGRANT_NATIONALITIES = ("Hondureña", "Guatemalteca", "Salvadoreña", "Venezolana",
                         "Nicaragüense", "Haitiana", "Cubana")
TITLES = {
    "enforced_disappearance": "Desaparición forzada de {name} en {place}",
    "disappearance_private": "Desaparición de {name} en {place}",
    "extrajudicial_execution": "Ejecución extrajudicial de {name} en {place}",
    "homicide": "Homicidio de {name} en {place}",
    "femicide": "Feminicidio de {name} en {place}",
    "torture": "Tortura de {name} en {place}",
    "cruel_treatment": "Malos tratos a {name} en {place}",
    "arbitrary_detention": "Detención arbitraria de {name} en {place}",
    "kidnapping": "Secuestro de {name} en {place}",
    "extortion": "Extorsión a {name} en {place}",
    "threat": "Amenazas contra {name} en {place}",
    "harassment": "Hostigamiento a {name} en {place}",
    "attack_journalist_defender": "Agresión a {name} en {place}",
    "forced_displacement": "Desplazamiento forzado de la familia {surname} en {place}",
    "sexual_violence": "Violencia sexual contra {name} en {place}",
    "other": "Hechos contra {name} en {place}",
}
DESCRIPTIONS = (
    "Según el testimonio de su familia, {given} salió de su domicilio y ya no regresó. "
    "Caso ficticio generado para la demostración.",
    "Vecinos refieren que hombres armados llegaron en dos camionetas. "
    "Caso ficticio generado para la demostración.",
    "La familia presentó denuncia; la investigación no ha avanzado. "
    "Caso ficticio generado para la demostración.",
    "Los hechos ocurrieron de noche, en la vía pública. "
    "Caso ficticio generado para la demostración.",
)
# fmt: on
CONSENT_NOTE = "Consentimiento ficticio de la familia."


class DemoWriter:
    """Builds demo events in memory and writes them with bulk inserts, in batches."""

    BATCH = 500

    def __init__(self, organization: Organization, rng: random.Random) -> None:
        from memoria.cases.models import Event, Term, Vocabulary
        from memoria.places.models import Municipality

        self.organization = organization
        self.rng = rng
        self.names = NameMaker()
        self.terms = {code: {} for code in Vocabulary.objects.values_list("code", flat=True)}
        for term in Term.objects.filter(organization__isnull=True).select_related("vocabulary"):
            self.terms[term.vocabulary.code][term.code] = term
        kind = organization.kind
        weights = VIOLATIONS_BY_KIND.get(kind, VIOLATIONS_BY_KIND["default"])
        self.violations = WeightedTable(
            {c: w for c, w in weights.items() if c in self.terms["violation_type"]}
        )
        own = set(organization.states.values_list("code", flat=True))
        self.national = WeightedTable(STATE_WEIGHTS)
        self.own = (
            WeightedTable({c: w for c, w in STATE_WEIGHTS.items() if c in own}) if own else None
        )
        self.municipalities: dict[str, tuple[list, WeightedTable]] = {}
        by_state: dict[str, dict] = {}
        for m in Municipality.objects.only("cvegeo", "state_id", "name", "population_total"):
            by_state.setdefault(m.state_id, {})[m] = max(m.population_total, 1) ** 0.8
        self.municipalities = {state: WeightedTable(table) for state, table in by_state.items()}
        self.years = WeightedTable(YEAR_WEIGHTS)
        self.tables = {
            name: WeightedTable(table)
            for name, table in (
                ("perpetrator", PERPETRATOR_WEIGHTS),
                ("relationship", RELATIONSHIP_WEIGHTS),
                ("source", SOURCE_WEIGHTS),
                ("status", STATUS_WEIGHTS),
                ("precision", PRECISION_WEIGHTS),
                ("basis", {"alleged_by_family": 45, "witnessed": 30, "press": 15,
                           "official_finding": 10}),
                ("confidence", {"medium": 50, "high": 30, "low": 20}),
                ("reliability", {"high": 35, "medium": 40, "low": 10, "unknown": 15}),
                ("visibility", {"private": 70, "partners": 20, "aggregate": 9, "memorial": 1}),
            )
        }  # fmt: skip
        self.situations = {v: WeightedTable(t) for v, t in SITUATIONS_BY_VIOLATION.items()}
        last = Event.objects.filter(organization=organization).order_by("-number").first()
        self.next_number = (last.number if last else 0) + 1
        self.now = timezone.now()

    # -- drawing one case
    def place(self):
        rng = self.rng
        table = self.own if self.own and rng.random() < 0.8 else self.national
        state = table.draw(rng)
        return state, self.municipalities[state].draw(rng)

    def event_date(self) -> tuple[dt.date | None, str]:
        precision = self.tables["precision"].draw(self.rng)
        date = random_date(self.rng, self.years.draw(self.rng))
        if precision == "unknown":
            return None, precision
        if precision == "month":
            return date.replace(day=1), precision
        if precision == "year":
            return date.replace(month=1, day=1), precision
        return date, precision

    def person(self, sex: str, **fields):
        from memoria.cases.models import Person

        rng = self.rng
        person = Person(
            organization=self.organization,
            sex=sex,
            given_names=fields.pop("given_names", None) or self.names.given_names(rng, sex),
            paternal_surname=fields.pop("paternal_surname", None) or self.names.surname(rng),
            maternal_surname=fields.pop("maternal_surname", None)
            if "maternal_surname" in fields
            else (self.names.surname(rng) if rng.random() > 0.05 else ""),
            created_at=self.now,
            updated_at=self.now,
            **fields,
        )
        return person

    def victim(self, violation: str, event_date: dt.date | None):
        from memoria.cases.actions import age_band

        rng = self.rng
        female_share = {"femicide": 1.0, "sexual_violence": 0.85}.get(violation, 0.2)
        sex = "female" if rng.random() < female_share else "male"
        age = max(0, min(85, int(rng.gauss(31, 11))))
        if violation == "femicide":
            age = max(age, 12)
        reference = event_date or dt.date(2015, 6, 1)
        birth = reference - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        birth_known = rng.random() < 0.55
        nationality, migrant = "Mexicana", False
        if rng.random() < 0.04:
            nationality, migrant = rng.choice(MIGRANT_NATIONALITIES), True
        kind = self.organization.kind
        visibility = self.tables["visibility"].draw(rng)
        person = self.person(
            sex,
            age=age,
            age_band=age_band(age),
            birth_date=birth if birth_known else None,
            birth_precision="day" if birth_known else "unknown",
            nationality=nationality,
            occupation=rng.choice(OCCUPATIONS) if rng.random() < 0.7 else "",
            aliases=rng.choice(ALIASES) if rng.random() < 0.06 else "",
            is_migrant=migrant,
            is_child=age < 18,
            is_journalist=kind == "journalists_network" and rng.random() < 0.8,
            is_defender=(kind == "human_rights_centre" and rng.random() < 0.08)
            or (kind == "journalists_network" and rng.random() < 0.15),
            is_indigenous_authority=rng.random() < 0.01,
            is_lgbttti=rng.random() < 0.03,
            visibility=visibility,
            consent_recorded_at=self.now if visibility == "memorial" else None,
            consent_note="Consentimiento ficticio de la familia."
            if visibility == "memorial"
            else "",
        )
        if birth_known and rng.random() < 0.15:
            person.curp = make_curp(person, birth, rng)
        return person

    def relative(self, victim, relationship: str):
        rng = self.rng
        female = relationship in ("mother", "sister", "daughter") or (
            relationship in ("spouse", "grandparent", "other_relative")
            and (victim.sex == "male") == (rng.random() < 0.85)
        )
        sex = "female" if female else "male"
        fields = {}
        if relationship == "mother":
            fields["paternal_surname"] = victim.maternal_surname or None
        elif relationship == "father":
            fields["paternal_surname"] = victim.paternal_surname
        elif relationship in ("sister", "brother"):
            fields["paternal_surname"] = victim.paternal_surname
            fields["maternal_surname"] = victim.maternal_surname
        elif relationship in ("son", "daughter") and victim.sex == "male":
            fields["paternal_surname"] = victim.paternal_surname
        return self.person(
            sex,
            is_searching_relative=relationship in ("mother", "sister", "spouse", "father")
            and rng.random() < 0.6,
            **fields,
        )

    def perpetrator(self, violation: str, date: dt.date | None) -> str:
        rng = self.rng
        if violation in ("enforced_disappearance", "extrajudicial_execution"):
            kind = rng.choice(STATE_AGENTS_FOR_DISAPPEARANCE)
        elif violation == "disappearance_private":
            kind = rng.choice(("organized_crime", "organized_crime", "private_person", "unknown"))
        else:
            kind = self.tables["perpetrator"].draw(rng)
        if date and kind == "national_guard" and date < NATIONAL_GUARD_FROM:
            kind = "federal_police"
        elif date and kind == "federal_police" and date > FEDERAL_POLICE_UNTIL:
            kind = "national_guard"
        return kind

    # -- writing
    def write(self, count: int):
        """Write ``count`` events in batches; yield the number written after each."""
        done = 0
        while done < count:
            size = min(self.BATCH, count - done)
            self._write_batch(size)
            done += size
            yield done

    def _write_batch(self, size: int) -> None:
        from memoria.cases import models as m

        rng = self.rng
        term = self.terms
        events, cases = [], []
        for _ in range(size):
            state, municipality = self.place()
            date, precision = self.event_date()
            violation = self.violations.draw(rng)
            event = m.Event(
                organization=self.organization,
                number=self.next_number,
                start_date=date,
                start_precision=precision,
                state_id=state,
                municipality_id=municipality.cvegeo,
                locality="" if rng.random() < 0.6 else f"Colonia {self.names.surname(rng)}",
                status=self.tables["status"].draw(rng),
                created_at=self.now,
                updated_at=self.now,
            )
            if precision == "day" and rng.random() < 0.1:
                event.end_date = date + dt.timedelta(days=rng.randint(1, 30))
                event.end_precision = "day"
            self.next_number += 1
            n_victims = 1 if rng.random() < 0.78 else rng.choice((2, 2, 2, 3, 3, 4, 5))
            victims = [self.victim(violation, date) for _ in range(n_victims)]
            name = (
                victims[0].full_name
                if n_victims == 1
                else f"{victims[0].full_name} y otras personas"
            )
            event.title = TITLES[violation].format(
                name=name, place=municipality.name, surname=victims[0].paternal_surname
            )
            event.description = rng.choice(DESCRIPTIONS).format(given=victims[0].given_names)
            relatives = []
            share = 0.85 if "disappearance" in violation else 0.3
            for victim in victims:
                if rng.random() < share:
                    for _ in range(rng.choice((1, 1, 2, 2, 3))):
                        relationship = self.tables["relationship"].draw(rng)
                        relatives.append(
                            (victim, relationship, self.relative(victim, relationship))
                        )
            events.append(event)
            cases.append((event, violation, victims, relatives))
        bulk_create_sealed(m.Event, events, self.organization.pk, batch_size=self.BATCH)
        people = [p for _e, _v, victims, rel in cases for p in victims + [r[2] for r in rel]]
        bulk_create_sealed(m.Person, people, self.organization.pk, batch_size=self.BATCH)
        acts = []
        for event, violation, victims, _relatives in cases:
            for victim in victims:
                situations = self.situations.get(violation)
                acts.append(
                    m.Act(
                        organization=self.organization,
                        event=event,
                        victim=victim,
                        violation_type=term["violation_type"][violation],
                        situation=term["victim_situation"].get(situations.draw(rng))
                        if situations
                        else None,
                        created_at=self.now,
                        updated_at=self.now,
                    )
                )
        bulk_create_sealed(m.Act, acts, self.organization.pk, batch_size=self.BATCH)
        self._write_details(cases, acts)

    def _write_details(self, cases, acts) -> None:
        from memoria.cases import models as m
        from memoria.cases.caseindex import rebuild

        rng = self.rng
        term = self.terms
        org = self.organization
        stamp = {"organization": org, "created_at": self.now, "updated_at": self.now}
        acts_by_event: dict[int, list] = {}
        for act in acts:
            acts_by_event.setdefault(act.event_id, []).append(act)
        indirect, attributions, sources, interventions, changes = [], [], [], [], []
        for event, violation, _victims, relatives in cases:
            for victim, relationship, person in relatives:
                indirect.append(
                    m.IndirectVictim(
                        event=event,
                        direct_victim=victim,
                        person=person,
                        relationship=term["relationship"][relationship],
                        **stamp,
                    )
                )
            date = event.start_date
            for act in acts_by_event[event.pk]:
                if rng.random() < 0.75 or violation in (
                    "enforced_disappearance",
                    "extrajudicial_execution",
                ):
                    kind = self.perpetrator(violation, date)
                    attributions.append(
                        m.Attribution(
                            act=act,
                            event=event,
                            kind=term["perpetrator_kind"][kind],
                            group_name=rng.choice(GROUPS) if kind == "organized_crime" else "",
                            basis=term["attribution_basis"][self.tables["basis"].draw(rng)],
                            confidence=self.tables["confidence"].draw(rng),
                            **stamp,
                        )
                    )
            for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
                kind = self.tables["source"].draw(rng)
                sources.append(
                    (
                        m.Source(
                            event=event,
                            kind=term["source_kind"][kind],
                            date=date + dt.timedelta(days=rng.randint(0, 60)) if date else None,
                            reliability=self.tables["reliability"].draw(rng),
                            reference=source_reference(kind, rng, date),
                            summary="Resumen ficticio de la fuente." if rng.random() < 0.5 else "",
                            **stamp,
                        ),
                        acts_by_event[event.pk],
                    )
                )
            if rng.random() < 0.45:
                year = date.year if date else 2016
                interventions.append(
                    m.Intervention(
                        event=event,
                        kind=term["intervention_kind"]["complaint_prosecutor"],
                        authority="Fiscalía del estado",
                        folio=f"CI/{event.state_id}/{rng.randint(100, 9999)}/{year}",
                        date=date + dt.timedelta(days=rng.randint(1, 20)) if date else None,
                        **stamp,
                    )
                )
            changes.append(
                m.Change(
                    organization=org,
                    event=event,
                    at=self.now,
                    kind="event",
                    object_id=event.pk,
                    action=m.Change.Action.CREATED,
                    changes={"demo": [None, True]},
                )
            )
        bulk_create_sealed(m.IndirectVictim, indirect, org.pk, batch_size=self.BATCH)
        bulk_create_sealed(m.Attribution, attributions, org.pk, batch_size=self.BATCH)
        bulk_create_sealed(m.Source, [s for s, _ in sources], org.pk, batch_size=self.BATCH)
        through = m.Source.acts.through
        through.objects.bulk_create(
            [through(source_id=s.pk, act_id=a.pk) for s, supported in sources for a in supported],
            batch_size=2000,
        )
        bulk_create_sealed(m.Intervention, interventions, org.pk, batch_size=self.BATCH)
        bulk_create_sealed(m.Change, changes, org.pk, batch_size=self.BATCH)
        people = [a.victim for a in acts] + [iv.person for iv in indirect]
        index_people(org, people)
        rebuild(event.pk for event, *_rest in cases)


def source_reference(kind: str, rng: random.Random, date: dt.date | None) -> str:
    when = date.strftime("%d/%m/%Y") if date else "s/f"
    if kind == "press":
        return f"{rng.choice(NEWSPAPERS)}, {when}"
    if kind == "testimony":
        return f"Entrevista con la familia, {when} (ficticia)"
    if kind == "official_document":
        return f"Oficio FGE/{rng.randint(100, 999)}/{date.year if date else 2016} (ficticio)"
    if kind == "social_media":
        return "Publicación en redes sociales (ficticia)"
    return f"Documento ficticio {rng.randint(1000, 9999)}"


_CURP_STATES = {
    "01": "AS", "02": "BC", "03": "BS", "04": "CC", "05": "CL", "06": "CM", "07": "CS",
    "08": "CH", "09": "DF", "10": "DG", "11": "GT", "12": "GR", "13": "HG", "14": "JC",
    "15": "MC", "16": "MN", "17": "MS", "18": "NT", "19": "NL", "20": "OC", "21": "PL",
    "22": "QT", "23": "QR", "24": "SP", "25": "SL", "26": "SR", "27": "TC", "28": "TS",
    "29": "TL", "30": "VZ", "31": "YN", "32": "ZS",
}  # fmt: skip


def make_curp(person, birth: dt.date, rng: random.Random) -> str:
    """A CURP of the right shape and check digit for a fictional person."""
    from memoria.names.curp import curp_check_digit

    def letters(text: str) -> str:
        return "".join(ch for ch in fold(text).upper() if ch.isalpha()) or "X"

    paternal, maternal = letters(person.paternal_surname), letters(person.maternal_surname)
    given = letters(person.given_names.split()[0])
    inner_vowel = next((ch for ch in paternal[1:] if ch in "AEIOU"), "X")
    consonant = lambda word: next((ch for ch in word[1:] if ch not in "AEIOU"), "X")  # noqa: E731
    body = (
        f"{paternal[0]}{inner_vowel}{maternal[0]}{given[0]}{birth:%y%m%d}"
        f"{'M' if person.sex == 'female' else 'H'}{rng.choice(list(_CURP_STATES.values()))}"
        f"{consonant(paternal)}{consonant(maternal)}{consonant(given)}"
        f"{'0' if birth.year < 2000 else 'A'}"
    )
    return body + str(curp_check_digit(body))
