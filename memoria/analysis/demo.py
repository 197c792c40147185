"""The demo's record linkage: four fictional lists of one organization, linked by the worker.

The lists come from the project's generator (``memoria.linkage.synthetic``): a
prosecutor's list, a collective's spreadsheet, a press list and a registry,
of fictional people, with the errors real lists carry. They are uploaded and
mapped through the actions, as an analyst would, and a linkage run over them is
queued: the worker that ``memoria serve`` starts links them within seconds, so
a newcomer finds a review queue and can estimate from it.

A partner of the demo network, the fictional collective Voces que Buscan, also
shares a handful of its fictional people by name with the organization under an
agreement for linkage (``load_demo_shared_people``): the linkage form offers
them as one more list, read from the shared copies.
"""

from __future__ import annotations

import datetime
import io

from memoria.accounts.demo import demo_member
from memoria.accounts.models import Organization
from memoria.accounts.roles import Role
from memoria.analysis import actions
from memoria.analysis.models import LinkageList, LinkageRun
from memoria.analysis.sources import guess_list_mapping
from memoria.cases import actions as case_actions
from memoria.cases.io.readers import read_table
from memoria.cases.models import DatePrecision, Event, Term, Visibility
from memoria.places.models import State
from memoria.sharing import agreements, rules
from memoria.sharing.models import Agreement, AgreementLevel

DEMO_LINKAGE_ORGANIZATION = "sierra-viva"
DEMO_PEOPLE = 300
DEMO_SEED = 2026
# Each generated source, and the name its list has in the demo.
DEMO_LISTS = {
    "fiscalia": "Fiscalía (lista ficticia de demostración)",
    "colectivo": "Colectivo de familias (lista ficticia de demostración)",
    "prensa": "Notas de prensa (lista ficticia de demostración)",
    "registro": "Registro nacional (lista ficticia de demostración)",
}


def load_demo_linkage() -> LinkageRun | None:
    """Upload and map the demo lists and queue their linkage; None if already there."""
    from memoria.linkage.synthetic import generate_lists  # pandas: only when the demo loads

    organization = Organization.objects.filter(slug=DEMO_LINKAGE_ORGANIZATION, is_demo=True).first()
    if organization is None or LinkageList.objects.filter(organization=organization).exists():
        return None
    analyst = demo_member(organization, Role.ANALYST)
    generated = generate_lists(DEMO_PEOPLE, seed=DEMO_SEED)
    lists = []
    for source, name in DEMO_LISTS.items():
        buffer = io.StringIO()
        generated.sources[source].drop(columns=["person_id"]).to_csv(buffer, index=False)
        table = read_table(buffer.getvalue().encode(), f"{source}.csv")
        linkage_list = actions.upload_list(organization, analyst, name, table)
        actions.set_list_mapping(linkage_list, analyst, guess_list_mapping(table.headers))
        lists.append(linkage_list)
    return actions.start_run(organization, analyst, False, lists, "demo-linkage", "es-mx")


# The partner that shares people by name with the demo's linkage organization.
DEMO_SHARING_PARTNER = "voces-que-buscan"
# How many of the generated collective's people it records and shares.
DEMO_SHARED_PEOPLE = 6
DEMO_SHARED_FIELDS = ["given_names", "paternal_surname", "maternal_surname", "sex", "age"]


def load_demo_shared_people() -> Agreement | None:
    """The partner records a fictional case with a handful of fictional people (the
    first of the generated collective's list, with the families' consent, fictional
    too) and shares them by name with the demo's linkage organization under an
    agreement both coordinators sign. None if such an agreement is already there."""
    from memoria.linkage.synthetic import generate_lists  # pandas: only when the demo loads

    owner = Organization.objects.filter(slug=DEMO_SHARING_PARTNER, is_demo=True).first()
    recipient = Organization.objects.filter(slug=DEMO_LINKAGE_ORGANIZATION, is_demo=True).first()
    if owner is None or recipient is None:
        return None
    named = Agreement.objects.filter(
        organization=owner, partner=recipient, level=AgreementLevel.NAMED
    )
    if named.exists():
        return None
    documenter = demo_member(owner, Role.DOCUMENTER)
    event = case_actions.register_case(
        owner,
        documenter,
        {
            "title": "Búsqueda de seis personas de la sierra (caso ficticio de demostración)",
            "description": "Caso ficticio: las personas y sus familias no existen.",
            "start_date": datetime.date(2020, 3, 2),
            "start_precision": DatePrecision.MONTH,
            "state": State.objects.filter(code="08").first(),
            "status": Event.Status.OPEN,
        },
    )
    people = generate_lists(DEMO_PEOPLE, seed=DEMO_SEED).sources["colectivo"]
    sexes = {"Hombre": "male", "Mujer": "female"}
    for row in people.head(DEMO_SHARED_PEOPLE).itertuples():
        case_actions.add_victim(
            event,
            documenter,
            {
                "given_names": row.given_names,
                "paternal_surname": row.paternal_surname,
                "maternal_surname": row.maternal_surname,
                "sex": sexes.get(row.sex, "unknown"),
                "age": int(row.age) if str(row.age).isdigit() else None,
                "visibility": Visibility.PARTNERS,
                "consent_recorded": True,
                "consent_note": "Consentimiento ficticio de la familia (demostración).",
            },
            {
                "violation_type": _term("violation_type", "disappearance_private"),
                "situation": _term("victim_situation", "still_missing"),
                "description": "Persona ficticia de demostración.",
            },
        )
    proposed = agreements.propose(
        owner,
        demo_member(owner, Role.COORDINATOR),
        {
            "partner": recipient,
            "level": AgreementLevel.NAMED,
            "fields": {"cases.person": DEMO_SHARED_FIELDS},
            "purpose": "Cruzar nuestras personas buscadas con sus listas (demostración).",
            "valid_until": rules.today() + datetime.timedelta(days=365),
        },
    )
    coordinator = demo_member(recipient, Role.COORDINATOR)
    return agreements.answer(proposed, coordinator, accept=True, version=proposed.version)


def _term(vocabulary: str, code: str) -> Term | None:
    return Term.objects.filter(
        vocabulary__code=vocabulary, code=code, organization__isnull=True
    ).first()
