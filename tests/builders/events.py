"""Real receivers for outbound events and notices, all on 127.0.0.1: an HTTP server that checks
Standard Webhooks signatures as a subscriber would, a closed port for a receiver that is down,
an HTTP SMS gateway and an SMTP server."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from civicgrid.events.signing import verify


@dataclass
class Received:
    """One request as the receiver saw it, with the outcome of its signature check."""

    webhook_id: str
    timestamp: int
    signature: str
    body: bytes
    verified_with: list[str]


@dataclass
class Receiver:
    """What the receiver knows (its secrets, its clock) and how it answers: ``status`` for
    every request; while ``hold`` is set it keeps the sender waiting (a slow receiver) until
    released at the end of the test."""

    secrets: list[str] = field(default_factory=list)
    now: Callable[[], int] = lambda: 0
    status: int = 204
    hold: bool = False
    received: list[Received] = field(default_factory=list)
    url: str = ""
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def verified(self) -> list[Received]:
        return [r for r in self.received if r.verified_with]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            msg_id = self.headers.get("webhook-id", "")
            timestamp = int(self.headers.get("webhook-timestamp", "0"))
            signature = self.headers.get("webhook-signature", "")
            ok = [
                s
                for s in receiver.secrets
                if verify(s, msg_id, timestamp, body, signature, now=receiver.now())
            ]
            receiver.received.append(Received(msg_id, timestamp, signature, body, ok))
            if receiver.hold:
                receiver.release.wait(30)
            status = receiver.status if ok else 401
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return None

    return Handler


@contextmanager
def running_receiver(receiver: Receiver) -> Iterator[Receiver]:
    """Serve ``receiver`` on a free loopback port for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/civicgrid"
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """A loopback URL where nothing listens (a receiver that is down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks/civicgrid"


@dataclass
class Gateway:
    """A local SMS gateway: records each request's JSON and whether its HMAC header matched
    the shared secret; answers ``status`` with ``{"code": ...}``."""

    secret: str = ""
    status: int = 200
    code: str = "OK"
    received: list[tuple[dict[str, object], bool]] = field(default_factory=list)
    url: str = ""


def _gateway_handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            stamp = self.headers.get("X-Timestamp", "")
            mac = hmac.new(gateway.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
            signed = hmac.compare_digest(mac.hexdigest(), self.headers.get("X-Signature", ""))
            gateway.received.append((json.loads(body), signed))
            answer = json.dumps({"code": gateway.code}).encode()
            self.send_response(gateway.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            return None

    return Handler


@contextmanager
def running_gateway(gateway: Gateway) -> Iterator[Gateway]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _gateway_handler(gateway))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()


class Mailbox:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(  # noqa: N802 - the hook name aiosmtpd calls
        self, server: object, session: object, envelope: Envelope
    ) -> str:
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


@contextmanager
def running_mailbox() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()
