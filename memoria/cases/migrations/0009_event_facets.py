"""Case-list facets: the violations, perpetrators and victim profiles of each event.

The backfill runs one INSERT ... SELECT per kind and range of event ids, so
the database does the work (about a minute per million acts) without loading
rows into Python. The SQL is a frozen copy of
``memoria.cases.listing.facet_statements`` as it was when this was written.
"""

import django.db.models.deletion
from django.db import migrations, models

NEWEST_FIRST = [
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
PROFILE_CODES = {
    "is_defender": 1,
    "is_journalist": 2,
    "is_searching_relative": 3,
    "is_migrant": 4,
    "is_indigenous_authority": 5,
    "is_lgbttti": 6,
    "is_child": 7,
}
VIOLATION, PERPETRATOR, PROFILE = 1, 2, 3
BATCH = 20_000  # event ids per statement


def statements(tables: dict[str, str], where: str) -> list[str]:
    columns = "organization_id, event_id, state_code, start_month, number, kind, value"
    insert = (
        f"INSERT INTO {tables['facet']} ({columns}) "
        "SELECT DISTINCT e.organization_id, e.id, COALESCE(e.state_id, ''), e.start_month, e.number"
    )
    flags = " UNION ALL ".join(f"SELECT {code} AS code" for code in PROFILE_CODES.values())
    has_flag = " OR ".join(f"(f.code = {code} AND p.{flag})" for flag, code in PROFILE_CODES.items())
    return [
        f"{insert}, {VIOLATION}, a.violation_type_id "
        f"FROM {tables['event']} e JOIN {tables['act']} a ON a.event_id = e.id WHERE {where}",
        f"{insert}, {PERPETRATOR}, t.kind_id "
        f"FROM {tables['event']} e JOIN {tables['attribution']} t ON t.event_id = e.id "
        f"WHERE {where}",
        f"{insert}, {PROFILE}, f.code "
        f"FROM {tables['event']} e JOIN {tables['act']} a ON a.event_id = e.id "
        f"JOIN {tables['person']} p ON p.id = a.victim_id JOIN ({flags}) f ON {has_flag} "
        f"WHERE {where}",
    ]


def backfill(apps, schema_editor):
    fill(apps, schema_editor.connection)


def fill(apps, connection):
    names = {
        "event": "Event",
        "act": "Act",
        "attribution": "Attribution",
        "person": "Person",
        "facet": "EventFacet",
    }
    tables = {
        key: connection.ops.quote_name(apps.get_model("cases", name)._meta.db_table)
        for key, name in names.items()
    }
    Event = apps.get_model("cases", "Event")
    bounds = Event.objects.aggregate(lo=models.Min("id"), hi=models.Max("id"))
    if bounds["lo"] is None:
        return
    sql = statements(tables, "e.id BETWEEN %s AND %s")
    with connection.cursor() as cursor:
        for low in range(bounds["lo"], bounds["hi"] + 1, BATCH):
            for statement in sql:
                cursor.execute(statement, [low, low + BATCH - 1])
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {tables['facet']}")


def add_on_postgresql(apps, schema_editor):
    # As event_org_newest (0007): SQLite refuses NULLS LAST in an index and
    # serves "newest first" by reading event_facet_month backwards.
    if schema_editor.connection.vendor == "postgresql":
        for index in NEWEST_FIRST:
            schema_editor.add_index(apps.get_model("cases", "EventFacet"), index)


def remove_on_postgresql(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for index in NEWEST_FIRST:
            schema_editor.remove_index(apps.get_model("cases", "EventFacet"), index)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("cases", "0008_attachment_content_bytes"),
    ]

    operations = [
        migrations.CreateModel(
            name="EventFacet",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.PositiveSmallIntegerField(
                        choices=[(1, "Violation"), (2, "Perpetrator"), (3, "Profile")]
                    ),
                ),
                ("value", models.PositiveIntegerField()),
                ("state_code", models.CharField(blank=True, default="", max_length=2)),
                ("start_month", models.DateField(blank=True, null=True)),
                ("number", models.PositiveIntegerField()),
                (
                    "event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="facets",
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
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("event", "kind", "value"), name="event_facet_once"
                    )
                ],
            },
        ),
        # Fill first, index after: one sort per index instead of an index update per row.
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="eventfacet",
            index=models.Index(
                fields=["organization", "kind", "value", "start_month", "number"],
                name="event_facet_month",
            ),
        ),
        migrations.AddIndex(
            model_name="eventfacet",
            index=models.Index(
                fields=["organization", "kind", "value", "state_code", "start_month", "number"],
                name="event_facet_state",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(model_name="eventfacet", index=index) for index in NEWEST_FIRST
            ],
            database_operations=[migrations.RunPython(add_on_postgresql, remove_on_postgresql)],
        ),
    ]
