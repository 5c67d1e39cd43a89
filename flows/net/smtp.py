"""Sending the digest by e-mail: an HTML message with a plain-text part, over SMTP (the standard library's).

Where the server's settings come from depends on who sends: the command line reads the environment
(:func:`settings_from_env`, ``PAPERS_SMTP_*``), a deployment a prefect-email ``EmailServerCredentials`` block
(:func:`settings_from_block`); never a parameter or a file, so the password is in no stored deployment, no
manifest and no log. :class:`SmtpSettings` never shows the password (its ``repr`` leaves it out), and a failure's
message names the server and the SMTP reply, never the login.

One message per recipient: a recipient does not see who else gets the digest.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flows.errors import DeliveryFailed, UsageError

ENV_PREFIX = "PAPERS_SMTP_"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
TIMEOUT = 30.0
"""Seconds to wait for the SMTP server on each step (connect, each command)."""
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
ADDRESS = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")
"""An e-mail address as a recipient or sender is given (no display name, nothing a header could be split on)."""


def check_address(address: str) -> str:
    """``address`` if it is one plain e-mail address (``ValueError`` otherwise: a comma or a line break would
    add recipients or headers)."""
    if not ADDRESS.match(address):
        raise ValueError(f"not an e-mail address: {address!r}")
    return address


@dataclass(frozen=True)
class SmtpSettings:
    """An SMTP server, how to reach it and who sends."""

    host: str
    port: int
    sender: str
    starttls: bool = True
    """Upgrade the connection with STARTTLS before anything is sent (port 587)."""
    ssl: bool = False
    """TLS from the first byte (port 465)."""
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    verify: bool = True
    """Check the server's certificate (off only for a test server)."""

    def check(self) -> SmtpSettings:
        """Refuse a login over a connection that would carry the password in clear (but to this machine)."""
        if self.user and not (self.starttls or self.ssl) and self.host not in LOOPBACK:
            raise UsageError(
                f"the SMTP login to {self.host} would be sent in clear: use STARTTLS or TLS (port 465)"
            )
        return self


def settings_from_env(environ: Mapping[str, str]) -> SmtpSettings:
    """``PAPERS_SMTP_HOST``, ``_PORT`` (default 587 with STARTTLS, else 25), ``_STARTTLS`` (default on),
    ``_USER``, ``_PASSWORD`` and ``_FROM`` (default: the user); :class:`UsageError` naming what is missing or
    wrong (never the password's value)."""

    def value(name: str) -> str | None:
        found = environ.get(ENV_PREFIX + name, "").strip()
        return found or None

    host = value("HOST")
    if host is None:
        raise UsageError(f"--send needs the SMTP server: set {ENV_PREFIX}HOST (and {ENV_PREFIX}FROM)")
    starttls_text = (value("STARTTLS") or "true").lower()
    if starttls_text not in TRUE + FALSE:
        raise UsageError(f"{ENV_PREFIX}STARTTLS must be true or false, got {starttls_text!r}")
    starttls = starttls_text in TRUE
    port_text = value("PORT") or ("587" if starttls else "25")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise UsageError(f"{ENV_PREFIX}PORT must be a port number, got {port_text!r}")
    user = value("USER")
    sender = value("FROM") or (user if user and "@" in user else None)
    if sender is None:
        raise UsageError(f"--send needs a From address: set {ENV_PREFIX}FROM")
    password = environ.get(ENV_PREFIX + "PASSWORD") or None
    if user and password is None:
        raise UsageError(f"{ENV_PREFIX}USER is set but {ENV_PREFIX}PASSWORD is not")
    return SmtpSettings(host, int(port_text), sender, starttls, False, user, password).check()


def settings_from_block(name: str, sender: str | None) -> SmtpSettings:
    """The settings in the prefect-email ``EmailServerCredentials`` block ``name`` (its server, port, TLS mode,
    user, password and certificate check); ``sender`` (None: the block's user name) sends."""
    from prefect_email import EmailServerCredentials, SMTPType

    try:
        block = EmailServerCredentials.load(name)
    except (ValueError, LookupError) as error:
        raise UsageError(
            f"no prefect-email EmailServerCredentials block named {name!r} ({type(error).__name__})"
        ) from None
    if not isinstance(block, EmailServerCredentials):  # from async code, load returns a coroutine
        raise TypeError("settings_from_block is called from synchronous code")
    server = block.smtp_server
    host = str(getattr(server, "value", server))
    kind = SMTPType(block.smtp_type)
    port = int(block.smtp_port or kind.value)
    from_address = sender or block.username
    if not from_address:
        raise UsageError(f"the block {name!r} has no user name: give the digest a sender")
    password = block.password.get_secret_value() if block.password is not None else None
    return SmtpSettings(
        host,
        port,
        from_address,
        starttls=kind == SMTPType.STARTTLS,
        ssl=kind == SMTPType.SSL,
        user=block.username or None,
        password=password or None,
        verify=bool(block.verify),
    ).check()


def build_message(subject: str, sender: str, recipient: str, text: str, html: str) -> EmailMessage:
    """A ``multipart/alternative`` message: the plain text first, the page second (clients show the last part
    they can)."""
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def send_messages(settings: SmtpSettings, messages: Sequence[EmailMessage]) -> None:
    """Send every message over one connection; :class:`DeliveryFailed` (the server and its reply, no login)
    when the server cannot be reached or refuses."""
    context = ssl.create_default_context()
    if not settings.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        smtp: smtplib.SMTP = (
            smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT, context=context)
            if settings.ssl
            else smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
        )
        with smtp:
            if settings.starttls and not settings.ssl:
                smtp.starttls(context=context)
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            for message in messages:
                smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as error:
        raise DeliveryFailed(f"{_server(settings)} refused the login ({error.smtp_code})") from None
    except smtplib.SMTPRecipientsRefused as error:
        refused = ", ".join(f"{address} ({code})" for address, (code, _) in error.recipients.items())
        raise DeliveryFailed(f"{_server(settings)} refused the recipients {refused}") from None
    except smtplib.SMTPResponseException as error:
        reply = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else ""
        raise DeliveryFailed(
            f"{_server(settings)} answered {error.smtp_code} {' '.join(reply.split())[:200]}"
        ) from None
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryFailed(
            f"could not send through {_server(settings)}: {type(error).__name__}: {error}"[:300]
        ) from None


def _server(settings: SmtpSettings) -> str:
    return f"the SMTP server {settings.host}:{settings.port}"
