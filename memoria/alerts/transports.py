"""Hand one delivery to its channel: SMTP, a signed webhook, an SMS gateway, signal-cli REST.

Each ``send_*`` returns on success and raises ``TransportError`` with a
message safe to show and to store (a status code, a refusal, a timeout; never
the recipient, the subject or the body). Every request carries the delivery's
UUID so a receiver can de-duplicate retries.
"""

from __future__ import annotations

import json
import smtplib
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.translation import gettext as _

from memoria.alerts import addresses, signing
from memoria.alerts.models import Channel, Delivery

DEFAULT_TIMEOUT = 20.0


class TransportError(Exception):
    """A failed send; the message names no one and quotes no content."""


def message_text(delivery: Delivery) -> str:
    """The text sent: the body, and the location only if the caller asked for it."""
    text = delivery.body
    if delivery.location:
        where = _("Location: %(location)s") % {"location": delivery.location}
        text = text + "\n\n" + where
    return text


def send(delivery: Delivery, channel: Channel, timeout: float = DEFAULT_TIMEOUT) -> None:
    sender = SENDERS.get(channel.kind)
    if sender is None:
        raise TransportError(_("This kind of channel is not known to this version."))
    sender(delivery, channel, timeout)


# -- e-mail --------------------------------------------------------------------------


def send_email(delivery: Delivery, channel: Channel, timeout: float) -> None:
    if not delivery.recipient:
        raise TransportError(_("The message has no e-mail address to go to."))
    host = channel.setting("smtp_host")
    if host:
        port = int(channel.setting("smtp_port") or 25)
        _check_mail_server(host, port)
        security = channel.setting("smtp_security")
        connection = get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host=host,
            port=port,
            username=channel.setting("smtp_user") or None,
            password=channel.setting("smtp_password") or None,
            use_tls=security == "starttls",
            use_ssl=security == "ssl",
            timeout=timeout,
            fail_silently=False,
        )
    else:
        connection = get_connection(fail_silently=False)
        if hasattr(connection, "timeout") and connection.timeout is None:
            connection.timeout = timeout
    message = EmailMessage(
        subject=delivery.subject,
        body=message_text(delivery),
        from_email=channel.setting("from_address") or settings.DEFAULT_FROM_EMAIL,
        to=[delivery.recipient],
        headers={
            signing.DELIVERY_HEADER: str(delivery.delivery_id),
            # The same Message-ID on every retry lets mail programs drop a duplicate.
            "Message-ID": f"<{delivery.delivery_id}@memoria.invalid>",
        },
        connection=connection,
    )
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise TransportError(_("The mail server refused the recipient.")) from exc
    except smtplib.SMTPResponseException as exc:
        raise TransportError(
            _("The mail server answered with code %(code)s.") % {"code": exc.smtp_code}
        ) from exc
    except smtplib.SMTPException as exc:
        raise TransportError(
            _("The mail server failed: %(error)s.") % {"error": type(exc).__name__}
        ) from exc
    except TimeoutError as exc:
        raise TransportError(_("The mail server did not answer in time.")) from exc
    except OSError as exc:
        raise TransportError(_("Could not reach the mail server: %(error)s.") % _os(exc)) from exc


def _check_mail_server(host: str, port: int) -> None:
    """A channel's own mail server must be on an allowed address. (Checked before
    smtplib connects, which looks the name up again: unlike HTTP, a name that changes
    its answer in between is not caught; the platform's own mail settings are the
    operator's and are not checked.)"""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise TransportError(_("Could not reach the mail server: %(error)s.") % _os(exc)) from exc
    for *_rest, sockaddr in infos:
        if not addresses.allowed(host, sockaddr[0], port):
            raise TransportError(addresses.refusal(host))


# -- HTTP channels -------------------------------------------------------------------


def _os(exc: OSError) -> dict:
    return {"error": exc.strerror or type(exc).__name__}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an address to follow: following it would send the
    message (and a gateway's token) to a host nobody configured."""

    def redirect_request(self, *args, **kwargs):
        return None


# Connections go only to global addresses and the local receivers the operator allows
# (memoria.alerts.addresses), checked on the address actually connected to.
def _build_opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        _NoRedirect, addresses.GuardedHTTPHandler, addresses.GuardedHTTPSHandler
    )


def _proxies(opener: urllib.request.OpenerDirector) -> dict[str, str]:
    """The proxies ``opener`` sends through (read from the environment when it was built)."""
    for handler in opener.handlers:
        if isinstance(handler, urllib.request.ProxyHandler):
            return handler.proxies
    return {}


_OPENER = _build_opener()


