"""Each channel against a real local receiver: SMTP, a signed webhook, an SMS gateway, Signal.

The delivery engine runs in this process with a controlled clock (``now=``),
so retries and backoff are checked without waiting.
"""

from __future__ import annotations

import datetime as dt
import json

from django.test import TransactionTestCase
from django.utils import timezone

from memoria.alerts import engine, signing
from memoria.alerts.delivery import enqueue
from memoria.alerts.models import Channel, Delivery, DeliveryAttempt
from tests.web.alerts_receivers import HttpReceiver, SmtpServer
from tests.web.base import MemoriaTestCase

SECRET = "un secreto compartido largo"  # noqa: S105


class ChannelTests(MemoriaTestCase):
    def channel(self, kind, **config) -> Channel:
        return Channel.objects.create(
            organization=self.org, kind=kind, name=f"canal {kind}", config=config
        )

    def send_all(self, now=None) -> int:
        return engine.send_due("test-worker", now=now)

    def test_it_sends_email_through_a_real_smtp_server(self):
        with SmtpServer() as smtp:
            channel = self.channel(
                Channel.Kind.EMAIL,
                smtp_host="127.0.0.1",
                smtp_port=smtp.port,
                from_address="alertas@norte.example",
            )
            delivery = enqueue(
                self.org,
                channel,
                recipient="ana@red.example",
                subject="Aviso",
                body="No respondió a su registro.",
                key="m1",
            )
            self.assertEqual(self.send_all(), 1)
        [(to, message)] = smtp.messages
        self.assertEqual(to, ["ana@red.example"])
        self.assertEqual(message["Subject"], "Aviso")
        self.assertEqual(message[signing.DELIVERY_HEADER], str(delivery.delivery_id))
        self.assertIn("No respondió", message.get_payload(decode=True).decode())
        delivery.refresh_from_db()
        self.assertEqual(delivery.status, Delivery.Status.SENT)
        self.assertIsNotNone(delivery.sent_at)
        [attempt] = DeliveryAttempt.objects.all()
        self.assertEqual(attempt.result, "sent")
        channel.refresh_from_db()
        self.assertIsNotNone(channel.last_sent_at)

    def test_it_logs_a_refused_recipient_without_naming_it(self):
        with SmtpServer(refuse={"nadie@red.example"}) as smtp:
            channel = self.channel(Channel.Kind.EMAIL, smtp_host="127.0.0.1", smtp_port=smtp.port)
            enqueue(
                self.org, channel, recipient="nadie@red.example", subject="s", body="b", key="x"
            )
            self.send_all()
        delivery = Delivery.objects.get()
        self.assertEqual(delivery.status, Delivery.Status.QUEUED)
        self.assertEqual(delivery.attempts, 1)
        self.assertNotIn("nadie", delivery.last_error)
        channel.refresh_from_db()
        self.assertEqual(channel.last_error, delivery.last_error)
        self.assertNotIn("nadie", DeliveryAttempt.objects.get().error)

    def test_it_signs_webhooks_and_the_receiver_verifies(self):
        with HttpReceiver(secret=SECRET) as receiver:
            channel = self.channel(Channel.Kind.WEBHOOK, url=receiver.url + "/hook", secret=SECRET)
            delivery = enqueue(
                self.org, channel, subject="Alerta", body="Texto", key="w1", location="19.4,-99.1"
            )
            self.send_all()
        [request] = receiver.received
        self.assertTrue(request.signature_ok)
        self.assertEqual(request.headers[signing.DELIVERY_HEADER], str(delivery.delivery_id))
        self.assertEqual(request.json["delivery_id"], str(delivery.delivery_id))
        self.assertEqual(request.json["body"], "Texto")
        self.assertNotIn("location", request.json)  # not asked for: not sent
        self.assertEqual(Delivery.objects.get().status, Delivery.Status.SENT)

    def test_it_sends_the_location_only_when_asked(self):
        with HttpReceiver(secret=SECRET) as receiver:
            channel = self.channel(Channel.Kind.WEBHOOK, url=receiver.url, secret=SECRET)
            enqueue(
                self.org,
                channel,
                subject="s",
                body="b",
                key="w2",
                location="19.4,-99.1",
                include_location=True,
            )
            self.send_all()
        self.assertEqual(receiver.received[0].json["location"], "19.4,-99.1")

    def test_a_wrong_secret_is_refused_by_the_receiver_and_retried(self):
        with HttpReceiver(secret=SECRET) as receiver:
            channel = self.channel(Channel.Kind.WEBHOOK, url=receiver.url, secret="otro")
            enqueue(self.org, channel, subject="s", body="b", key="w3")
            self.send_all()
        self.assertFalse(receiver.received[0].signature_ok)
        delivery = Delivery.objects.get()
        self.assertEqual(delivery.status, Delivery.Status.QUEUED)
        self.assertIn("401", delivery.last_error)

    def test_it_retries_with_backoff_after_the_receiver_fails_twice(self):
        with HttpReceiver(secret=SECRET, fail_first=2) as receiver:
            channel = self.channel(Channel.Kind.WEBHOOK, url=receiver.url, secret=SECRET)
            enqueue(self.org, channel, subject="s", body="b", key="r1")
            start = timezone.now()
            self.send_all(now=start)
            delivery = Delivery.objects.get()
            self.assertEqual(delivery.status, Delivery.Status.QUEUED)
            self.assertEqual(delivery.next_attempt_at, start + dt.timedelta(seconds=10))
            self.assertEqual(self.send_all(now=start + dt.timedelta(seconds=9)), 0)
            self.send_all(now=start + dt.timedelta(seconds=10))
            delivery.refresh_from_db()
            self.assertEqual(delivery.next_attempt_at, start + dt.timedelta(seconds=30))
            self.assertIn("503", delivery.last_error)
            self.send_all(now=start + dt.timedelta(seconds=30))
        delivery.refresh_from_db()
        self.assertEqual(delivery.status, Delivery.Status.SENT)
        self.assertEqual(delivery.attempts, 3)
        ids = {r.headers[signing.DELIVERY_HEADER] for r in receiver.received}
        self.assertEqual(ids, {str(delivery.delivery_id)})  # one id across the retries
        results = list(DeliveryAttempt.objects.order_by("attempt").values_list("result", flat=True))
        self.assertEqual(results, ["failed", "failed", "sent"])
        channel.refresh_from_db()
        self.assertIn("503", channel.last_error)  # the last error stays on the channel's page

    def test_it_gives_up_after_the_last_attempt(self):
        with HttpReceiver(status=500) as receiver:
            channel = self.channel(Channel.Kind.WEBHOOK, url=receiver.url, secret=SECRET)
            enqueue(self.org, channel, subject="s", body="b", key="f1", max_attempts=3)
            now = timezone.now()
            for _ in range(3):
                self.send_all(now=now)
                now += dt.timedelta(hours=1)
        delivery = Delivery.objects.get()
        self.assertEqual(delivery.status, Delivery.Status.FAILED)
        self.assertEqual(len(receiver.received), 3)

    def test_backoff_doubles_up_to_a_cap(self):
        self.assertEqual(engine.backoff(1), dt.timedelta(seconds=10))
        self.assertEqual(engine.backoff(4), dt.timedelta(seconds=80))
        self.assertEqual(engine.backoff(30), dt.timedelta(minutes=30))

    def test_it_sends_sms_through_the_gateway_with_its_token(self):
        with HttpReceiver() as gateway:
            channel = self.channel(
                Channel.Kind.SMS, gateway_url=gateway.url + "/send", token="tok-123"
            )
            delivery = enqueue(
                self.org,
                channel,
                recipient="+526141234567",
                subject="Aviso",
                body="Llama ya",
                key="s1",
            )
            self.send_all()
        [request] = gateway.received
        self.assertEqual(request.path, "/send")
        self.assertEqual(request.headers["Authorization"], "Bearer tok-123")
        self.assertEqual(request.json["to"], "+526141234567")
        self.assertEqual(request.json["delivery_id"], str(delivery.delivery_id))
        self.assertIn("Llama ya", request.json["message"])

    def test_it_sends_signal_through_signal_cli_rest(self):
        with HttpReceiver(status=201) as signal_api:
            channel = self.channel(
                Channel.Kind.SIGNAL, signal_url=signal_api.url, sender="+525500000000"
            )
            enqueue(self.org, channel, recipient="+526141234567", subject="", body="Hola", key="g1")
            self.send_all()
        [request] = signal_api.received
        self.assertEqual(request.path, "/v2/send")
        self.assertEqual(
            request.json,
            {"message": "Hola", "number": "+525500000000", "recipients": ["+526141234567"]},
        )
        self.assertEqual(Delivery.objects.get().status, Delivery.Status.SENT)

    def test_an_unreachable_receiver_is_an_error_safe_to_show(self):
        channel = self.channel(Channel.Kind.SMS, gateway_url="http://127.0.0.1:9/x", token="t")
        enqueue(self.org, channel, recipient="+52614", subject="s", body="b", key="u1")
        self.send_all()
        delivery = Delivery.objects.get()
        self.assertEqual(delivery.status, Delivery.Status.QUEUED)
        self.assertTrue(delivery.last_error)
        self.assertNotIn("+52614", delivery.last_error)

    def test_a_disabled_channel_holds_its_deliveries(self):
        channel = self.channel(Channel.Kind.WEBHOOK, url="http://127.0.0.1:9", secret=SECRET)
        channel.enabled = False
        channel.save()
        enqueue(self.org, channel, subject="s", body="b", key="d1")
        self.assertEqual(self.send_all(), 0)
        self.assertEqual(Delivery.objects.get().status, Delivery.Status.QUEUED)

    def test_the_log_keeps_no_message_content(self):
        with HttpReceiver(status=500) as receiver:
            channel = self.channel(Channel.Kind.WEBHOOK, url=receiver.url, secret=SECRET)
            enqueue(self.org, channel, subject="Asunto X", body="Cuerpo Y", key="l1")
            self.send_all()
        attempt = DeliveryAttempt.objects.get()
        row = json.dumps([attempt.error, attempt.result, attempt.worker])
        self.assertNotIn("Asunto X", row)
        self.assertNotIn("Cuerpo Y", row)


