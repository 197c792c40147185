"""Write paths for case documentation, each in one transaction.

Every change goes through here so that three things always happen together:
the optimistic-concurrency check (an edit carries the version it started
from; a stale one raises ``ConflictError`` and writes nothing), the history
row (``Change``: who, when, and field by field what changed, encrypted), and
the person search index. Views call these with a form's ``cleaned_data``.

Each public action also writes its audit entry inside its own transaction
(``request`` gives the entry the client's address): a change and its entry
commit together or not at all. Copies of a record shared with other
organizations are refreshed in the same transaction too.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from memoria.accounts.models import Organization, User
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.cases import caseindex
from memoria.cases.caseindex import month_of
from memoria.cases.history import display_value
from memoria.cases.models import (
    Act,
    AgeBand,
    Attachment,
    Attribution,
    Change,
    DatePrecision,
    Event,
    IndirectVictim,
    Intervention,
    Person,
    Source,
    Term,
    Visibility,
)
from memoria.cases.search import index_person
from memoria.cases.sharing import event_consent, person_consent
from memoria.sharing.actions import refresh_shares
from memoria.sharing.agreements import recount_soon
from memoria.sharing.registry import Consent

EVENT_FIELDS = (
    "title",
    "description",
    "start_date",
    "start_precision",
    "end_date",
    "end_precision",
    "state",
    "municipality",
    "locality",
    "latitude",
    "longitude",
    "status",
)
PERSON_FIELDS = (
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "aliases",
    "sex",
    "gender_identity",
    "birth_date",
    "birth_precision",
    "age",
    "nationality",
    "ethnicity",
    "occupation",
    "curp",
    "is_defender",
    "is_journalist",
    "is_searching_relative",
    "is_migrant",
    "is_indigenous_authority",
    "is_lgbttti",
    "is_child",
    "visibility",
    "consent_note",
)
ACT_FIELDS = ("violation_type", "situation", "description")
ATTRIBUTION_FIELDS = ("kind", "group_name", "basis", "confidence", "notes")
SOURCE_FIELDS = ("kind", "date", "reliability", "reference", "summary")
INTERVENTION_FIELDS = ("kind", "victim", "authority", "folio", "date", "notes")
RELATIVE_PERSON_FIELDS = (
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "sex",
    "is_searching_relative",
    "consent_note",
)
RELATIVE_FIELDS = ("direct_victim", "relationship")


@dataclass
class Difference:
    field: str
    label: str
    saved: object
    yours: object


class ConflictError(Exception):
    """Someone saved the record after this edit began; nothing was written."""

    def __init__(self, current: models.Model, differences: list[Difference]) -> None:
        super().__init__(f"{type(current).__name__} {current.pk} changed meanwhile")
        self.current = current
        self.differences = differences

    @property
    def changed_by(self) -> Change | None:
        return (
            Change.objects.filter(
                organization_id=self.current.organization_id,
                kind=type(self.current).__name__.lower(),
                object_id=self.current.pk,
            )
            .select_related("actor")
            .first()
        )


# -- helpers -----------------------------------------------------------------


def plain(value) -> object:
    """A JSON-able, human-readable form of a field value, for history and conflicts."""
    if value is None or value == "":
        return None
    if isinstance(value, Term):
        return value.label
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, Iterable):
        return sorted(str(item) for item in value)
    return str(value)


def current_or_conflict(
    instance: models.Model,
    data: dict,
    fields: Iterable[str],
    version: int,
    *,
    saved: Callable[[models.Model, str], object] | None = None,
    shown: Callable[[type[models.Model], str, object], object] = display_value,
) -> models.Model:
    """The row of ``instance``, locked until the transaction ends, if ``version`` is
    still current; otherwise ``ConflictError`` with each field of ``data`` whose saved
    value differs from the one sent (as ``saved(row, field)`` reads the row and
    ``shown`` displays both). Nothing is written either way."""
    model = type(instance)
    current = model.objects.select_for_update(no_key=True).get(pk=instance.pk)
    if current.version == version:
        return current
    read = saved or (lambda row, field: plain(getattr(row, field)))
    differences = [
        Difference(
            field,
            str(model._meta.get_field(field).verbose_name),
            shown(model, field, before),
            shown(model, field, after),
        )
        for field in fields
        if field in data and (before := read(current, field)) != (after := plain(data[field]))
    ]
    raise ConflictError(current, differences)


def update_if_current(
    instance: models.Model,
    data: dict,
    fields: Iterable[str],
    version: int,
    *,
    fill: Callable[[models.Model, dict, list[str]], object] | None = None,
    before_save: Callable[[models.Model], None] | None = None,
) -> tuple[models.Model, list[str]]:
    """Apply ``data`` to the current row if ``version`` is still current
    (``current_or_conflict``); the row and the fields that changed. A change
    bumps the version; ``fill`` sets the fields (``setattr`` by default) and
    ``before_save`` derives what follows from them."""
    fields = [field for field in fields if field in data]
    current = current_or_conflict(instance, data, fields, version)
    changed = [field for field in fields if plain(getattr(current, field)) != plain(data[field])]
    if changed:
        if fill is not None:
            fill(current, data, changed)
        else:
            for field in changed:
                setattr(current, field, data[field])
        if before_save is not None:
            before_save(current)
        current.version += 1
        current.updated_at = timezone.now()
        current.save()
    current.access = getattr(instance, "access", None)  # what the reader may see, if known
    return current, changed


def age_band(age: int | None) -> str:
    if age is None:
        return AgeBand.UNKNOWN
    for upper, band in (
        (11, AgeBand.CHILD),
        (17, AgeBand.ADOLESCENT),
        (29, AgeBand.YOUNG),
        (44, AgeBand.ADULT),
        (59, AgeBand.MIDDLE),
    ):
        if age <= upper:
            return band
    return AgeBand.OLDER


def age_at(birth: datetime.date | None, precision: str, when: datetime.date) -> int | None:
    if birth is None or precision == DatePrecision.UNKNOWN:
        return None
    years = when.year - birth.year
    if precision == DatePrecision.DAY and (when.month, when.day) < (birth.month, birth.day):
        years -= 1
    return max(years, 0)


def _reference_date(person: Person, event: Event | None = None) -> datetime.date:
    """The day ages refer to: when the person's first documented event began."""
    if event is None:
        # The earliest dated of their events (dates are encrypted: compared here).
        events = [act.event for act in person.acts.select_related("event").order_by("pk")]
        dated = [e for e in events if month_of(e.start_date, e.start_precision)]
        if dated:
            event = min(
                dated, key=lambda e: (month_of(e.start_date, e.start_precision), e.start_date)
            )
        else:
            event = events[0] if events else None
    if event is not None and event.start_date is not None:
        return event.start_date
    return timezone.localdate()


