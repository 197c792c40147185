"""The demo network's search for the disappeared (fictional, like the organizations).

For the collective ``voces-que-buscan``: four ante-mortem files on people its
demo cases record as disappeared and still missing (or, when the organization
has no such cases, on people recorded here through the case actions), each with
a family contact and the marks the family describes; two search sites and a
brigade day; three sets of remains whose marks a forensic service wrote in its
own words, two of which belong to people of the files; then the re-matching,
so the review pages show ranked candidates.

Everything goes through ``memoria.search.actions`` (and ``memoria.cases.actions``),
so the records are encrypted and audited as in real use. Idempotent: an
organization that already has a family's file is left alone. Deterministic: the
data is fixed and the people are chosen in the order of the cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from memoria.accounts.demo import demo_member
from memoria.accounts.models import Organization
from memoria.accounts.roles import Role
from memoria.cases import actions as case_actions
from memoria.cases.models import Act, DatePrecision, Event, Term
from memoria.jobs.queue import run_here
from memoria.places.models import Municipality, State
from memoria.search import actions
from memoria.search.models import AnteMortemFile, FileSource
from memoria.search.review import queue_rematch

DEMO_SEARCH_ORGANIZATION = "voces-que-buscan"
DISAPPEARANCES = ("enforced_disappearance", "disappearance_private")
LATEST_LAST_SEEN = dt.date(2023, 12, 31)  # remains are found some time after


@dataclass(frozen=True)
class DemoFile:
    """One family's file; ``person`` is used only when no demo case person fits."""

    sex: str
    person: tuple[str, str, str]  # invented: given names, paternal, maternal surname
    age: int
    stature_cm: int
    build: str
    skin: str
    hair: tuple[str, str]  # colour, length
    eye_color: str
    circumstances: str
    clothing: str
    dental_notes: str
    marks: tuple[dict, ...]
    contact: dict  # the name takes the person's {paternal} and {maternal} surnames
    fallback_place: tuple[str, str]  # state, municipality (only for a person recorded here)
    fallback_date: dt.date


# fmt: off
DEMO_FILES = (
    DemoFile(
        sex="male",
        person=("Julio César", "Ibarra", "Soto"),
        age=23, stature_cm=171, build="thin", skin="medium", hair=("negro", "corto"),
        eye_color="café oscuro",
        circumstances="Salió a trabajar al taller y ya no regresó. Su mamá encontró su "
        "motocicleta cerca de la gasolinera. (Ficticio, para la demostración.)",
        clothing="pantalón de mezclilla azul, playera roja de los Chivas, tenis blancos",
        dental_notes="tiene una corona de metal en un diente de enfrente, arriba",
        marks=(
            {"kind": "tattoo", "region": "forearm", "side": "right", "motif": "rosa",
             "text": "MARIA", "description": "Una rosa con el nombre de su mamá, María."},
            {"kind": "scar", "region": "knee", "side": "left", "motif": "", "text": "",
             "description": "Se cayó de la bici de niño y le quedó una cicatriz en la rodilla."},
        ),
        contact={"name": "María {maternal} Ramírez (demo)", "relationship": "Madre",
                 "phone": "33 0000 0101 (ficticio)", "receives_news": True,
                 "notes": "Prefiere que le llamen por la tarde."},
        fallback_place=("14", "14097"), fallback_date=dt.date(2021, 8, 14),
    ),
    DemoFile(
        sex="female",
        person=("Ana Karen", "Delgado", "Ruvalcaba"),
        age=19, stature_cm=158, build="medium", skin="light", hair=("castaño", "largo"),
        eye_color="café claro",
        circumstances="Iba a una entrevista de trabajo en el centro; su último mensaje fue "
        "a las seis de la tarde. (Ficticio, para la demostración.)",
        clothing="blusa blanca, falda negra, zapatos negros de piso",
        dental_notes="trae brackets",
        marks=(
            {"kind": "tattoo", "region": "wrist", "side": "left", "motif": "mariposa",
             "text": "", "description": "Una mariposa chiquita que se hizo a los 18 años."},
            {"kind": "piercing", "region": "ear", "side": "both", "motif": "", "text": "",
             "description": "Varios aretes en las dos orejas."},
        ),
        contact={"name": "Rocío {maternal} Méndez (demo)", "relationship": "Madre",
                 "phone": "33 0000 0102 (ficticio)", "receives_news": True, "notes": ""},
        fallback_place=("14", "14039"), fallback_date=dt.date(2022, 2, 9),
    ),
    DemoFile(
        sex="male",
        person=("Ramón", "Cisneros", "Aguayo"),
        age=41, stature_cm=176, build="heavy", skin="dark", hair=("canoso", "corto"),
        eye_color="negro",
        circumstances="Manejaba un tráiler de carga entre la costa y Guadalajara; se perdió "
        "comunicación con él en la carretera. (Ficticio, para la demostración.)",
        clothing="camisa de cuadros azul, pantalón de mezclilla, botas vaqueras café",
        dental_notes="le faltan muelas de abajo",
        marks=(
            {"kind": "tattoo", "region": "chest", "side": "left", "motif": "Virgen de Guadalupe",
             "text": "", "description": "La Virgen de Guadalupe, a color, del lado del corazón."},
        ),
        contact={"name": "Sandra Aguayo Lara (demo)", "relationship": "Esposa",
                 "phone": "311 000 0103 (ficticio)", "receives_news": True, "notes": ""},
        fallback_place=("18", "18017"), fallback_date=dt.date(2019, 11, 3),
    ),
    DemoFile(
        sex="female",
        person=("Leticia", "Orozco", "Vidrio"),
        age=34, stature_cm=162, build="thin", skin="medium", hair=("negro", "a los hombros"),
        eye_color="café",
        circumstances="Salió de su casa a recoger a sus hijos a la escuela y no llegó. "
        "(Ficticio, para la demostración.)",
        clothing="vestido floreado, sandalias",
        dental_notes="",
        marks=(
            {"kind": "scar", "region": "abdomen", "side": "centre", "motif": "", "text": "",
             "description": "Cicatriz de la cesárea de su hija menor."},
        ),
        contact={"name": "Patricia {paternal} {maternal} (demo)", "relationship": "Hermana",
                 "phone": "33 0000 0104 (ficticio)", "receives_news": True, "notes": ""},
        fallback_place=("14", "14120"), fallback_date=dt.date(2020, 5, 22),
    ),
)

