"""Pad every person's blind search index to a fixed number of rows.

Unpadded, the number of a person's index rows follows the length of their
name. This adds random rows (no query ever hashes to one) up to the count
``memoria.cases.search.padded`` gives new people: no key is needed, so it runs
on any installation. The numbers are frozen here as they were when written.
Backwards nothing is removed: padding rows cannot be told from real ones, and
they change no search result.
"""

import secrets
from collections import Counter

from django.db import migrations

PADDED_KEYS = 72
PADDING_STEP = 24
DIGEST_HEX = 16
BATCH = 2000


def pad(apps, schema_editor):
    Person = apps.get_model("cases", "Person")
    Token = apps.get_model("cases", "PersonSearchToken")
    last = 0
    while True:
        people = list(
            Person.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "organization_id")[
                :BATCH
            ]
        )
        if not people:
            return
        last = people[-1][0]
        ids = [pk for pk, _org in people]
        have = Counter(Token.objects.filter(person_id__in=ids).values_list("person_id", flat=True))
        rows = []
        for pk, organization_id in people:
            count = have.get(pk, 0)
            target = max(PADDED_KEYS, -(-count // PADDING_STEP) * PADDING_STEP)
            fresh = {secrets.token_hex(DIGEST_HEX // 2) for _ in range(target - count)}
            rows += [
                Token(organization_id=organization_id, person_id=pk, token=token)
                for token in fresh
            ]
        Token.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_dupes_imported_reference")]

    operations = [migrations.RunPython(pad, migrations.RunPython.noop, elidable=True)]
