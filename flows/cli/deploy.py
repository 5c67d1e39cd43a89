"""``papers deploy``: the daily deployment of ``prefect.yaml`` and its alerts, on the configured Prefect server."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from flows.cli.exits import ExitCode
from flows.cli.output import Reply
from flows.run.alerts import Alert, ensure_alerts, save_webhook_block
from flows.run.deployment import deploy_daily, reaching_server


def deploy(args: argparse.Namespace, reply: Reply) -> int:
    if not args.alerts_only:
        deploy_daily(args.name)
    alerts = set_up_alerts(args)
    document: dict[str, Any] = {
        "deployment": f"curate-trending-papers/{args.name}",
        "deployed": not args.alerts_only,
        "notify": args.notify,
        "window_seconds": args.window_seconds,
        "alerts": [{"kind": a.kind, "name": a.name, "change": a.change, "id": str(a.id)} for a in alerts],
    }
    return reply.done(ExitCode.DONE, document, alerts_line(args, alerts))


def set_up_alerts(args: argparse.Namespace) -> list[Alert]:
    """The webhook block when asked for, then the automations (``papers deploy`` and ``papers serve``)."""
    with reaching_server():
        if args.webhook_url:
            save_webhook_block(args.notify, args.webhook_url)
        return ensure_alerts(args.name, args.notify, timedelta(seconds=args.window_seconds))


def alerts_line(args: argparse.Namespace, alerts: list[Alert]) -> str:
    deployed = "" if args.alerts_only else "deployed "
    changes = ", ".join(f"{alert.kind} {alert.change}" for alert in alerts)
    return f"{deployed}curate-trending-papers/{args.name}; alerts to {args.notify}: {changes}"
