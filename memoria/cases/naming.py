"""Case records by the names members know them by, not by their database ids.

A case is "case #3", a person their name (for a viewer who may see
identities), a violation "Homicide against Ana Ríos, case #3", a term its
label in the reader's language. The history page and the audit log page
(through ``memoria.audit.labels.register_target_names``) name records here.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Model, Q
from django.utils.translation import gettext as _

from memoria.accounts.models import Organization
from memoria.audit.labels import register_target_names
from memoria.cases.models import (
    Act,
    Attachment,
    Attribution,
    Event,
    IndirectVictim,
    Intervention,
    Person,
    Source,
    Term,
)

# What each kind of record needs fetched with it to be named without more queries.
RELATED = {
    Event: (),
    Person: (),
    Act: ("event", "victim", "violation_type"),
    Attribution: ("event", "act__violation_type", "act__victim"),
    IndirectVictim: ("event", "person", "direct_victim"),
    Source: ("event", "kind"),
    Attachment: ("source__event",),
    Intervention: ("event", "kind"),
    Term: (),
}


def case_name(event: Event) -> str:
    return _("Case #%(number)s") % {"number": event.number}


def person_name(person: Person, *, identities: bool) -> str:
    if identities and (person.full_name or person.aliases):
        return person.full_name or person.aliases
    return _("a person without a recorded name") if identities else _("a person")


def record_name(record: Model, *, identities: bool) -> str:
    """How a member knows ``record``: in words, with its case number, never its id."""
    if isinstance(record, Event):
        return case_name(record)
    if isinstance(record, Person):
        return person_name(record, identities=identities)
    if isinstance(record, Term):
        return record.label
    if isinstance(record, Act):
        return _("%(violation)s against %(victim)s, case #%(number)s") % {
            "violation": record.violation_type.label,
            "victim": person_name(record.victim, identities=identities),
            "number": record.event.number,
        }
    if isinstance(record, Attribution):
        return _("Responsibility of %(perpetrator)s for %(violation)s, case #%(number)s") % {
            "perpetrator": record.kind.label,
            "violation": record.act.violation_type.label,
            "number": record.event.number,
        }
    if isinstance(record, IndirectVictim):
        return _("%(name)s, %(relationship)s of %(victim)s, case #%(number)s") % {
            "name": person_name(record.person, identities=identities),
            "relationship": record.relationship.label.lower(),
            "victim": person_name(record.direct_victim, identities=identities),
            "number": record.event.number,
        }
    if isinstance(record, Attachment):
        return _("%(file)s, case #%(number)s") % {
            "file": record.filename if identities else _("a file"),
            "number": record.source.event.number,
        }
    if isinstance(record, Source | Intervention):
        return _("%(kind)s, case #%(number)s") % {
            "kind": record.kind.label,
            "number": record.event.number,
        }
    return str(record)


def fetch(organization: Organization, model: type[Model], ids: Iterable) -> dict[int, Model]:
    """The organization's records of ``model`` among ``ids`` (terms: shared ones too)."""
    pks = {int(pk) for pk in ids if str(pk).isdigit()}
    if not pks or model not in RELATED:
        return {}
    queryset = model.objects.filter(pk__in=pks).select_related(*RELATED[model])
    if model is Term:
        queryset = queryset.filter(Q(organization__isnull=True) | Q(organization=organization))
    else:
        queryset = queryset.filter(organization=organization)
    return {record.pk: record for record in queryset}


def terms_by_label(organization: Organization, labels: Iterable[str]) -> dict[str, Term]:
    """Terms by the label (Spanish or English) an older history entry stored for them."""
    labels = {label for label in labels if isinstance(label, str) and label}
    if not labels:
        return {}
    terms = Term.objects.filter(Q(organization__isnull=True) | Q(organization=organization)).filter(
        Q(label_es__in=labels) | Q(label_en__in=labels)
    )
    found: dict[str, Term] = {}
    for term in terms.order_by("vocabulary_id", "position"):
        for label in (term.label_es, term.label_en):
            if label in labels:
                found.setdefault(label, term)
    return found


def audit_target_namer(model: type[Model]):
    """A namer for the audit log page: (organization, ids, identities) -> {id: name}."""

    def name_targets(organization: Organization, ids: list[str], identities: bool) -> dict:
        records = fetch(organization, model, ids)
        return {str(pk): record_name(r, identities=identities) for pk, r in records.items()}

    return name_targets


def register_audit_names() -> None:
    """Let the audit log page name case records (called by the cases app's ready())."""
    for model in RELATED:
        register_target_names(model._meta.label_lower, audit_target_namer(model))
