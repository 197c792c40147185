"""Real receivers for the alerts tests: a local SMTP server and local HTTP endpoints.

Nothing here reaches the internet. ``HttpReceiver`` is an ``http.server`` in a
thread standing for a webhook receiver (it verifies Memoria's signature as a
real one would), an SMS gateway or a signal-cli REST API; it can be told to
fail its first requests, or to block until released.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from memoria.alerts import signing


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool | None = None

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """A local HTTP endpoint recording what it receives."""

    secret: str | None = None  # set: verify X-Memoria-Signature, answer 401 if wrong
    fail_first: int = 0  # answer 503 to this many requests first
    status: int = 200
    block: threading.Event | None = None  # set: hold every request until it is set
    received: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                entry = Received(self.path, dict(self.headers.items()), body)
                if receiver.secret is not None:
                    entry.signature_ok = signing.verify(
                        receiver.secret,
                        body,
                        self.headers.get(signing.TIMESTAMP_HEADER),
                        self.headers.get(signing.SIGNATURE_HEADER),
                    )
                receiver.received.append(entry)
                receiver.arrived.set()
                if receiver.block is not None:
                    receiver.block.wait(120)
                if receiver.secret is not None and not entry.signature_ok:
                    status = 401
                elif receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    status = 503
                else:
                    status = receiver.status
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        if self.block is not None:
            self.block.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> HttpReceiver:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Collect:
    def __init__(self, messages: list, refuse: set[str]):
        self.messages = messages
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """aiosmtpd on a free local port, collecting what it accepts."""

    def __init__(self, refuse: set[str] | None = None) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.port = free_port()
        self.controller = Controller(
            _Collect(self.messages, refuse or set()), hostname="127.0.0.1", port=self.port
        )
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()

    def __enter__(self) -> SmtpServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
