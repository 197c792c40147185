"""The encrypted case index replaces the facet rows and the clear month columns.

Every event gets a ``CaseIndexEntry`` (what the list and the dashboard need,
encrypted), each organization a ``CaseIndexClock``; then ``EventFacet`` and
``Event.start_month``/``end_month`` (and their indexes) go. The entries are
built from the records in batches, with a frozen copy of
``memoria.cases.caseindex._entry`` as it was when this was written.
Backwards, the months are computed again from the decrypted dates and the
facets by 0009's SQL.
"""

import importlib
import json
import secrets

import django.db.models.deletion
from django.db import migrations, models

import memoria.vault.fields

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

EVENT_NEWEST = models.Index(
    models.F("organization"),
    models.OrderBy(models.F("start_month"), descending=True, nulls_last=True),
    models.OrderBy(models.F("number"), descending=True),
    name="event_org_newest",
)
FACET_NEWEST = [
    models.Index(
        *(models.F(column) for column in columns),
        models.OrderBy(models.F("start_month"), descending=True, nulls_last=True),
        models.OrderBy(models.F("number"), descending=True),
        name=name,
    )
    for name, columns in (
        ("event_facet_newest", ("organization", "kind", "value")),
        ("event_facet_state_newest", ("organization", "kind", "value", "state_code")),
    )
]


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
    for act in acts:
        for flag, code in PROFILE_CODES.items():
            if getattr(act.victim, flag):
                profile |= 1 << code
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

    terms = {term.pk: term for term in Term.objects.all()}
    keys = {}  # one key lookup per organization, not one per entry
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


def restore(apps, schema_editor):
    """Backwards: the clear months again, from the decrypted dates, then the facets."""
    Event = apps.get_model("cases", "Event")

    def month_of(date, precision):
        if date is None or precision == "unknown":
            return None
        return date.replace(month=1, day=1) if precision == "year" else date.replace(day=1)

    last = 0
    while True:
        events = list(Event.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not events:
            break
        last = events[-1].pk
        for event in events:
            Event.objects.filter(pk=event.pk).update(
                start_month=month_of(event.start_date, event.start_precision),
                end_month=month_of(event.end_date, event.end_precision),
            )
    facets = importlib.import_module("memoria.cases.migrations.0009_event_facets")
    facets.fill(apps, schema_editor.connection)


def drop_on_postgresql(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("cases", "Event"), EVENT_NEWEST)
        for index in FACET_NEWEST:
            schema_editor.remove_index(apps.get_model("cases", "EventFacet"), index)


def add_on_postgresql(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("cases", "Event"), EVENT_NEWEST)
        for index in FACET_NEWEST:
            schema_editor.add_index(apps.get_model("cases", "EventFacet"), index)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_reseal_two_factor_seeds"),
        ("cases", "0013_uniq_encrypt_sex_age_band"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseIndexClock",
            fields=[
                (
                    "organization",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="accounts.organization",
                    ),
                ),
                ("generation", models.CharField(max_length=16)),
                ("seq", models.BigIntegerField(default=0)),
                ("epoch", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="CaseIndexEntry",
            fields=[
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="index_entry",
                        serialize=False,
                        to="cases.event",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
                ("seq", models.BigIntegerField()),
                ("data", memoria.vault.fields.EncryptedJSONField()),
            ],
            options={
                "indexes": [models.Index(fields=["organization", "seq"], name="case_index_seq")],
            },
        ),
        migrations.RunPython(build, restore, elidable=True),
        # The indexes with NULLS LAST exist on PostgreSQL only (0007, 0009).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="event", name="event_org_newest"),
                *(
                    migrations.RemoveIndex(model_name="eventfacet", name=index.name)
                    for index in FACET_NEWEST
                ),
            ],
            database_operations=[migrations.RunPython(drop_on_postgresql, add_on_postgresql)],
        ),
        migrations.DeleteModel(name="EventFacet"),
        migrations.AlterModelOptions(
            name="event",
            options={
                "ordering": ["-number"],
                "verbose_name": "event",
                "verbose_name_plural": "events",
            },
        ),
        migrations.RemoveIndex(model_name="event", name="event_org_month"),
        migrations.RemoveIndex(model_name="event", name="event_org_state"),
        migrations.RemoveField(model_name="event", name="end_month"),
        migrations.RemoveField(model_name="event", name="start_month"),
    ]
