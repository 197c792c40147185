"""Where a channel may send: addresses on the internet, and the local ones the operator names.

A coordinator types a channel's address (a webhook, an SMS gateway, signal-cli,
a mail server) in a web form. Without a guard that form reaches the server's own
network: the cloud's metadata service, a Redis or PostgreSQL on loopback, an
intranet. So the worker connects only to global addresses, plus the host names
and addresses the person who runs the server lists in
``MEMORIA_ALERTS_LOCAL_RECEIVERS`` (signal-cli on the same machine is common).

The check is made on the address actually connected to, after resolution: a
name that resolves to a public address when the channel is saved and to
127.0.0.1 when a message is sent is refused then (DNS rebinding). For HTTP the
guarded connection is handed to urllib, so there is no second lookup to race.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.parse
import urllib.request

from django.conf import settings
from django.utils.translation import gettext as _


class RefusedAddress(OSError):
    """The destination is on a local or private network the operator did not allow."""


def _entries() -> list[tuple[str, int | None]]:
    """The operator's allowed local receivers as (host, port or None for any port)."""
    entries = []
    for raw in getattr(settings, "MEMORIA_ALERTS_LOCAL_RECEIVERS", ()):
        entry = raw.strip().lower()
        port: int | None = None
        if entry.startswith("["):  # [::1] or [::1]:8080
            host, _sep, rest = entry[1:].partition("]")
            if rest.startswith(":") and rest[1:].isdigit():
                port = int(rest[1:])
        elif entry.count(":") == 1:
            host, _sep, tail = entry.partition(":")
            if tail.isdigit():
                port = int(tail)
        else:
            host = entry
        entries.append((host, port))
    return entries


# IPv6 forms that carry an IPv4 address in their last 32 bits and reach it: IPv4-compatible
# (::/96), IPv4-translated (::ffff:0:0/96) and the NAT64 well-known prefix (64:ff9b::/96).
# Python 3.11 calls the last two "global" whatever IPv4 address they carry.
_EMBEDDING = (bytes(12), bytes(8) + b"\xff\xff\x00\x00", b"\x00\x64\xff\x9b" + bytes(8))
# Not global, though Python 3.11 says they are: NAT64 for local use (RFC 8215) and the
# deprecated site-local addresses.
_NOT_GLOBAL = (ipaddress.ip_network("64:ff9b:1::/48"), ipaddress.ip_network("fec0::/10"))


def _reached(address: ipaddress.IPv4Address | ipaddress.IPv6Address):
    """The IPv4 address an IPv6 address carries and leads to (mapped, 6to4, NAT64...), or
    the address itself."""
    if address.version == 6:
        if address.ipv4_mapped:
            return address.ipv4_mapped
        if address.sixtofour:
            return address.sixtofour
        if address.packed[:12] in _EMBEDDING:
            return ipaddress.IPv4Address(address.packed[12:])
    return address


def allowed(host: str, ip: str, port: int) -> bool:
    """May a channel configured with ``host`` connect to ``ip``:``port``?"""
    given = ipaddress.ip_address(ip.split("%", 1)[0])
    address = _reached(given)
    if (
        address.is_global
        and not address.is_multicast
        and not any(address in network for network in _NOT_GLOBAL)
    ):
        return True
    host = host.lower().strip("[]")
    for name, only_port in _entries():
        if name in (host, str(address), str(given)) and only_port in (None, port):
            return True
    return False


def refusal(host: str) -> str:
    return _(
        "The address %(host)s is on a local or private network. Ask whoever runs the server to "
        "allow it in MEMORIA_ALERTS_LOCAL_RECEIVERS."
    ) % {"host": host}


def connect(host: str, port: int, timeout: float | None, source_address=None) -> socket.socket:
    """Open a TCP connection to ``host``:``port`` on an allowed address only."""
    refused = False
    last_error: OSError | None = None
    for family, kind, proto, _name, sockaddr in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        if not allowed(host, sockaddr[0], port):
            refused = True
            continue
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not None:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
        except OSError as error:
            sock.close()
            last_error = error
            continue
        return sock
    if last_error is not None:
        raise last_error
    if refused:
        raise RefusedAddress(refusal(host))
    raise OSError(_("The address %(host)s could not be found.") % {"host": host})


def check_url(url: str) -> None:
    """Refuse at once a URL whose host is written as a local address or named localhost
    (the form's early answer; the worker checks again on every connection)."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    check_host(parts.hostname or "", port or (443 if parts.scheme == "https" else 80))


def check_host(host: str, port: int) -> None:
    """Raise RefusedAddress if ``host`` is a local address (or localhost) not allowed."""
    host = host.lower().strip("[]")
    literal = "127.0.0.1" if host == "localhost" or host.endswith(".localhost") else host
    try:
        ipaddress.ip_address(literal.split("%", 1)[0])
    except ValueError:
        return  # a name (or nothing): resolved and checked when a message is sent
    if not allowed(host, literal, port):
        raise RefusedAddress(refusal(host))


def check_proxied(url: str, proxies: dict[str, str]) -> None:
    """When the server sends through a proxy (``proxies``, by scheme: urllib's from
    ``http_proxy``/``https_proxy``), the
    connection checked is the one to the proxy, which then reaches any address: the
    receiver's own addresses are checked here first. (The proxy looks the name up again:
    a name that changes its answer in between is not caught.)"""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in proxies or urllib.request.proxy_bypass(host):
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return  # urllib refuses it on its own
    for *_rest, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        if not allowed(host, sockaddr[0], port):
            raise RefusedAddress(refusal(host))


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = self._guarded

    def _guarded(self, address, timeout=None, source_address=None):
        host, port = address
        return connect(host, port, timeout, source_address)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = self._guarded

    _guarded = _GuardedHTTPConnection._guarded


class GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_GuardedHTTPConnection, req)


class GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)
