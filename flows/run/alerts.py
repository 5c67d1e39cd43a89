"""The daily deployment's alerts: Prefect automations that notify a block the operator names.

Three automations, each found by its name (so ``papers deploy`` run twice changes nothing, and a changed setting
updates the automation in place rather than adding one):

- **failed**: a run of the deployment ends Failed or Crashed (``prefect.flow-run.Failed`` / ``.Crashed``);
- **degraded**: a run ends in the Completed state named ``Degraded`` (``prefect.flow-run.Degraded``, the event
  the server emits for that state name: ``flows/run/outcome.py``);
- **no run completed**: no run of the deployment reached Completed (or Degraded) within the window (26 h by
  default: a day's schedule plus two hours) since the last one that did, or since the automation was written; a
  proactive trigger the server evaluates itself, firing again after each further window without one.

The notification's text is rendered by the server (Jinja) when the automation fires: the run's state name, its
message (the one-line reason and the counts, ``flows/run/outcome.py``) and a link to the run in the Prefect UI.
The UI's address is fixed when the automations are written (``PREFECT_UI_URL``, else derived from
``PREFECT_API_URL``), so a link works whatever the server's own settings say.

The automations are not "owned" by the deployment (no ``owner_resource``): ``prefect deploy`` and ``serve``
delete the automations a deployment owns each time they register it, and these must outlive a redeploy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from uuid import UUID

from flows.errors import UsageError

FLOW_NAME = "curate-trending-papers"
DEFAULT_WINDOW = timedelta(hours=26)
"""How long without a Completed run before the "no run completed" alert: the daily schedule plus two hours."""
WEBHOOK_JSON = {"subject": "{{subject}}", "body": "{{body}}", "name": "{{name}}"}
"""What a webhook block made by ``papers deploy --webhook-url`` posts: the alert's subject and body as JSON."""

Change = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class Alert:
    """One automation as written, and what writing it did."""

    kind: str
    name: str
    change: Change
    id: UUID


def automation_name(deployment: str, kind: str) -> str:
    """``trending-papers/daily: failed``: the name an automation is found by."""
    return f"trending-papers/{deployment}: {kind}"


def run_link(ui_url: str) -> str:
    """A Jinja expression's text for the link to the run that fired the alert."""
    return f"{ui_url.rstrip('/')}/runs/flow-run/{{{{ flow_run.id }}}}"


def automations(
    deployment: str, deployment_id: UUID, block_id: UUID, ui_url: str, window: timedelta = DEFAULT_WINDOW
) -> dict[str, Any]:
    """The three automations (``prefect.automations.AutomationCore``) by kind, for the deployment named
    ``deployment`` with id ``deployment_id``, notifying the block document ``block_id``."""
    from prefect.automations import AutomationCore, EventTrigger, Posture, SendNotification

    full_name = f"{FLOW_NAME}/{deployment}"
    runs: dict[str, str | list[str]] = {"prefect.resource.id": "prefect.flow-run.*"}
    of_deployment: dict[str, str | list[str]] = {
        "prefect.resource.id": f"prefect.deployment.{deployment_id}",
        "prefect.resource.role": "deployment",
    }
    body = "\n".join(
        [
            "{{ flow_run.state.name }}: {{ flow_run.state.message }}",
            f"run: {run_link(ui_url)}",
            f"deployment: {full_name}",
        ]
    )

    def reactive(kind: str, events: set[str], what: str) -> Any:
        return AutomationCore(
            name=automation_name(deployment, kind),
            description=f"Notify when a run of {full_name} {what}.",
            trigger=EventTrigger(
                match=runs,
                match_related=of_deployment,
                expect=events,
                for_each={"prefect.resource.id"},
                posture=Posture.Reactive,
                threshold=1,
                within=timedelta(0),
            ),
            actions=[
                SendNotification(
                    block_document_id=block_id,
                    subject=f"{full_name}: run {{{{ flow_run.name }}}} {what}",
                    body=body,
                )
            ],
        )

    hours = span(window)
    completed = {"prefect.flow-run.Completed", "prefect.flow-run.Degraded"}
    # after = expect: each completed run starts the window again from its own time (Prefect's "heartbeat"
    # pattern, prefect/server/events/triggers.py); before the first, the window starts when the server first
    # evaluates the automation. Without `after` the windows would be fixed slices of time, and a run completing
    # early in one would hide a missed day for up to two windows.
    quiet = AutomationCore(
        name=automation_name(deployment, "no run completed"),
        description=f"Notify when no run of {full_name} completed within {hours}.",
        trigger=EventTrigger(
            match=runs,
            match_related=of_deployment,
            after=completed,
            expect=completed,
            posture=Posture.Proactive,
            threshold=1,
            within=window,
        ),
        actions=[
            SendNotification(
                block_document_id=block_id,
                subject=f"{full_name}: no run completed in {hours}",
                body="\n".join(
                    [
                        f"No run of {full_name} reached Completed or Degraded within {hours}.",
                        f"deployment: {ui_url.rstrip('/')}/deployments/deployment/{deployment_id}",
                    ]
                ),
            )
        ],
    )
    return {
        "failed": reactive("failed", {"prefect.flow-run.Failed", "prefect.flow-run.Crashed"}, "failed"),
        "degraded": reactive("degraded", {"prefect.flow-run.Degraded"}, "is degraded"),
        "no run completed": quiet,
    }


