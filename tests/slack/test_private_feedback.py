"""👍/👎 where the thread's answer is not: on an `/ops` private answer (ephemeral, through its
response_url) and on the answer of a turn an approval resumed, both to its asker privately and
in its thread. A click on an ephemeral message carries no message (Slack keeps no copy), is
never updated in place, and still records the vote on the run's trace. Real HTTP against the
Slack emulator, offline planner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from tests.emulators.slack import SlackEmulator
from tests.slack.helpers import (
    click_body,
    ephemeral_click_body,
    ephemeral_texts,
    mention,
    slash_body,
)
from tests.slack.stack import Stack, start_stack
from tools.llmops.tables import LlmSpanRow

GATED = "please restart web now"


@pytest.fixture
def stack(tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[Stack]:
    built = start_stack(tmp_path, slack_emulator)
    yield built
    built.close()


def _buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    (actions,) = [b for b in blocks if b.get("block_id") == "feedback"]
    assert blocks[-1] is actions  # the buttons end the message
    return {e["action_id"]: e["value"] for e in actions["elements"]}


def _ask(stack: Stack, text: str, channel: str, key: str) -> dict[str, Any]:
    emu = stack.emulator
    raw = slash_body(text, response_url=emu.response_url(key), channel=channel, user="W111")
    assert stack.sender.form(raw).status_code == 200
    (answer,) = emu.wait_for(
        lambda: [r for r in emu.responses if r["key"] == key], 60, what="the private answer"
    )
    return answer


def _notes(stack: Stack, user: str, count: int) -> list[str]:
    return ephemeral_texts(stack.emulator, user, count)


def _vote_on_ephemeral(
    stack: Stack, channel: str, value: str, action_id: str = "feedback_up"
) -> None:
    raw = ephemeral_click_body(
        action_id=action_id, value=value, user="W111", channel=channel,
        message_ts="1700000000.000002", response_url=stack.emulator.response_url("vote"),
    )  # fmt: skip
    assert stack.sender.form(raw).status_code == 200


def _traced(stack: Stack, trace_id: str) -> set[str]:
    query = select(LlmSpanRow.operation).where(col(LlmSpanRow.trace_id) == trace_id)
    with stack.runtime.engine.connect() as conn:
        return {row[0] for row in conn.execute(query)}


def _updates(stack: Stack) -> int:
    return len(stack.emulator.calls_to("chat.update"))


def test_an_ops_private_answer_has_the_buttons_and_a_click_records_the_vote(
    stack: Stack,
) -> None:
    channel = "C0PRIVFB1"
    answer = _ask(stack, "how's the box doing?", channel, "ask")
    assert answer["response_type"] == "ephemeral"
    buttons = _buttons(answer["blocks"])
    trace_id = buttons["feedback_up"].split("|")[0]
    assert "invoke_agent" in _traced(stack, trace_id)  # the private turn's own trace
    updates = _updates(stack)
    _vote_on_ephemeral(stack, channel, buttons["feedback_up"])
    assert "Thanks for the 👍" in _notes(stack, "W111", 1)[-1]
    scores = stack.runtime.llm_scores
    assert scores.get(trace_id, "user_feedback", "W111") == 1.0
    _vote_on_ephemeral(stack, channel, buttons["feedback_down"], "feedback_down")
    assert "Changed your vote" in _notes(stack, "W111", 2)[-1]
    assert scores.get(trace_id, "user_feedback", "W111") == 0.0 and scores.count() == 1
    assert _updates(stack) == updates  # nothing tried to edit the ephemeral answer


def test_a_forged_vote_on_a_private_answer_records_nothing(stack: Stack) -> None:
    channel = "C0PRIVFB2"
    buttons = _buttons(_ask(stack, "how's the box doing?", channel, "ask")["blocks"])
    _vote_on_ephemeral(stack, channel, buttons["feedback_down"])  # the 👎 value on 👍
    assert "Refused" in _notes(stack, "W111", 1)[-1]
    assert stack.runtime.llm_scores.count() == 0


def _approve(stack: Stack, channel: str) -> None:
    emu = stack.emulator
    (card,) = emu.wait_for(
        lambda: [p for p in emu.posts(channel) if "approval_approve" in str(p.params)],
        60,
        what="the approval card",
    )
    actions = next(b for b in card.params["blocks"] if b["type"] == "actions")
    value = next(e["value"] for e in actions["elements"] if e["action_id"] == "approval_approve")
    raw = click_body(
        action_id="approval_approve", value=value, user="U0ONCALL", channel=channel,
        message_ts=card.response["ts"], thread_ts=card.params.get("thread_ts"),
        response_url=emu.response_url("c"),
    )  # fmt: skip
    assert stack.sender.form(raw).status_code == 200


def test_the_resumed_answer_of_a_private_question_has_the_buttons(stack: Stack) -> None:
    channel = "C0PRIVFB3"
    asked = _ask(stack, GATED, channel, "gate")
    assert "block_id': 'feedback'" not in str(asked["blocks"])  # a question, not an answer
    _approve(stack, channel)
    emu = stack.emulator
    (told,) = emu.wait_for(
        lambda: [e for e in emu.ephemerals if e["user"] == "W111"], 60, what="the resumed answer"
    )
    assert "restart_service done" in str(told)
    buttons = _buttons(told["blocks"])
    trace_id = buttons["feedback_up"].split("|")[0]
    assert "invoke_agent" in _traced(stack, trace_id)  # the resumed run's trace
    _vote_on_ephemeral(stack, channel, buttons["feedback_up"])
    assert "Thanks for the 👍" in _notes(stack, "W111", 2)[-1]
    assert stack.runtime.llm_scores.get(trace_id, "user_feedback", "W111") == 1.0


def test_the_resumed_answer_in_a_thread_has_the_buttons(stack: Stack) -> None:
    channel = "C0THREADFB"
    event = mention(GATED, channel=channel, bot_user="U0BOT")
    stack.sender.event(event)
    root = event["event"]["ts"]
    _approve(stack, channel)
    emu = stack.emulator
    (answer,) = emu.wait_for(
        lambda: [m for m in emu.thread(channel, root) if "restart_service done" in m["text"]],
        60,
        what="the resumed answer in the thread",
    )
    trace_id = _buttons(answer["blocks"])["feedback_up"].split("|")[0]
    assert "invoke_agent" in _traced(stack, trace_id)
