"""The SMTP settings of ``papers digest --send``: read from the environment only, a wrong one refused in one line
that never holds the password, and the password kept out of every ``repr``."""

from __future__ import annotations

import pytest

from flows.errors import UsageError
from flows.net.smtp import SmtpSettings, build_message, check_address, settings_from_env

BASE = {"PAPERS_SMTP_HOST": "smtp.example.org", "PAPERS_SMTP_FROM": "digest@example.org"}


def test_defaults_are_starttls_on_587_and_the_user_sends_when_no_from_is_given() -> None:
    assert settings_from_env(BASE) == SmtpSettings(
        "smtp.example.org", 587, "digest@example.org", starttls=True
    )
    plain = settings_from_env(BASE | {"PAPERS_SMTP_STARTTLS": "false"})
    assert (plain.port, plain.starttls) == (25, False)
    login = {"PAPERS_SMTP_HOST": "smtp.example.org", "PAPERS_SMTP_USER": "me@example.org"}
    settings = settings_from_env(login | {"PAPERS_SMTP_PASSWORD": "hunter2-secret"})
    assert settings.sender == "me@example.org" and settings.password == "hunter2-secret"
    assert "hunter2-secret" not in repr(settings) and "hunter2-secret" not in str(settings)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "set PAPERS_SMTP_HOST"),
        ({"PAPERS_SMTP_HOST": "smtp.example.org"}, "set PAPERS_SMTP_FROM"),
        (BASE | {"PAPERS_SMTP_PORT": "smtp"}, "PAPERS_SMTP_PORT must be a port number"),
        (BASE | {"PAPERS_SMTP_PORT": "70000"}, "PAPERS_SMTP_PORT must be a port number"),
        (BASE | {"PAPERS_SMTP_STARTTLS": "maybe"}, "PAPERS_SMTP_STARTTLS must be true or false"),
        (BASE | {"PAPERS_SMTP_USER": "me"}, "PAPERS_SMTP_USER is set but PAPERS_SMTP_PASSWORD is not"),
        (
            BASE
            | {
                "PAPERS_SMTP_USER": "me",
                "PAPERS_SMTP_PASSWORD": "hunter2-secret",
                "PAPERS_SMTP_STARTTLS": "0",
            },
            "would be sent in clear",
        ),
    ],
)
def test_a_setting_that_cannot_work_is_a_usage_error_without_the_password(environ, message) -> None:
    with pytest.raises(UsageError, match=message) as raised:
        settings_from_env(environ)
    assert "hunter2-secret" not in str(raised.value)


def test_a_login_without_tls_is_allowed_only_to_this_machine() -> None:
    local = BASE | {"PAPERS_SMTP_HOST": "127.0.0.1", "PAPERS_SMTP_STARTTLS": "no"}
    settings = settings_from_env(local | {"PAPERS_SMTP_USER": "me", "PAPERS_SMTP_PASSWORD": "pw"})
    assert (settings.host, settings.starttls, settings.user) == ("127.0.0.1", False, "me")


@pytest.mark.parametrize(
    "address",
    ["a@b", "a b@example.org", "a@example.org\nBcc: x@example.org", "a@example.org, b@example.org", ""],
)
def test_an_address_that_could_add_a_recipient_or_a_header_is_refused(address: str) -> None:
    with pytest.raises(ValueError, match="not an e-mail address"):
        check_address(address)


def test_a_message_has_the_text_then_the_page_and_a_one_line_subject() -> None:
    message = build_message(
        "Trending\npapers", "digest@example.org", "me@example.org", "text ü", "<p>page</p>"
    )
    assert message["Subject"] == "Trending papers" and message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert [part.get_content().strip() for part in message.iter_parts()] == ["text ü", "<p>page</p>"]
