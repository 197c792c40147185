"""What the two-installation test does inside each installation (``memoria manage shell -c``).

Each function runs in the installation's own process, with its own data
directory and database, and prints JSON the test reads.
"""

from __future__ import annotations

import json

NAMED_TITLE = "Desaparición de Zenaida Quiñónez en Cuauhtémoc"
PRIVATE_NAME = "Xóchitl"


def _case(organization, title: str, **person):
    from memoria.cases import actions
    from tests.web.cases_fixtures import case_data, term

    event = actions.register_case(organization, None, case_data(title=title))
    person_data = {"given_names": "", "paternal_surname": "", "maternal_surname": "",
                   "sex": "female", "visibility": "private", **person}  # fmt: skip
    act = {"violation_type": term("violation_type", "enforced_disappearance"),
           "situation": None, "description": ""}  # fmt: skip
    actions.add_victim(event, None, person_data, act)
    return event


def make_organization(slug: str, name: str) -> None:
    """An organization with a case families allow by name and one that stays private."""
    from memoria.accounts.models import Organization

    organization = Organization.objects.create(name=name, slug=slug, kind="other")
    named = _case(organization, NAMED_TITLE, given_names="Zenaida", paternal_surname="Quiñónez",
                  visibility="partners", consent_recorded=True)  # fmt: skip
    _case(organization, "Caso reservado", given_names=PRIVATE_NAME, visibility="private")
    print(json.dumps({"named_case": named.pk}))


def edit_case(slug: str, case_id: int, status: str) -> None:
    from memoria.cases import actions
    from memoria.cases.models import Event

    event = Event.objects.get(pk=case_id, organization__slug=slug)
    event = actions.update_event(event, None, {"status": status}, event.version)
    print(json.dumps({"version": event.version}))


def received(slug: str) -> None:
    """The copies the organization holds, decrypted, with their provenance."""
    from memoria.exchange.models import ReceivedBundle, ReceivedRecord

    records = [
        {
            "kind": record.kind,
            "id": record.source_id,
            "fields": record.fields,
            "values": record.content,
            "version": record.source_version,
            "sequence": record.sequence,
            "from": f"{record.agreement.partner.name}/{record.agreement.partner_organization}",
        }
        for record in ReceivedRecord.objects.filter(organization__slug=slug)
        .select_related("agreement__partner")
        .order_by("kind", "source_id")
    ]
    print(json.dumps({"records": records, "bundles": ReceivedBundle.objects.count()}))
