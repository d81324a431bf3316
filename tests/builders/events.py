"""Real receivers for outbound events: an HTTP server on 127.0.0.1 that checks Standard
Webhooks signatures as a subscriber would, and a closed port for a receiver that is down."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
