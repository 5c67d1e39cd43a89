"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it receives, for the digest's tests.

It runs in a thread of the test process; a command or a deployed run in another process sends to its port.
With ``login``, it asks for AUTH (PLAIN or LOGIN, allowed without TLS on loopback) and records who logged in.
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.prefect_server import free_port


@dataclass
class Received:
    """What the server received: each message as parsed, with its envelope."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float = 120.0) -> list[EmailMessage]:
        """The messages once ``count`` have arrived (a generous timeout, never a timing assertion)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.1)
        raise AssertionError(f"{len(self.messages)} of {count} messages arrived in {timeout:.0f} s")


class _Handler:
    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.received.lock:
            self.received.messages.append(message)
            self.received.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@dataclass
class SmtpServer:
    host: str
    port: int
    received: Received


@contextmanager
def smtp_server(login: tuple[str, str] | None = None) -> Iterator[SmtpServer]:
    """An SMTP server on a free port of 127.0.0.1 for the block (``login``: the only user and password it
    accepts, and it refuses mail before a login)."""
    received = Received()
    options: dict[str, Any] = {}
    if login is not None:

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == login
            if ok:
                received.logins.append(data.login.decode())
            return AuthResult(success=ok, handled=False)  # not handled: the server answers 535 itself

        options = {
            "authenticator": authenticate,
            "auth_required": True,
            "auth_require_tls": False,
        }
    port = free_port()
    controller = Controller(_Handler(received), hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, received)
    finally:
        controller.stop()


def smtp_env(server: SmtpServer, sender: str = "digest@example.org") -> dict[str, str]:
    """The ``PAPERS_SMTP_*`` settings that send to ``server`` (plain SMTP: a loopback server has no TLS)."""
    return {
        "PAPERS_SMTP_HOST": server.host,
        "PAPERS_SMTP_PORT": str(server.port),
        "PAPERS_SMTP_STARTTLS": "false",
        "PAPERS_SMTP_FROM": sender,
    }
