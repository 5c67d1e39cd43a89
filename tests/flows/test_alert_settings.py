"""Whether ``papers deploy`` finds an automation already as wanted: compared by value, whatever order the server
gives the trigger's event sets in (no server needed: the comparison is of two automations)."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

from flows.run.alerts import _comparable, automations


def test_an_automation_compares_equal_whatever_order_its_event_sets_were_built_in() -> None:
    """Equal sets built in different orders can iterate differently (two names in one slot of the hash table):
    one pair of names in 64 that do so is enough to catch a comparison that goes through a list."""
    wanted = automations("daily", uuid.uuid4(), uuid.uuid4(), "http://127.0.0.1:4200", timedelta(hours=26))
    quiet = wanted["no run completed"]
    for first, second in itertools.islice(_name_pairs(), 64):
        built = quiet.model_copy(
            update={
                "trigger": quiet.trigger.model_copy(
                    update={"expect": {first, second}, "after": {first, second}}
                )
            }
        )
        read_back = type(quiet).model_validate(
            built.model_dump(mode="json") | {"trigger": _reversed_sets(built.trigger.model_dump(mode="json"))}
        )
        assert _comparable(read_back) == _comparable(built), (first, second)
    for automation in wanted.values():  # what the server returns is validated again before the comparison
        assert _comparable(
            type(automation).model_validate(automation.model_dump(mode="json"))
        ) == _comparable(automation)


def _name_pairs():
    for index in itertools.count():
        yield f"prefect.flow-run.Completed{index}", f"prefect.flow-run.Degraded{index}"


def _reversed_sets(trigger: dict) -> dict:
    """The trigger as the server might send it back: its event lists in the other order."""
    return trigger | {key: list(reversed(trigger[key])) for key in ("expect", "after")}
