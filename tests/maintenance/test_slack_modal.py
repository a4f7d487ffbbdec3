"""`/ops maintenance` against the Slack emulator: the modal opened with the command's
trigger_id (checked like Slack checks it), its `view_submission` (the saved real payload,
filled in as Slack fills it) answered with per-field errors or creating the window, and who
may use it."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.emulators.slack import SlackEmulator, view_problems
from tests.slack.helpers import slash_body
from tests.slack.modal_helpers import opened_view, submit_view
from tests.slack.stack import Stack, start_stack

ONCALL = "U0ONCALL"


@pytest.fixture
def stack(tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[Stack]:
    built = start_stack(tmp_path, slack_emulator, maintenance_max_hours=8)
    yield built
    built.close()


def _open_modal(stack: Stack, user: str = ONCALL) -> dict[str, Any]:
    emu = stack.emulator
    raw = slash_body("maintenance", response_url=emu.response_url("m"), user=user)
    acked = stack.sender.form(raw)
    assert acked.status_code == 200 and not acked.content
    return opened_view(emu, urllib.parse.parse_qs(raw)["trigger_id"][0])


def _submit(
    stack: Stack, view: dict[str, Any], user: str = ONCALL, **fields: Any
) -> httpx.Response:
    """The view_submission Slack sends when `user` presses Create, with `fields` typed in."""
    return submit_view(stack.sender, view, user, **fields)


def test_the_modal_round_trip_creates_a_window(stack: Stack) -> None:
    view = _open_modal(stack)
    assert view_problems(view) == []
    assert (
        view["callback_id"] == "maintenance_window"
        and view["title"]["text"] == "Maintenance window"
    )
    assert [b["block_id"] for b in view["blocks"]] == [
        "matchers",
        "duration",
        "reason",
        "match_all",
    ]
    assert json.loads(view["private_metadata"]) == {"channel": "C111"}

    bad = _submit(
        stack, view, matchers="service=api\nalertname=~Disk(", duration="3 weeks", reason=" "
    )
    assert bad.status_code == 200
    answer = bad.json()
    assert answer["response_action"] == "errors"
    assert "invalid regex for alertname=~: 'Disk('" in answer["errors"]["matchers"]
    assert "as a time window" in answer["errors"]["duration"]
    assert answer["errors"]["reason"] == "Say what is being worked on"
    too_long = _submit(stack, view, matchers="service=api", duration="9h", reason="upgrade").json()
    assert too_long["errors"] == {"duration": "At most 8 hours (MAINTENANCE_MAX_HOURS)"}
    everything = _submit(stack, view, matchers="", reason="upgrade").json()
    assert "matches every alert" in everything["errors"]["matchers"]
    assert stack.runtime.maintenance.store.windows("all") == []  # nothing was made

    good = _submit(stack, view, matchers='service=api\nalertname=~"Disk.*"', reason="db upgrade")
    assert good.status_code == 200 and not good.content  # an empty ack closes the modal
    [window] = stack.runtime.maintenance.store.windows("current")
    assert [str(m) for m in window.matchers] == ['service="api"', 'alertname=~"Disk.*"']
    assert window.created_by == ONCALL and window.reason == "db upgrade"
    assert (window.ends_at - window.starts_at).total_seconds() == 2 * 3600
    note = stack.emulator.wait_for(lambda: stack.emulator.ephemerals, 10, what="the note")
    assert note[0]["user"] == ONCALL and note[0]["channel"] == "C111"
    assert "Maintenance window created: #1 [active]" in note[0]["text"]
    [audit] = stack.runtime.audit.recent(action="maintenance_add")
    assert (audit.actor, audit.via, audit.outcome) == (ONCALL, "slack", "created")

    # ticking the box allows a window over everything
    all_of_it = _submit(
        stack, view, matchers="", reason="datacentre move", match_all=["everything"]
    )
    assert all_of_it.status_code == 200 and not all_of_it.content
    assert len(stack.runtime.maintenance.store.windows("current")) == 2


def test_only_on_call_approvers_get_the_modal_or_can_submit_it(stack: Stack) -> None:
    emu = stack.emulator
    acked = stack.sender.form(
        slash_body("maintenance", response_url=emu.response_url("no"), user="W111")
    )
    assert acked.status_code == 200
    refused = emu.wait_for(
        lambda: [r for r in emu.responses if r["key"] == "no"], 30, what="refusal"
    )
    assert "only on-call engineers can create or end maintenance windows" in refused[0]["text"]
    assert not emu.calls_to("views.open")
    view = _open_modal(stack)
    forwarded = _submit(stack, view, user="W111", matchers="service=api", reason="x").json()
    assert "only on-call engineers" in forwarded["errors"]["matchers"]
    assert stack.runtime.maintenance.store.windows("all") == []


def test_the_emulator_refuses_what_slack_refuses(stack: Stack) -> None:
    client = stack.runtime.slack.client
    good = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "ok"},
        "blocks": [{"type": "divider"}],
    }
    assert client.views_open(trigger_id="1.2.ab", view=good)["ok"]
    for trigger, error in (("1.2.ab", "exchanged_trigger_id"), ("nope", "invalid_trigger_id")):
        with pytest.raises(Exception, match=error):
            client.views_open(trigger_id=trigger, view=good)
    assert "title is 25 chars, more than 24" in view_problems(
        {**good, "title": {"type": "plain_text", "text": "x" * 25}}
    )
    assert "type must be 'modal', got 'home'" in view_problems({**good, "type": "home"})
    inputs = {
        **good,
        "blocks": [
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "a"},
                "element": {"type": "plain_text_input"},
            }
        ],
    }
    assert view_problems(inputs) == [
        "a modal with input blocks needs a submit button",
        "blocks[0].element: action_id is missing",
    ]
    with pytest.raises(Exception, match="invalid_arguments"):
        client.views_open(trigger_id="3.4.cd", view=inputs)


def _ops(stack: Stack, text: str, key: str, user: str = ONCALL) -> dict[str, Any]:
    emu = stack.emulator
    acked = stack.sender.form(slash_body(text, response_url=emu.response_url(key), user=user))
    assert acked.status_code == 200 and not acked.content
    return dict(
        emu.wait_for(lambda: [r for r in emu.responses if r["key"] == key], 30, what=key)[0]
    )


def test_list_and_end_from_slack(stack: Stack) -> None:
    from datetime import timedelta

    from core.clock import utcnow
    from tools.maintenance.matcher import parse_matchers

    now = utcnow()
    window = stack.runtime.maintenance.add(
        parse_matchers(["service=api"]),
        now,
        now + timedelta(hours=1),
        "db upgrade",
        user=ONCALL,
        via="cli",
    )
    listed = _ops(stack, "maintenance list", "list", user="W111")  # reading is for anyone
    assert '#1 [active] service="api"' in str(listed["blocks"]) and "db upgrade" in str(
        listed["blocks"]
    )
    refused = _ops(stack, f"maintenance end {window.id}", "refused", user="W111")
    assert "only on-call engineers can create or end maintenance windows" in refused["text"]
    usage = _ops(stack, "maintenance stop 1", "usage")
    assert usage["text"].startswith("Usage: /ops maintenance")
    ended = _ops(stack, f"maintenance end #{window.id}", "end")
    assert ended["text"].startswith("Ended maintenance window #1 [ended]")
    again = _ops(stack, f"maintenance end {window.id}", "again")
    assert "maintenance window #1 has already ended" in again["text"]
    missing = _ops(stack, "maintenance end 42", "missing")
    assert "no maintenance window #42" in missing["text"]
    [audit] = stack.runtime.audit.recent(action="maintenance_end")
    assert (audit.actor, audit.via) == (ONCALL, "slack")
