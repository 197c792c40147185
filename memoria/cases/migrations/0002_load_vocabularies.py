from django.db import migrations

from memoria.cases.vocabularies import load_vocabularies


def forwards(apps, schema_editor):
    load_vocabularies(apps.get_model("cases", "Vocabulary"), apps.get_model("cases", "Term"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
