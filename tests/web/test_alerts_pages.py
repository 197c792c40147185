"""The alerts pages as each persona sees them: channels, tests, urgent alerts, acknowledgement."""

from __future__ import annotations

import re

from memoria.accounts.models import Organization
from memoria.alerts import engine, signing
from memoria.alerts.models import AlertRecipient, AlertTemplate, Channel, Delivery, UrgentAlert
from memoria.alerts.recipients import CONTACT_SOURCES, Contact, register_contact_source
from memoria.audit.models import AuditEntry
from tests.web.alerts_receivers import HttpReceiver, SmtpServer
from tests.web.base import MemoriaTestCase

SECRET = "secreto compartido de pruebas"  # noqa: S105


class ChannelPagesTests(MemoriaTestCase):
    def url(self, suffix=""):
        return f"/o/{self.org.slug}/alerts/channels/{suffix}"

    def test_only_coordinators_see_the_channel_settings(self):
        channel = Channel.objects.create(organization=self.org, kind="webhook", name="Guardia")
        for role, user in self.personas().items():
            self.client.force_login(user)
            with self.subTest(role=role):
                expected = 200 if role == "coordinator" else 403
                self.assertEqual(self.client.get(self.url()).status_code, expected)
                self.assertEqual(self.client.get(self.url(f"{channel.pk}/")).status_code, expected)
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.url(f"{channel.pk}/")).status_code, 404)

    def test_it_adds_a_webhook_channel_with_a_secret_made_for_it(self):
        self.client.force_login(self.coordinator)
        response = self.client.post(
            self.url("new/webhook/"),
            {"name": "Bot de Signal", "enabled": "on", "url": "https://bot.example/hook"},
        )
        channel = Channel.objects.get()
        self.assertRedirects(response, self.url(f"{channel.pk}/"))
        self.assertEqual(channel.kind, "webhook")
        self.assertGreaterEqual(len(channel.config["secret"]), 32)
        page = self.client.get(self.url(f"{channel.pk}/"))
        self.assertContains(page, channel.config["secret"])  # to configure the receiver
        self.assertTrue(AuditEntry.objects.filter(action="channel.create").exists())

    def test_it_refuses_an_address_that_is_not_http(self):
        self.client.force_login(self.coordinator)
        response = self.client.post(
            self.url("new/sms/"), {"name": "SMS", "gateway_url": "file:///etc/passwd", "token": "t"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Channel.objects.exists())

    def test_editing_keeps_secrets_left_empty_and_refuses_a_stale_version(self):
        channel = Channel.objects.create(
            organization=self.org,
            kind="sms",
            name="SMS",
            config={"gateway_url": "https://gw.example/send", "token": "tok-viejo"},
        )
        self.client.force_login(self.coordinator)
        page = self.client.get(self.url(f"{channel.pk}/"))
        self.assertNotContains(page, "tok-viejo")  # a token is never shown back
        data = {
            "name": "SMS 2",
            "enabled": "on",
            "gateway_url": "https://gw.example/v2",
            "version": 1,
        }
        self.assertEqual(self.client.post(self.url(f"{channel.pk}/"), data).status_code, 302)
        channel.refresh_from_db()
        self.assertEqual(channel.config["token"], "tok-viejo")
        self.assertEqual(channel.config["gateway_url"], "https://gw.example/v2")
        stale = self.client.post(self.url(f"{channel.pk}/"), {**data, "name": "SMS 3"})
        self.assertEqual(stale.status_code, 409)
        channel.refresh_from_db()
        self.assertEqual(channel.name, "SMS 2")

    def test_the_test_button_sends_a_test_message_and_the_log_shows_it(self):
        with SmtpServer() as smtp:
            channel = Channel.objects.create(
                organization=self.org,
                kind="email",
                name="Correo",
                config={"smtp_host": "127.0.0.1", "smtp_port": smtp.port},
            )
            self.client.force_login(self.coordinator)
            response = self.client.post(
                self.url(f"{channel.pk}/test/"), {"recipient": "guardia@norte.example"}
            )
            self.assertRedirects(response, self.url(f"{channel.pk}/"))
            engine.send_due("test")
        [(to, message)] = smtp.messages
        self.assertEqual(to, ["guardia@norte.example"])
        self.assertIn("Memoria", message["Subject"])
        page = self.client.get(self.url(f"{channel.pk}/"))
        self.assertContains(page, "Enviado")
        self.assertNotContains(page, "guardia@norte.example")  # the log keeps no content

    def test_the_channel_page_shows_the_last_error(self):
        with HttpReceiver(status=500) as receiver:
            channel = Channel.objects.create(
                organization=self.org,
                kind="webhook",
                name="Hook",
                config={"url": receiver.url, "secret": SECRET},
            )
            self.client.force_login(self.coordinator)
            self.client.post(self.url(f"{channel.pk}/test/"), {})
            engine.send_due("test")
        page = self.client.get(self.url(f"{channel.pk}/"))
        self.assertContains(page, "500")

    def test_a_test_needs_somewhere_to_go(self):
        channel = Channel.objects.create(organization=self.org, kind="email", name="Correo")
        self.client.force_login(self.coordinator)
        self.client.post(self.url(f"{channel.pk}/test/"), {})
        self.assertFalse(Delivery.objects.exists())

    def test_the_test_page_refuses_get(self):
        channel = Channel.objects.create(organization=self.org, kind="email", name="Correo")
        self.client.force_login(self.coordinator)
        self.assertEqual(self.client.get(self.url(f"{channel.pk}/test/")).status_code, 405)


class UrgentAlertTests(MemoriaTestCase):
    def setUp(self):
        self.partner = Organization.objects.create(
            name="Red de Periodistas",
            slug="red-periodistas",
            kind=Organization.Kind.JOURNALISTS_NETWORK,
            contact_email="guardia@periodistas.example",
        )
        self.contacts = [
            Contact("test:1", "Marta Círculo", "Círculo de J.", email="marta@c.example")
        ]
        register_contact_source("test", lambda organization: self.contacts)
        self.addCleanup(CONTACT_SOURCES.pop, "test", None)

    def url(self, suffix=""):
        return f"/o/{self.org.slug}/alerts/{suffix}"

    def test_coordinators_send_and_members_who_follow_protection_see(self):
        for role, user in self.personas().items():
            self.client.force_login(user)
            with self.subTest(role=role):
                follows = 403 if role == "analyst" else 200  # analysts see no protection work
                self.assertEqual(self.client.get(self.url()).status_code, follows)
                expected = 200 if role == "coordinator" else 403
                self.assertEqual(self.client.get(self.url("new/")).status_code, expected)
                self.assertEqual(self.client.get(self.url("templates/")).status_code, expected)

    def test_a_template_fills_the_alert(self):
        template = AlertTemplate.objects.create(
            organization=self.org,
            name="Amenaza",
            subject="ACCIÓN URGENTE: [quién]",
            body="Pedimos…",
        )
        self.client.force_login(self.coordinator)
        page = self.client.get(self.url(f"new/?template={template.pk}"))
        self.assertContains(page, "ACCIÓN URGENTE: [quién]")
        builtin = self.client.get(self.url("new/?template=disappearance"))
        self.assertContains(builtin, "ha desaparecido")  # Memoria's own, in Spanish

    def test_templates_are_editable(self):
        self.client.force_login(self.coordinator)
        response = self.client.post(
            self.url("templates/new/"),
            {"name": "Mía", "language": "es-mx", "subject": "Asunto", "body": "Texto"},
        )
        self.assertRedirects(response, self.url("templates/"))
        template = AlertTemplate.objects.get()
        response = self.client.post(
            self.url(f"templates/{template.pk}/"),
            {"name": "Mía", "language": "en", "subject": "Subject", "body": "Text", "version": 1},
        )
        self.assertEqual(response.status_code, 302)
        template.refresh_from_db()
        self.assertEqual(
            (template.language, template.subject, template.version), ("en", "Subject", 2)
        )

    def test_an_alert_reaches_organizations_channels_and_contacts_and_tracks_acknowledgements(self):
        with SmtpServer() as smtp, HttpReceiver(secret=SECRET) as hook:
            email = Channel.objects.create(
                organization=self.org, kind="email", name="Correo",
                config={"smtp_host": "127.0.0.1", "smtp_port": smtp.port},
            )  # fmt: skip
            webhook = Channel.objects.create(
                organization=self.org, kind="webhook", name="Bot",
                config={"url": hook.url, "secret": SECRET},
            )  # fmt: skip
            self.client.force_login(self.coordinator)
            response = self.client.post(
                self.url("new/"),
                {
                    "subject": "ACCIÓN URGENTE: periodista amenazado",
                    "body": "Pedimos escribir a la fiscalía.",
                    "organizations": [str(self.partner.pk)],
                    "organization_channel": str(email.pk),
                    "channels": [str(webhook.pk)],
                    "contacts": ["test:1"],
                },
            )
            alert = UrgentAlert.objects.get()
            self.assertRedirects(response, self.url(f"{alert.pk}/"))
            self.assertEqual(alert.recipients.count(), 3)
            engine.send_due("test")
        self.assertEqual(sorted(to[0] for to, _m in smtp.messages), [
            "guardia@periodistas.example", "marta@c.example",
        ])  # fmt: skip
        [request] = hook.received
        self.assertTrue(request.signature_ok)
        self.assertEqual(request.headers[signing.DELIVERY_HEADER], request.json["delivery_id"])
        links = set()
        for _to, message in smtp.messages:
            links |= set(
                re.findall(r"http://testserver(/alerts/received/\S+/)", message.get_payload())
            )
        links |= set(re.findall(r"http://testserver(/alerts/received/\S+/)", request.json["body"]))
        self.assertEqual(len(links), 3)  # a personal link each

        page = self.client.get(self.url(f"{alert.pk}/"))
        self.assertContains(page, "3 de 3 destinatarios lo recibieron")
        self.assertContains(page, "confirmaron: 0")

        link = sorted(links)[0]
        self.client.logout()
        landing = self.client.get(link)  # opening the link acknowledges nothing
        self.assertContains(landing, "Recibí la alerta")
        self.assertEqual(AlertRecipient.objects.filter(acknowledged_at__isnull=False).count(), 0)
        self.client.post(link)
        self.client.post(link)  # twice is once
        self.assertEqual(AlertRecipient.objects.filter(acknowledged_at__isnull=False).count(), 1)
        self.assertEqual(AuditEntry.objects.filter(action="urgent_alert.acknowledged").count(), 1)

        self.client.force_login(self.reader)
        page = self.client.get(self.url(f"{alert.pk}/"))
        self.assertContains(page, "confirmaron: 1")
        self.assertContains(page, "Marta Círculo")

    def test_failures_show_per_recipient(self):
        webhook = Channel.objects.create(
            organization=self.org, kind="webhook", name="Roto",
            config={"url": "http://127.0.0.1:9/", "secret": SECRET},
        )  # fmt: skip
        self.client.force_login(self.coordinator)
        self.client.post(
            self.url("new/"), {"subject": "S", "body": "B", "channels": [str(webhook.pk)]}
        )
        Delivery.objects.update(max_attempts=1)
        engine.send_due("test")
        alert = UrgentAlert.objects.get()
        page = self.client.get(self.url(f"{alert.pk}/"))
        self.assertContains(page, "fallaron: 1")
        self.assertContains(page, "No se pudo llegar al receptor")

    def test_an_alert_needs_a_recipient(self):
        self.client.force_login(self.coordinator)
        response = self.client.post(self.url("new/"), {"subject": "S", "body": "B"})
        self.assertContains(response, "Elige al menos un destinatario")
        self.assertFalse(UrgentAlert.objects.exists())

    def test_an_unknown_acknowledgement_link_is_not_found(self):
        self.assertEqual(self.client.get("/alerts/received/nada/").status_code, 404)


class SupportCircleTests(MemoriaTestCase):
    """The protection app offers its support contacts; an alert reaches them by e-mail or SMS."""

    def test_an_urgent_alert_reaches_the_support_circle(self):
        from memoria.protection.models import PersonAtRisk, SupportContact

        person = PersonAtRisk.objects.create(organization=self.org, display_name="Periodista J.")
        by_mail = SupportContact.objects.create(
            organization=self.org, person=person, name="Lucía Hermana", email="lucia@c.example"
        )
        by_sms = SupportContact.objects.create(
            organization=self.org, person=person, name="Pedro Colega", phone="+526141112233",
            accepts_email=False, accepts_sms=True,
        )  # fmt: skip
        SupportContact.objects.create(
            organization=self.org, person=person, name="Inactiva", email="x@c.example",
            is_active=False,
        )  # fmt: skip
        with SmtpServer() as smtp, HttpReceiver() as gateway:
            Channel.objects.create(
                organization=self.org, kind="email", name="Correo",
                config={"smtp_host": "127.0.0.1", "smtp_port": smtp.port},
            )  # fmt: skip
            Channel.objects.create(
                organization=self.org, kind="sms", name="SMS",
                config={"gateway_url": gateway.url, "token": "t"},
            )  # fmt: skip
            self.client.force_login(self.coordinator)
            page = self.client.get("/o/centro-norte/alerts/new/")
            self.assertContains(page, "Lucía Hermana — Periodista J.")
            self.assertNotContains(page, "Inactiva")
            response = self.client.post(
                "/o/centro-norte/alerts/new/",
                {
                    "subject": "Alerta",
                    "body": "J. no responde.",
                    "contacts": [f"protection:{by_mail.pk}", f"protection:{by_sms.pk}"],
                },
            )
            self.assertEqual(response.status_code, 302)
            engine.send_due("test")
        self.assertEqual([to for to, _m in smtp.messages], [["lucia@c.example"]])
        self.assertEqual([r.json["to"] for r in gateway.received], ["+526141112233"])
        self.assertEqual(Delivery.objects.filter(status="sent").count(), 2)
