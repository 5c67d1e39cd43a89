"""The digest's part of a run's configuration: what each version's digest holds, its profiles and who gets it.

Every version gets ``digest/feed.xml`` and ``digest/index.html`` (and ``digest/<profile>/`` for each profile)
whatever is configured here; a run sends them by e-mail only when recipients are named (``flows/run/digest.py``).
The SMTP server and its login come from a Prefect block named here (``credentials_block``), never from these
settings: a deployment's parameters are stored and shown by the server.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from flows.net.smtp import check_address
from transforms.report.digest import Selection

PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
"""A profile's name is its folder (``digest/<name>/``): lower-case letters, digits and hyphens."""


class DigestProfile(BaseModel):
    """A named subscription: a topic filter and a minimum of upvotes, with its own feed and recipients."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    """The profile's folder in the version, ``digest/<name>/feed.xml``."""
    topics: tuple[str, ...] = ()
    """Only papers with one of these topics (the taxonomy's ids, e.g. ``robotics``; empty: every topic)."""
    min_upvotes: int = Field(default=0, ge=0)
    """Only entries with at least this many upvotes that day."""
    recipients: tuple[str, ...] = ()
    """Who gets this profile's digest by e-mail after each publish (empty: nobody, the feed is still written)."""

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not PROFILE_NAME.match(name):
            raise ValueError(f"a profile's name is lower-case letters, digits and hyphens, got {name!r}")
        return name

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, recipients: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_address(address) for address in recipients)


class DigestSettings(BaseModel):
    """The daily digest of every version, and who it is sent to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: int = Field(default=7, ge=1, le=366)
    """Calendar days ending at the version's newest listing day."""
    top: int | None = Field(default=None, ge=1)
    """At most this many papers a day (None: every paper listed that day)."""
    recipients: tuple[str, ...] = ()
    """Who gets the whole digest by e-mail after each publish (empty: it is not sent)."""
    profiles: tuple[DigestProfile, ...] = ()
    """Named subscriptions, each with ``digest/<name>/feed.xml`` and its own recipients."""
    credentials_block: str | None = None
    """Name of the prefect-email ``EmailServerCredentials`` block holding the SMTP server, port, TLS mode,
    user and password (needed when anyone is to be sent the digest)."""
    sender: str | None = None
    """The From address (None: the block's user name)."""

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, recipients: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_address(address) for address in recipients)

    @field_validator("sender")
    @classmethod
    def _sender(cls, sender: str | None) -> str | None:
        return None if sender is None else check_address(sender)

    @model_validator(mode="after")
    def _distinct_profiles(self) -> DigestSettings:
        names = [profile.name for profile in self.profiles]
        if len(set(names)) != len(names):
            raise ValueError(f"profile names must differ, got {names}")
        return self

    @classmethod
    def of_version(cls, manifest: dict[str, Any]) -> DigestSettings:
        """The settings a version's digest was written with (its manifest's config, which has no recipients); the
        defaults for a version written before the digest."""
        try:
            return cls.model_validate(((manifest.get("config") or {}).get("digest")) or {})
        except ValidationError:
            return cls()

    def selection(self, profile: DigestProfile | None = None) -> Selection:
        """What the digest (or a profile's) holds."""
        if profile is None:
            return Selection(days=self.days, top=self.top)
        return Selection(days=self.days, top=self.top, topics=profile.topics, min_upvotes=profile.min_upvotes)

    def profile_selections(self) -> dict[str, Selection]:
        return {profile.name: self.selection(profile) for profile in self.profiles}

    @property
    def sends(self) -> bool:
        """Whether anyone is to be sent a digest."""
        return bool(self.recipients) or any(profile.recipients for profile in self.profiles)