def span(window: timedelta) -> str:
    """``26 h``, ``90 min``, ``15 s``: a window as an alert names it."""
    seconds = window.total_seconds()
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min" if seconds % 60 == 0 else f"{seconds:g} s"


def ensure_alerts(deployment: str, block: str, window: timedelta = DEFAULT_WINDOW) -> list[Alert]:
    """Create or update the deployment's three automations (found by name) so they notify ``block``; an
    automation already as wanted is left alone. :class:`UsageError` when the deployment or the block does not
    exist, or no Prefect API is configured."""
    from prefect.automations import AutomationCore
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            found = client.read_deployment_by_name(f"{FLOW_NAME}/{deployment}")
        except ObjectNotFound:
            raise UsageError(
                f"no deployment {FLOW_NAME}/{deployment} on the server: deploy it first"
            ) from None
        wanted = automations(deployment, found.id, notification_block_id(client, block), ui_url(), window)
        alerts = []
        for kind, automation in wanted.items():
            existing = client.read_automations_by_name(automation.name)
            if not existing:
                alerts.append(Alert(kind, automation.name, "created", client.create_automation(automation)))
                continue
            first, *others = existing
            for duplicate in others:  # left by an earlier tool or a hand edit: one automation per name
                client.delete_automation(duplicate.id)
            current = AutomationCore.model_validate(first.model_dump(exclude={"id"}))
            if _comparable(current) == _comparable(automation) and not others:
                alerts.append(Alert(kind, automation.name, "unchanged", first.id))
                continue
            client.update_automation(first.id, automation)
            alerts.append(Alert(kind, automation.name, "updated", first.id))
        return alerts


def _comparable(automation: Any) -> Any:
    """The automation's settings, compared as Python values: the trigger's event names are sets, and a set's JSON
    list takes the set's iteration order, which can differ between two equal sets built in different orders (the
    server's and ours), so JSON would report an unchanged automation as updated."""
    return automation.model_dump(exclude={"id", "created", "updated"})


def ui_url() -> str:
    """The Prefect UI's address as this process's settings give it (``PREFECT_UI_URL``, else derived from
    ``PREFECT_API_URL``)."""
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if not settings.api.url:
        raise UsageError("no Prefect server configured: set PREFECT_API_URL")
    return str(settings.ui_url or settings.api.url.removesuffix("/api"))


def notification_block_id(client: Any, block: str) -> UUID:
    """The id of the notification block named ``block`` (``NAME``, or ``TYPE-SLUG/NAME`` when several block types
    have a block of that name); :class:`UsageError` when there is none, or it cannot notify."""
    slug, _, name = block.rpartition("/")
    candidates = [
        document
        for document in client.read_block_documents(include_secrets=False)
        if document.name == name and (not slug or (document.block_type and document.block_type.slug == slug))
    ]
    notifying = [
        document
        for document in candidates
        if document.block_schema and "notify" in (document.block_schema.capabilities or [])
    ]
    if not notifying:
        what = "no notification block" if not candidates else "a block that cannot notify"
        raise UsageError(
            f"{what} named {block!r}: create one in the Prefect UI (Blocks) or with --webhook-url URL"
        )
    if len(notifying) > 1:
        slugs = ", ".join(sorted(f"{d.block_type.slug}/{d.name}" for d in notifying if d.block_type))
        raise UsageError(f"several notification blocks are named {name!r}: name one of {slugs}")
    block_id: UUID = notifying[0].id
    return block_id


def save_webhook_block(name: str, url: str) -> None:
    """Create (or overwrite) a Custom Webhook notification block named ``name`` posting ``WEBHOOK_JSON`` to
    ``url``: any HTTP endpoint that accepts a JSON POST can receive the alerts."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    block = CustomWebhookNotificationBlock.model_validate(
        {"name": name, "url": url, "json_data": dict(WEBHOOK_JSON)}
    )
    block.save(name, overwrite=True)
