from django.db import migrations, models

NEWEST_FIRST = models.Index(
    models.F("organization"),
    models.OrderBy(models.F("start_month"), descending=True, nulls_last=True),
    models.OrderBy(models.F("number"), descending=True),
    name="event_org_newest",
)


def add_on_postgresql(apps, schema_editor):
    # SQLite sorts NULL first ascending, so last descending, and serves the sort
    # from event_org_month; it also refuses NULLS LAST in an index.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("cases", "Event"), NEWEST_FIRST)


def remove_on_postgresql(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("cases", "Event"), NEWEST_FIRST)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_encrypt_event_coordinates"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="event",
            options={
                "ordering": [
                    models.OrderBy(models.F("start_month"), descending=True, nulls_last=True),
                    "-number",
                ],
                "verbose_name": "event",
                "verbose_name_plural": "events",
            },
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="event", index=NEWEST_FIRST)],
            database_operations=[migrations.RunPython(add_on_postgresql, remove_on_postgresql)],
        ),
    ]
