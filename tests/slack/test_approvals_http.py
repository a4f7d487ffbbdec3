"""Approvals in Slack, over real HTTP with signed requests, with a gated test tool in process:
the card, authorisation, double clicks, two approvers at once, tampered, replayed and expired
button values, reject, and the two-person rule."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.slack.approvals import APPROVAL
from tests.emulators.slack import SlackEmulator
from tests.slack.helpers import click_body, mention, sign, slash_body
from tests.slack.helpers import message as message_event
from tests.slack.modal_helpers import opened_view, submit_view
from tests.slack.stack import Stack, start_stack

CHANNEL = "C0APPROVE"


@pytest.fixture
def stack(tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[Stack]:
    built = start_stack(tmp_path, slack_emulator)
    yield built
    built.close()


def _ask_for_restart(stack: Stack) -> dict[str, Any]:
    """Mention the bot asking for a restart; return the approval card message."""
    body = mention("please restart web", channel=CHANNEL)
    thread_ts = body["event"]["ts"]
    assert stack.sender.event(body).status_code == 200
    emu = stack.emulator

    def card() -> dict[str, Any] | None:
        for message in emu.thread(CHANNEL, thread_ts):
            if any(b.get("type") == "actions" for b in message.get("blocks") or []):
                return message
        return None

    found = emu.wait_for(card, what="the approval card")
    assert stack.runs() == []  # nothing runs before a decision
    return found


def _buttons(card: dict[str, Any]) -> dict[str, str]:
    actions = next(b for b in card["blocks"] if b["type"] == "actions")
    return {e["action_id"]: e["value"] for e in actions["elements"]}


def _click(stack: Stack, card: dict[str, Any], user: str, action_id: str, value: str | None = None):  # type: ignore[no-untyped-def]
    raw = click_body(
        action_id=action_id,
        value=value if value is not None else _buttons(card)[action_id],
        user=user,
        channel=CHANNEL,
        message_ts=card["ts"],
        thread_ts=card["thread_ts"],
        response_url=stack.emulator.response_url("click"),
    )
    response = stack.sender.form(raw)
    assert response.status_code == 200
    return response


def _reject(stack: Stack, card: dict[str, Any], user: str) -> None:
    """Reject opens the reason modal (bot/slack/reasons.py); submit it without a reason."""
    raw = _click(stack, card, user, "approval_reject").request.content.decode()
    trigger = json.loads(urllib.parse.unquote(raw.removeprefix("payload=")))["trigger_id"]
    form = opened_view(stack.emulator, trigger)
    assert submit_view(stack.sender, form, user, reason=None).status_code == 200


def _ephemerals_for(stack: Stack, user: str, count: int) -> list[str]:
    emu = stack.emulator
    found = emu.wait_for(
        lambda: (
            [e["text"] for e in emu.ephemerals if e["user"] == user][:count]
            if len([e for e in emu.ephemerals if e["user"] == user]) >= count
            else None
        ),
        what=f"{count} ephemeral message(s) for {user}",
    )
    return found


def test_card_then_refusals_then_one_run_for_double_click(stack: Stack) -> None:
    emu = stack.emulator
    card = _ask_for_restart(stack)
    text = str(card["blocks"])
    assert "Approval needed: run_remediation" in text
    assert "would run restart_service with {'service': 'web'} &lt;for real&gt;" in text
    assert "🟠 medium" in text and "<@U222>" in text
    approval_id = card["blocks"][-1]["elements"][0]["text"].split(" ")[0]
    row = stack.runtime.approvals.view(approval_id)
    assert row.status == "pending"

    # a non-on-call user is refused, ephemerally, and nothing changes
    _click(stack, card, "U0STRANGER", "approval_approve")
    (refusal,) = _ephemerals_for(stack, "U0STRANGER", 1)
    assert "only on-call engineers" in refusal
    # a forged value (another approval id) is refused before any decision
    forged = _buttons(card)["approval_approve"].replace(approval_id, "ap-ffffffffffff")
    _click(stack, card, "U0ONCALL", "approval_approve", value=forged)
    (forgery,) = _ephemerals_for(stack, "U0ONCALL", 1)
    assert "signature is invalid" in forgery
    assert stack.runtime.approvals.view(approval_id).status == "pending"
    assert not emu.calls_to("chat.update", ts=card["ts"])

    # a double click and a second approver at the same moment: the action runs once
    barrier = threading.Barrier(3)

    def click(user: str) -> None:
        barrier.wait()
        _click(stack, card, user, "approval_approve")

    clicks = [
        threading.Thread(target=click, args=(u,)) for u in ("U0ONCALL", "U0ONCALL", "U0OTHER")
    ]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join()
    emu.wait_for(lambda: stack.runtime.approvals.view(approval_id).status == "executed")

    def outcome() -> list[dict[str, Any]]:
        return [
            m
            for m in emu.thread(CHANNEL, card["thread_ts"])
            if "ran: restart_service done" in m["text"]
        ]

    emu.wait_for(outcome, what="the outcome in the thread")
    time.sleep(0.5)  # let the losing clicks finish
    assert stack.runs() == ["restart_service {'service': 'web'} requested by U222"]
    updated = emu.message(CHANNEL, card["ts"])
    assert updated is not None
    assert not [b for b in updated["blocks"] if b["type"] == "actions"]  # buttons removed
    decided = str(updated["blocks"])
    assert not emu.calls_to("views.open")  # a medium-risk Approve is one click
    assert "Approved by <@U0" in decided and "<!date^" in decided and "Done." in decided
    final = stack.runtime.approvals.view(approval_id)
    assert final.decided_by in ("U0ONCALL", "U0OTHER")
    losers = [e["text"] for e in emu.ephemerals if e["text"].startswith("Nothing to do")]
    assert len(losers) == 2 and all("already" in t for t in losers)
    assert len(outcome()) == 1  # the outcome is posted once

    # a replay of the click after the decision does nothing
    _click(stack, card, "U0ONCALL", "approval_approve")
    emu.wait_for(
        lambda: len([e for e in emu.ephemerals if e["text"].startswith("Nothing to do")]) == 3
    )
    assert len(stack.runs()) == 1
    audit = [r.outcome for r in stack.runtime.audit.for_approval(approval_id)]
    assert audit == ["requested", "approved", "ok"]


def test_reject_and_expired_values_run_nothing(stack: Stack) -> None:
    emu = stack.emulator
    card = _ask_for_restart(stack)
    approval_id = card["blocks"][-1]["elements"][0]["text"].split(" ")[0]
    expired = stack.runtime.slack.signer.sign(
        APPROVAL, approval_id, "approve", int(time.time()) - 5
    )
    _click(stack, card, "U0ONCALL", "approval_approve", value=expired)
    (note,) = _ephemerals_for(stack, "U0ONCALL", 1)
    assert "expired" in note
    assert stack.runtime.approvals.view(approval_id).status == "pending"

    _reject(stack, card, "U0OTHER")
    emu.wait_for(lambda: stack.runtime.approvals.view(approval_id).status == "rejected")
    emu.wait_for(
        lambda: [
            m for m in emu.thread(CHANNEL, card["thread_ts"]) if "Rejected by U0OTHER" in m["text"]
        ],
        what="the rejection outcome in the thread",
    )
    updated = emu.message(CHANNEL, card["ts"])
    assert updated is not None and "Rejected by <@U0OTHER>" in str(updated["blocks"])
    assert not [b for b in updated["blocks"] if b["type"] == "actions"]
    assert stack.runs() == []


def test_two_person_rule_keeps_buttons_until_the_second_approval(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    stack = start_stack(tmp_path, slack_emulator, approval_two_person_risk="medium")
    try:
        emu = stack.emulator
        card = _ask_for_restart(stack)
        _click(stack, card, "U0ONCALL", "approval_approve")
        emu.wait_for(
            lambda: (
                "1 of 2 approvals" in str((emu.message(CHANNEL, card["ts"]) or {}).get("blocks"))
            ),
            what="the card to show one of two approvals",
        )
        interim = emu.message(CHANNEL, card["ts"])
        assert interim is not None and [b for b in interim["blocks"] if b["type"] == "actions"]
        assert stack.runs() == []
        _click(stack, card, "U0OTHER", "approval_approve")
        emu.wait_for(lambda: stack.runs(), what="the action to run")
        emu.wait_for(
            lambda: "Done." in str((emu.message(CHANNEL, card["ts"]) or {}).get("blocks")),
            what="the card to show the result",
        )
        assert len(stack.runs()) == 1
    finally:
        stack.close()


def test_a_thread_still_waiting_does_not_post_the_card_again(stack: Stack) -> None:
    """A message in a thread waiting for a decision (its aside conversation waiting too) is
    answered with what it waits for, without a second card for the same approval: a second
    card would take over the in-place updates and leave the first one with live buttons."""
    emu = stack.emulator
    card = _ask_for_restart(stack)
    thread = card["thread_ts"]
    stack.sender.event(message_event("please restart worker", channel=CHANNEL, thread_ts=thread))
    emu.wait_for(
        lambda: len([m for m in emu.thread(CHANNEL, thread) if _has_buttons(m)]) == 2,
        what="the card of the aside request",
    )
    stack.sender.event(message_event("and now?", channel=CHANNEL, thread_ts=thread))
    emu.wait_for(
        lambda: [m for m in emu.thread(CHANNEL, thread) if "waiting for decisions" in m["text"]],
        what="the answer that the thread is waiting",
    )
    time.sleep(0.5)
    assert len([m for m in emu.thread(CHANNEL, thread) if _has_buttons(m)]) == 2
    approval_id = card["blocks"][-1]["elements"][0]["text"].split(" ")[0]
    _reject(stack, card, "U0ONCALL")
    emu.wait_for(
        lambda: "Rejected by" in str((emu.message(CHANNEL, card["ts"]) or {}).get("blocks")),
        what="the first card updated in place",
    )
    assert stack.runtime.approvals.view(approval_id).status == "rejected"


def _has_buttons(message: dict[str, Any]) -> bool:
    return any(b.get("type") == "actions" for b in message.get("blocks") or [])


def _sent_three_times(stack: Stack, raw: str) -> list[Any]:
    """The same signed request sent three times (a replay within the signature window)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(raw)}
    return [stack.sender.raw(raw, headers) for _ in range(3)]