def post_json(
    url: str, body: bytes, headers: dict[str, str], timeout: float, ok: Callable[[int], bool]
) -> int:
    """POST ``body`` to ``url``; raise TransportError unless the answer's status is ``ok``.

    ``timeout`` bounds the whole exchange, not each socket operation: a receiver
    that answers one byte at a time cannot hold the worker past it (the attempt
    runs in its own thread, left to end on its own socket timeouts)."""
    if not url.startswith(("http://", "https://")):
        raise TransportError(_("The channel's address must start with http:// or https://."))
    outcome: dict = {}

    def attempt() -> None:
        try:
            outcome["status"] = _post(url, body, headers, timeout, ok)
        except BaseException as exc:  # handed to the caller below
            outcome["error"] = exc

    thread = threading.Thread(target=attempt, name="memoria-delivery-post", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TransportError(_("The receiver did not answer in time."))
    if "error" in outcome:
        raise outcome["error"]
    return outcome["status"]


def _post(
    url: str, body: bytes, headers: dict[str, str], timeout: float, ok: Callable[[int], bool]
) -> int:
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "Memoria", **headers},
    )
    try:
        addresses.check_proxied(url, _proxies(_OPENER))
        with _OPENER.open(request, timeout=timeout) as response:
            status = response.status
            response.read(1024)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, addresses.RefusedAddress):
            raise TransportError(str(reason)) from exc
        if isinstance(reason, TimeoutError):
            raise TransportError(_("The receiver did not answer in time.")) from exc
        error = reason.strerror if isinstance(reason, OSError) and reason.strerror else reason
        raise TransportError(
            _("Could not reach the receiver: %(error)s.") % {"error": error}
        ) from exc
    except addresses.RefusedAddress as exc:
        raise TransportError(str(exc)) from exc
    except TimeoutError as exc:
        raise TransportError(_("The receiver did not answer in time.")) from exc
    except OSError as exc:
        raise TransportError(_("Could not reach the receiver: %(error)s.") % _os(exc)) from exc
    if not ok(status):
        raise TransportError(
            _("The receiver answered with HTTP status %(status)s.") % {"status": status}
        )
    return status


def _success(status: int) -> bool:
    return 200 <= status < 300


def webhook_body(delivery: Delivery) -> bytes:
    payload = {
        "delivery_id": str(delivery.delivery_id),
        "created_at": delivery.created_at.isoformat(),
        "subject": delivery.subject,
        "body": delivery.body,
    }
    if delivery.recipient:
        payload["recipient"] = delivery.recipient
    if delivery.location:
        payload["location"] = delivery.location
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def send_webhook(delivery: Delivery, channel: Channel, timeout: float) -> None:
    """POST to the channel's receiver, or to a support contact's own (``endpoint``)."""
    if delivery.endpoint:
        url, secret = delivery.endpoint, delivery.endpoint_secret
    else:
        url, secret = channel.setting("url"), channel.setting("secret")
    if not secret:
        raise TransportError(_("The webhook has no shared secret."))
    body = webhook_body(delivery)
    headers = signing.sign(secret, body, str(delivery.delivery_id))
    post_json(url, body, headers, timeout, _success)


def send_sms(delivery: Delivery, channel: Channel, timeout: float) -> None:
    if not delivery.recipient:
        raise TransportError(_("The message has no phone number to go to."))
    text = (
        f"{delivery.subject}\n{message_text(delivery)}"
        if delivery.subject
        else message_text(delivery)
    )
    body = json.dumps(
        {"delivery_id": str(delivery.delivery_id), "to": delivery.recipient, "message": text},
        ensure_ascii=False,
    ).encode("utf-8")
    headers = {signing.DELIVERY_HEADER: str(delivery.delivery_id)}
    if channel.setting("token"):
        headers["Authorization"] = f"Bearer {channel.setting('token')}"
    post_json(channel.setting("gateway_url"), body, headers, timeout, _success)


def send_signal(delivery: Delivery, channel: Channel, timeout: float) -> None:
    if not delivery.recipient:
        raise TransportError(_("The message has no Signal number to go to."))
    text = (
        f"{delivery.subject}\n\n{message_text(delivery)}"
        if delivery.subject
        else message_text(delivery)
    )
    body = json.dumps(
        {"message": text, "number": channel.setting("sender"), "recipients": [delivery.recipient]},
        ensure_ascii=False,
    ).encode("utf-8")
    url = channel.setting("signal_url").rstrip("/") + "/v2/send"
    post_json(url, body, {signing.DELIVERY_HEADER: str(delivery.delivery_id)}, timeout, _success)


SENDERS = {
    Channel.Kind.EMAIL: send_email,
    Channel.Kind.WEBHOOK: send_webhook,
    Channel.Kind.SMS: send_sms,
    Channel.Kind.SIGNAL: send_signal,
}
