"""The root cause of a failed request, in words an operator acts on: DNS, refused, timeout, HTTP status, robots.

httpx reports a failed connection as ``ConnectError`` whatever happened underneath; the socket error it wraps
says whether the name did not resolve (fix the URL or the resolver), the host refused (the service is down) or
something else. A failure's ``reason`` code (``retries-exhausted:network:ConnectError``) stays what programs match
on; :func:`cause_of` is what the run summary, its artifact, the logs and the alerts show beside it.
"""

from __future__ import annotations

import socket

import httpx

DNS_WORDS = ("name or service not known", "temporary failure in name resolution", "nodename nor servname")
REFUSED_WORDS = ("connection refused",)


def cause_of(error: BaseException) -> str:
    """``dns: ...``, ``refused: ...``, ``timeout: ...``, ``reset: ...`` or ``network: ...`` for a transport
    error (the first line of the innermost message), ``http <status>`` for a status."""
    status = getattr(getattr(error, "response", None), "status_code", None)
    if isinstance(status, int):
        return f"http {status}"
    chain = _chain(error)
    detail = _detail(chain)
    if any(isinstance(item, socket.gaierror) for item in chain) or _says(detail, DNS_WORDS):
        return f"dns: {detail}"
    if any(isinstance(item, ConnectionRefusedError) for item in chain) or _says(detail, REFUSED_WORDS):
        return f"refused: {detail}"
    if any(isinstance(item, httpx.TimeoutException | TimeoutError) for item in chain):
        kind = type(error).__name__.removesuffix("Timeout").lower() or "request"
        return f"timeout: {kind}" + (f" ({detail})" if detail else "")
    if any(isinstance(item, ConnectionResetError | httpx.RemoteProtocolError) for item in chain):
        return f"reset: {detail}"
    return f"network: {type(error).__name__}" + (f" ({detail})" if detail else "")


def with_attempts(cause: str, attempts: int) -> str:
    """``<cause> after N attempts`` (``1 attempt``)."""
    return f"{cause} after {attempts} attempt{'s' if attempts != 1 else ''}"


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not item for item in seen):
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _detail(chain: list[BaseException]) -> str:
    """The innermost non-empty message of the chain, on one line and short (it names the host, never a URL's
    query: httpx and the socket layer do not print those)."""
    for item in reversed(chain):
        text = " ".join(str(item).split())
        if text:
            return text[:160]
    return ""


def _says(detail: str, words: tuple[str, ...]) -> bool:
    lowered = detail.lower()
    return any(word in lowered for word in words)
