"""The delivery engine's interface: enqueue writes one row per key, in the caller's transaction."""

from __future__ import annotations

from django.db import transaction

from memoria.alerts.delivery import enqueue
from memoria.alerts.models import Channel, Delivery
from tests.web.base import MemoriaTestCase


class EnqueueTests(MemoriaTestCase):
    def setUp(self):
        self.channel = Channel.objects.create(
            organization=self.org,
            kind=Channel.Kind.EMAIL,
            name="Correo de guardia",
            config={"address": "guardia@norte.example"},
        )

    def test_it_queues_one_delivery_per_key(self):
        first = enqueue(self.org, self.channel, subject="Aviso", body="Texto", key="k1")
        again = enqueue(self.org, self.channel, subject="Otro", body="Otro", key="k1")
        self.assertEqual(first.pk, again.pk)
        self.assertEqual(Delivery.objects.count(), 1)
        delivery = Delivery.objects.get()
        self.assertEqual(delivery.status, Delivery.Status.QUEUED)
        self.assertEqual(delivery.recipient, "guardia@norte.example")
        self.assertEqual(delivery.subject, "Aviso")

    def test_it_keeps_no_location_unless_asked(self):
        plain = enqueue(
            self.org, self.channel, subject="s", body="b", key="a", location="19.4,-99.1"
        )
        located = enqueue(
            self.org,
            self.channel,
            subject="s",
            body="b",
            key="b",
            location="19.4,-99.1",
            include_location=True,
        )
        self.assertEqual(Delivery.objects.get(pk=plain.pk).location, "")
        self.assertEqual(Delivery.objects.get(pk=located.pk).location, "19.4,-99.1")

    def test_it_rolls_back_with_the_callers_transaction(self):
        try:
            with transaction.atomic():
                enqueue(self.org, self.channel, subject="s", body="b", key="gone")
                raise RuntimeError("the ladder step failed")
        except RuntimeError:
            pass
        self.assertFalse(Delivery.objects.filter(idempotency_key="gone").exists())

    def test_it_refuses_another_organizations_channel(self):
        with self.assertRaises(ValueError):
            enqueue(self.other_org, self.channel, subject="s", body="b", key="x")

    def test_it_stores_the_message_encrypted(self):
        from django.db import connection

        enqueue(self.org, self.channel, subject="Aviso secreto", body="Cuerpo secreto", key="e")
        with connection.cursor() as cursor:
            cursor.execute("SELECT recipient, subject, body FROM alerts_delivery")
            row = cursor.fetchone()
        self.assertNotIn("guardia", row[0])
        self.assertNotIn("secreto", row[1] + row[2])