# The marks of the two true matches as a forensic service writes them (PM).
FORENSIC_MARKS = {
    0: (
        {"kind": "tattoo", "region": "forearm", "side": "right", "motif": "flor",
         "text": "MARIA",
         "description": "Tatuaje en tinta negra en cara anterior de antebrazo derecho: motivo "
         "floral (rosa) con la leyenda «MARIA» en letra cursiva."},
        {"kind": "scar", "region": "knee", "side": "left", "motif": "", "text": "",
         "description": "Cicatriz antigua, lineal, de 3 cm, en región rotuliana izquierda."},
    ),
    1: (
        {"kind": "tattoo", "region": "wrist", "side": "left", "motif": "mariposa", "text": "",
         "description": "Tatuaje de 2 cm en cara dorsal de muñeca izquierda, motivo de "
         "mariposa en tinta negra."},
        {"kind": "piercing", "region": "ear", "side": "both", "motif": "", "text": "",
         "description": "Perforaciones múltiples en pabellones auriculares."},
    ),
}
# fmt: on


@dataclass
class Loaded:
    files: list = field(default_factory=list)
    remains: list = field(default_factory=list)


def load_demo_search() -> dict | None:
    """Load the demo search of ``voces-que-buscan``; return the re-matching's result.

    None when the organization is missing or already has families' files.
    """
    organization = Organization.objects.filter(slug=DEMO_SEARCH_ORGANIZATION, is_demo=True).first()
    if organization is None:
        return None
    if AnteMortemFile.objects.filter(organization=organization, source=FileSource.FAMILY).exists():
        return None
    actor = demo_member(organization, Role.DOCUMENTER)
    loaded = Loaded()
    people = _people(organization, actor)
    for spec, (person, event) in zip(DEMO_FILES, people, strict=True):
        loaded.files.append(_open_file(spec, person, event, actor))
    sites = _sites(organization, actor)
    _brigade_day(organization, actor, sites[0])
    _remains(organization, actor, loaded, sites)
    # The actions queued the re-matching job (search.rematch); run it here, as a worker
    # would, so the review pages are ready at once and no job is left waiting.
    job = run_here(queue_rematch(organization, actor), "demo")
    return job.result


def _term(vocabulary: str, code: str) -> Term | None:
    return Term.objects.filter(
        vocabulary__code=vocabulary, code=code, organization__isnull=True
    ).first()