class SigningTests(MemoriaTestCase):
    def test_verify_accepts_the_signed_body_only(self):
        body = b'{"a":1}'
        headers = signing.sign(SECRET, body, "id", now=1_000_000)
        ts, sig = headers[signing.TIMESTAMP_HEADER], headers[signing.SIGNATURE_HEADER]
        self.assertTrue(signing.verify(SECRET, body, ts, sig, now=1_000_010))
        self.assertFalse(signing.verify(SECRET, b'{"a":2}', ts, sig, now=1_000_010))
        self.assertFalse(signing.verify("otro", body, ts, sig, now=1_000_010))
        self.assertFalse(signing.verify(SECRET, body, ts, sig, now=1_000_000 + 301))  # replay
        self.assertFalse(signing.verify(SECRET, body, None, sig))

    def test_the_signature_is_hmac_sha256_of_timestamp_dot_body(self):
        import hashlib
        import hmac

        expected = hmac.new(SECRET.encode(), b"1700000000.hola", hashlib.sha256).hexdigest()
        self.assertEqual(signing.signature(SECRET, 1700000000, b"hola"), f"v1={expected}")


class ClaimTests(TransactionTestCase):
    """Two claimers racing for the same delivery: one wins."""

    def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_expires(self):
        from memoria.accounts.models import Organization

        org = Organization.objects.create(name="O", slug="o", kind="other")
        channel = Channel.objects.create(organization=org, kind="webhook", name="w", config={})
        enqueue(org, channel, subject="s", body="b", key="c1")
        now = timezone.now()
        first = engine.claim("a", lease_seconds=30, now=now)
        self.assertIsNotNone(first)
        self.assertIsNone(engine.claim("b", lease_seconds=30, now=now + dt.timedelta(seconds=29)))
        again = engine.claim("b", lease_seconds=30, now=now + dt.timedelta(seconds=31))
        self.assertEqual(again.pk, first.pk)
        self.assertEqual(again.attempts, 2)
        self.assertEqual(again.delivery_id, first.delivery_id)