def _derive_person(person: Person, event: Event | None = None) -> None:
    age = person.age
    if age is None:
        age = age_at(person.birth_date, person.birth_precision, _reference_date(person, event))
    person.age_band = age_band(age)
    if age is not None and age < 18:
        person.is_child = True
    if person.visibility == Visibility.MEMORIAL and person.consent_recorded_at is None:
        # Never public by name without consent on record (the forms refuse it first);
        # consent is recorded only when someone says so, never assumed from the visibility.
        person.visibility = Visibility.PRIVATE


def _record(
    actor: User | None,
    instance: models.Model,
    action: str,
    changes: dict,
    *,
    event: Event | None = None,
    person: Person | None = None,
) -> Change:
    return Change.objects.create(
        organization_id=instance.organization_id,
        event=event,
        person=person,
        actor=actor,
        kind=type(instance).__name__.lower(),
        object_id=instance.pk,
        action=action,
        changes=changes,
    )


def _create(
    model: type[models.Model],
    organization: Organization,
    actor: User | None,
    data: dict,
    fields: Iterable[str],
    **extra,
):
    instance = model(organization=organization, created_by=actor, **extra)
    for field in fields:
        if field in data:
            setattr(instance, field, data[field])
    return instance


def _created_changes(instance: models.Model, fields: Iterable[str]) -> dict:
    changes = {}
    for field in fields:
        value = plain(getattr(instance, field))
        if value not in (None, False):
            changes[field] = [None, value]
    return changes


