"""Snooze with a duration, over real HTTP against the Slack emulator, with the real incident
service: the Snooze button (block_actions with a trigger_id) opens a modal with a duration
select; its view_submission snoozes the incident for that long (still open, on the
timeline, escalation holds until then: bot/monitors/escalation.py skips snoozed incidents,
tests/oncall/test_escalation.py) or answers `response_action: errors`."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.incidents.alertmanager import parse_payload
from core.clock import as_utc, utcnow
from tests.emulators.slack import SlackEmulator, view_problems
from tests.incidents.alerts import payload
from tests.slack.helpers import click_body
from tests.slack.modal_helpers import incident_stack, opened_view, submit_view
from tests.slack.stack import Stack

INCIDENTS = "C0INCIDENTS"
ONCALL = "U0ONCALL"


@pytest.fixture
def stack(tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[Stack]:
    built = incident_stack(tmp_path, slack_emulator, INCIDENTS)
    yield built
    built.close()


def _root(stack: Stack) -> tuple[int, dict[str, Any]]:
    """An incident from an alert, and its root message once posted."""
    incident_id, _ = stack.runtime.incidents.ingest_alertmanager(parse_payload(payload()))
    assert incident_id is not None
    stack.runtime.incidents.outbox.pump()  # what the outbox's thread does in `opsbot run`
    emu = stack.emulator
    root = emu.wait_for(
        lambda: next((m for m in emu.posts(INCIDENTS) if "incident_snooze" in str(m.params)), None),
        30,
        what="the incident's root message",
    )
    return incident_id, dict(emu.message(INCIDENTS, root.response["ts"]) or {})


def _click_snooze(stack: Stack, root: dict[str, Any], user: str) -> str:
    actions = next(b for b in root["blocks"] if b["type"] == "actions")
    value = next(e["value"] for e in actions["elements"] if e["action_id"] == "incident_snooze")
    raw = click_body(
        action_id="incident_snooze",
        value=value,
        user=user,
        channel=INCIDENTS,
        message_ts=root["ts"],
        thread_ts=None,
        response_url=stack.emulator.response_url("snooze"),
    )
    assert stack.sender.form(raw).status_code == 200
    return str(json.loads(urllib.parse.unquote(raw.removeprefix("payload=")))["trigger_id"])


def test_snooze_asks_how_long_and_holds_the_incident_until_then(stack: Stack) -> None:
    emu = stack.emulator
    incident_id, root = _root(stack)
    assert "Snooze…" in str(root["blocks"])
    # someone not on call gets a refusal, no form
    _click_snooze(stack, root, "U0STRANGER")
    emu.wait_for(lambda: emu.ephemerals, what="the refusal")
    assert "only on-call engineers" in emu.ephemerals[0]["text"]
    assert not emu.calls_to("views.open")

    view = opened_view(emu, _click_snooze(stack, root, ONCALL))
    assert view_problems(view) == []
    [select] = view["blocks"]
    assert [o["value"] for o in select["element"]["options"]] == ["30", "60", "240", "1440"]
    assert stack.runtime.incidents.engine.get(incident_id).snoozed_until is None  # not yet

    nothing = submit_view(stack.sender, view, ONCALL, duration="7").json()
    assert nothing == {
        "response_action": "errors",
        "errors": {"duration": "Pick how long to snooze for"},
    }
    forged = {**json.loads(view["private_metadata"]), "value": "9|snooze|0|00"}
    refused = submit_view(
        stack.sender, {**view, "private_metadata": json.dumps(forged)}, ONCALL, duration="60"
    ).json()
    assert refused["errors"]["duration"].startswith("Refused: this button's signature is invalid")

    done = submit_view(stack.sender, view, ONCALL, duration="240")
    assert done.status_code == 200 and not done.content
    row = stack.runtime.incidents.engine.get(incident_id)
    assert row.status == "open" and row.snoozed_by == ONCALL
    assert row.snoozed_until is not None
    left = as_utc(row.snoozed_until) - utcnow()
    assert timedelta(minutes=239) < left <= timedelta(minutes=240)
    kinds = [e.kind for e in stack.runtime.incidents.engine.timeline(incident_id)]
    assert "snoozed" in kinds
    stack.runtime.incidents.outbox.pump()
    emu.wait_for(
        lambda: "snoozed until" in str((emu.message(INCIDENTS, root["ts"]) or {}).get("blocks")),
        what="the root message to show the snooze",
    )

    # a resolved incident cannot be snoozed: the refusal is shown in the form
    stack.runtime.incidents.resolve(incident_id, ONCALL)
    late = submit_view(stack.sender, view, ONCALL, duration="30").json()
    assert "is resolved; nothing to snooze" in late["errors"]["duration"]
