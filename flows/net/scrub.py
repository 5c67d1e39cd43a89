"""The one URL scrubber: URL credentials and tokens are removed before anything is logged, written or shown.

A URL may carry a user and password (``https://user:pass@host/``) or a token in its query
(``?token=…``, ``?api_key=…``). The credentials are used for the request only; every URL that reaches the
raw zone, the manifest, the quarantine, a log line, an error message or Prefect's database goes through
:func:`redact_url` first (or :func:`redact_text` for free text such as a traceback).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"
SECRET_PARAMETER = re.compile(
    r"(?:^|[_-])(?:token|key|apikey|secret|pass|passphrase|password|passwd|pwd|auth|authorization|signature|sig|"
    r"credential|credentials|session|sessionid|jwt|bearer)$|^(?:access|refresh|id)_token$",
    re.IGNORECASE,
)
URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>()\[\]{}]+")
TOKEN_IN_TEXT = re.compile(r"\b(?:hf_[A-Za-z0-9]{20,}|(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,})")


def redact_url(url: str) -> str:
    """``url`` without its user/password and with the values of secret-looking query parameters replaced."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text_tokens(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(SECRET_PARAMETER.search(name) for name, _ in pairs):
            query = urlencode(
                [(name, REDACTED if SECRET_PARAMETER.search(name) else value) for name, value in pairs],
                safe=",",
            )
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Every URL in ``text`` redacted, bare tokens (``hf_…``, ``Bearer …``) and the given ``secrets`` replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return redact_text_tokens(URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), text))


def redact_text_tokens(text: str) -> str:
    return TOKEN_IN_TEXT.sub(REDACTED, text)


def redact_json(value: Any) -> Any:
    """A JSON-like value with :func:`redact_text` applied to every string in it (keys included)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {redact_json(key): redact_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(item) for item in value]
    return value
