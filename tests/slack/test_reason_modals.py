"""Approve / reject with a reason, over real HTTP against the Slack emulator: Reject opens a
modal (reason optional, required for a high-risk action), a high-risk Approve opens one with
a required reason, a low-risk Approve stays one click. The submission checks the signed
button value again; bad input is answered `response_action: errors`; the reason reaches the
audit row and the card; two submissions decide once."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.slack.approvals import APPROVAL
from bot.slack.conversation import thread_id_for
from core.access import Caller, Risk
from tests.emulators.slack import SlackEmulator, view_problems
from tests.slack.helpers import click_body, mention, new_ts
from tests.slack.modal_helpers import opened_view, submit_view
from tests.slack.stack import Stack, start_stack

CHANNEL = "C0REASON"
ONCALL = "U0ONCALL"


@pytest.fixture
def stack(tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[Stack]:
    built = start_stack(tmp_path, slack_emulator)
    yield built
    built.close()


def _buttons(card: dict[str, Any]) -> dict[str, str]:
    actions = next(b for b in card["blocks"] if b["type"] == "actions")
    return {e["action_id"]: e["value"] for e in actions["elements"]}


def _medium_card(stack: Stack) -> dict[str, Any]:
    """A restart asked for in a thread: its (medium-risk) approval card."""
    body = mention("please restart web", channel=CHANNEL)
    thread = body["event"]["ts"]
    assert stack.sender.event(body).status_code == 200
    emu = stack.emulator
    return dict(
        emu.wait_for(
            lambda: next(
                (m for m in emu.thread(CHANNEL, thread) if "approval_reject" in str(m["blocks"])),
                None,
            ),
            what="the approval card",
        )
    )


def _high_card(stack: Stack) -> dict[str, Any]:
    """A high-risk approval (not paused in a conversation: approving runs it) and its card."""
    thread = new_ts()
    tool = stack.runtime.extra_tools[0]
    view = stack.runtime.approvals.request(
        thread_id=thread_id_for("T0G9PQBBK", CHANNEL, thread),
        tool_call_id="call-1",
        tool=tool,
        args={"action": "kill_process", "params": {"pid": 42}},
        caller=Caller(user="U222", via="slack"),
        preview="would kill pid 42",
        risk=Risk.HIGH,
    )
    ts = stack.runtime.slack.outbox.post_approval(view, CHANNEL, thread)
    card = stack.emulator.message(CHANNEL, ts)
    assert card is not None
    return dict(card)


def _click(stack: Stack, card: dict[str, Any], user: str, action_id: str) -> str:
    """Click a button of the card; return the click's trigger_id."""
    raw = click_body(
        action_id=action_id,
        value=_buttons(card)[action_id],
        user=user,
        channel=CHANNEL,
        message_ts=card["ts"],
        thread_ts=card.get("thread_ts") or card["ts"],
        response_url=stack.emulator.response_url("click"),
    )
    assert stack.sender.form(raw).status_code == 200
    return str(json.loads(urllib.parse.unquote(raw.removeprefix("payload=")))["trigger_id"])


def _approval_id(card: dict[str, Any]) -> str:
    return str(card["blocks"][-1]["elements"][0]["text"].split(" ")[0])


def _card_says(stack: Stack, card: dict[str, Any], text: str) -> str:
    emu = stack.emulator
    emu.wait_for(
        lambda: text in str((emu.message(CHANNEL, card["ts"]) or {}).get("blocks")),
        what=f"the card to say {text!r}",
    )
    return str((emu.message(CHANNEL, card["ts"]) or {}).get("blocks"))


def test_reject_asks_an_optional_reason_that_reaches_the_audit_and_the_card(stack: Stack) -> None:
    emu = stack.emulator
    card = _medium_card(stack)
    approval_id = _approval_id(card)
    # someone not on call gets no form: the refusal, ephemerally
    _click(stack, card, "U0STRANGER", "approval_reject")
    emu.wait_for(
        lambda: [e for e in emu.ephemerals if e["user"] == "U0STRANGER"], what="the refusal"
    )
    assert "only on-call engineers" in emu.ephemerals[0]["text"]
    assert not emu.calls_to("views.open")

    view = opened_view(emu, _click(stack, card, ONCALL, "approval_reject"))
    assert view_problems(view) == []
    assert view["callback_id"] == "approval_reason" and view["submit"]["text"] == "Reject"
    [field] = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["block_id"] == "reason" and field["optional"] is True
    assert stack.runtime.approvals.view(approval_id).status == "pending"  # not yet

    too_long = submit_view(stack.sender, view, ONCALL, reason="x" * 501).json()
    assert too_long == {"response_action": "errors", "errors": {"reason": "At most 500 characters"}}
    done = submit_view(stack.sender, view, ONCALL, reason="wrong service, restart worker")
    assert done.status_code == 200 and not done.content  # an empty ack closes the modal
    emu.wait_for(lambda: stack.runtime.approvals.view(approval_id).status == "rejected")
    shown = _card_says(stack, card, "Rejected by <@U0ONCALL>")
    assert "reason: “wrong service, restart worker”" in shown
    rejected = [r for r in stack.runtime.audit.for_approval(approval_id) if r.outcome == "rejected"]
    assert [(r.actor, r.via, r.result) for r in rejected] == [
        (ONCALL, "slack", "wrong service, restart worker")
    ]
    # the same form submitted again decides nothing more
    again = submit_view(stack.sender, view, ONCALL, reason="again")
    assert again.status_code == 200
    emu.wait_for(
        lambda: [e for e in emu.ephemerals if e["text"].startswith("Nothing to do")],
        what="the note that there was nothing to do",
    )
    assert "already rejected by U0ONCALL" in emu.ephemerals[-1]["text"]
    assert len(stack.runtime.audit.for_approval(approval_id)) == 2  # requested, rejected
    assert stack.runs() == []