def _update(
    instance: models.Model,
    actor: User | None,
    data: dict,
    fields: Iterable[str],
    version: int,
    derive=None,
    *,
    m2m: Iterable[str] = (),
    event: Event | None = None,
    person: Person | None = None,
) -> tuple[models.Model, dict]:
    """Apply ``data`` to the current row if ``version`` is still current; record the diff.

    ``m2m`` names many-to-many fields in ``data`` (their values are lists of rows).
    """
    fields = [field for field in fields if field in data]
    m2m = [field for field in m2m if field in data]

    def saved_value(row, field):
        value = getattr(row, field)
        return plain(value.all()) if field in m2m else plain(value)

    current = current_or_conflict(instance, data, [*fields, *m2m], version, saved=saved_value)
    changes = {}
    for field in [*fields, *m2m]:
        before, after = saved_value(current, field), plain(data[field])
        if before != after:
            changes[field] = [before, after]
        if field in fields:
            setattr(current, field, data[field])
    if derive is not None:
        derive(current)
    if not changes:
        return current, changes
    current.version += 1
    current.updated_at = timezone.now()
    current.save()
    for field in m2m:
        getattr(current, field).set(data[field])
    _record(actor, current, Change.Action.CHANGED, changes, event=event, person=person)
    refresh_shares(current)
    return current, changes


# -- events --------------------------------------------------------------------


@transaction.atomic
def register_case(
    organization: Organization, actor: User | None, data: dict, *, request=None
) -> Event:
    """Create an event (a case) with the next number of the organization."""
    # Lock the organization row so two documenters never draw the same number. A
    # no-key lock: another writer's commit checks its records' foreign key to the
    # organization (a key-share lock), which a full row lock would block, and that
    # writer may hold what this one waits for next (the index's clock, the audit chain).
    Organization.objects.select_for_update(no_key=True).filter(pk=organization.pk).first()
    last = Event.objects.filter(organization=organization).aggregate(n=Max("number"))["n"]
    event = _create(Event, organization, actor, data, EVENT_FIELDS, number=(last or 0) + 1)
    event.save()
    if data.get("tags") is not None:
        event.tags.set(data["tags"])
    changes = _created_changes(event, EVENT_FIELDS)
    if data.get("tags"):
        changes["tags"] = [None, plain(data["tags"])]
    _record(actor, event, Change.Action.CREATED, changes, event=event)
    caseindex.rebuild([event.pk])
    refresh_shares(event)  # the sharing agreements in force cover new cases too
    audit(actor, organization, AuditAction.CASE_CREATE, event, request=request)
    return event


@transaction.atomic
def update_event(
    event: Event, actor: User | None, data: dict, version: int, *, request=None
) -> Event:
    event, _changes = _update(event, actor, data, EVENT_FIELDS, version, m2m=("tags",), event=event)
    caseindex.rebuild([event.pk])
    audit(actor, event.organization, AuditAction.CASE_UPDATE, event, request=request)
    return event


# -- people and acts -------------------------------------------------------------


def _new_person(
    organization: Organization, actor: User | None, data: dict, fields, event: Event | None
) -> Person:
    person = _create(Person, organization, actor, data, fields)
    if data.get("consent_recorded"):
        person.consent_recorded_at = timezone.now()
    _derive_person(person, event)
    person.save()
    index_person(person)
    _record(
        actor,
        person,
        Change.Action.CREATED,
        _created_changes(person, fields),
        event=event,
        person=person,
    )
    return person


