"""A real HTTP server on 127.0.0.1 (ephemeral port) that replays scripted responses, faults included.

Each route answers with its replies in order (the last one repeats): a reply can be delayed (to cause client
timeouts), truncated (Content-Length promises more than is sent, then the connection closes), or carry any
status and headers (429 with Retry-After, 500...). Every request is recorded for assertions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.support.loopback import LoopbackServer


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate_to: int | None = None
    drip: float = 0.0
    """Seconds between body bytes (a server that trickles its answer)."""


@dataclass(frozen=True)
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class _Route:
    path: str
    query: dict[str, str]
    replies: list[Reply]
    served: int = 0

    def next_reply(self) -> Reply:
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


class CaptureServer(LoopbackServer):
    """Scripted routes; unmatched paths get 404 (so robots.txt defaults to 'allow everything')."""

    def __init__(self) -> None:
        self.routes: list[_Route] = []
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        super().__init__(self._handler())

    @property
    def host(self) -> str:
        return self.base_url.removeprefix("http://")

    def route(self, path: str, *replies: Reply, **query: str) -> None:
        """Answer GET ``path`` (and, if given, these query values) with ``replies`` in order."""
        self.routes.append(_Route(path, dict(query), list(replies)))

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]

    def _match(self, path: str, query: dict[str, str]) -> Reply:
        with self._lock:
            for route in self.routes:
                if route.path == path and all(query.get(k) == v for k, v in route.query.items()):
                    return route.next_reply()
        return Reply(404, b"not found")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
                with server._lock:
                    server.requests.append(Seen(parts.path, query, dict(self.headers.items())))
                reply = server._match(parts.path, query)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    if reply.truncate_to is not None:
                        self.send_header("Connection", "close")
                        self.close_connection = True
                    self.end_headers()
                    body = reply.body if reply.truncate_to is None else reply.body[: reply.truncate_to]
                    if reply.drip:
                        for index in range(len(body)):
                            self.wfile.write(body[index : index + 1])
                            self.wfile.flush()
                            time.sleep(reply.drip)
                    else:
                        self.wfile.write(body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def log_message(self, *_: object) -> None:
                pass

        return Handler


@contextmanager
def serving() -> Iterator[CaptureServer]:
    with CaptureServer() as server:
        yield server


class FakeClock:
    """Monotonic time that only moves when something sleeps (or a test advances it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
