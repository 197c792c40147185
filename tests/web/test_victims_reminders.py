"""Deadline reminders reach the accompanying member by e-mail, through the worker, once.

A real SMTP server (aiosmtpd) listens on a local port for each test; Django
sends through its SMTP backend with the project's mail settings pointed at it.
"""

from __future__ import annotations

import datetime
import socket
from email import message_from_bytes
from email.header import decode_header, make_header

from aiosmtpd.controller import Controller
from django.test import override_settings
from django.utils import timezone

from memoria.audit.models import AuditEntry
from memoria.jobs.worker import Worker
from memoria.victims import actions
from memoria.victims.models import Reminder
from memoria.victims.reminders import send_reminders
from tests.web.victims_fixtures import VictimsFixtures, measure_data


class Inbox:
    """What the SMTP server received."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = message_from_bytes(envelope.content)
        self.messages.append(
            {
                "to": envelope.rcpt_tos,
                "subject": str(make_header(decode_header(message["Subject"]))),
                "body": message.get_payload(decode=True).decode(),
            }
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ReminderTests(VictimsFixtures):
    def setUp(self):
        self.inbox = Inbox()
        port = free_port()
        self.smtp = Controller(self.inbox, hostname="127.0.0.1", port=port)
        self.smtp.start()
        self.addCleanup(self.stop_smtp)
        mail = override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_TIMEOUT=5,
        )
        mail.enable()
        self.addCleanup(mail.disable)
        today = timezone.localdate()
        self.today = today
        # The registration's deadline is in three days (the documenter accompanies it); the
        # request's passed two days ago (the coordinator); a granted measure is due in a month.
        self.registration = actions.update_registration(
            self.registration, self.documenter,
            {"deadline": today + datetime.timedelta(days=3), "accompanied_by": self.documenter},
            self.registration.version,
        )  # fmt: skip
        self.request = actions.update_request(
            self.request, self.documenter,
            {"deadline": today - datetime.timedelta(days=2), "accompanied_by": self.coordinator},
            self.request.version,
        )  # fmt: skip
        actions.update_measure(
            self.measure, self.documenter,
            measure_data(decision="granted", due_on=today + datetime.timedelta(days=30)),
            self.measure.version,
        )  # fmt: skip

    def stop_smtp(self):
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None

    def test_the_worker_mails_the_accompanying_members_before_and_after_deadlines(self):
        Worker(worker_id="test").run_due_periodic()
        received = sorted(self.inbox.messages, key=lambda m: m["to"])
        self.assertEqual(
            [(m["to"], m["subject"]) for m in received],
            [
                ([self.coordinator.email],
                 f"Una comisión de víctimas no respondió a tiempo (caso #{self.event.number})"),
                ([self.documenter.email],
                 f"Un registro de víctimas debe resolver pronto (caso #{self.event.number})"),
            ],
        )  # fmt: skip
        for message in received:
            # The e-mail crosses servers we do not control: no name, folio or amount.
            for secret in ("Ramírez", "Jorge", "Rosa", "RENAVI-2024-0042", "CEEAV-CHIH-77"):
                self.assertNotIn(secret, message["body"])
            self.assertIn(f"/o/{self.org.slug}/victims/owed/", message["body"])
        self.assertEqual(Reminder.objects.count(), 2)
        entries = AuditEntry.objects.filter(action="victims.reminder_sent")
        self.assertEqual(entries.count(), 2)
        self.assertEqual(set(entries.values_list("actor_id", flat=True)), {None})

    def test_it_sends_each_reminder_once_and_again_when_the_deadline_moves(self):
        self.assertEqual(send_reminders(), 2)
        self.assertEqual(send_reminders(), 0)
        self.assertEqual(len(self.inbox.messages), 2)
        # The commission was given a new deadline, in five days: a new reminder, before it.
        actions.update_request(
            self.request,
            self.documenter,
            {"deadline": self.today + datetime.timedelta(days=5)},
            self.request.version,
        )
        self.assertEqual(send_reminders(), 1)
        self.assertIn("debe responder pronto", self.inbox.messages[-1]["subject"])
        # Registered meanwhile: nothing more about the registration, even once its date passes.
        actions.update_registration(
            self.registration, self.documenter, {"status": "registered"}, self.registration.version
        )
        self.assertEqual(send_reminders(self.today + datetime.timedelta(days=4)), 0)

    def test_a_granted_measure_not_delivered_is_reminded_once_overdue(self):
        later = self.today + datetime.timedelta(days=31)
        send_reminders()
        self.inbox.messages.clear()
        send_reminders(later)
        subjects = [m["subject"] for m in self.inbox.messages]
        self.assertIn(
            f"Una medida otorgada no se entregó a tiempo (caso #{self.event.number})", subjects
        )

    def test_nothing_is_recorded_when_the_mail_server_is_down(self):
        self.stop_smtp()
        self.assertEqual(send_reminders(), 0)
        self.assertFalse(Reminder.objects.exists())
        self.assertFalse(AuditEntry.objects.filter(action="victims.reminder_sent").exists())
