"""Switch the audit chain from plain SHA-256 to HMAC-SHA256 under the audit key.

An existing log is first checked under the old, unkeyed rule; if it is intact,
every entry is re-hashed under a new audit key (created here, wrapped by the
master key). A log that already fails the old check is not re-hashed: that
would hide the tampering.
"""

import datetime
import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import migrations, models

GENESIS_HASH = "0" * 64


def _unkeyed_hash(entry) -> str:
    # The rule of 0001 (plain SHA-256 of the content), frozen here.
    content = {
        "seq": entry.seq,
        "created_at": entry.created_at.astimezone(datetime.UTC).isoformat(),
        "actor_id": entry.actor_id,
        "actor_email": entry.actor_email,
        "organization_id": entry.organization_id,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "ip_address": entry.ip_address,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }
    data = json.dumps(
        content, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()
    return hashlib.sha256(data).hexdigest()


def _first_unkeyed_problem(entries, head) -> str | None:
    expected_prev, expected_seq = GENESIS_HASH, 1
    for entry in entries:
        if entry.seq != expected_seq or entry.prev_hash != expected_prev:
            return f"entry #{entry.seq} is missing, moved or follows a changed entry"
        if _unkeyed_hash(entry) != entry.entry_hash:
            # (or an IPv6 address arrived in a long form the database shortened,
            # the false alarm the keyed rule no longer raises)
            return f"entry #{entry.seq} was edited"
        expected_prev, expected_seq = entry.entry_hash, entry.seq + 1
    if head.seq != expected_seq - 1 or head.last_hash != expected_prev:
        return "the chain head does not match the last entry"
    return None


def rekey_chain(apps, schema_editor):
    from memoria.audit.log import KEY_PURPOSE, compute_hash, keys_from_secret, new_wrapped_key
    from memoria.vault import keys

    AuditEntry = apps.get_model("audit", "AuditEntry")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    using = schema_editor.connection.alias
    entries = list(AuditEntry.objects.using(using).order_by("seq"))
    if not entries:
        return  # the key is created with the first entry
    head, _created = AuditChainHead.objects.using(using).get_or_create(pk=1)
    problem = _first_unkeyed_problem(entries, head)
    if problem:
        raise RuntimeError(
            f"The audit log already fails verification ({problem}). Re-keying it would "
            "hide that, so this migration stops. Investigate first; on a test install, "
            "empty the log (delete every row of audit_auditentry, set seq to 0 and "
            "last_hash to 64 zeros in audit_auditchainhead) and migrate again."
        )
    master = keys.load_master_key()
    head.wrapped_key = new_wrapped_key(master)
    secret = keys.unwrap_secret(head.wrapped_key, KEY_PURPOSE, master)
    chain_key = keys_from_secret(secret).chain
    previous = GENESIS_HASH
    for entry in entries:
        entry.prev_hash = previous
        entry.entry_hash = compute_hash(entry, chain_key)
        entry.save(update_fields=["prev_hash", "entry_hash"])
        previous = entry.entry_hash
    head.last_hash = previous
    head.save(update_fields=["wrapped_key", "last_hash"])


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="wrapped_key",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(rekey_chain, migrations.RunPython.noop),
    ]
