"""Payloads opsbot does not use are acknowledged quietly (Bolt would log a multi-line
suggestion for each), and an uninstalled app or a revoked bot token stops opsbot calling
Slack (issue 20, item 10). In process over signed HTTP, against the Slack emulator."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.emulators.slack import SlackEmulator
from tests.slack.helpers import mention, new_ts, payload
from tests.slack.stack import Stack, start_stack

CHANNEL = "C0QUIET"


@pytest.fixture
def stack(tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[Stack]:
    built = start_stack(tmp_path, slack_emulator)
    yield built
    built.close()


def _event(kind: str, **fields: Any) -> dict[str, Any]:
    body = payload("event_callback.app_mention")
    ts = new_ts()
    body["event"] = {"type": kind, "event_ts": ts, **fields}
    body["event_id"] = f"Ev{ts.replace('.', '')}Q"
    return body


def _wait_for_log(caplog: pytest.LogCaptureFixture, text: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(text in r.getMessage() for r in caplog.records):
            return
        time.sleep(0.05)
    raise AssertionError(f"no log line with {text!r}: {[r.getMessage() for r in caplog.records]}")


def _bolt_suggestions(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("slack_bolt") and "Unhandled request" in r.getMessage()
    ]


def test_events_and_interactions_opsbot_does_not_use_are_quiet(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reaction = _event(
        "reaction_added",
        user="U222",
        reaction="eyes",
        item={"type": "message", "channel": CHANNEL, "ts": new_ts()},
    )
    assert stack.sender.event(reaction).status_code == 200
    joined = _event("member_joined_channel", user="U222", channel=CHANNEL)
    assert stack.sender.event(joined).status_code == 200
    _wait_for_log(caplog, "ignoring Slack event reaction_added")
    _wait_for_log(caplog, "ignoring Slack event member_joined_channel")
    other_button = payload("block_actions.button_click")
    other_button["actions"][0]["action_id"] = "another_apps_button"
    response = stack.sender.form("payload=" + json.dumps(other_button))
    assert response.status_code == 200
    _wait_for_log(caplog, "ignoring a Slack block_actions payload")
    assert _bolt_suggestions(caplog) == []
    assert stack.emulator.calls_to("chat.postMessage") == []  # nothing said about them


def test_a_revoked_bot_token_stops_calls_to_slack(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    emu = stack.emulator
    user_only = _event("tokens_revoked", tokens={"oauth": ["W111"], "bot": []})
    assert stack.sender.event(user_only).status_code == 200
    _wait_for_log(caplog, "revoked user tokens only")
    revoked = _event("tokens_revoked", tokens={"oauth": [], "bot": ["U0BOT"]})
    assert stack.sender.event(revoked).status_code == 200
    _wait_for_log(caplog, "Slack says tokens_revoked")
    before = len(emu.calls)
    assert stack.sender.event(mention("is the host ok?", channel=CHANNEL)).status_code == 200
    _wait_for_log(caplog, "token_revoked")  # the answer could not be posted, and says why
    assert len(emu.calls) == before  # not one request reached Slack
    assert _bolt_suggestions(caplog) == []