@transaction.atomic
def add_victim(
    event: Event,
    actor: User | None,
    person_data: dict,
    act_data: dict,
    attribution_data: dict | None = None,
    *,
    person: Person | None = None,
    request=None,
) -> Act:
    """Record a direct victim of ``event``: the person, the act and who is held responsible.

    With ``person`` (someone already recorded, whom the documenter said is the
    same person) no one new is registered: the act is added to their record,
    as when a registered person is added to another case.
    """
    known = person is not None
    counted = event_consent(event) >= Consent.AGGREGATE
    if not known:
        person = _new_person(event.organization, actor, person_data, PERSON_FIELDS, event)
    act = _create(Act, event.organization, actor, act_data, ACT_FIELDS, event=event, victim=person)
    act.save()
    _record(
        actor, act, Change.Action.CREATED, _created_changes(act, ACT_FIELDS), event=event,
        person=person,
    )  # fmt: skip
    if attribution_data and attribution_data.get("kind"):
        _new_attribution(act, actor, attribution_data)
    caseindex.rebuild([event.pk])
    # A new victim bounds what the agreements may share of the case (their consent).
    refresh_shares(person)
    _recount_if_withdrawn(event, counted)
    if known:
        audit(actor, event.organization, AuditAction.ACT_CREATE, act, request=request)
    else:
        audit(actor, event.organization, AuditAction.PERSON_CREATE, person, request=request)
    return act


def _recount_if_withdrawn(event: Event, counted: bool) -> None:
    """A person whose consent allows no counts, added to a counted case, takes the case
    out of the partners' counts: recount now, not at the next periodic refresh."""
    if counted and event_consent(event) < Consent.AGGREGATE:
        recount_soon(event.organization)


@transaction.atomic
def add_act(
    event: Event, actor: User | None, victim: Person, act_data: dict, *, request=None
) -> Act:
    """Record one more violation suffered by a person already in the case."""
    act = _create(Act, event.organization, actor, act_data, ACT_FIELDS, event=event, victim=victim)
    act.save()
    changes = _created_changes(act, ACT_FIELDS)
    _record(actor, act, Change.Action.CREATED, changes, event=event, person=victim)
    caseindex.rebuild([event.pk])
    refresh_shares(victim)
    audit(actor, event.organization, AuditAction.ACT_CREATE, act, request=request)
    return act


@transaction.atomic
def update_person(
    person: Person, actor: User | None, data: dict, version: int, *, request=None
) -> Person:
    """Save an edit of a person; ``consent_recorded`` False withdraws a recorded consent.

    Without consent the person cannot stay public by name: a memorial
    visibility is lowered to private, and the history shows both changes.
    """
    if data.get("consent_recorded") and person.consent_recorded_at is None:
        data = {**data, "consent_recorded_at": timezone.now()}
    elif "consent_recorded" in data and not data["consent_recorded"]:
        data = {**data, "consent_recorded_at": None}
        if data.get("visibility", person.visibility) == Visibility.MEMORIAL:
            data["visibility"] = Visibility.PRIVATE
    fields = PERSON_FIELDS + ("consent_recorded_at",)
    allowed_counts = person_consent(person) >= Consent.AGGREGATE
    person, changes = _update(person, actor, data, fields, version, _derive_person, person=person)
    if changes:
        index_person(person)
        caseindex.rebuild_for_person(person)
    if allowed_counts and person_consent(person) < Consent.AGGREGATE:
        recount_soon(person.organization)  # the partners' counts drop their cases now
    audit(actor, person.organization, AuditAction.PERSON_UPDATE, person, request=request)
    return person


@transaction.atomic
def update_act(act: Act, actor: User | None, data: dict, version: int, *, request=None) -> Act:
    act, _changes = _update(
        act, actor, data, ACT_FIELDS, version, event=act.event, person=act.victim
    )
    caseindex.rebuild([act.event_id])
    audit(actor, act.organization, AuditAction.ACT_UPDATE, act, request=request)
    return act


@transaction.atomic
def add_attribution(act: Act, actor: User | None, data: dict, *, request=None) -> Attribution:
    """Hold a perpetrator responsible for ``act``."""
    attribution = _new_attribution(act, actor, data)
    audit(actor, act.organization, AuditAction.PERPETRATOR_CREATE, attribution, request=request)
    return attribution


def _new_attribution(act: Act, actor: User | None, data: dict) -> Attribution:
    attribution = _create(
        Attribution, act.organization, actor, data, ATTRIBUTION_FIELDS, act=act, event=act.event
    )
    attribution.save()
    changes = _created_changes(attribution, ATTRIBUTION_FIELDS)
    _record(actor, attribution, Change.Action.CREATED, changes, event=act.event)
    caseindex.rebuild([act.event_id])
    return attribution


