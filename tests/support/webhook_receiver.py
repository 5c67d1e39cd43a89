"""A loopback HTTP receiver standing in for an alert webhook: records every JSON POST with when it arrived."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.loopback import LoopbackServer


@dataclass(frozen=True)
class Received:
    path: str
    payload: dict[str, Any]
    at: datetime
    """When the POST arrived (UTC), for alert latencies."""


class WebhookReceiver(LoopbackServer):
    """Answers every POST with 200 and keeps its JSON body; :meth:`wait_for` waits for a matching one."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._arrived = threading.Condition()
        super().__init__(self._handler())

    def url(self, path: str = "/hook") -> str:
        return f"{self.base_url}{path}"

    def wait_for(self, match: Callable[[Received], bool], timeout: float, what: str) -> Received:
        """The first POST ``match`` accepts, waiting up to ``timeout`` seconds for it (an AssertionError after)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                found = next((item for item in self.received if match(item)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{what}: no such POST within {timeout:.0f} s; got {self.received!r}"
                    )
                self._arrived.wait(left)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    payload = json.loads(body or b"{}")
                except ValueError:
                    payload = {"unparsed": body.decode("utf-8", "replace")}
                with receiver._arrived:
                    receiver.received.append(Received(self.path, payload, datetime.now(UTC)))
                    receiver._arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