def _people(organization: Organization, actor) -> list[tuple]:
    """A disappeared, still-missing person of the demo cases for each file, by sex;
    recorded here through the case actions where none is left."""
    wanted = {_term("violation_type", code) for code in DISAPPEARANCES} - {None}
    missing = _term("victim_situation", "still_missing")
    # The kind and situation of an act are encrypted: read in order, chosen here.
    acts = (
        Act.objects.filter(organization=organization)
        .select_related("victim", "event")
        .order_by("event__number", "victim_id")
    )
    candidates = [
        act
        for act in acts[:600]
        if act.violation_type_id in {term.pk for term in wanted}
        and missing is not None
        and act.situation_id == missing.pk
        and act.event.start_precision == DatePrecision.DAY
        and act.event.start_date
        and act.event.start_date <= LATEST_LAST_SEEN
        and act.event.municipality_id
        and act.victim.sex in ("female", "male")
    ]
    used: set[int] = set()
    people = []
    for spec in DEMO_FILES:
        act = next(
            (a for a in candidates if a.victim.sex == spec.sex and a.victim_id not in used), None
        )
        if act is None:
            people.append(_record_person(organization, actor, spec))
            continue
        used.add(act.victim_id)
        people.append((act.victim, act.event))
    return people


def _record_person(organization: Organization, actor, spec: DemoFile) -> tuple:
    given, paternal, maternal = spec.person
    state_code, cvegeo = spec.fallback_place
    municipality = Municipality.objects.filter(cvegeo=cvegeo).first()
    full = f"{given} {paternal} {maternal}"
    event = case_actions.register_case(
        organization,
        actor,
        {
            "title": f"Desaparición de {full} (demo)",
            "description": spec.circumstances,
            "start_date": spec.fallback_date,
            "start_precision": DatePrecision.DAY,
            "state": State.objects.filter(code=state_code).first(),
            "municipality": municipality,
            "status": Event.Status.OPEN,
        },
    )
    act = case_actions.add_victim(
        event,
        actor,
        {
            "given_names": given,
            "paternal_surname": paternal,
            "maternal_surname": maternal,
            "sex": spec.sex,
            "age": spec.age,
        },
        {
            "violation_type": _term("violation_type", "disappearance_private"),
            "situation": _term("victim_situation", "still_missing"),
        },
    )
    return act.victim, event


def _open_file(spec: DemoFile, person, event: Event, actor) -> AnteMortemFile:
    age = person.age if person.age is not None else spec.age
    file = actions.open_file(
        person,
        actor,
        {
            "last_seen_date": event.start_date,
            "last_seen_precision": event.start_precision,
            "state": event.state,
            "municipality": event.municipality,
            "circumstances": spec.circumstances,
            "search_status": "searching",
            "sex": spec.sex,
            "age_at_disappearance": Decimal(age),
            "stature_cm": Decimal(spec.stature_cm),
            "build": spec.build,
            "skin": spec.skin,
            "hair_color": spec.hair[0],
            "hair_length": spec.hair[1],
            "eye_color": spec.eye_color,
            "dental_notes": spec.dental_notes,
            "clothing": spec.clothing,
            "notes": "Expediente ficticio de la demostración.",
        },
    )
    for mark in spec.marks:
        actions.add_part(file, "mark", actor, mark)
    # The relative's surnames are the person's, whoever the demo cases made them.
    surnames = {
        "paternal": person.paternal_surname or spec.person[1],
        "maternal": person.maternal_surname or spec.person[2],
    }
    contact = {**spec.contact, "name": spec.contact["name"].format(**surnames)}
    actions.add_part(file, "contact", actor, contact)
    return file


def _place(state_code: str, cvegeo: str) -> dict:
    return {
        "state": State.objects.filter(code=state_code).first(),
        "municipality": Municipality.objects.filter(cvegeo=cvegeo).first(),
    }


