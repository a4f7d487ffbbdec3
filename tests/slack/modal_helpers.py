"""Modals against the Slack emulator: the view a `views.open` call opened, and the
`view_submission` Slack sends when the modal's submit button is pressed (the saved real
payload, with the typed values filled in as Slack fills them)."""

from __future__ import annotations

import copy
import json
import urllib.parse
from pathlib import Path
from typing import Any

import httpx

from tests.emulators.slack import SlackEmulator
from tests.slack.helpers import SlackSender, payload
from tests.slack.stack import Stack, start_stack


def opened_view(emulator: SlackEmulator, trigger: str) -> dict[str, Any]:
    """The modal opened with `trigger` (waits for the `views.open` call); it must be valid."""
    call = emulator.wait_for(
        lambda: emulator.calls_to("views.open", trigger_id=trigger), 30, what="the modal"
    )
    assert call[0].ok, call[0].response
    return dict(call[0].response["view"])


def submit_view(
    sender: SlackSender, view: dict[str, Any], user: str, **fields: Any
) -> httpx.Response:
    """The view_submission of `view` by `user` with `fields` typed in (block_id -> text, a
    list of ticked checkbox values, or the value of the option picked in a select)."""
    body = payload("view_submission")
    body["user"]["id"] = user
    body["team"]["id"] = body["user"]["team_id"] = "T0G9PQBBK"
    submitted = copy.deepcopy(view)
    values: dict[str, Any] = {}
    for block in submitted["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        typed = fields.get(block["block_id"], element.get("initial_value"))
        if element["type"] == "checkboxes":
            chosen = [o for o in element["options"] if o["value"] in (typed or [])]
            values[block["block_id"]] = {
                element["action_id"]: {"type": "checkboxes", "selected_options": chosen}
            }
        elif element["type"] == "static_select":
            initial = (element.get("initial_option") or {}).get("value")
            wanted = fields.get(block["block_id"], initial)
            picked = next((o for o in element["options"] if o["value"] == wanted), None)
            values[block["block_id"]] = {
                element["action_id"]: {"type": "static_select", "selected_option": picked}
            }
        else:
            values[block["block_id"]] = {
                element["action_id"]: {"type": element["type"], "value": typed}
            }
    submitted["state"] = {"values": values}
    body["view"] = submitted
    return sender.form("payload=" + urllib.parse.quote(json.dumps(body)))


def incident_stack(tmp_path: Path, emulator: SlackEmulator, channel: str) -> Stack:
    """A stack whose incident service posts to `channel` (as `opsbot run` wires it), without
    triage; `runtime.incidents.outbox.pump()` delivers what its thread would."""
    built = start_stack(tmp_path, emulator, incident_channel=channel)
    runtime = built.runtime
    runtime.incidents.add_notifier(runtime.slack.incident_notifier(runtime.incidents, echo=False))
    runtime.incidents.disable_triage()
    return built