def test_a_replayed_slash_command_creates_one_approval(stack: Stack) -> None:
    emu = stack.emulator
    channel = "C0REPLAY"
    raw = slash_body(
        "share please restart web", response_url=emu.response_url("replay"), channel=channel
    )
    responses = _sent_three_times(stack, raw)
    assert [r.status_code for r in responses] == [200, 200, 200]
    emu.wait_for(lambda: stack.runtime.approvals.pending(), what="the approval")
    time.sleep(1.5)  # what a replay would have started has had time to show
    assert len(stack.runtime.approvals.pending()) == 1
    assert len([p for p in emu.posts(channel) if "asked via `/ops`" in str(p.params)]) == 1
    # a new invocation (another signature) still works
    again = stack.sender.form(slash_body("help", response_url=emu.response_url("h")))
    assert again.status_code == 200 and "/ops health" in again.text


def test_a_replayed_button_click_is_handled_once(stack: Stack) -> None:
    emu = stack.emulator
    card = _ask_for_restart(stack)
    raw = click_body(
        action_id="approval_approve",
        value=_buttons(card)["approval_approve"],
        user="U0STRANGER",
        channel=CHANNEL,
        message_ts=card["ts"],
        thread_ts=card["thread_ts"],
        response_url=emu.response_url("click"),
    )
    assert [r.status_code for r in _sent_three_times(stack, raw)] == [200, 200, 200]
    _ephemerals_for(stack, "U0STRANGER", 1)
    time.sleep(1.5)
    assert len([e for e in emu.ephemerals if e["user"] == "U0STRANGER"]) == 1
