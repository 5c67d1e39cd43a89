"""The commands that schedule the daily run on a Prefect server: ``serve``, ``deploy`` and their alerts."""

from __future__ import annotations

import argparse
from typing import Any

from flows.cli.arguments import validate_deploy, validate_serve
from flows.cli.options import EXIT_STATUS, contact_options, json_option, out_option


def serve_command(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve the daily deployment from this process (one-box setup; needs PREFECT_API_URL)",
        description=(
            "Register the daily deployment (yesterday's Hugging Face daily papers, the trending page, arXiv "
            "enrichment, publish) on the Prefect server at PREFECT_API_URL and run its scheduled runs in this "
            "process until interrupted (Ctrl-C: exit 130). The same deployment is in prefect.yaml for a work "
            "pool and worker. " + EXIT_STATUS
        ),
    )
    serve.add_argument("--name", default="daily", help="deployment name (default: daily)")
    serve.add_argument("--cron", default=None, help="cron schedule in UTC (default: 30 6 * * *)")
    out_option(serve)
    contact_options(serve)
    _alerts(serve, required=False)
    digest = serve.add_argument_group(
        "digest",
        "E-mail each published version's digest (docs/digest.md). The SMTP server, port, TLS mode and login are "
        "read at send time from a prefect-email EmailServerCredentials block; only its name is stored.",
    )
    digest.add_argument(
        "--digest-to", action="append", default=[], metavar="ADDR", help="a recipient; repeatable"
    )
    digest.add_argument("--digest-block", metavar="NAME", help="the EmailServerCredentials block's name")
    digest.add_argument("--digest-from", metavar="ADDR", help="the From address (default: the block's user)")
    serve.set_defaults(validate=validate_serve)


def deploy_command(commands: Any) -> None:
    deploy = commands.add_parser(
        "deploy",
        help="deploy the daily deployment (prefect.yaml) and its alerts (needs PREFECT_API_URL)",
        description=(
            "Create or update the daily deployment of prefect.yaml on the Prefect server at PREFECT_API_URL (the "
            "process work pool 'papers' is created when missing), then its three alert automations, found by "
            "name: a run Failed or Crashed, a run Degraded, and no run completed within --window. They notify "
            "the Prefect notification block named by --notify (Slack, Teams, Discord, a custom webhook...; "
            "--webhook-url makes a Custom Webhook block of that name). Running it twice changes nothing. "
            + EXIT_STATUS
        ),
    )
    deploy.add_argument("--name", default="daily", help="deployment name in prefect.yaml (default: daily)")
    deploy.add_argument(
        "--alerts-only",
        action="store_true",
        help="only the automations, for a deployment already registered (by papers serve, or prefect deploy)",
    )
    _alerts(deploy, required=True)
    json_option(deploy, "the deployment and what was done to each automation")
    deploy.set_defaults(validate=validate_deploy)


DEFAULT_ALERT_WINDOW = "26h"
"""No run completed within this long raises the "no run completed" alert (the daily schedule plus two hours)."""


def _alerts(command: argparse.ArgumentParser, required: bool) -> None:
    group = command.add_argument_group("alerts", "Prefect automations notifying a block (docs/operators.md)")
    group.add_argument(
        "--notify",
        required=required,
        metavar="BLOCK",
        help="the Prefect notification block the alerts go to (NAME, or TYPE-SLUG/NAME)"
        + ("" if required else "; without it, no alert is set up"),
    )
    group.add_argument(
        "--webhook-url",
        metavar="URL",
        help="create (or overwrite) a Custom Webhook block named --notify that POSTs each alert as JSON "
        '{"subject", "body", "name"} to URL',
    )
    group.add_argument(
        "--window",
        default=DEFAULT_ALERT_WINDOW,
        metavar="DURATION",
        help=f"alert when no run completed within this long (10s at least; 90m, 26h, 2d; default "
        f"{DEFAULT_ALERT_WINDOW})",
    )
