"""robots.txt as the sources' client obeys it (RFC 9309), one file per host, read once per client.

The rules are read by protego, which implements RFC 9309 (the ``*`` and ``$`` wildcards, the longest match
deciding between ``Allow`` and ``Disallow``); the standard library's ``urllib.robotparser`` does neither and
takes the first matching rule. A 4xx robots.txt allows everything; a 5xx or an unreachable one forbids everything
(the client then refuses the host's URLs with ``robots-unreachable``). A ``Crawl-delay`` for our product token
raises the host's interval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from protego import Protego

RobotsFetch = Callable[[str], httpx.Response | None]
"""GET a robots.txt URL with the client's retries; None when it could not be fetched at all."""


@dataclass
class Robots:
    """The robots.txt rules of the hosts a client has asked about, for one product token."""

    token: str
    """The product token rules are matched against (``trending-papers``)."""
    rules: dict[str, Protego | None] = field(default_factory=dict)
    crawl_delays: dict[str, float] = field(default_factory=dict)

    def verdict(self, url: str, fetch: RobotsFetch) -> str | None:
        """None when ``url`` may be fetched, else why not (``robots-unreachable``, ``robots-disallowed``)."""
        parts = urlsplit(url)
        if parts.netloc not in self.rules:
            self.rules[parts.netloc] = self._load(
                f"{parts.scheme}://{parts.netloc}/robots.txt", parts.netloc, fetch
            )
        rules = self.rules[parts.netloc]
        if rules is None:
            return "robots-unreachable"
        return None if rules.can_fetch(url, self.token) else "robots-disallowed"

    def _load(self, robots_url: str, host: str, fetch: RobotsFetch) -> Protego | None:
        response = fetch(robots_url)
        if response is None or response.status_code >= 500:
            return None
        if response.status_code >= 400:
            return Protego.parse("")
        rules = Protego.parse(response.text)
        delay = rules.crawl_delay(self.token)
        if delay is not None:
            self.crawl_delays[host] = float(delay)
        return rules