@transaction.atomic
def update_attribution(
    attribution: Attribution, actor: User | None, data: dict, version: int, *, request=None
) -> Attribution:
    attribution, _changes = _update(
        attribution, actor, data, ATTRIBUTION_FIELDS, version, event=attribution.event
    )
    caseindex.rebuild([attribution.event_id])
    audit(
        actor,
        attribution.organization,
        AuditAction.PERPETRATOR_UPDATE,
        attribution,
        request=request,
    )
    return attribution


@transaction.atomic
def add_indirect_victim(
    event: Event,
    actor: User | None,
    direct_victim: Person,
    relationship: Term,
    person_data: dict,
    *,
    person: Person | None = None,
    request=None,
) -> IndirectVictim:
    """Record a relative or dependant of a direct victim (a victim too, under the victims' law).

    With ``person`` (someone already recorded: the same mother may search for
    two sons, in two cases) no one new is registered.
    """
    known = person is not None
    if known and person.pk == direct_victim.pk:
        raise ValueError("a direct victim cannot be recorded as their own relative")
    counted = event_consent(event) >= Consent.AGGREGATE
    if not known:
        person = _new_person(event.organization, actor, person_data, RELATIVE_PERSON_FIELDS, event)
    relative = IndirectVictim.objects.create(
        organization=event.organization,
        created_by=actor,
        event=event,
        direct_victim=direct_victim,
        person=person,
        relationship=relationship,
    )
    changes = {
        "relationship": [None, plain(relationship)],
        "direct_victim": [None, direct_victim.pk],
    }
    _record(actor, relative, Change.Action.CREATED, changes, event=event, person=person)
    refresh_shares(person)
    _recount_if_withdrawn(event, counted)
    if known:
        audit(actor, event.organization, AuditAction.RELATIVE_CREATE, relative, request=request)
    else:
        audit(actor, event.organization, AuditAction.PERSON_CREATE, person, request=request)
    return relative


@transaction.atomic
def update_indirect_victim(
    relative: IndirectVictim, actor: User | None, data: dict, version: int, *, request=None
) -> IndirectVictim:
    """Change whose relative someone is, or how (the person is edited on their own page)."""
    relative, _changes = _update(
        relative,
        actor,
        data,
        RELATIVE_FIELDS,
        version,
        event=relative.event,
        person=relative.person,
    )
    audit(actor, relative.organization, AuditAction.RELATIVE_UPDATE, relative, request=request)
    return relative


# -- sources and interventions -------------------------------------------------------


@transaction.atomic
def add_source(
    event: Event, actor: User | None, data: dict, upload=None, *, request=None
) -> Source:
    source = _create(Source, event.organization, actor, data, SOURCE_FIELDS, event=event)
    source.save()
    source.acts.set(data.get("acts") or [])
    changes = _created_changes(source, SOURCE_FIELDS)
    if data.get("acts"):
        changes["acts"] = [None, sorted(act.pk for act in data["acts"])]
    _record(actor, source, Change.Action.CREATED, changes, event=event)
    audit(actor, event.organization, AuditAction.SOURCE_CREATE, source, request=request)
    if upload is not None:
        add_attachment(source, actor, upload, request=request)
    return source


@transaction.atomic
def update_source(
    source: Source, actor: User | None, data: dict, version: int, *, request=None
) -> Source:
    source, _changes = _update(
        source, actor, data, SOURCE_FIELDS, version, m2m=("acts",), event=source.event
    )
    audit(actor, source.organization, AuditAction.SOURCE_UPDATE, source, request=request)
    return source


@transaction.atomic
def add_attachment(source: Source, actor: User | None, upload, *, request=None) -> Attachment:
    """Store an uploaded file encrypted in the database (never on the server's disk)."""
    content = upload.read()
    attachment = Attachment.objects.create(
        organization=source.organization,
        created_by=actor,
        source=source,
        filename=upload.name[:255],
        content_type=(getattr(upload, "content_type", "") or "application/octet-stream")[:120],
        size=len(content),
        content=content,
    )
    changes = {"filename": [None, attachment.filename], "size": [None, attachment.size]}
    _record(actor, attachment, Change.Action.CREATED, changes, event=source.event)
    audit(actor, source.organization, AuditAction.ATTACHMENT_CREATE, attachment, request=request)
    return attachment


