"""👍/👎 on opsbot's answers in Slack, in process over real HTTP (the Slack and Anthropic
emulators, block_actions payloads from bolt-python's tests): the buttons carry the turn's
trace, a click stores one `user_feedback` score per person per answer (a second click
changes it), a forged value records nothing, and the vote shows in prompt_metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.reply import Feedback, Reply, Section
from bot.slack.approvals import ButtonSigner
from bot.slack.render import MAX_BLOCKS, render_reply
from core.access import Caller
from graphs.prompts import SYSTEM_PROMPT_NAME
from tests.emulators.anthropic import AnthropicEmulator
from tests.emulators.anthropic import Reply as ModelReply
from tests.emulators.slack import SlackEmulator, block_problems
from tests.slack.helpers import click_body, ephemeral_texts, mention
from tests.slack.stack import Stack, start_stack

BOT, CHANNEL = "U0BOT", "C0FEEDBACK"


@pytest.fixture
def stack(tmp_path: Path, claude: AnthropicEmulator) -> Iterator[Stack]:
    emulator = SlackEmulator().start()
    built = start_stack(tmp_path, emulator, **claude.settings())
    yield built
    built.close()
    emulator.stop()


def _answer(stack: Stack, claude: AnthropicEmulator, text: str) -> dict[str, Any]:
    claude.push(ModelReply.text(text))
    event = mention("is web healthy?", channel=CHANNEL, bot_user=BOT)
    stack.sender.event(event)
    root = event["event"]["ts"]
    emu = stack.emulator
    (answer,) = emu.wait_for(
        lambda: [m for m in emu.thread(CHANNEL, root) if text in m["text"]], what="the answer"
    )
    return answer


def _buttons(message: dict[str, Any]) -> dict[str, str]:
    (actions,) = [b for b in message["blocks"] if b.get("block_id") == "feedback"]
    return {e["action_id"]: e["value"] for e in actions["elements"]}


def _click(stack: Stack, message: dict[str, Any], action_id: str, value: str, user: str) -> None:
    raw = click_body(
        action_id=action_id, value=value, user=user, channel=CHANNEL, message_ts=message["ts"],
        thread_ts=message.get("thread_ts"), response_url=stack.emulator.response_url("fb"),
    )  # fmt: skip
    assert stack.sender.form(raw).status_code == 200


def _said(stack: Stack, user: str, count: int) -> list[str]:
    return ephemeral_texts(stack.emulator, user, count)


def test_votes_are_stored_once_per_person_and_show_in_the_metrics(
    stack: Stack, claude: AnthropicEmulator
) -> None:
    answer = _answer(stack, claude, "Web is healthy: 0 errors in the last hour.")
    assert block_problems(answer["blocks"]) == []
    buttons = _buttons(answer)
    assert set(buttons) == {"feedback_up", "feedback_down"}
    trace_id = buttons["feedback_up"].split("|")[0]
    runtime, scores = stack.runtime, stack.runtime.llm_scores
    assert any(r.trace_id == trace_id for r in _rows(runtime))  # the turn's own trace

    _click(stack, answer, "feedback_up", buttons["feedback_up"], "U0ALICE")
    assert "Thanks for the 👍" in _said(stack, "U0ALICE", 1)[-1]
    assert scores.get(trace_id, "user_feedback", "U0ALICE") == 1.0
    _click(stack, answer, "feedback_down", buttons["feedback_down"], "U0ALICE")
    assert "Changed your vote on this answer to 👎" in _said(stack, "U0ALICE", 2)[-1]
    _click(stack, answer, "feedback_down", buttons["feedback_down"], "U0ALICE")
    assert "already recorded" in _said(stack, "U0ALICE", 3)[-1]
    _click(stack, answer, "feedback_up", buttons["feedback_up"], "U0BOB")
    _said(stack, "U0BOB", 1)
    assert scores.count() == 2
    assert scores.get(trace_id, "user_feedback", "U0ALICE") == 0.0

    caller = Caller(user="U1", via="cli")
    metrics = runtime.toolbox.get("prompt_metrics").invoke({"prompt": SYSTEM_PROMPT_NAME}, caller)
    (group,) = metrics.data["groups"]
    assert (group["feedback_count"], group["feedback_mean"]) == (2, 0.5)


def test_a_forged_or_swapped_value_records_nothing(stack: Stack, claude: AnthropicEmulator) -> None:
    answer = _answer(stack, claude, "All five replicas are up.")
    buttons = _buttons(answer)
    _, action, expires, mac = buttons["feedback_up"].split("|")
    forged = f"{'ab' * 16}|{action}|{expires}|{mac}"  # another trace, the same signature
    _click(stack, answer, "feedback_up", forged, "U0MALLORY")
    assert "signature is invalid; nothing was recorded" in _said(stack, "U0MALLORY", 1)[-1]
    # the 👎 value under the 👍 action id: a vote is only what its own button says
    _click(stack, answer, "feedback_up", buttons["feedback_down"], "U0MALLORY")
    assert "is for 'down', not 'up'" in _said(stack, "U0MALLORY", 2)[-1]
    assert stack.runtime.llm_scores.count() == 0


def test_the_buttons_end_the_last_message_and_need_a_signer() -> None:
    signer = ButtonSigner("secret")
    reply = Reply([Section("short"), Feedback("cd" * 16)])
    (message,) = render_reply(reply, signer).messages
    assert message.blocks[-1]["block_id"] == "feedback"
    (unsigned,) = render_reply(reply).messages  # no signer (not Slack): no buttons
    assert all(b.get("block_id") != "feedback" for b in unsigned.blocks)
    full = Reply([Section(f"line {n}\n\n" + "x" * 2900) for n in range(MAX_BLOCKS)])
    full.add(Feedback("cd" * 16))
    messages = render_reply(full, signer).messages
    assert all(len(m.blocks) <= MAX_BLOCKS for m in messages)
    assert messages[-1].blocks[-1]["block_id"] == "feedback"


def _rows(runtime: Any) -> list[Any]:
    with runtime.engine.connect() as conn:
        return list(conn.exec_driver_sql("select trace_id from llm_span"))
