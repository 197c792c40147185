"""The case index also holds each direct victim's sex and age band and the number of acts.

The statistics count victims by sex and age band and the acts of the cases a
filter keeps; they read the index. Every entry is written again, from the
records, with a frozen copy of ``memoria.cases.caseindex._entry`` as it was
when this was written; every clock gets a new generation so servers reload.
Backwards there is nothing to undo: the older code reads the first eleven
fields of an entry and ignores the rest.
"""

import json
import secrets

from django.db import migrations

BATCH = 2000
PROFILE_CODES = {
    "is_defender": 1,
    "is_journalist": 2,
    "is_searching_relative": 3,
    "is_migrant": 4,
    "is_indigenous_authority": 5,
    "is_lgbttti": 6,
    "is_child": 7,
}
STATUS_CODE = {"closed": 0, "open": 1, "verified": 2, "verifying": 3}
PRECISION_CODE = {"unknown": 0, "year": 1, "month": 2, "day": 3}
SEX_CODE = {"female": 0, "male": 1, "intersex": 2, "unknown": 3}
AGE_CODE = {"0-11": 0, "12-17": 1, "18-29": 2, "30-44": 3, "45-59": 4, "60+": 5, "": 6}


def _pk_of(instance, name):
    field = instance._meta.get_field(name)
    attname = getattr(field, "attname", name)
    if attname != name:
        return getattr(instance, attname)
    value = getattr(instance, name)
    return None if value in (None, "") else getattr(value, "pk", value)


def _entry(event, acts, attributions, terms):
    start = event.start_date
    kinds = {}
    for attribution in attributions:
        kinds.setdefault(_pk_of(attribution, "kind"), set()).add(attribution.act_id)
    state_kinds = [kind for kind in kinds if (term := terms.get(kind)) and term.state_actor]
    profile = 0
    victims = {}
    for act in acts:
        for flag, code in PROFILE_CODES.items():
            if getattr(act.victim, flag):
                profile |= 1 << code
        victims[act.victim_id] = [
            SEX_CODE.get(act.victim.sex, 3),
            AGE_CODE.get(act.victim.age_band or "", 6),
        ]
    return [
        event.number,
        _pk_of(event, "state") or "",
        _pk_of(event, "municipality") or "",
        start.toordinal() if start else 0,
        PRECISION_CODE.get(event.start_precision, 0),
        STATUS_CODE.get(event.status, 0),
        sorted({_pk_of(act, "violation_type") for act in acts}),
        sorted(kinds),
        int(bool(state_kinds)),
        profile,
        len(set().union(*(kinds[kind] for kind in state_kinds))),
        [victims[pk] for pk in sorted(victims)],
        len(acts),
    ]


def build(apps, schema_editor):
    Event = apps.get_model("cases", "Event")
    Act = apps.get_model("cases", "Act")
    Attribution = apps.get_model("cases", "Attribution")
    Term = apps.get_model("cases", "Term")
    Entry = apps.get_model("cases", "CaseIndexEntry")
    Clock = apps.get_model("cases", "CaseIndexClock")
    from memoria.vault.cipher import encrypt_text_with
    from memoria.vault.keys import active_key

    Entry.objects.all().delete()
    Clock.objects.all().delete()
    terms = {term.pk: term for term in Term.objects.all()}
    keys = {}
    seqs = {}
    last = 0
    while True:
        events = list(Event.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not events:
            break
        last = events[-1].pk
        ids = [event.pk for event in events]
        acts, attributions = {}, {}
        for act in Act.objects.filter(event_id__in=ids).select_related("victim").order_by("pk"):
            acts.setdefault(act.event_id, []).append(act)
        for attribution in Attribution.objects.filter(event_id__in=ids).order_by("pk"):
            attributions.setdefault(attribution.event_id, []).append(attribution)
        entries = []
        for event in events:
            org = event.organization_id
            seq = seqs[org] = seqs.get(org, 0) + 1
            data = _entry(event, acts.get(event.pk, []), attributions.get(event.pk, []), terms)
            if org not in keys:
                keys[org] = active_key(org)
            sealed = encrypt_text_with(*keys[org], json.dumps(data), "cases.caseindexentry.data")
            entries.append(Entry(event_id=event.pk, organization_id=org, seq=seq, data=sealed))
        Entry.objects.bulk_create(entries)
    Clock.objects.bulk_create(
        [
            Clock(organization_id=org, generation=secrets.token_hex(8), seq=seq)
            for org, seq in seqs.items()
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0015_encrypt_place_status_profile_terms")]

    operations = [migrations.RunPython(build, migrations.RunPython.noop, elidable=True)]
