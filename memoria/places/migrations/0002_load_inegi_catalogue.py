"""Load the INEGI catalogue (Census 2020) shipped in memoria/geo/data."""

from django.db import migrations


def load(apps, schema_editor):
    from memoria.geo import fold, load_municipalities, load_states

    State = apps.get_model("places", "State")
    Municipality = apps.get_model("places", "Municipality")
    State.objects.bulk_create(
        State(
            code=s.code,
            name=s.name,
            iso_code=s.iso_code,
            population_total=s.population_total,
            population_male=s.population_male,
            population_female=s.population_female,
        )
        for s in load_states()
    )
    Municipality.objects.bulk_create(
        (
            Municipality(
                cvegeo=m.cvegeo,
                state_id=m.state_code,
                code=m.code,
                name=m.name,
                search_name=fold(m.name),
                population_total=m.population_total,
                population_male=m.population_male,
                population_female=m.population_female,
            )
            for m in load_municipalities()
        ),
        batch_size=500,
    )


def unload(apps, schema_editor):
    apps.get_model("places", "Municipality").objects.all().delete()
    apps.get_model("places", "State").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