def test_a_reject_without_a_reason_is_fine_for_a_medium_risk_action(stack: Stack) -> None:
    card = _medium_card(stack)
    view = opened_view(stack.emulator, _click(stack, card, ONCALL, "approval_reject"))
    done = submit_view(stack.sender, view, ONCALL, reason=None)
    assert done.status_code == 200 and not done.content
    stack.emulator.wait_for(
        lambda: stack.runtime.approvals.view(_approval_id(card)).status == "rejected"
    )
    assert "reason:" not in _card_says(stack, card, "Rejected by")


def test_a_medium_risk_approve_stays_one_click(stack: Stack) -> None:
    card = _medium_card(stack)
    _click(stack, card, ONCALL, "approval_approve")
    stack.emulator.wait_for(lambda: stack.runs(), what="the action to run")
    assert not stack.emulator.calls_to("views.open")


def test_a_high_risk_approve_needs_a_reason_and_runs_once(stack: Stack) -> None:
    emu = stack.emulator
    card = _high_card(stack)
    approval_id = _approval_id(card)
    view = opened_view(emu, _click(stack, card, ONCALL, "approval_approve"))
    assert view_problems(view) == []
    assert view["submit"]["text"] == "Approve" and "kill_process" in str(view["blocks"])
    [field] = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["optional"] is False
    empty = submit_view(stack.sender, view, ONCALL, reason="  ").json()
    assert empty == {
        "response_action": "errors",
        "errors": {"reason": "Say why: a reason is required for a high-risk action"},
    }
    assert stack.runtime.approvals.view(approval_id).status == "pending" and stack.runs() == []

    # the signed value is checked again: a forged or expired one decides nothing
    meta = json.loads(view["private_metadata"])
    forged = {**meta, "value": meta["value"].replace(approval_id, "ap-ffffffffffff")}
    answer = submit_view(
        stack.sender, {**view, "private_metadata": json.dumps(forged)}, ONCALL, reason="go"
    ).json()
    assert answer["errors"]["reason"].startswith("Refused: this button's signature is invalid")
    swapped = {**meta, "action": "reject"}  # the approve value does not reject
    answer = submit_view(
        stack.sender, {**view, "private_metadata": json.dumps(swapped)}, ONCALL, reason="go"
    ).json()
    assert "is for 'approve', not 'reject'" in answer["errors"]["reason"]
    expired = stack.runtime.slack.signer.sign(
        APPROVAL, approval_id, "approve", int(time.time()) - 5
    )
    late = {**meta, "value": expired}
    answer = submit_view(
        stack.sender, {**view, "private_metadata": json.dumps(late)}, ONCALL, reason="go"
    ).json()
    assert "expired" in answer["errors"]["reason"]
    assert stack.runtime.approvals.view(approval_id).status == "pending" and stack.runs() == []

    # two submissions at once (a double press, or the form opened twice): one decision
    second = opened_view(emu, _click(stack, card, "U0OTHER", "approval_approve"))
    for user, form in ((ONCALL, view), ("U0OTHER", second)):
        done = submit_view(stack.sender, form, user, reason=f"runaway process, {user}")
        assert done.status_code == 200 and not done.content
    emu.wait_for(lambda: stack.runtime.approvals.view(approval_id).status == "executed")
    emu.wait_for(
        lambda: [e for e in emu.ephemerals if e["text"].startswith("Nothing to do")],
        what="the loser told there was nothing to do",
    )
    assert stack.runs() == ["kill_process {'pid': 42} requested by U222"]
    shown = _card_says(stack, card, "Done.")
    assert "reason: “runaway process, U0ONCALL”" in shown
    approved = [r for r in stack.runtime.audit.for_approval(approval_id) if r.outcome == "approved"]
    assert [(r.actor, r.result) for r in approved] == [(ONCALL, "runaway process, U0ONCALL")]


def test_a_high_risk_reject_needs_a_reason_too(stack: Stack) -> None:
    card = _high_card(stack)
    view = opened_view(stack.emulator, _click(stack, card, ONCALL, "approval_reject"))
    [field] = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["optional"] is False and field["label"]["text"] == "Reason"
    empty = submit_view(stack.sender, view, ONCALL, reason="").json()
    assert empty["response_action"] == "errors" and "required" in empty["errors"]["reason"]
    assert stack.runtime.approvals.view(_approval_id(card)).status == "pending"


def test_a_form_that_is_not_mine_is_refused(stack: Stack) -> None:
    card = _high_card(stack)
    view = opened_view(stack.emulator, _click(stack, card, ONCALL, "approval_approve"))
    for metadata in ("not json", json.dumps({"action": "delete"}), json.dumps([1])):
        answer = submit_view(
            stack.sender, {**view, "private_metadata": metadata}, ONCALL, reason="go"
        ).json()
        assert answer["response_action"] == "errors", metadata
        assert answer["errors"]["reason"].startswith("Refused:"), metadata
    assert stack.runtime.approvals.view(_approval_id(card)).status == "pending"


def test_a_form_that_cannot_open_decides_nothing_and_says_so(stack: Stack) -> None:
    emu = stack.emulator
    card = _medium_card(stack)
    emu.fail("views.open", "expired_trigger_id")
    _click(stack, card, ONCALL, "approval_reject")
    emu.wait_for(lambda: [e for e in emu.ephemerals if e["user"] == ONCALL], what="the note")
    note = emu.ephemerals[-1]["text"]
    assert "the form could not open (expired_trigger_id); nothing was changed" in note
    assert stack.runtime.approvals.view(_approval_id(card)).status == "pending"