def _sites(organization: Organization, actor) -> list:
    return [
        actions.record_site(
            organization,
            actor,
            {
                "name": "Predio El Mezquite (demo)",
                "kind": "clandestine_grave",
                "found_on": dt.date(2024, 3, 9),
                **_place("14", "14097"),
                "locality": "Brecha junto al canal, a la salida del poblado (ficticio)",
                "found_by_kind": "collective",
                "found_by": "Colectivo Voces que Buscan (demo)",
                "bodies": Decimal(2),
                "fragments": Decimal(7),
                "exhumation_status": "in_progress",
                "authority": "Fiscalía del Estado de Jalisco (ficticio)",
                "description": "Dos puntos positivos señalados con varilla; la tierra estaba "
                "removida. Sitio ficticio de la demostración.",
            },
        ),
        actions.record_site(
            organization,
            actor,
            {
                "name": "Pozo de la Barranca (demo)",
                "kind": "well",
                "found_on": dt.date(2024, 10, 19),
                **_place("18", "18017"),
                "locality": "Camino de terracería rumbo a la barranca (ficticio)",
                "found_by_kind": "authority",
                "found_by": "Comisión de Búsqueda (ficticia)",
                "bodies": Decimal(1),
                "fragments": None,
                "exhumation_status": "not_started",
                "authority": "Comisión de Búsqueda (ficticia)",
                "description": "Pozo de unos 12 metros; se espera equipo para descender. "
                "Sitio ficticio de la demostración.",
            },
        ),
    ]


def _brigade_day(organization: Organization, actor, site) -> None:
    actions.record_brigade_day(
        organization,
        actor,
        {
            "site": site,
            "date": dt.date(2024, 3, 9),
            "place": "Predio El Mezquite (demo)",
            "participants": "Once madres, hermanas y esposas del colectivo; dos personas "
            "de la Comisión de Búsqueda; custodia de la Guardia Nacional (ficticio).",
            "findings": "Dos puntos positivos con varilla y olor; en uno, restos óseos y "
            "ropa. Se dio aviso a la Fiscalía para el levantamiento.",
            "notes": "Jornada ficticia de la demostración. Se cerró con una oración por "
            "las personas que seguimos buscando.",
        },
    )


def _remains(organization: Organization, actor, loaded: Loaded, sites: list) -> None:
    today = timezone.localdate()
    for index, file in enumerate(loaded.files[:2]):
        found_on = min(file.last_seen_date + dt.timedelta(days=420), today - dt.timedelta(days=60))
        age = int(file.age_at_disappearance)
        stature = int(file.stature_cm)
        brigade = index == 0
        remains = actions.record_remains(
            organization,
            actor,
            {
                "site": sites[0] if brigade else None,
                "source": "brigade" if brigade else "forensic_list",
                "semefo_folio": f"SEMEFO-DEMO-{found_on.year}-{index + 1:04d}",
                "found_on": found_on,
                "state": file.state,
                "municipality": file.municipality,
                "sex_estimate": file.sex,
                "age_min": Decimal(max(age - 4, 15)),
                "age_max": Decimal(age + 6),
                "stature_min_cm": Decimal(stature - 4),
                "stature_max_cm": Decimal(stature + 4),
                "clothing": _FORENSIC_CLOTHING[index],
                "condition": "partial",
                "held_at_kind": "forensic_institute",
                "held_at": "Centro de Identificación Humana (ficticio)",
                "dna_status": "profiled",
                "identification_status": "unidentified",
                "notes": _FORENSIC_NOTES[index],
            },
        )
        for mark in FORENSIC_MARKS[index]:
            actions.add_part(remains, "pm_mark", actor, mark)
        actions.add_part(remains, "dental", actor, _FORENSIC_DENTAL[index])
        loaded.remains.append(remains)
    loaded.remains.append(
        actions.record_remains(
            organization,
            actor,
            {
                "site": sites[1],
                "source": "brigade",
                "semefo_folio": "SEMEFO-DEMO-2024-0003",
                "found_on": dt.date(2024, 10, 19),
                **_place("18", "18017"),
                "sex_estimate": "undetermined",
                "age_min": Decimal(30),
                "age_max": Decimal(60),
                "condition": "fragmented",
                "held_at_kind": "morgue",
                "held_at": "SEMEFO Tepic (ficticio)",
                "dna_status": "sampled",
                "identification_status": "unidentified",
                "notes": "Restos óseos fragmentados, sin ropa asociada. Registro ficticio.",
            },
        )
    )


_FORENSIC_CLOTHING = (
    "pantalón de mezclilla azul; playera roja con escudo deportivo; calzado deportivo blanco",
    "blusa blanca; falda negra; calzado negro sin tacón",
)
_FORENSIC_DENTAL = (
    {"tooth": "11", "finding": "crown", "description": "metálica"},
    {"tooth": "", "finding": "braces", "description": "fija, en ambas arcadas"},
)
_FORENSIC_NOTES = (
    "Cabello negro corto. Recuperado en fosa clandestina por brigada. Registro ficticio.",
    "Cabello castaño largo. Aparatología ortodóntica fija. Registro ficticio.",
)
