"""`/ops declare` over real HTTP against the Slack emulator, with the real incident service:
the command opens a modal with its trigger_id; the view_submission is answered with errors
per field, or opens a manual incident by the submitter, posted to INCIDENT_CHANNEL."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulators.slack import SlackEmulator, view_problems
from tests.slack.helpers import slash_body
from tests.slack.modal_helpers import incident_stack, opened_view, submit_view
from tests.slack.stack import Stack

INCIDENTS = "C0INCIDENTS"


@pytest.fixture
def stack(tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[Stack]:
    built = incident_stack(tmp_path, slack_emulator, INCIDENTS)
    yield built
    built.close()


def test_declare_opens_a_manual_incident_by_the_submitter(stack: Stack) -> None:
    emu = stack.emulator
    raw = slash_body("declare", response_url=emu.response_url("d"), user="W111")
    acked = stack.sender.form(raw)
    assert acked.status_code == 200 and not acked.content
    view = opened_view(emu, urllib.parse.parse_qs(raw)["trigger_id"][0])
    assert view_problems(view) == []
    assert [b["block_id"] for b in view["blocks"]] == ["title", "severity", "description"]

    bad = submit_view(stack.sender, view, "W111", title="  ", severity="nope").json()
    assert bad == {
        "response_action": "errors",
        "errors": {"title": "Say what is wrong", "severity": "Pick a severity"},
    }
    too_long = submit_view(
        stack.sender, view, "W111", title="x" * 151, description="y" * 2001
    ).json()
    assert too_long["errors"] == {
        "title": "At most 150 characters",
        "description": "At most 2000 characters",
    }
    assert stack.runtime.incidents.engine.list("open") == []  # nothing was opened

    done = submit_view(
        stack.sender,
        view,
        "W111",
        title="Checkout returns 502",
        severity="critical",
        description="since 14:00, about 5% of requests",
    )
    assert done.status_code == 200 and not done.content
    [row] = stack.runtime.incidents.engine.list("open")
    assert (row.title, row.severity, row.source) == ("Checkout returns 502", "critical", "manual")
    note = emu.wait_for(lambda: emu.ephemerals, 10, what="the note")
    assert note[0]["user"] == "W111" and note[0]["channel"] == "C111"
    assert f"Declared incident #{row.id}: Checkout returns 502" in note[0]["text"]
    stack.runtime.incidents.outbox.pump()  # what the outbox's thread does in `opsbot run`
    root = emu.wait_for(lambda: emu.posts(INCIDENTS), 30, what="the incident's root message")
    posted = str(root[0].params)
    assert "Checkout returns 502" in posted and "Declared by" in posted and "W111" in posted