@transaction.atomic
def add_intervention(event: Event, actor: User | None, data: dict, *, request=None) -> Intervention:
    intervention = _create(
        Intervention, event.organization, actor, data, INTERVENTION_FIELDS, event=event
    )
    intervention.save()
    changes = _created_changes(intervention, INTERVENTION_FIELDS)
    _record(actor, intervention, Change.Action.CREATED, changes, event=event)
    audit(actor, event.organization, AuditAction.INTERVENTION_CREATE, intervention, request=request)
    return intervention


@transaction.atomic
def update_intervention(
    intervention: Intervention, actor: User | None, data: dict, version: int, *, request=None
) -> Intervention:
    intervention, _changes = _update(
        intervention, actor, data, INTERVENTION_FIELDS, version, event=intervention.event
    )
    audit(
        actor,
        intervention.organization,
        AuditAction.INTERVENTION_UPDATE,
        intervention,
        request=request,
    )
    return intervention


# -- vocabularies ----------------------------------------------------------------------


@transaction.atomic
def add_term(
    organization: Organization, vocabulary, data: dict, *, actor: User | None = None, request=None
) -> Term:
    """Add an organization's own term to a shared vocabulary."""
    term = Term.objects.create(
        vocabulary=vocabulary,
        organization=organization,
        code=data["code"],
        label_es=data["label_es"],
        label_en=data["label_en"],
        position=data.get("position") or 100,
        is_active=data.get("is_active", True),
        state_actor=data.get("state_actor", False),
    )
    codes = {"vocabulary": term.vocabulary.code, "code": term.code}
    audit(actor, organization, AuditAction.VOCABULARY_CREATE, term, request=request, **codes)
    return term


@transaction.atomic
def update_term(term: Term, data: dict, *, actor: User | None = None, request=None) -> Term:
    state_actor = term.state_actor
    for field in ("label_es", "label_en", "position", "is_active", "state_actor"):
        if field in data:
            setattr(term, field, data[field])
    term.save()
    if term.state_actor != state_actor:
        caseindex.rebuild_for_term(term)  # its cases' count of acts by state agents
    codes = {"vocabulary": term.vocabulary.code, "code": term.code}
    audit(actor, term.organization, AuditAction.VOCABULARY_UPDATE, term, request=request, **codes)
    return term


# -- removals ----------------------------------------------------------------------------

REMOVABLE_FIELDS = {
    Act: ACT_FIELDS,
    Attribution: ATTRIBUTION_FIELDS,
    Source: SOURCE_FIELDS,
    Intervention: INTERVENTION_FIELDS,
    IndirectVictim: ("relationship",),
    Attachment: ("filename", "size"),
}


@transaction.atomic
def remove_record(
    instance: models.Model, actor: User | None, version: int, *, kind: str = "", request=None
) -> None:
    """Remove a part of a case recorded by mistake; the history keeps what it said.

    The people themselves are never removed here: a victim wrongly linked to
    a case stays recorded (and findable) after their act is removed.
    """
    model = type(instance)
    current = model.objects.select_for_update().get(pk=instance.pk)
    if current.version != version:
        raise ConflictError(current, [])
    event = getattr(current, "event", None) or current.source.event
    # What goes with the record (the database cascades) leaves its trace too.
    dependants = []
    if model is Act:
        dependants = list(current.attributions.all())
    elif model is Source:
        dependants = list(current.attachments.defer("content"))
    for record in [*dependants, current]:
        fields = REMOVABLE_FIELDS[type(record)]
        changes = {
            field: [value, None]
            for field in fields
            if (value := plain(getattr(record, field))) not in (None, False)
        }
        _record(actor, record, Change.Action.DELETED, changes, event=event)
    audit(actor, current.organization, AuditAction.CASE_REMOVE, current, request=request, kind=kind)
    current.delete()
    caseindex.rebuild([event.pk])
