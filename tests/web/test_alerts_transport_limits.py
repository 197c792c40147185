"""A receiver cannot hold a delivery past its timeout, nor send it elsewhere by a redirect."""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from memoria.alerts.transports import TransportError, post_json


class _Server:
    def __init__(self, handler):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Trickle(http.server.BaseHTTPRequestHandler):
    """Answers one byte every 0.3 s: each read is quick, the whole never ends."""

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for _ in range(200):
            try:
                self.wfile.write(b"X")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.3)

    def log_message(self, *args):
        pass


received: list[str] = []


class Elsewhere(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        received.append(self.path)
        self.send_response(200)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args):
        pass


def redirect_to(target: str):
    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    return Redirect


def test_a_trickling_receiver_cannot_hold_the_worker_past_the_timeout():
    server = _Server(Trickle)
    try:
        started = time.monotonic()
        with pytest.raises(TransportError):
            post_json(server.url, b"{}", {}, 1.0, lambda status: 200 <= status < 300)
        assert time.monotonic() - started < 3
    finally:
        server.close()


def test_a_redirect_is_refused_and_nothing_reaches_the_other_host():
    elsewhere = _Server(Elsewhere)
    redirecting = _Server(redirect_to(elsewhere.url + "robado"))
    try:
        with pytest.raises(TransportError, match="302"):
            post_json(
                redirecting.url,
                b"{}",
                {"Authorization": "Bearer secreto"},
                5.0,
                lambda status: 200 <= status < 300,
            )
        time.sleep(0.2)
        assert received == []
    finally:
        elsewhere.close()
        redirecting.close()
