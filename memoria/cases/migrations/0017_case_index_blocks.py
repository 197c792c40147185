"""The case index's entries are packed per block of event ids, one ciphertext per block.

A process used to decrypt one entry per case before its first case list or
statistics page (minutes at hundreds of thousands of cases); it now decrypts
one block per ``BLOCK_SIZE`` event ids. Each organization's entries are read
in event-id order, a block at a time (memory stays at one block and one batch),
sealed under the organization's active key, and their rows keep ``seq`` but no
longer their data. Backwards, every block is opened and its entries are
written back into their rows, each encrypted on its own as before.

The block format is ``memoria.cases.caseindex.pack_block``'s (its header names
the format: a later format comes with its own migration).
"""

import json

import django.db.models.deletion
import memoria.vault.fields
from django.db import migrations, models

BATCH = 2000


def _blocks_of(Entry, organization_id):
    """(block number, [(event id, seq, sealed data)]) of the organization, in id order."""
    from memoria.cases.caseindex import BLOCK_SIZE

    last, number, found = -1, None, []
    while True:
        rows = list(
            Entry.objects.filter(organization_id=organization_id, event_id__gt=last)
            .order_by("event_id")
            .values_list("event_id", "seq", "data")[:BATCH]
        )
        if not rows:
            break
        last = rows[-1][0]
        for event_id, seq, data in rows:
            if event_id // BLOCK_SIZE != number and found:
                yield number, found
                found = []
            number = event_id // BLOCK_SIZE
            found.append((event_id, seq, data))
    if found:
        yield number, found


def pack(apps, schema_editor):
    Entry = apps.get_model("cases", "CaseIndexEntry")
    Block = apps.get_model("cases", "CaseIndexBlock")
    Clock = apps.get_model("cases", "CaseIndexClock")
    from memoria.cases.caseindex import BLOCK_CONTEXT, DATA_CONTEXT, _columns_of, pack_block
    from memoria.vault.cipher import decrypt_text, encrypt_bytes_with
    from memoria.vault.keys import active_key

    for clock in Clock.objects.all():
        organization_id = clock.organization_id
        key = active_key(organization_id)
        for number, rows in _blocks_of(Entry, organization_id):
            entries = {
                event_id: json.loads(
                    decrypt_text(data, DATA_CONTEXT, organization_id=organization_id)
                )
                for event_id, _seq, data in rows
                if data is not None
            }
            data = encrypt_bytes_with(*key, pack_block(_columns_of(entries)), BLOCK_CONTEXT)
            Block.objects.create(
                organization_id=organization_id,
                number=number,
                generation=clock.generation,
                seq=max(seq for _event_id, seq, _data in rows),
                data=data,
            )
            Entry.objects.filter(event_id__in=list(entries)).update(data=None)


def unpack(apps, schema_editor):
    Entry = apps.get_model("cases", "CaseIndexEntry")
    Block = apps.get_model("cases", "CaseIndexBlock")
    Clock = apps.get_model("cases", "CaseIndexClock")
    from memoria.cases.caseindex import (
        BLOCK_CONTEXT,
        DATA_CONTEXT,
        _entries_of,
        _only,
        unpack_block,
    )
    from memoria.vault.cipher import decrypt_bytes, encrypt_text_with
    from memoria.vault.keys import active_key

    keys = {}
    blocks = Block.objects.order_by("pk").values_list("organization_id", "generation", "data")
    for organization_id, block_generation, data in blocks.iterator(chunk_size=16):
        if organization_id not in keys:
            keys[organization_id] = active_key(organization_id)
        generation = (
            Clock.objects.filter(organization_id=organization_id)
            .values_list("generation", flat=True)
            .first()
        )
        if generation != block_generation or not data:
            continue
        columns = unpack_block(
            decrypt_bytes(bytes(data), BLOCK_CONTEXT, organization_id=organization_id)
        )
        waiting = set(
            Entry.objects.filter(
                event_id__in=columns["ids"].tolist(), data__isnull=True
            ).values_list("event_id", flat=True)
        )
        for event_id, entry in _entries_of(_only(columns, waiting)).items():
            sealed = encrypt_text_with(*keys[organization_id], json.dumps(entry), DATA_CONTEXT)
            Entry.objects.filter(event_id=event_id).update(data=sealed)
    # An entry no block held cannot be written back: dropped (``rebuild`` writes it again).
    Entry.objects.filter(data__isnull=True).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_reseal_two_factor_seeds'),
        ('cases', '0016_case_index_victims'),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseIndexBlock',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.BigIntegerField()),
                ('generation', models.CharField(max_length=16)),
                ('seq', models.BigIntegerField()),
                ('stale', models.BooleanField(default=False)),
                ('data', memoria.vault.fields.EncryptedBinaryField()),
            ],
        ),
        migrations.AlterField(
            model_name='caseindexentry',
            name='data',
            field=memoria.vault.fields.EncryptedJSONField(null=True),
        ),
        migrations.AddIndex(
            model_name='caseindexentry',
            index=models.Index(condition=models.Q(('data__isnull', False)), fields=['organization'], name='case_index_unpacked'),
        ),
        migrations.AddField(
            model_name='caseindexblock',
            name='organization',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organization'),
        ),
        migrations.AddConstraint(
            model_name='caseindexblock',
            constraint=models.UniqueConstraint(fields=('organization', 'number'), name='case_index_block'),
        ),
        migrations.RunPython(pack, unpack, elidable=True),
    ]
