"""Re-seal authenticator seeds with authenticated encryption (AES-256-GCM).

Seeds were sealed with AES-256-CTR, which cannot tell an altered seed from a
good one. Each is opened with the same per-user key and sealed again with
GCM, the user id as associated data (memoria.vault.seeds). A seed still in
clear (40 hexadecimal digits, from before sealing) is sealed too. Recovery
codes keep their digests: the per-user key does not change.
"""

from django.db import migrations

LEGACY_CTR_HEX = 2 * (16 + 20)  # nonce and a 20-byte seed
PLAIN_HEX = 2 * 20


def reseal(apps, schema_editor):
    from memoria.audit.log import current_keys
    from memoria.vault import seeds

    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    db = schema_editor.connection.alias
    devices = TOTPDevice.objects.using(db).exclude(key__startswith=seeds.SEED_PREFIX)
    key = None
    for device in devices.only("pk", "user_id", "key").order_by("pk"):
        if key is None:
            key = current_keys().two_factor
        if len(device.key) == LEGACY_CTR_HEX:
            seed = seeds.open_legacy_ctr_seed(device.key, key, device.user_id)
        elif len(device.key) == PLAIN_HEX:
            seed = bytes.fromhex(device.key)
        else:
            raise ValueError(f"authenticator {device.pk} holds a seed of unknown form")
        sealed = seeds.seal_seed(seed, key, device.user_id)
        TOTPDevice.objects.using(db).filter(pk=device.pk).update(key=sealed)


def unseal_to_ctr(apps, schema_editor):
    """Back to the earlier form, so the previous version can read the seeds."""
    import secrets

    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    from memoria.audit.log import current_keys
    from memoria.vault import seeds

    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    db = schema_editor.connection.alias
    devices = TOTPDevice.objects.using(db).filter(key__startswith=seeds.SEED_PREFIX)
    key = None
    for device in devices.only("pk", "user_id", "key").order_by("pk"):
        if key is None:
            key = current_keys().two_factor
        seed = seeds.open_seed(device.key, key, device.user_id)
        nonce = secrets.token_bytes(16)
        user_key = seeds.user_key(key, device.user_id)
        encryptor = Cipher(algorithms.AES(user_key), modes.CTR(nonce)).encryptor()
        sealed = (nonce + encryptor.update(seed) + encryptor.finalize()).hex()
        TOTPDevice.objects.using(db).filter(pk=device.pk).update(key=sealed)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_sealed_two_factor_devices"),
        ("audit", "0003_pending_entries"),
        ("otp_totp", "0003_add_timestamps"),
        ("vault", "0002_sealed_two_factor_devices"),
    ]

    operations = [migrations.RunPython(reseal, unseal_to_ctr)]
