"""Alert channels reach the internet and the local receivers the operator lists, nothing else.

A coordinator types channel addresses in a web form; without this guard the
worker would post to the server's own network (a cloud metadata service, a
Redis on loopback). The tests' receivers listen on 127.0.0.1, which
tests/settings.py allows; here the list is emptied to see the refusal.
"""

from __future__ import annotations

import json
import os
from unittest import mock

from django.test import override_settings

from memoria.alerts import engine, transports
from memoria.alerts.addresses import allowed
from memoria.alerts.delivery import enqueue
from memoria.alerts.models import Channel, Delivery
from memoria.checkins import actions as checkins_actions
from tests.web.alerts_receivers import HttpReceiver, SmtpServer
from tests.web.base import MemoriaTestCase

SECRET = "un secreto compartido largo"  # noqa: S105


class AllowedAddressTests(MemoriaTestCase):
    @override_settings(MEMORIA_ALERTS_LOCAL_RECEIVERS=[])
    def test_only_global_addresses_are_allowed_by_default(self):
        refused = [
            "127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.20", "169.254.169.254",
            "100.64.0.1", "0.0.0.0", "::1", "fc00::1", "fe80::1", "::ffff:127.0.0.1",  # noqa: S104
            "224.0.0.1",
            # IPv6 forms that carry a local IPv4 address: 6to4, NAT64, IPv4-compatible and
            # IPv4-translated; NAT64 for local use; site-local.
            "2002:7f00:1::", "2002:a9fe:a9fe::1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
            "::7f00:1", "::ffff:0:7f00:1", "::ffff:0:a9fe:a9fe", "64:ff9b:1::a00:1", "fec0::1",
        ]  # fmt: skip
        for ip in refused:
            with self.subTest(ip=ip):
                self.assertFalse(allowed("receptor.example", ip, 443))
        for ip in ("8.8.8.8", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808"):
            with self.subTest(ip=ip):
                self.assertTrue(allowed("receptor.example", ip, 443))

    @override_settings(
        MEMORIA_ALERTS_LOCAL_RECEIVERS=["signal.lan:8080", "192.168.1.20", "[::1]:9000"]
    )
    def test_the_operator_allows_named_hosts_and_ports(self):
        self.assertTrue(allowed("signal.lan", "192.168.1.7", 8080))
        self.assertFalse(allowed("signal.lan", "192.168.1.7", 6379))
        self.assertTrue(allowed("otro.lan", "192.168.1.20", 25))
        self.assertTrue(allowed("::1", "::1", 9000))
        self.assertFalse(allowed("::1", "::1", 9001))
        self.assertFalse(allowed("otro.lan", "10.0.0.1", 80))


@override_settings(MEMORIA_ALERTS_LOCAL_RECEIVERS=[])
class WorkerRefusalTests(MemoriaTestCase):
    def deliver(self, kind, **config) -> Delivery:
        channel = Channel.objects.create(
            organization=self.org, kind=kind, name=f"canal {kind}", config=config
        )
        enqueue(self.org, channel, recipient="ana@red.example", subject="s", body="b", key="k")
        engine.send_due("test-worker")
        return Delivery.objects.get()

    def test_a_webhook_on_loopback_is_not_called(self):
        with HttpReceiver(secret=SECRET) as receiver:
            delivery = self.deliver(Channel.Kind.WEBHOOK, url=receiver.url + "/h", secret=SECRET)
        self.assertEqual(receiver.received, [])
        self.assertEqual(delivery.status, Delivery.Status.QUEUED)
        self.assertIn("MEMORIA_ALERTS_LOCAL_RECEIVERS", delivery.last_error)

    def test_a_name_that_resolves_to_loopback_is_refused_when_sending(self):
        # Saved without the form (as an old row, or a name that resolved elsewhere
        # when it was saved): the worker checks the address it would connect to.
        with HttpReceiver(secret=SECRET) as receiver:
            url = receiver.url.replace("127.0.0.1", "localhost") + "/h"
            delivery = self.deliver(Channel.Kind.WEBHOOK, url=url, secret=SECRET)
        self.assertEqual(receiver.received, [])
        self.assertIn("localhost", delivery.last_error)

    def test_a_mail_server_on_loopback_is_not_used(self):
        with SmtpServer() as smtp:
            delivery = self.deliver(Channel.Kind.EMAIL, smtp_host="127.0.0.1", smtp_port=smtp.port)
        self.assertEqual(smtp.messages, [])
        self.assertIn("MEMORIA_ALERTS_LOCAL_RECEIVERS", delivery.last_error)

    def test_a_proxy_the_operator_allows_does_not_open_the_local_network(self):
        # The server sends through a proxy on loopback (allowed): the proxy would reach
        # any address, so the receiver's own address is checked before.
        with HttpReceiver(secret=SECRET) as proxy:
            port = proxy.url.rsplit(":", 1)[1]
            environment = {"http_proxy": proxy.url, "https_proxy": proxy.url, "no_proxy": ""}
            with (
                override_settings(MEMORIA_ALERTS_LOCAL_RECEIVERS=[f"127.0.0.1:{port}"]),
                mock.patch.dict(os.environ, environment),
            ):
                opener = transports._build_opener()  # as a server started with a proxy
                with mock.patch.object(transports, "_OPENER", opener):
                    delivery = self.deliver(
                        Channel.Kind.WEBHOOK, url="http://169.254.169.254/latest", secret=SECRET
                    )
        self.assertEqual(proxy.received, [])
        self.assertEqual(delivery.status, Delivery.Status.QUEUED)
        self.assertIn("169.254.169.254", delivery.last_error)

    def test_the_same_receiver_is_reached_once_the_operator_allows_it(self):
        with (
            HttpReceiver(secret=SECRET) as receiver,
            override_settings(MEMORIA_ALERTS_LOCAL_RECEIVERS=["127.0.0.1"]),
        ):
            delivery = self.deliver(Channel.Kind.WEBHOOK, url=receiver.url + "/h", secret=SECRET)
        self.assertEqual(delivery.status, Delivery.Status.SENT)
        self.assertEqual(len(receiver.received), 1)


@override_settings(MEMORIA_ALERTS_LOCAL_RECEIVERS=[])
class FormRefusalTests(MemoriaTestCase):
    def url(self, suffix=""):
        return f"/o/{self.org.slug}/alerts/channels/{suffix}"

    def test_the_channel_form_refuses_local_addresses_and_says_who_can_allow_them(self):
        self.client.force_login(self.coordinator)
        for kind, data in [
            ("webhook", {"url": "http://169.254.169.254/latest/meta-data/"}),
            ("webhook", {"url": "http://localhost:6379/"}),
            ("sms", {"gateway_url": "http://[::1]:8080/send", "token": "t"}),
            ("signal", {"signal_url": "http://10.0.0.5:8080", "sender": "+525512345678"}),
            ("email", {"smtp_host": "192.168.0.10", "smtp_port": "25"}),
        ]:
            with self.subTest(kind=kind, data=data):
                response = self.client.post(
                    self.url(f"new/{kind}/"), {"name": "Canal", "enabled": "on", **data}
                )
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, "MEMORIA_ALERTS_LOCAL_RECEIVERS")
        self.assertFalse(Channel.objects.exists())
        response = self.client.post(
            self.url("new/webhook/"),
            {"name": "Guardia", "enabled": "on", "url": "https://guardia.example/hook"},
        )
        self.assertEqual(response.status_code, 302)

    def test_the_api_checks_a_channel_as_the_form_does(self):
        _row, token = checkins_actions.create_api_token(self.coordinator, "bot")
        path = f"/api/v1/organizations/{self.org.slug}/channels"
        for config in (
            {"url": "http://127.0.0.1:6379/", "secret": SECRET},
            {"url": "https://guardia.example/hook", "secret": "corto"},
            {"url": "ftp://guardia.example/hook"},
        ):
            with self.subTest(config=config):
                response = self.client.post(
                    path,
                    json.dumps({"kind": "webhook", "name": "Guardia", "config": config}),
                    content_type="application/json",
                    headers={"Authorization": f"Bearer {token}"},
                )
                self.assertEqual(response.status_code, 400)
        self.assertFalse(Channel.objects.exists())
